"""Snapshot of `pressroom check --format json` on every fixture text, to prove a speed change alters no finding.

`python -m tests.benchmarks.findings_snapshot write DIR` writes each text to its own file under DIR/texts
(the 587 State Department releases, the GOV.UK items, the seed, the evaluation corpus, the base texts, the
generated defects and clean twins of both halves of the unseen evaluation, and the seed repeated to about
1 MB) and the JSON Lines of `pressroom check --format json --jobs 1` over them to DIR/findings.jsonl;
`compare DIR OTHER` says whether two snapshots are byte-identical and, if not, which paths differ. Run
`write` on the old commit and on the new one and `compare` the two directories.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _texts() -> dict[str, str]:
    from tests.expectations.conftest import SEED, STATE_DEPT, release_text
    from tests.expectations.unseen import SHARED, samples
    from tests.fixtures.corpus.base_texts import BASE_TEXTS

    texts: dict[str, str] = {}
    with STATE_DEPT.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            record = json.loads(line)
            texts[f"state-{number:03d}"] = release_text(record["content_html"])
            texts[f"state-{number:03d}-title"] = record["title"]
    for path in sorted((SHARED / "govuk").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        texts[f"govuk-{path.stem}"] = release_text(record.get("details", {}).get("body", ""))
    seed = SEED.read_text(encoding="utf-8")
    texts["seed"] = seed
    texts["seed-1mb"] = "\n\n".join([seed] * (1_000_000 // len(seed) + 1))[:1_000_000]
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "corpus.jsonl"
    for line in corpus.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts[f"corpus-{record['id']}"] = record["text"]
    for number, (_, _, text) in enumerate(BASE_TEXTS):
        texts[f"base-{number:02d}"] = text
    for half in ("tune", "test"):
        for number, sample in enumerate(samples(half)):
            texts[f"unseen-{half}-{number:04d}"] = sample.text
            texts[f"unseen-{half}-{number:04d}-twin"] = sample.twin
    return texts


def write(folder: Path) -> None:
    texts_folder = folder / "texts"
    texts_folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in _texts().items():
        path = texts_folder / f"{name}.txt"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        paths.append(str(path.relative_to(folder)))
    pressroom = Path(sys.executable).parent / "pressroom"
    with (folder / "findings.jsonl").open("wb") as out:
        for chunk in range(0, len(paths), 500):
            done = subprocess.run([str(pressroom), "check", "--format", "json", "--jobs", "1",
                                   *paths[chunk:chunk + 500]], cwd=folder, stdout=out, check=False)
            assert done.returncode in (0, 1), done.returncode
    print(f"{len(paths)} texts, findings in {folder / 'findings.jsonl'}")


def compare(one: Path, other: Path) -> int:
    first = (one / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    second = (other / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    if first == second:
        print(f"identical: {len(first)} inputs")
        return 0
    differing = [a for a, b in zip(first, second, strict=False) if a != b]
    print(f"{len(differing)} of {len(first)} inputs differ (lengths {len(first)}, {len(second)})")
    for line in differing[:20]:
        print("  ", json.loads(line)["path"])
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(Path(sys.argv[2]))
    else:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
