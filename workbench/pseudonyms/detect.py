"""All recognisers together: validated patterns win over names where they overlap."""

from __future__ import annotations

from workbench.pseudonyms.names import find_names, speaker_identifier
from workbench.pseudonyms.patterns import Found, find_patterns

__all__ = ["find_all", "speaker_identifier"]


def find_all(texts: list[str]) -> list[list[Found]]:
    names = find_names(texts)
    out: list[list[Found]] = []
    for text, found in zip(texts, names, strict=True):
        pats = find_patterns(text)
        kept = [f for f in found if all(f.end <= p.start or f.start >= p.end for p in pats)]
        out.append(sorted(pats + kept, key=lambda f: f.start))
    return out
