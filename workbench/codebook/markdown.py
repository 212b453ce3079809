"""The codebook as a Markdown appendix for a paper or report."""

from __future__ import annotations

import re

from workbench.codebook.model import Code, Codebook, check_depth, effective_id, iter_codes

_ESCAPE = re.compile(r"([\\`*_\[\]<|])")
_LINE_START = re.compile(r"^\s*(?:([#>+-])|\d+([.)]))")


def md_escape(text: str) -> str:
    """Escape characters Markdown would read as formatting (text stays readable as plain)."""
    return _ESCAPE.sub(r"\\\1", text)


def md_line(text: str) -> str:
    """md_escape, plus what would start a heading, quote or list at the start of a line."""
    escaped = md_escape(text)
    m = _LINE_START.match(escaped)
    if m is None:
        return escaped
    pos = m.start(1) if m.group(1) else m.start(2)
    return f"{escaped[:pos]}\\{escaped[pos:]}"


def _quote(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return "\n".join(f"> {md_line(line)}" if line.strip() else ">" for line in lines)


def _paragraph(label: str, text: str | None) -> list[str]:
    if not text or not text.strip():
        return []
    body = "\n".join(md_line(line) for line in text.strip().splitlines())
    return [f"**{label}:** {body}", ""]


class _Counter:
    def __init__(self, counts: dict[str, int] | None) -> None:
        self.counts = counts
        self.totals: dict[str, int] = {}

    def own(self, cid: str) -> int:
        return (self.counts or {}).get(cid, 0)

    def total(self, code: Code, path: list[str]) -> int:
        cid = effective_id(code, path)
        if cid not in self.totals:
            self.totals[cid] = self.own(cid) + sum(
                self.total(c, [*path, c.name]) for c in code.children
            )
        return self.totals[cid]

    def label(self, code: Code, path: list[str]) -> str:
        cid = effective_id(code, path)
        own, total = self.own(cid), self.total(code, path)
        if not code.children:
            return f"{own} coding{'s' if own != 1 else ''}"
        return f"{own} coding{'s' if own != 1 else ''}, {total} with sub-codes"


def _contents(codes: list[Code], counter: _Counter, path: list[str], depth: int) -> list[str]:
    out = []
    for number, code in enumerate(codes, 1):
        here = [*path, code.name]
        count = f" ({counter.label(code, here)})" if counter.counts is not None else ""
        out.append(f"{'   ' * depth}{number}. {md_escape(code.name)}{count}")
        out.extend(_contents(code.children, counter, here, depth + 1))
    return out


def _sections(
    codes: list[Code], counter: _Counter, path: list[str], numbers: list[int]
) -> list[str]:
    out: list[str] = []
    for n, code in enumerate(codes, 1):
        here, num = [*path, code.name], [*numbers, n]
        level = min(len(num) + 2, 6)
        out += [f"{'#' * level} {'.'.join(map(str, num))} {md_escape(code.name)}", ""]
        if len(here) > 1:
            out += [f"*Under:* {md_escape(' > '.join(path))}", ""]
        out += _paragraph("Definition", code.description)
        out += _paragraph("Use when", code.include)
        out += _paragraph("Do not use when", code.exclude)
        if code.aliases:
            out += [f"**Also called:** {md_escape(', '.join(code.aliases))}", ""]
        if code.examples:
            out += ["**Examples:**", ""]
            for example in code.examples:
                out += [_quote(example), ""]
        if counter.counts is not None:
            out += [f"**Codings:** {counter.label(code, here)}", ""]
        out += _sections(code.children, counter, here, num)
    return out


def codebook_to_markdown(cb: Codebook, counts: dict[str, int] | None = None) -> str:
    """Title, contents (the hierarchy as a numbered list), then one numbered section per code
    with its definition, when to use it and not, aliases, example quotes and, when `counts`
    (code id -> number of codings) is given, its codings with and without sub-codes."""
    check_depth(cb)
    counter = _Counter(counts)
    n_codes = sum(1 for _ in iter_codes(cb))
    out = [f"# Codebook: {md_escape(cb.codebook)}", ""]
    facts = [f"{n_codes} codes"]
    if cb.version is not None:
        facts.insert(0, f"Version {cb.version}")
    if counts is not None:
        total = sum(counter.total(c, [c.name]) for c in cb.codes)
        facts.append(f"{total} codings")
    out += [". ".join(facts) + ".", "", "## Contents", ""]
    out += _contents(cb.codes, counter, [], 0)
    out += ["", "## Codes", ""]
    out += _sections(cb.codes, counter, [], [])
    return "\n".join(out).rstrip("\n") + "\n"
