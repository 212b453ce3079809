"""The theme report: every excerpt of the chosen codes (descendants included) with its source,
the definitions, memos on the code and on its codings, counts by an attribute; .docx read
back with python-docx (real Heading 1/2 styles), .md, a self-contained and escaped .html;
--pseudonymise through workbench.pseudonyms when it exists."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import pytest
from test_analysis_matrix import ALPHA, BETA, SURVEY, build_small, demo_project

from workbench.services import code_edit
from workbench.services.coding import add_coding, add_memo
from workbench.store.db import open_project

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = build_small(tmp_path / "small.sqlite")
    project = open_project(path)
    try:
        with project.begin() as conn:
            a1 = next(r for r in conn.exec_driver_sql("SELECT id FROM codes WHERE name = 'A1'"))[0]
            code_edit.edit_code(
                conn, a1, include="Talk about the first thing.", exclude="The second thing (A2)."
            )
            add_memo(conn, "code", a1, "sam", "A1 grew out of the pilot interviews.")
            coding, _ = add_coding(
                conn, "beta", 0, 22, "A1", "alice", memo="Both turns on purpose."
            )
            add_memo(conn, "coding", str(coding.id), "sam", "Check with the second coder.")
            b = next(r for r in conn.exec_driver_sql("SELECT id FROM codes WHERE name = 'B'"))[0]
            code_edit.edit_code(conn, b, description=HOSTILE)
    finally:
        project.close()
    return path


def paragraphs(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]


def test_docx_has_headings_definitions_excerpts_and_memos(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.docx"
    r = cli("report", "--code", "A", "-o", out, "-p", small)
    assert r.code == 0, r.err
    assert "3 codes, 6 excerpts" in r.out
    paras = paragraphs(out)
    styles = {text: style for style, text in paras}
    assert (
        styles["A"] == "Heading 1" and styles["A1"] == "Heading 2" and styles["A2"] == "Heading 2"
    )
    assert paras[0] == ("Title", "Theme report: A")
    texts = "\n".join(t for _, t in paras)
    for needle in (
        "Definition: Parent code.",
        "Definition: First child.",
        "Use when: Talk about the first thing.",
        "Do not use when: The second thing (A2).",
        "A1 grew out of the pilot interviews.",
        "Both turns on purpose.",
        "Check with the second coder.",
        "alpha · I · 00:00:01 · role: staff",
        "survey · r1 · age_band: 18-24; role: survey",
    ):
        assert needle in texts, needle
    quotes = [t for s, t in paras if s == "Quote"]
    assert sorted(quotes) == sorted(
        [
            ALPHA[0:15],
            ALPHA[5:10],
            ALPHA[2:8],
            ALPHA[25:40],
            BETA[0:22].replace("\n\n", "\n\n"),
            SURVEY[0:5],
        ]
    )
    table = docx.Document(str(out)).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Code", "patient", "staff", "survey", "Total"]
    assert [c.text for c in table.rows[1].cells] == ["A", "1", "4", "1", "6"]
    assert table.rows[2].cells[0].text.strip() == "A1"


def test_by_option(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.md"
    assert cli("report", "--code", "A1", "--by", "coder", "-o", out, "-p", small).code == 0
    md = out.read_text(encoding="utf-8")
    assert "| Code | alice | bob | Total |" in md and "| A1 | 3 | 0 | 3 |" in md
    assert cli("report", "--code", "A1", "--by", "none", "-o", out, "-p", small).code == 0
    assert "| Code |" not in out.read_text(encoding="utf-8")
    r = cli("report", "--code", "A1", "--by", "attr:nosuch", "-o", out, "-p", small)
    assert r.code == 2 and "attr:nosuch" in r.err
    r = cli("report", "-o", tmp_path / "r.pdf", "-p", small)
    assert r.code == 2 and ".docx, .md or .html" in r.err


def test_markdown_and_html_escape_everything(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = open_project(small)
    try:
        with project.begin() as conn:
            from test_analysis_matrix import _doc

            from workbench.ingest.model import ParsedSegment
            from workbench.services.documents import store_document

            store_document(
                conn,
                _doc(
                    "hostile",
                    "interview",
                    HOSTILE,
                    [ParsedSegment(0, len(HOSTILE), "turn", speaker="<i>x</i>")],
                ),
            )
            add_coding(
                conn, "hostile", 0, len(HOSTILE), "B", "alice", memo="<img src=x onerror=alert(1)>"
            )
    finally:
        project.close()
    html_out, md_out = tmp_path / "r.html", tmp_path / "r.md"
    assert cli("report", "--code", "B", "-o", html_out, "-p", small).code == 0
    page = html_out.read_text(encoding="utf-8")
    assert (
        "<script>" not in page
        and "<img" not in page
        and "<b>bold" not in page
        and "<i>x" not in page
    )
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert (
        page.startswith("<!DOCTYPE html>")
        and "<h2" in page
        and "http" not in page.lower().replace('name="viewport"', "")
    )
    assert cli("report", "--code", "B", "-o", md_out, "-p", small).code == 0
    md = md_out.read_text(encoding="utf-8")
    assert "<script>" not in md and "\\<script\\>" in md and "## B" in md
    assert "> \\<script\\>alert" in md


def test_pseudonymise_needs_accepted_pseudonyms(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.md"
    r = cli("report", "--pseudonymise", "-o", out, "-p", small)
    assert r.code == 2 and r.err.strip() == (
        "no accepted pseudonyms in this project: run `workbench pseudonyms detect` first"
    )
    assert not out.exists()
    for text, stand_in in (("Aaaa", "[Person 1]"), ("staff", "[Role]")):
        r = cli("pseudonyms", "add", text, "--as", stand_in, "-p", small)
        assert r.code == 0, r.err
    r = cli("report", "--code", "A1", "--pseudonymise", "-o", out, "-p", small)
    assert r.code == 0, r.err
    md = out.read_text(encoding="utf-8")
    assert "Aaaa" not in md and "[Person 1] bbbb" in md.replace("\\[", "[").replace("\\]", "]")
    assert "staff" not in md and "identifiers replaced by pseudonyms" in md
    plain = tmp_path / "plain.md"
    assert cli("report", "--code", "A1", "-o", plain, "-p", small).code == 0
    assert "Aaaa" in plain.read_text(encoding="utf-8")


def test_demo_report_holds_every_responsibility_excerpt(
    cli, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    demo = demo_project(tmp_path_factory)
    ex = tmp_path / "resp.csv"
    assert cli("export", "excerpts", "--code", "Responsibility", "-o", ex, "-p", demo).code == 0
    with ex.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 15 and len({r["code"] for r in rows}) > 3
    out = tmp_path / "r.docx"
    r = cli("report", "--code", "Responsibility", "-o", out, "-p", demo)
    assert r.code == 0, r.err
    paras = paragraphs(out)
    quotes = [t for s, t in paras if s == "Quote"]
    assert sorted(quotes) == sorted(r["text"] for r in rows)
    headings = [t for s, t in paras if s.startswith("Heading")]
    assert headings[0] == "Responsibility"
    assert {r["code_path"].split(" > ", 1)[1] for r in rows if " > " in r["code_path"]} <= set(
        headings[1:]
    )
    texts = "\n".join(t for _, t in paras)
    assert (
        "Definition: Who is seen as responsible for helping patients to use online services."
        in texts
    )
    assert "Codings by role:" in texts
    html_out = tmp_path / "r.html"
    assert (
        cli(
            "report",
            "--code",
            "Responsibility",
            "--where",
            "role=staff",
            "-o",
            html_out,
            "-p",
            demo,
        ).code
        == 0
    )
    page = html_out.read_text(encoding="utf-8")
    staff = [r for r in rows if r["attr:role"] == "staff"]
    import html as h

    assert all(h.escape(r["text"], quote=True) in page for r in staff)
    assert page.count("<blockquote>") == len(staff)
