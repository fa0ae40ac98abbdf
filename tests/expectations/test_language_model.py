"""The language model read from its uncompressed copy ranks languages exactly as py3langid's own file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pressroom.expectations import language_model

SAMPLES = [
    "Le ministre a souligné l'importance de la coopération régionale.",
    "The minister met the ambassador of Chile to discuss trade.",
    "Der Minister traf heute den Botschafter.",
    "日本語のテキストです。",
    "",
    "12345 !!!",
]


@pytest.fixture(scope="module")
def reference() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _ranks(identifier: Any) -> list[list[tuple[str, float]]]:
    return [identifier.rank(text) for text in SAMPLES]


def test_copy_is_written_once_and_ranks_as_the_packaged_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    monkeypatch.setenv("PRESSROOM_CACHE_DIR", str(tmp_path))
    first = language_model.load_identifier()
    (copy,) = tmp_path.iterdir()
    assert copy.name.startswith("langid-") and (copy / "ptc.npy").is_file()
    written = (copy / "ptc.npy").stat().st_mtime_ns
    second = language_model.load_identifier()
    assert (copy / "ptc.npy").stat().st_mtime_ns == written
    assert [path.name for path in tmp_path.iterdir()] == [copy.name]  # no staging folder left behind
    assert _ranks(first) == _ranks(second) == _ranks(reference)


def test_damaged_or_unwritable_copy_falls_back_to_the_packaged_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    monkeypatch.setenv("PRESSROOM_CACHE_DIR", str(tmp_path / "cache"))
    language_model.load_identifier()
    (copy,) = (tmp_path / "cache").iterdir()
    (copy / "ptc.npy").write_bytes(b"\x93NUMPY")
    assert _ranks(language_model.load_identifier()) == _ranks(reference)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PRESSROOM_CACHE_DIR", str(blocked))
    assert _ranks(language_model.load_identifier()) == _ranks(reference)


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESSROOM_CACHE_DIR", "")
    assert language_model.cache_folder() is None
    monkeypatch.delenv("PRESSROOM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert language_model.cache_folder() == tmp_path / "pressroom"
