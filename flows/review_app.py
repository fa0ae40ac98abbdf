"""`pressroom review`: the held releases in a browser, repaired, edited, waived and published by a person.

A small Starlette app, server-rendered with Jinja2 (autoescape on: every scraped string is escaped), one
static script for keyboard navigation, nothing from a CDN. All work is :mod:`flows.review` (no SQL here).

Access and safety:

- Binds 127.0.0.1 by default. On any other address :func:`check_binding` refuses to start without a
  token (``PRESSROOM_REVIEW_TOKEN``, or ``--token generate``). With a token every request must carry it:
  ``Authorization: Bearer <token>``, or the ``pressroom_review`` cookie that visiting ``/?token=<token>``
  sets (HttpOnly, SameSite=Strict); anything else is 401.
- Every POST carries the page's CSRF token (a form field compared in constant time with this process's
  token); without it, 403 and nothing is done.
- A save names the version it edited; a release saved by someone else meanwhile answers 409 and saves
  nothing (:class:`warehouse.review.ReviewConflict`). Saves are one transaction each.
- A Content-Security-Policy allows only this origin's script: scraped markup could not run even if it
  were ever left unescaped.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from importlib import resources
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pressroom.expectations.findings import Finding
from pressroom.flows import review
from pressroom.flows.settings import Settings
from pressroom.warehouse import review as store
from pressroom.warehouse.releases import WaiverError, waive
from pressroom.warehouse.review import ReviewConflict, ReviewError

#: What a save makes from the version a reviewer saw: title, body and the suggestions applied (none: an edit).
Edited = tuple[str, str, Sequence[Finding]]

TOKEN_ENV = "PRESSROOM_REVIEW_TOKEN"
COOKIE = "pressroom_review"
REVIEWER_COOKIE = "pressroom_reviewer"
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self';"
       " base-uri 'none'; frame-ancestors 'none'")


class UnsafeBinding(ValueError):
    """A non-loopback address without a token."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(option: str | None, environ: dict[str, str]) -> tuple[str | None, bool]:
    """The token to require and whether it was generated here (and must be printed)."""
    if option == "generate":
        return secrets.token_urlsafe(24), True
    if option:
        return option, False
    return environ.get(TOKEN_ENV) or None, False


def check_binding(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise UnsafeBinding(
            f"refusing to serve the review app on {host}, which is not a loopback address, without a credential:"
            f" set {TOKEN_ENV} or pass --token generate (or bind 127.0.0.1)")


def _templates() -> jinja2.Environment:
    folder = resources.files("pressroom.flows") / "templates" / "review"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True)
    env.filters["day"] = lambda value: "" if value is None else str(value)[:10]
    env.filters["stamp"] = lambda value: "" if value is None else str(value)[:19]
    return env


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a field's text: plain, or covered by findings (highlighted)."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def css(self) -> str:
        if not self.findings:
            return ""
        severities = {f.severity for f in self.findings}
        return "error" if "error" in severities else "warning" if "warning" in severities else "info"

    @property
    def label(self) -> str:
        return "; ".join(f"{f.severity} {f.check}: {f.message}" for f in self.findings)


def segments(text: str, findings: list[Finding]) -> list[Segment]:
    """``text`` cut at every finding boundary, each piece with the findings covering it."""
    cuts = sorted({0, len(text), *(f.start for f in findings), *(f.end for f in findings)})
    out: list[Segment] = []
    for start, end in pairwise(cuts):
        covering = tuple(f for f in findings if f.start <= start and end <= f.end and f.start < f.end)
        out.append(Segment(text[start:end], covering))
    return out


@dataclass(frozen=True, slots=True)
class SuggestionView:
    key: str
    finding: Finding
    before: str
    removed: str
    inserted: str
    after: str


def suggestion_views(release: Any, findings: list[Finding], context: int = 40) -> list[SuggestionView]:
    views = []
    for finding in findings:
        if finding.suggestion is None:
            continue
        text = review.text_of(release, finding.field)
        s = finding.suggestion
        pieces = (text[max(0, s.start - context):s.start], text[s.start:s.end], s.replacement,
                  text[s.end:s.end + context])
        views.append(SuggestionView(review.finding_key(finding), finding, *(_one_line(p) for p in pieces)))
    return views


def _one_line(text: str) -> str:
    """Line breaks shown as "⏎", as in `pressroom check`'s one-line diffs."""
    return text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")


class _Guard(BaseHTTPMiddleware):
    """The credential (when one is set), the CSRF token on every POST, and the security headers."""

    def __init__(self, app: Any, *, token: str | None, csrf: str) -> None:
        super().__init__(app)
        self.token = token
        self.csrf = csrf

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                response: Response = RedirectResponse(request.url.path, status_code=303)
                response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
                return response
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            cookie = request.cookies.get(COOKIE, "")
            if not any(hmac.compare_digest(c.encode(), self.token.encode()) for c in (bearer, cookie) if c):
                return PlainTextResponse("401: this review app needs its token (see `pressroom review --help`)",
                                         status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if request.method == "POST":
            try:
                form = await read_form(request)
            except ValueError as error:
                return PlainTextResponse(f"400: {error}", status_code=400)
            sent = form.get("csrf", [""])[0]
            if not hmac.compare_digest(sent.encode(), self.csrf.encode()):
                return PlainTextResponse("403: missing or wrong CSRF token; reload the page", status_code=403)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response


#: The largest form accepted (a release body edited in a textarea, with its title).
MAX_FORM_BYTES = 4 * 1024 * 1024


async def read_form(request: Request) -> dict[str, list[str]]:
    """The fields of an ``application/x-www-form-urlencoded`` POST (what every form here sends), each
    with its values in order. Read with the standard library: Starlette's own form parser needs
    python-multipart, which nothing else here uses. ValueError for another body type or one too large."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        return {}
    if kind != "application/x-www-form-urlencoded":
        raise ValueError(f"expected a form (application/x-www-form-urlencoded), not {kind or 'no content type'}")
    if len(body) > MAX_FORM_BYTES:
        raise ValueError(f"form larger than {MAX_FORM_BYTES} bytes")
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=10_000)


def create_app(settings: Settings, *, token: str | None = None, csrf: str | None = None) -> Starlette:
    """The review app over ``settings``' warehouse. ``csrf`` fixes the CSRF token (tests); by default a
    random one per process."""
    env = _templates()
    csrf_token = csrf or secrets.token_urlsafe(24)
    warehouse = review.warehouse_of(settings)
    # One warehouse action at a time in this process: DuckDB refuses a read-only connection while this
    # process holds a writing one (a publish), and two saves here are serialised; the version check
    # covers saves from other processes.
    saving = threading.RLock()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(csrf=csrf_token, reviewer=request.cookies.get(REVIEWER_COOKIE, ""),
                                             message=request.query_params.get("message", ""), **context)
        return HTMLResponse(html, status_code=status)

    def _locked_look(release_id: str) -> review.Look:
        with saving:
            return review.look(warehouse, release_id)

    def back(release_id: str, message: str, by: str | None = None) -> Response:
        response = RedirectResponse(f"/release/{release_id}?{urlencode({'message': message})}", status_code=303)
        if by:
            response.set_cookie(REVIEWER_COOKIE, by, httponly=True, samesite="strict")
        return response

    def queue_page(request: Request) -> Response:
        params = request.query_params
        since, until = _day(params.get("since")), _day(params.get("until"), end=True)
        with saving, warehouse.reader() as con:
            held = store.queue(con, source_id=params.get("source") or None, check_id=params.get("check") or None,
                               since=since, until=until)
        return page(request, "queue.html.j2", queue=held, filters={k: params.get(k, "") for k in
                                                                    ("source", "check", "since", "until")})

    def release_page(request: Request) -> Response:
        release_id = request.path_params["release_id"]
        try:
            with saving:
                seen = review.look(warehouse, release_id)
                return _render_release(request, seen)
        except ReviewError as error:
            return page(request, "message.html.j2", 404, title="Not found", text=str(error))

    def _render_release(request: Request, seen: review.Look, status: int = 200, **extra: Any) -> HTMLResponse:
        release = seen.current.release
        shown = [f for f in seen.findings if f.severity != "info"]
        with saving, warehouse.reader() as con:
            held = store.queue(con)
        ids = [item.release_id for item in held.items]
        here = ids.index(release.release_id) if release.release_id in ids else -1
        return page(
            request, "release.html.j2", status, seen=seen, release=release, current=seen.current,
            title_segments=segments(release.title, [f for f in shown if f.field == "title"]),
            body_segments=segments(release.body_text, [f for f in shown if f.field == "body"]),
            findings=shown, suggestions=suggestion_views(release, shown),
            needs_edit=[f for f in shown if f.severity == "error" and f.suggestion is None],
            previous=ids[here - 1] if here > 0 else None,
            next=ids[here + 1] if 0 <= here < len(ids) - 1 else (ids[0] if here < 0 and ids else None),
            **extra,
        )

    async def _form(request: Request) -> dict[str, Any]:
        form = await read_form(request)
        return {"keys": form.get("accept", []), **{k: v[0] for k, v in form.items()}}

    def _saved_or_conflict(request: Request, release_id: str, action: Any) -> Response:
        try:
            with saving:
                saved = action()
        except ReviewConflict as error:
            with saving:
                seen = review.look(warehouse, release_id)
                return _render_release(request, seen, 409, conflict=str(error))
        except ReviewError as error:
            return back(release_id, f"not saved: {error}")
        return back(release_id, f"saved version {saved.version}; it is checked when you publish")

    async def _save(request: Request, build: Callable[[review.Look, dict[str, Any]], Edited]) -> Response:
        """Save the version ``build`` makes from the current one and the form: by whom and why are required,
        and the version the reviewer saw (the form's ``parent``) must still be current (else 409)."""
        release_id = request.path_params["release_id"]
        form = await _form(request)
        by, reason = form.get("by", "").strip(), form.get("reason", "").strip()
        if not by or not reason:
            return back(release_id, "not saved: your name and a reason are required", by)

        def action() -> store.Saved:
            seen = review.look(warehouse, release_id)
            if seen.current.content_hash != form.get("parent"):
                raise ReviewConflict(release_id, form.get("parent", ""), seen.current.content_hash,
                                     seen.current.version)
            title, body, applied = build(seen, form)
            return review.save(warehouse, seen.current, title=title, body=body, applied=applied, by=by,
                               reason=reason)

        response = await run_in_threadpool(_saved_or_conflict, request, release_id, action)
        response.set_cookie(REVIEWER_COOKIE, by, httponly=True, samesite="strict")
        return response

    def _accepted(seen: review.Look, form: dict[str, Any]) -> Edited:
        planned = review.plan(seen.current.release, review.select(seen.findings, keys=form["keys"]))
        if not planned.applied:
            raise ReviewError("no suggestion was accepted")
        return planned.title, planned.body, planned.applied

    def _edited(seen: review.Look, form: dict[str, Any]) -> Edited:
        return form.get("title", ""), _newlines(form.get("body", "")), ()

    async def repair(request: Request) -> Response:
        return await _save(request, _accepted)

    async def preview(request: Request) -> Response:
        release_id = request.path_params["release_id"]
        form = await _form(request)
        seen = await run_in_threadpool(lambda: _locked_look(release_id))
        title, body = form.get("title", ""), _newlines(form.get("body", ""))
        return page(request, "preview.html.j2", release=seen.current.release, parent=form.get("parent", ""),
                    title=title, body=body, diff=review.diff(seen.current.release, title, body),
                    by=form.get("by", ""), reason=form.get("reason", ""),
                    stale=seen.current.content_hash != form.get("parent"))

    async def save_edit(request: Request) -> Response:
        return await _save(request, _edited)

    async def waive_check(request: Request) -> Response:
        release_id = request.path_params["release_id"]
        form = await _form(request)
        by, reason = form.get("by", "").strip(), form.get("reason", "").strip()
        if not by or not reason:
            return back(release_id, "not waived: your name and a reason are required", by)

        def record() -> None:
            with saving, warehouse.transaction() as con:
                waive(con, release_id=release_id, check_id=form.get("check", ""), reason=reason, by=by,
                      now=datetime.now(UTC))

        try:
            await run_in_threadpool(record)
        except WaiverError as error:
            return back(release_id, f"not waived: {error}", by)
        return back(release_id, f"waived {form.get('check')}; publish to let it through", by)

    async def publish(request: Request) -> Response:
        release_id = request.path_params["release_id"]

        def work() -> review.Look:
            with saving:
                review.look(warehouse, release_id)  # an unknown release: 404 before any work
                review.check_and_publish(settings)
                return review.look(warehouse, release_id)

        current = (await run_in_threadpool(work)).current
        if current.published_hash == current.content_hash:
            return back(release_id, f"checked and published version {current.version}")
        return back(release_id, f"checked: still held by {', '.join(current.open_checks) or 'its record checks'}")

    static = str(resources.files("pressroom.flows") / "templates" / "review" / "static")
    routes = [
        Route("/", queue_page),
        Route("/release/{release_id}", release_page),
        Route("/release/{release_id}/repair", repair, methods=["POST"]),
        Route("/release/{release_id}/preview", preview, methods=["POST"]),
        Route("/release/{release_id}/save", save_edit, methods=["POST"]),
        Route("/release/{release_id}/waive", waive_check, methods=["POST"]),
        Route("/release/{release_id}/publish", publish, methods=["POST"]),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    async def unknown(request: Request, error: Exception) -> Response:
        return page(request, "message.html.j2", 404, title="Not found", text=str(error))

    return Starlette(routes=routes, middleware=[Middleware(_Guard, token=token, csrf=csrf_token)],
                     exception_handlers={ReviewError: unknown})


def _newlines(text: str) -> str:
    """A textarea posts CRLF line breaks; the warehouse stores LF."""
    return text.replace("\r\n", "\n")


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time(), tzinfo=UTC)


def serve(settings: Settings, *, host: str, port: int, token: str | None) -> None:  # pragma: no cover - blocks
    import uvicorn

    uvicorn.run(create_app(settings, token=token), host=host, port=port, log_level="warning")

