"""Every source spelling of a merged code is an alias, so codings made under any book's
spelling land on the merged code (issue 11, part 4), end to end through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

from workbench.codebook.yaml_io import load_codebook

DOC = "P01: I end up doing all the app support on the desk, nobody else does it.\n"
SPELLINGS = {"coder-a": "Hidden work", "coder-b": "hidden-work", "coder-c": "HIDDEN_WORK"}


def _book(path: Path, name: str, text: str) -> Path:
    path.write_text(
        f"codebook: {path.stem}\ncodes:\n"
        f"  - name: {name}\n    description: {text}\n"
        "  - name: Covid 19\n    description: The pandemic and how it changed access.\n",
        encoding="utf-8",
    )
    return path


def test_codings_under_every_source_spelling_land_on_the_merged_code(cli, tmp_path: Path) -> None:
    books = [
        _book(
            tmp_path / f"{coder}.yaml",
            name,
            "Support work with online services absorbed by reception staff without training.",
        )
        for coder, name in SPELLINGS.items()
    ]
    merged = tmp_path / "merged.yaml"
    r = cli("codebook", "merge", *books, "-o", merged, "--no-meaning")
    assert r.code == 0, r.err
    book = load_codebook(merged)
    hidden = [c for c in book.codes if c.name == "Hidden work"]
    assert len(hidden) == 1 and len(book.codes) == 2, [c.name for c in book.codes]
    assert set(hidden[0].aliases) >= {"hidden-work", "HIDDEN_WORK"}, hidden[0].aliases

    project = tmp_path / "study.sqlite"
    doc = tmp_path / "p01.txt"
    doc.write_text(DOC, encoding="utf-8")
    assert cli("init", "--project", project).code == 0
    assert cli("import", doc, "--project", project).code == 0
    r = cli("codebook", "import", merged, "--project", project)
    assert r.code == 0, r.err
    start = DOC.index("all the app")
    for i, (coder, spelling) in enumerate(SPELLINGS.items()):
        rows = tmp_path / f"{coder}.csv"
        with rows.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["document", "start", "end", "code", "coder"])
            w.writerow(["p01", start + i, start + 20 + i, spelling, coder])
        r = cli("import", rows, "--project", project)
        assert r.code == 0, (spelling, r.err)
    out = tmp_path / "excerpts.csv"
    assert cli("export", "excerpts", "-o", out, "--project", project).code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        got = sorted((row["coder"], row["code"]) for row in csv.DictReader(fh))
    assert got == [(coder, "Hidden work") for coder in SPELLINGS]
