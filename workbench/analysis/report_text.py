"""The theme report as Markdown and as one self-contained HTML file (inline style, no scripts,
nothing fetched; every text from the project escaped)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from workbench.analysis.report import Memo, Report, ReportCode

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def md_escape(text: str | None) -> str:
    """Markdown-inert text: markup characters backslash-escaped, a leading `-`, `+`, `=` or
    `1.` kept from starting a list or heading."""
    out = _MD_SPECIAL.sub(r"\\\1", text or "")
    out = re.sub(r"(?m)^(\s*)([-+=])", r"\1\\\2", out)
    return re.sub(r"(?m)^(\s*\d+)\.", r"\1\\.", out)


def _md_quote(text: str) -> list[str]:
    return [f"> {md_escape(line)}".rstrip() for line in text.split("\n")]


def _md_memos(memos: tuple[Memo, ...], label: str) -> list[str]:
    return [
        f"**{label} ({md_escape(m.author)}, {m.created[:10]}):** {md_escape(m.text)}".replace(
            "\n", "  \n"
        )
        + "\n"
        for m in memos
    ]


def _md_table(report: Report, code: ReportCode) -> list[str]:
    cols = ["Code", *(md_escape(c) for c in report.columns), "Total"]
    lines = [
        f"{report.count_title} by {md_escape(report.by_title)}:",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
    ]
    for label, depth, row, total in code.table:
        name = "&nbsp;&nbsp;" * (2 * depth) + md_escape(label)
        lines.append("| " + " | ".join([name, *map(str, row), str(total)]) + " |")
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    out = [f"# {md_escape(report.title)}", ""]
    meta = [f"Project: {md_escape(report.project)}", f"written {report.created[:10]}"]
    if report.filters:
        meta.append(f"filters: {md_escape(report.filters)}")
    if report.pseudonymised:
        meta.append("identifiers replaced by pseudonyms")
    out += [" · ".join(meta), ""]
    for code in report.codes:
        out += [f"{'#' * (code.heading + 1)} {md_escape(code.title)}", ""]
        if code.heading > 1:
            out += [f"*{md_escape(code.path)}*", ""]
        for label, value in (
            ("Definition", code.description),
            ("Use when", code.include),
            ("Do not use when", code.exclude),
            *(("Example", x) for x in code.examples),
        ):
            if value:
                out += [f"**{label}:** {md_escape(value)}", ""]
        if report.by:
            if code.heading == 1 and code.table:
                out += _md_table(report, code)
            else:
                shown = ", ".join(f"{md_escape(k)} {v}" for k, v in code.counts if v) or "none"
                out += [f"**{report.count_title} by {md_escape(report.by_title)}:** {shown}", ""]
        out += _md_memos(code.memos, "Memo")
        n = len(code.excerpts)
        out += [f"**Excerpts ({n})**" if n else "*No excerpts coded with this code itself.*", ""]
        for e in code.excerpts:
            out += _md_quote(e.text)
            out += [">", f"> — *{md_escape(e.source())}* ({md_escape(e.where())})", ""]
            out += _md_memos(e.memos, "Memo on this coding")
    return "\n".join(out).rstrip() + "\n"


STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto;
       padding: 0 1em; line-height: 1.5; color: #222; }
h1, h2, h3 { font-family: 'Helvetica Neue', Arial, sans-serif; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.meta, .path, .source { color: #555; font-size: 0.9em; }
blockquote { margin: 1em 0 0.2em 0; padding: 0.2em 1em; border-left: 4px solid #9467bd;
             background: #f7f5fa; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td.n { text-align: right; }
.memo { background: #fffbe6; padding: 0.3em 0.6em; border-radius: 3px; }
"""


def _h(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _html_memos(memos: tuple[Memo, ...], label: str) -> list[str]:
    return [
        f'<p class="memo"><b>{label} ({_h(m.author)}, {_h(m.created[:10])}):</b> '
        f"{_h(m.text).replace(chr(10), '<br>')}</p>"
        for m in memos
    ]


def _html_table(report: Report, code: ReportCode) -> list[str]:
    head = "".join(f"<th>{_h(c)}</th>" for c in ["Code", *report.columns, "Total"])
    rows = [
        f"<p>{_h(report.count_title)} by {_h(report.by_title)}:</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>",
    ]
    for label, depth, row, total in code.table:
        pad = f' style="padding-left: {0.6 + 1.2 * depth:.1f}em"'
        cells = "".join(f'<td class="n">{v}</td>' for v in (*row, total))
        rows.append(f"<tr><td{pad}>{_h(label)}</td>{cells}</tr>")
    return [*rows, "</tbody></table>"]


def render_html(report: Report) -> str:
    meta = [f"Project: {_h(report.project)}", f"written {_h(report.created[:10])}"]
    if report.filters:
        meta.append(f"filters: {_h(report.filters)}")
    if report.pseudonymised:
        meta.append("identifiers replaced by pseudonyms")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(report.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_h(report.title)}</h1>",
        f'<p class="meta">{" · ".join(meta)}</p>',
    ]
    for code in report.codes:
        level = code.heading + 1
        out.append(f'<h{level} id="code-{_h(code.id)}">{_h(code.title)}</h{level}>')
        if code.heading > 1:
            out.append(f'<p class="path">{_h(code.path)}</p>')
        for label, value in (
            ("Definition", code.description),
            ("Use when", code.include),
            ("Do not use when", code.exclude),
            *(("Example", x) for x in code.examples),
        ):
            if value:
                out.append(f"<p><b>{label}:</b> {_h(value)}</p>")
        if report.by:
            if code.heading == 1 and code.table:
                out += _html_table(report, code)
            else:
                shown = ", ".join(f"{_h(k)} {v}" for k, v in code.counts if v) or "none"
                title = f"{_h(report.count_title)} by {_h(report.by_title)}"
                out.append(f"<p><b>{title}:</b> {shown}</p>")
        out += _html_memos(code.memos, "Memo")
        n = len(code.excerpts)
        out.append(
            f"<p><b>Excerpts ({n})</b></p>"
            if n
            else "<p><i>No excerpts coded with this code itself.</i></p>"
        )
        for e in code.excerpts:
            out.append(f"<blockquote>{_h(e.text)}</blockquote>")
            out.append(f'<p class="source"><i>{_h(e.source())}</i> ({_h(e.where())})</p>')
            out += _html_memos(e.memos, "Memo on this coding")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_markdown(report: Report, path: Path) -> None:
    from workbench.fsutil import atomic_write

    with atomic_write(path) as fh:
        fh.write(render_markdown(report))


def write_html(report: Report, path: Path) -> None:
    from workbench.fsutil import atomic_write

    with atomic_write(path) as fh:
        fh.write(render_html(report))
