"""The sources file: one ``[[sources]]`` table per source, validated before any request is made.

Layered defaults: code defaults < kind defaults < the ``[defaults]`` table < each source's own keys.
Every error names the file, the source and the key at fault, and is raised as :class:`ConfigError`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import soupsieve
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.http import HttpSettings

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A sources file that cannot be used; the message is one line naming the key or value at fault."""


def default_sources_path() -> Path:
    return Path(str(resources.files("connectors").joinpath("sources.toml")))


class SourceConfig(BaseModel):
    """Keys every source has, whatever its kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind_name: ClassVar[str] = ""

    id: str
    name: str
    country: str
    language: str = "en"
    timezone: str = "UTC"
    kind: str
    url: str
    enabled: bool = True
    min_interval: float = Field(default=1.0, ge=0)
    max_pages: int = Field(default=200, ge=1, description="listing pages followed at most in one run")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError(f"{value!r} must match [a-z0-9-]+")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
            raise ValueError(f"{value!r} is not a language code such as 'en'")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone") from None
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({urlsplit(self.url).netloc.lower()})


class HtmlSource(SourceConfig):
    """A listing page with CSS selectors for entries, links, dates and the next page."""

    kind_name: ClassVar[str] = "html"

    item: str
    link: str = "a"
    date: str | None = None
    next: str | None = None
    title: str = "h1"
    published: str | None = None
    body: str
    drop: tuple[str, ...] = ()
    date_format: str | None = None

    @field_validator("item", "link", "date", "next", "title", "published", "body")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value

    @field_validator("drop")
    @classmethod
    def _drop(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for selector in value:
            _compile(selector)
        return value


def _compile(selector: str) -> None:
    try:
        soupsieve.compile(selector)
    except (soupsieve.SelectorSyntaxError, TypeError) as error:
        raise ValueError(f"{selector!r} is not a CSS selector ({str(error).splitlines()[0]})") from None


KINDS: dict[str, type[SourceConfig]] = {HtmlSource.kind_name: HtmlSource}


class PipelineSettings(BaseModel):
    """The optional ``[pipeline]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lag_days: float = Field(default=2.0, ge=0, description="nightly window starts this long before the watermark")
    batch_size: int = Field(default=50, ge=1, le=5000, description="pages fetched and loaded per task run")


class HttpTable(BaseModel):
    """The optional ``[http]`` table; see :class:`connectors.http.HttpSettings` for the meaning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, le=20)
    backoff: float = Field(default=1.0, ge=0)
    max_bytes: int = Field(default=20_000_000, ge=1024)
    respect_robots: bool = True

    def settings(self) -> HttpSettings:
        values: dict[str, Any] = self.model_dump(exclude_none=True)
        return HttpSettings(**values)


class Config(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    sources: tuple[SourceConfig, ...]
    pipeline: PipelineSettings = PipelineSettings()
    http: HttpTable = HttpTable()

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: unknown source {source_id!r} (configured: {known})")

    def select(self, source_ids: list[str] | None) -> list[SourceConfig]:
        """The sources named (enabled or not), or every enabled source when none is named."""
        if source_ids:
            return [self.source(source_id) for source_id in dict.fromkeys(source_ids)]
        return [source for source in self.sources if source.enabled]


def load_config(path: Path | None = None) -> Config:
    """Read and validate a sources file; raise :class:`ConfigError` naming the key at fault."""
    path = path or default_sources_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read sources file ({error.strerror or error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return parse_config(data, path=str(path), text=text)


def parse_config(data: Mapping[str, Any], *, path: str = "<sources>", text: str = "") -> Config:
    unknown = set(data) - {"sources", "defaults", "pipeline", "http"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {sorted(unknown)[0]!r}")
    entries = data.get("sources", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'sources' must be an array of tables written [[sources]]")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "[[sources]]"]
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: [[sources]] #{index + 1}"
        if index < len(lines):
            where += f" (line {lines[index]})"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            where += f" id {entry['id']!r}"
        source = _parse_source({**defaults, **entry} if isinstance(entry, dict) else entry, where)
        if source.id in seen:
            raise ConfigError(f"{where}: duplicate id {source.id!r}")
        seen.add(source.id)
        sources.append(source)
    pipeline = _section(PipelineSettings, data.get("pipeline", {}), f"{path}: [pipeline]")
    http = _section(HttpTable, data.get("http", {}), f"{path}: [http]")
    return Config(path=path, sources=tuple(sources), pipeline=pipeline, http=http)


def _parse_source(entry: Any, where: str) -> SourceConfig:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    kind = entry.get("kind")
    if kind is None:
        raise ConfigError(f"{where}: missing key 'kind' (one of: {', '.join(sorted(KINDS))})")
    if kind not in KINDS:
        raise ConfigError(f"{where}: unknown kind {kind!r} (one of: {', '.join(sorted(KINDS))})")
    return _section(KINDS[kind], entry, where)


def _section(model: type[M], values: Any, where: str) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"{where}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "?"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"unknown key {key!r}"
    if kind == "missing":
        return f"missing key {key!r}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"invalid value for {key!r}: {message} (got {first.get('input')!r})"


__all__ = [
    "KINDS",
    "Config",
    "ConfigError",
    "HtmlSource",
    "PipelineSettings",
    "SourceConfig",
    "default_sources_path",
    "load_config",
    "parse_config",
]
