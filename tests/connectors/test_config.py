from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.connectors.config import ConfigError, HtmlSource, load_config, parse_config

GOOD = """
[[sources]]
id = "xa-mfa"
name = "Ministry"
country = "XA"
language = "en"
timezone = "Asia/Karachi"
kind = "html"
url = "http://127.0.0.1:8000/press-releases/"
enabled = true
min_interval = 0.5
item = "article"
body = "div.body"
drop = [".share"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_sources_file_is_valid() -> None:
    config = load_config()
    ids = [source.id for source in config.sources]
    assert len(ids) == len(set(ids)) >= 3
    assert all(source.enabled for source in config.sources)


def test_good_source_parses_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    source = config.sources[0]
    assert isinstance(source, HtmlSource)
    assert source.link == "a" and source.title == "h1" and source.drop == (".share",)
    assert source.hosts == frozenset({"127.0.0.1:8000"})
    assert config.pipeline.lag_days == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('kind = "html"', 'kind = "ftp"', "unknown kind 'ftp'"),
        ('url = "http://127.0.0.1:8000/press-releases/"\n', "", "missing key 'url'"),
        ('enabled = true', 'enabled = true\ncolour = "red"', "unknown key 'colour'"),
        ('timezone = "Asia/Karachi"', 'timezone = "Mars/Olympus"', "'timezone'"),
        ('country = "XA"', 'country = "Valdoria"', "'country'"),
        ('id = "xa-mfa"', 'id = "XA MFA"', "'id'"),
        ('item = "article"', 'item = "article[["', "'item'"),
        ('url = "http://127.0.0.1:8000/press-releases/"', 'url = "ftp://x/y"', "'url'"),
        ('min_interval = 0.5', 'min_interval = -1', "'min_interval'"),
        ('min_interval = 0.5', 'min_interval = 0.5\nconnections = 0', "'connections'"),
        ('min_interval = 0.5', 'min_interval = 0.5\nconnections = 17', "'connections'"),
        ('country = "XA"', 'country = "xa"', "'xa' is not an ISO 3166-1 alpha-2 code"),
        ('language = "en"', 'language = "English"', "'English' is not a language code such as 'en'"),
        ('id = "xa-mfa"', 'id = "-xa"', "'-xa' must match [a-z0-9-]+"),
    ],
)
def test_bad_source_names_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, GOOD.replace(old, new)))
    message = str(raised.value)
    assert expected in message
    assert "line 2" in message and "\n" not in message


def test_duplicate_ids_and_unknown_tables_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="duplicate id 'xa-mfa'"):
        load_config(write(tmp_path, GOOD + GOOD))
    with pytest.raises(ConfigError, match="unknown top-level key 'sorces'"):
        parse_config({"sorces": []})
    with pytest.raises(ConfigError, match=r"\[pipeline\]: unknown key 'lag'"):
        parse_config({"pipeline": {"lag": 1}})


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[[sources]\nid="))


def test_defaults_table_layers_under_each_source(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[defaults]\nmin_interval = 3.0\nlanguage = \"fr\"\n" + GOOD))
    assert config.sources[0].min_interval == 0.5
    assert config.sources[0].language == "en"
    config = load_config(write(tmp_path, "[defaults]\nmax_pages = 7\n" + GOOD))
    assert config.sources[0].max_pages == 7


def test_connections_default_to_one_and_reach_the_site_policy(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD)).sources[0].policy.connections == 1
    config = load_config(write(tmp_path, "[defaults]\nconnections = 4\n" + GOOD))
    assert config.sources[0].policy.connections == 4


def test_select_unknown_source(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        config.select(["nope"])
    assert [s.id for s in config.select(None)] == ["xa-mfa"]


def test_a_sources_file_that_is_not_utf8_names_the_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(GOOD.replace('"Ministry', '"Minist\u00e8re').encode("latin-1"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "not UTF-8 (byte 0xe8 on line 4)" in message and "\n" not in message


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert [s.id for s in load_config(path).sources] == ["xa-mfa"]


@pytest.mark.parametrize("text", ["", "\n# nothing yet\n", "[pipeline]\nlag_days = 1\n"])
def test_a_sources_file_without_sources_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="no sources configured"):
        load_config(write(tmp_path, text))
