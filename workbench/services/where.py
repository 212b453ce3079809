"""Attribute conditions (`--where KEY=VALUE`, the TUI's filter box): parsed and checked.

Every key must match (AND); several values of one key are alternatives (OR); values are
compared case-insensitively; `kind` is the document's kind unless an attribute is so named.
"""

from __future__ import annotations

import shlex
from collections import defaultdict

from workbench.errors import WorkbenchError


def filter_terms(text: str) -> list[str]:
    """A filter box's text split into terms; quotes keep a value's spaces together
    (`set="Wave 1" role=patient`). Unbalanced quotes (an apostrophe in a word): plain split."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse_where(pairs: list[str] | None) -> list[tuple[str, str]]:
    """`KEY=VALUE` strings to pairs; bad syntax is a usage error."""
    out: list[tuple[str, str]] = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WorkbenchError(f"--where {pair}: expected KEY=VALUE")
        out.append((key.strip(), value.strip()))
    return out


def matches_where(attrs: dict[str, str], kind: str, where: list[tuple[str, str]]) -> bool:
    """All conditions hold; several values for one key are alternatives (OR)."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for key, value in where:
        by_key[key].add(value.casefold())
    for key, values in by_key.items():
        actual = kind if key == "kind" and key not in attrs else attrs.get(key)
        if actual is None or actual.casefold() not in values:
            return False
    return True
