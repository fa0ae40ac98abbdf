"""Every failure reason the connectors can produce is registered and classified exactly once.

The registry (:mod:`connectors.failures`) is checked against the connectors' source: an ``ast`` scan finds
every place a failure is made (``FetchError``, ``ParseFailure``, a listing's ``skip``, robots.txt's
failure reason, and local helpers that forward to them) and fails on a reason written as a plain string,
so a new ad-hoc reason cannot slip past the classification.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pressroom.connectors.failures import KINDS, Permanent, Reason, Retryable, Skip, http_reason, reason_of
from pressroom.connectors.http import FetchError
from pressroom.connectors.model import SKIP_REASONS, Listing, ParseFailure
from pressroom.warehouse.lifecycle import GONE_REASONS

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"

#: The stored strings as they were before the codes were typed (the public contract), with the kind
#: each now has. ``bad-xml``, ``no-id`` and ``bad-content-encoding`` used to hold the watermark back.
CONTRACT = {
    "timeout": Retryable, "connection": Retryable, "robots-unavailable": Retryable,
    "too-many-redirects": Retryable, "retry-after-too-long": Retryable, "bad-pdf": Retryable,
    "http-403": Retryable, "http-429": Retryable, "http-500": Retryable, "http-503": Retryable,
    "http-404": Permanent, "http-410": Permanent, "too-large": Permanent, "bad-content-encoding": Permanent,
    "bad-xml": Permanent, "bad-json": Permanent, "not-json": Permanent, "no-body": Permanent,
    "empty-body": Permanent, "no-id": Permanent, "withdrawn": Permanent, "protected": Permanent,
    "unreadable": Permanent,
    "robots-disallowed": Skip, "off-host": Skip, "off-host-redirect": Skip, "bad-scheme": Skip,
    "attachment": Skip, "pdf-no-text": Skip, "bad-url": Skip,
}


def every_reason() -> list[Reason]:
    return [member for kind in KINDS for member in kind]


def test_every_registered_reason_has_one_kind_and_a_stable_code() -> None:
    reasons = every_reason()
    assert len({r.value for r in reasons}) == len(reasons), "a code registered under two kinds"
    for reason in reasons:
        assert sum(isinstance(reason, kind) for kind in KINDS) == 1
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", reason.value), reason
        assert reason_of(reason.value) is reason and reason_of(reason) is reason


def test_stored_codes_are_unchanged_and_classified() -> None:
    for code, kind in CONTRACT.items():
        assert isinstance(reason_of(code), kind), code
    fixed = {r.value for r in every_reason() if not r.value.startswith("http-")}
    assert fixed <= set(CONTRACT), f"new codes must be added to CONTRACT: {sorted(fixed - set(CONTRACT))}"
    assert {r.value for r in Skip} == SKIP_REASONS
    assert {reason_of(code) for code in GONE_REASONS} == {Permanent.HTTP_404, Permanent.HTTP_410}


def test_every_failing_http_status_is_classified() -> None:
    for status in range(100, 1000):
        if 200 <= status < 300 or status == 304:
            with pytest.raises(ValueError):
                http_reason(status)
            continue
        reason = http_reason(status)
        assert reason.value == f"http-{status}"
        assert isinstance(reason, Permanent if status in (404, 410) else Retryable)


def test_an_unknown_reason_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="unknown failure reason 'not-html'"):
        reason_of("not-html")
    with pytest.raises(ValueError, match="unknown failure reason"):
        FetchError("https://example.gov/x", "made-up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown failure reason"):
        ParseFailure("xa", "https://example.gov/x", "no-title")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Listing("xa", "https://example.gov/x", skip="http-404")  # type: ignore[arg-type]


def test_plain_codes_become_their_typed_members() -> None:
    error = FetchError("https://example.gov/x", "http-503")  # type: ignore[arg-type]
    failure = ParseFailure("xa", "https://example.gov/x", "attachment")  # type: ignore[arg-type]
    listing = Listing("xa", "https://example.gov/x", skip="off-host")  # type: ignore[arg-type]
    assert (error.reason, failure.reason, listing.skip) == (Retryable.HTTP_503, Skip.ATTACHMENT, Skip.OFF_HOST)
    assert str(error).startswith("http-503 fetching")


# --- the source scan ---------------------------------------------------------------------------------

#: Where a failure reason is made: callable name -> (position of the reason argument, its keyword).
SINKS: dict[str, tuple[int | None, str]] = {
    "FetchError": (1, "reason"),
    "ParseFailure": (2, "reason"),
    "_AttemptFailed": (0, "reason"),
    "disallow_all": (None, "reason"),
    "RobotsRules": (None, "failure_reason"),
    "Listing": (6, "skip"),
}
KIND_NAMES = {kind.__name__: kind for kind in KINDS}


@dataclass
class Scan:
    """What the scan of one or more modules found."""

    produced: set[Reason] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    dynamic_http: bool = False


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _reason_argument(call: ast.Call, sinks: dict[str, tuple[int | None, str]]) -> ast.expr | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in sinks:
        return None
    position, keyword = sinks[name]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def scan_module(source: str, name: str, scan: Scan) -> None:
    """Check every reason argument in ``source``; helpers that forward a parameter to a sink become sinks."""
    tree = ast.parse(source)
    sinks = dict(SINKS)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}

    def enclosing(node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def resolve(expr: ast.expr, where: ast.AST, seen: frozenset[str] = frozenset()) -> None:
        line = f"{name}:{getattr(expr, 'lineno', '?')}"
        if isinstance(expr, ast.Constant) and expr.value is None:
            return
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in KIND_NAMES:
            kind = KIND_NAMES[expr.value.id]
            if expr.attr not in kind.__members__:
                scan.problems.append(f"{line}: {expr.value.id}.{expr.attr} is not registered")
            else:
                scan.produced.add(kind[expr.attr])
            return
        if isinstance(expr, ast.Attribute):  # a typed reason passed along (``exc.reason``)
            return
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "http_reason":
            scan.dynamic_http = True
            return
        if isinstance(expr, ast.IfExp):
            resolve(expr.body, where, seen)
            resolve(expr.orelse, where, seen)
            return
        if isinstance(expr, ast.BoolOp):
            for value in expr.values:
                resolve(value, where, seen)
            return
        if isinstance(expr, ast.Name) and expr.id not in seen:
            function = enclosing(where)
            keyword_only = [a.arg for a in function.args.kwonlyargs] if function is not None else []
            if function is not None and expr.id in (*_params(function), *keyword_only):
                position = _params(function).index(expr.id) if expr.id in _params(function) else None
                if function.name not in sinks:
                    sinks[function.name] = (position, expr.id)
                    changed.append(function.name)
                return
            scope = function if function is not None else tree
            values = [node.value for node in ast.walk(scope) if isinstance(node, ast.Assign | ast.AnnAssign)
                      and node.value is not None
                      and any(isinstance(t, ast.Name) and t.id == expr.id
                              for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
            if values:
                for value in values:
                    resolve(value, where, seen | {expr.id})
                return
        scan.problems.append(f"{line}: reason {ast.unparse(expr)!r} is not a registered Retryable/Permanent/Skip")

    changed = ["start"]
    checked: set[int] = set()
    while changed:
        changed = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in checked:
                argument = _reason_argument(node, sinks)
                if argument is not None:
                    checked.add(id(node))
                    resolve(argument, node)
    # Defaults and field values written as members count as produced (robots.txt's failure reason).
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in KIND_NAMES:
            resolve(node, node)
    scan.problems = list(dict.fromkeys(scan.problems))


def scan_connectors() -> Scan:
    scan = Scan()
    for path in sorted(CONNECTORS.glob("*.py")):
        if path.name != "failures.py":
            scan_module(path.read_text(encoding="utf-8"), path.name, scan)
    return scan


def test_connectors_make_failures_only_with_registered_reasons() -> None:
    scan = scan_connectors()
    assert scan.problems == []
    assert scan.dynamic_http, "http-<status> reasons come from http_reason()"
    fixed = {r for r in every_reason() if not r.value.startswith("http-")}
    assert fixed - scan.produced == set(), "registered reasons nothing produces"
    assert {Permanent.HTTP_404} <= scan.produced  # the WordPress connector's "no post at this slug"


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ('raise FetchError(url, "bad-gateway")', "'bad-gateway'"),
        ('return ParseFailure(s, u, f"http-{status}", "")', "f'http-{status}'"),
        ('skip = "off-host" if far else None\nyield Listing(s, u, skip=skip)', "'off-host'"),
        ('def fail(reason, detail):\n    return ParseFailure(s, u, reason, detail)\nfail("no-title", "x")',
         "'no-title'"),
        ("raise FetchError(url, Permanent.NO_SUCH_CODE)", "Permanent.NO_SUCH_CODE is not registered"),
    ],
    ids=["literal", "f-string", "via-a-variable", "via-a-helper", "unregistered-member"],
)
def test_the_scan_catches_an_ad_hoc_reason(snippet: str, problem: str) -> None:
    scan = Scan()
    scan_module("def made(s, u, url, far, status):\n" + "\n".join(f"    {line}" for line in snippet.splitlines()),
                "snippet.py", scan)
    assert len(scan.problems) == 1 and problem in scan.problems[0], scan.problems
