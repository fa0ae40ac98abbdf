"""The sources file: one ``[[sources]]`` table per source, validated before any request is made.

Layered defaults: code defaults < kind defaults < the ``[defaults]`` table < each source's own keys.
Every error names the file, the source and the key at fault, and is raised as :class:`ConfigError`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pressroom.connectors.http import HttpSettings
from pressroom.connectors.kinds import KIND_MODELS, FeedSource, GovukSource, HtmlSource, SitemapSource, WordpressSource
from pressroom.connectors.source import SourceConfig

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A sources file that cannot be used; the message is one line naming the key or value at fault."""


def default_sources_path() -> Path:
    return Path(str(resources.files("pressroom.connectors").joinpath("sources.toml")))


KINDS: dict[str, type[SourceConfig]] = {model.kind_name: model for model in KIND_MODELS}


class PipelineSettings(BaseModel):
    """The optional ``[pipeline]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lag_days: float = Field(default=2.0, ge=0, description="nightly window starts this long before the watermark")
    batch_size: int = Field(default=100, ge=1, le=5000, description="pages fetched and loaded per task run")
    retire_after: int = Field(
        default=5, ge=1, le=1000, description="runs in a row a page may answer 404/410 before it is no longer retried"
    )


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
    max_hosts_in_parallel: int = Field(
        default=32, ge=1, le=1024, description="requests in flight at once, each host at its own interval"
    )

    def settings(self) -> HttpSettings:
        values: dict[str, Any] = self.model_dump(exclude_none=True)
        return HttpSettings(**values)


class Config(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    sources: tuple[SourceConfig, ...]
    pipeline: PipelineSettings = PipelineSettings()
    http: HttpTable = HttpTable()
    #: the ``[alerts]`` table as written; :func:`flows.alerts.alert_settings` validates it
    alerts: dict[str, Any] = {}

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


def load_config(path: Path | None = None, *, allow_empty: bool = False) -> Config:
    """Read and validate a sources file; raise :class:`ConfigError` naming the key at fault. A file
    that is not UTF-8, or that configures no source at all, is an error too (unless ``allow_empty``:
    ``pressroom sources add`` writes the first source into such a file)."""
    path = path or default_sources_path()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read sources file ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")  # TOML is UTF-8; a byte-order mark from a Windows editor is tolerated
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{path}: not UTF-8 (byte 0x{raw[error.start]:02x} on line {line}); "
                          "save the sources file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    config = parse_config(data, path=str(path), text=text)
    if not config.sources and not allow_empty:
        raise ConfigError(f"{path}: no sources configured (add a [[sources]] table per ministry)")
    return config


def parse_config(data: Mapping[str, Any], *, path: str = "<sources>", text: str = "") -> Config:
    unknown = set(data) - {"sources", "defaults", "pipeline", "http", "alerts"}  # [alerts]: flows.alerts
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
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        raise ConfigError(f"{path}: [alerts] must be a table")
    return Config(path=path, sources=tuple(sources), pipeline=pipeline, http=http, alerts=alerts)


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
    if not first["loc"]:
        return message
    return f"invalid value for {key!r}: {message} (got {first.get('input')!r})"


__all__ = [
    "KINDS",
    "Config",
    "ConfigError",
    "FeedSource",
    "GovukSource",
    "HtmlSource",
    "PipelineSettings",
    "SitemapSource",
    "SourceConfig",
    "WordpressSource",
    "default_sources_path",
    "load_config",
    "parse_config",
]
