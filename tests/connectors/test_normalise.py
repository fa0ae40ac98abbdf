from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from pressroom.connectors.normalise import (
    INVISIBLE,
    canonical_url,
    clean_inline,
    clean_text,
    extract_text,
    parse_date,
    parse_iso,
    release_id,
    remove_furniture,
)

KARACHI = ZoneInfo("Asia/Karachi")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("17 August 2023", None, datetime(2023, 8, 16, 19, 0, tzinfo=UTC)),
        ("February 23, 2026", None, datetime(2026, 2, 22, 19, 0, tzinfo=UTC)),
        ("Monday, 3rd November 2026", None, datetime(2026, 11, 2, 19, 0, tzinfo=UTC)),
        ("2026-08-17T14:30:00+05:00", None, datetime(2026, 8, 17, 9, 30, tzinfo=UTC)),
        ("2026-08-17T14:30:00Z", None, datetime(2026, 8, 17, 14, 30, tzinfo=UTC)),
        ("Date: 17 August 2023", "%d %B %Y", datetime(2023, 8, 16, 19, 0, tzinfo=UTC)),
        ("Posted on 17.08.2023 by the Spokesperson", None, datetime(2023, 8, 16, 19, 0, tzinfo=UTC)),
    ],
)
def test_parse_date_is_timezone_aware(text: str, fmt: str | None, expected: datetime) -> None:
    parsed = parse_date(text, zone=KARACHI, date_format=fmt)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize("text", ["", "soon", "32 August 2023", None])
def test_parse_date_rejects(text: str | None) -> None:
    assert parse_date(text, zone=KARACHI) is None


def test_release_id_survives_url_variants() -> None:
    base = release_id("pk-mofa", "https://mofa.gov.pk/press-releases/visit-of-fm")
    for variant in (
        "http://mofa.gov.pk/press-releases/visit-of-fm/",
        "https://MOFA.gov.pk/press-releases/visit-of-fm?utm_source=x&utm_medium=y",
        "https://mofa.gov.pk/press-releases/visit-of-fm/?mission=islamabad#top",
        "https://www.mofa.gov.pk:443/press-releases//visit-of-fm",
    ):
        assert release_id("pk-mofa", variant) == base, variant
    assert release_id("pk-mofa", "https://mofa.gov.pk/press-releases/other") != base
    assert release_id("in-mea", "https://mofa.gov.pk/press-releases/visit-of-fm") != base


def test_canonical_url_keeps_meaningful_query() -> None:
    assert canonical_url("https://www.mea.gov.in/press-releases.htm?dtl/39/slug") == (
        "https://www.mea.gov.in/press-releases.htm?dtl/39/slug"
    )
    assert canonical_url("https://x.org/a?b=2&a=1&utm_x=3") == "https://x.org/a?a=1&b=2"


def test_extract_text_paragraphs_and_furniture() -> None:
    html = """<div class="body"><div class="share">Share Print</div>
      <p>First&nbsp;paragraph   with <b>bold</b>\n text.</p><script>var x = 1;</script>
      <style>.a{}</style><input type="hidden" value="secret"><nav>Home | About</nav>
      <ul><li>item one</li><li>item two</li></ul>line one<br>line two<!-- comment -->
      <p hidden>hidden text</p><p style="display: none">invisible</p><p>Caf\u0065\u0301 ends.</p></div>"""
    root = BeautifulSoup(html, "lxml").select_one("div.body")
    assert root is not None
    remove_furniture(root, [".share"])
    assert extract_text(root) == (
        "First paragraph with bold text.\n\nitem one\n\nitem two\n\nline one\n\nline two\n\nCaf\u00e9 ends."
    )


def test_clean_inline_unescapes_entities() -> None:
    assert clean_inline("Minister&#8217;s visit &#8211; day\u200b one &amp; two") == "Minister’s visit – day one & two"


OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))


@given(moment=st.datetimes(timezones=OFFSETS), zone=st.sampled_from([UTC, KARACHI]))
def test_parse_iso_keeps_a_written_offset(moment: datetime, zone: ZoneInfo) -> None:
    parsed = parse_iso(moment.isoformat(), zone=zone)
    assert parsed == moment and parsed is not None and parsed.utcoffset() == moment.utcoffset()


@given(moment=st.datetimes(), zone=st.sampled_from([UTC, KARACHI, ZoneInfo("America/New_York")]))
def test_parse_iso_reads_a_naive_stamp_in_the_zone_and_z_as_utc(moment: datetime, zone: ZoneInfo) -> None:
    assert parse_iso(moment.isoformat(), zone=zone) == moment.replace(tzinfo=zone)
    assert parse_iso(moment.isoformat() + "Z", zone=zone) == moment.replace(tzinfo=UTC)
    assert parse_iso(moment.date().isoformat(), zone=zone) == datetime.combine(moment.date(), datetime.min.time(),
                                                                             tzinfo=zone)


@given(st.text())
def test_parse_iso_never_raises_and_never_returns_a_naive_datetime(text: str) -> None:
    parsed = parse_iso(text, zone=UTC)
    assert parsed is None or parsed.tzinfo is not None
    assert parse_iso("", zone=UTC) is None and parse_iso(None, zone=UTC) is None


@given(st.text(alphabet=st.sampled_from([*"ab é\u0301\t\n\u00a0\u3000", *INVISIBLE])))
def test_clean_text_is_one_clean_line(text: str) -> None:
    cleaned = clean_text(text)
    assert not set(INVISIBLE) & set(cleaned)
    assert cleaned == " ".join(cleaned.split()) and unicodedata.is_normalized("NFC", cleaned)
    assert clean_text(cleaned) == cleaned
    assert clean_inline(text.replace("&", "")) == clean_text(text.replace("&", ""))
