"""`pressroom show` and `pressroom repair` over the real CLI, against a feed on loopback carrying the seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pressroom.flows import review
from pressroom.warehouse.gate import violations
from tests.flows.helpers import cli, rows
from tests.flows.review_site import DOUBLED, Item, ReviewSite, seed_text

pytestmark = [pytest.mark.slow]


@pytest.fixture()
def loaded(tmp_path: Path, prefect_server: None) -> Iterator[tuple[tuple[str, ...], Path]]:
    site = ReviewSite()
    try:
        base = ("--data-dir", str(tmp_path / "data"), "--sources", str(site.write_sources(tmp_path / "s.toml")))
        code, output = cli(*base, "run")
        assert code == 0, output
        yield base, tmp_path / "data"
    finally:
        site.close()


def release_id(data: Path, slug: str) -> str:
    return str(rows(data / "pressroom.duckdb", "SELECT release_id FROM releases WHERE url LIKE ?", f"%/{slug}")[0][0])


def test_show_lists_findings_suggestions_and_history(loaded: tuple[tuple[str, ...], Path]) -> None:
    base, data = loaded
    seed = release_id(data, "seed")
    code, output = cli(*base, "show", seed)
    assert code == 0, output
    assert "held by duplicated-phrase, garbled-fragment, unbalanced-punctuation" in output
    assert "fix: …nity to ensure a comprehensive[-, broad-based and comprehensive-]{+ and broad-based+}" in output
    assert "edit needed: 'of the Middle.'" in output
    assert "ministry: ministry text" in output
    code, output = cli(*base, "show", "nope")
    assert code == 2 and "no release 'nope'" in output


def test_repair_applies_suggestions_as_a_new_version_and_leaves_the_edit_to_a_person(
    loaded: tuple[tuple[str, ...], Path],
) -> None:
    base, data = loaded
    seed = release_id(data, "seed")
    warehouse = data / "pressroom.duckdb"
    assert cli(*base, "repair", seed, "--all")[0] == 2  # no reason
    assert cli(*base, "repair", seed, "--reason", "x")[0] == 2  # neither --check nor --all
    code, output = cli(*base, "repair", seed, "--check", "mojibake", "--reason", "x")
    assert code == 2 and "has no error on this release" in output
    code, output = cli(*base, "repair", seed, "--all", "--reason", "mechanical repairs", "--by", "ana")
    assert code == 1, output  # still held: the broken sentence needs a person
    assert "edit needed: garbled-fragment" in output and "'of the Middle.'" in output
    assert "saved version 2" in output and "still held by garbled-fragment" in output
    body = rows(warehouse, "SELECT body_text FROM releases WHERE release_id = ?", seed)[0][0]
    assert "Foreign Affairs said.\n\n" in body and "comprehensive and broad-based political" in body
    assert "‘Naya Pakistan’" in body and "security. of the Middle." in body
    assert rows(warehouse, "SELECT body_text FROM release_versions WHERE release_id = ?", seed) == [(seed_text(),)]
    applied = rows(warehouse, "SELECT reviewed_by, reason, kind, parent_version FROM release_reviews")
    assert applied == [("ana", "mechanical repairs", "repair", 1)]
    # Nothing mechanical left: a second repair saves nothing.
    code, output = cli(*base, "repair", seed, "--all", "--reason", "again")
    assert code == 1 and "nothing repaired" in output
    assert rows(warehouse, "SELECT count(*) FROM release_reviews") == [(1,)]


def test_a_repair_that_clears_every_error_is_published_and_exported_as_repaired(
    tmp_path: Path, prefect_server: None
) -> None:
    site = ReviewSite([Item("doubled", "Maritime talks", DOUBLED)])  # "maritime maritime": one mechanical repair
    try:
        base = ("--data-dir", str(tmp_path / "data"), "--sources", str(site.write_sources(tmp_path / "s.toml")))
        assert cli(*base, "run")[0] == 0
        published_and_exported(base, tmp_path / "data")
    finally:
        site.close()


def published_and_exported(base: tuple[str, ...], data: Path) -> None:
    hostile = release_id(data, "doubled")
    code, output = cli(*base, "repair", hostile, "--check", "duplicated-phrase", "--reason", "doubled", "--by", "bo")
    assert code == 0 and "checked and published: version 2" in output, output
    exported = duckdb.sql(
        f"SELECT body_text, repaired, parent_version FROM read_parquet('{data}/published/source=*/date=*/*.parquet')"
        f" WHERE release_id = '{hostile}'").fetchall()
    assert exported[0][1:] == (True, 1) and "maritime cooperation" in exported[0][0]
    with duckdb.connect(str(data / "pressroom.duckdb"), read_only=True) as con:
        assert violations(con) == []
    code, output = cli(*base, "show", hostile)
    assert "bo: repair of version 1: applied duplicated-phrase; reason: doubled; passed" in output
    assert "version 2 published" in output


def test_a_repair_racing_another_review_is_a_conflict_and_saves_nothing(
    loaded: tuple[tuple[str, ...], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, data = loaded
    seed = release_id(data, "seed")
    original = review.look

    def look_then_someone_else_saves(warehouse: review.Warehouse, rid: str) -> review.Look:
        seen = original(warehouse, rid)
        review.save(warehouse, seen.current, title=seen.current.release.title,
                    body=seen.current.release.body_text.replace("of the Middle.", ""), applied=(), by="other",
                    reason="first")
        return seen

    monkeypatch.setattr(review, "look", look_then_someone_else_saves)
    code, output = cli(*base, "repair", seed, "--all", "--reason", "second", "--by", "ana")
    assert code == 5 and "changed since it was read" in output, output
    assert rows(data / "pressroom.duckdb", "SELECT reviewed_by FROM release_reviews") == [("other",)]


def test_the_static_report_links_each_held_release_to_its_review_page(loaded: tuple[tuple[str, ...], Path]) -> None:
    _, data = loaded
    seed = release_id(data, "seed")
    run_page = next((data / "reports" / "runs").glob("*.html")).read_text(encoding="utf-8")
    assert f'href="http://127.0.0.1:8766/release/{seed}"' in run_page
    release_page = (data / "reports" / "releases" / f"{seed}.html").read_text(encoding="utf-8")
    assert f'href="http://127.0.0.1:8766/release/{seed}"' in release_page


def test_a_later_ministry_edit_is_judged_afresh_and_the_review_shows_as_stale(
    tmp_path: Path, prefect_server: None
) -> None:
    site = ReviewSite()
    try:
        base = ("--data-dir", str(tmp_path / "data"), "--sources", str(site.write_sources(tmp_path / "s.toml")))
        assert cli(*base, "run")[0] == 0
        data = tmp_path / "data"
        hostile = release_id(data, "hostile")
        code, output = cli(*base, "repair", hostile, "--all", "--reason", "doubled", "--by", "bo")
        assert "saved version 2" in output, output
        today = datetime.now(UTC).date()
        window = ("backfill", "--source", "xk-mfa", "--from", str(today - timedelta(days=6)), "--to",
                  str(today + timedelta(days=1)))
        code, output = cli(*base, *window)  # fetches the same ministry text again: the review stays current
        assert code == 0 and "unchanged=3" in output, output
        assert rows(data / "pressroom.duckdb", "SELECT version FROM releases WHERE release_id = ?", hostile) == [(2,)]
        item = next(i for i in site.items if i.slug == "hostile")
        item.body = item.body.replace("in the spring", "in the autumn")
        code, output = cli(*base, *window, "--force")
        assert code == 0 and "changed=1" in output, output
        code, output = cli(*base, "show", hostile)
        assert "version 3 (the ministry text" in output, output
        assert "stale review: version 2 by bo (doubled) was superseded by the ministry's version 3" in output
        assert "bo: repair of version 1" in output  # kept in the history
        assert "maritime maritime" in rows(data / "pressroom.duckdb",
                                           "SELECT body_text FROM releases WHERE release_id = ?", hostile)[0][0]
    finally:
        site.close()
