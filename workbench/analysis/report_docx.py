"""The theme report as a Word document: the built-in Title, Heading 1 and Heading 2 styles (so
it pastes into a thesis and feeds its table of contents), Quote for the excerpts, a table of
counts per chosen code. python-docx is imported inside the function."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from workbench.analysis.report import Memo, Report, ReportCode

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text Word can hold: characters XML 1.0 forbids are dropped."""
    return _XML_BAD.sub("", text or "")


def _labelled(doc: Any, label: str, text: str | None) -> None:
    if not text:
        return
    p = doc.add_paragraph()
    p.add_run(f"{label}: ").bold = True
    p.add_run(clean(text))


def _multiline(paragraph: Any, text: str) -> None:
    lines = clean(text).split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()


def _memos(doc: Any, memos: tuple[Memo, ...], label: str) -> None:
    for m in memos:
        p = doc.add_paragraph()
        p.add_run(f"{label} ({clean(m.author)}, {m.created[:10]}): ").bold = True
        _multiline(p, m.text)


def _counts_table(doc: Any, report: Report, code: ReportCode) -> None:
    if not report.by or not code.table:
        return
    doc.add_paragraph(f"{report.count_title} by {report.by_title}:")
    table = doc.add_table(rows=1, cols=len(report.columns) + 2)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text = "Code"
    for j, col in enumerate(report.columns, start=1):
        header[j].text = clean(col)
    header[-1].text = "Total"
    for cell in header:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for label, depth, row, total in code.table:
        cells = table.add_row().cells
        cells[0].text = "    " * depth + clean(label)
        for j, v in enumerate(row, start=1):
            cells[j].text = str(v)
        cells[-1].text = str(total)


def _code_section(doc: Any, report: Report, code: ReportCode) -> None:
    doc.add_heading(clean(code.title), level=code.heading)
    if code.heading > 1:
        p = doc.add_paragraph()
        p.add_run(clean(code.path)).italic = True
    _labelled(doc, "Definition", code.description)
    _labelled(doc, "Use when", code.include)
    _labelled(doc, "Do not use when", code.exclude)
    for example in code.examples:
        _labelled(doc, "Example", example)
    if report.by:
        if code.heading == 1:
            _counts_table(doc, report, code)
        else:
            shown = ", ".join(f"{clean(k)} {v}" for k, v in code.counts if v)
            _labelled(doc, f"{report.count_title} by {report.by_title}", shown or "none")
    _memos(doc, code.memos, "Memo")
    n = len(code.excerpts)
    p = doc.add_paragraph()
    p.add_run(f"Excerpts ({n})" if n else "No excerpts coded with this code itself.").bold = True
    for e in code.excerpts:
        _multiline(doc.add_paragraph(style="Quote"), e.text)
        src = doc.add_paragraph()
        src.add_run(clean(e.source())).italic = True
        src.add_run(f" ({clean(e.where())})").font.size = _pt(8)
        _memos(doc, e.memos, "Memo on this coding")


def _pt(n: float) -> Any:
    from docx.shared import Pt

    return Pt(n)


def render_docx(report: Report) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(clean(report.title), level=0)
    meta = [f"Project: {clean(report.project)}", f"Written {report.created[:10]}"]
    if report.filters:
        meta.append(f"Filters: {clean(report.filters)}")
    if report.pseudonymised:
        meta.append("Identifiers replaced by pseudonyms")
    doc.add_paragraph(" · ".join(meta))
    for code in report.codes:
        _code_section(doc, report, code)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_docx(report: Report, path: Path) -> None:
    from workbench.fsutil import atomic_write_bytes

    atomic_write_bytes(path, render_docx(report))
