"""Code profiles: what the suggestion ranker knows about a code from the codebook alone.

A profile gathers a code's name, path, definition, include/exclude notes, aliases and example
quotes. The ranker turns the positive parts (name, definition, include, aliases, examples)
into texts to compare passages with, and the exclude note into a negative text. Profiles are
built either from a codebook file (`workbench.codebook.model.Codebook`) or from a project's
codes (`workbench.services.codes.CodeTree`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.codebook.model import PATH_SEP, effective_id, iter_codes

if TYPE_CHECKING:
    from workbench.codebook.model import Codebook
    from workbench.services.codes import CodeTree


@dataclass(frozen=True)
class CodeProfile:
    code_id: str
    name: str
    path: str  # ancestry names joined with " > " (as `code_path` in excerpt exports)
    description: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    parent_id: str | None = None

    @property
    def definition(self) -> str:
        """Name, definition and include note as one sentence-like text (the label text)."""
        parts = [self.name.strip()]
        for extra in (self.description, self.include):
            if extra and extra.strip():
                parts.append(extra.strip())
        return ". ".join(p.rstrip(".") for p in parts) + "."

    def positive_texts(self) -> list[tuple[str, str]]:
        """(kind, text) pairs describing the code: the definition, each alias, each example."""
        out: list[tuple[str, str]] = [("definition", self.definition)]
        out.extend(("alias", a.strip()) for a in self.aliases if a.strip())
        out.extend(("example", e.strip()) for e in self.examples if e.strip())
        return _dedupe(out)

    def negative_texts(self) -> list[str]:
        """Text that should *not* get this code: the exclude note."""
        return [self.exclude.strip()] if self.exclude and self.exclude.strip() else []


def _dedupe(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for kind, text in items:
        key = " ".join(text.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            out.append((kind, text))
    return out


def profiles_from_codebook(cb: Codebook) -> list[CodeProfile]:
    """One profile per code of a codebook file, in tree order (parents first)."""
    out: list[CodeProfile] = []
    for code, path, parent_id in iter_codes(cb):
        out.append(
            CodeProfile(
                code_id=effective_id(code, path),
                name=code.name,
                path=PATH_SEP.join(path),
                description=code.description,
                include=code.include,
                exclude=code.exclude,
                examples=tuple(code.examples),
                aliases=tuple(code.aliases),
                parent_id=parent_id,
            )
        )
    return out


def profiles_from_tree(tree: CodeTree) -> list[CodeProfile]:
    """One profile per code of a project's codebook, in tree order (parents first)."""
    out: list[CodeProfile] = []
    for row, _depth in tree.walk():
        out.append(
            CodeProfile(
                code_id=row.id,
                name=row.name,
                path=tree.path_str(row.id),
                description=row.description,
                include=row.include,
                exclude=row.exclude,
                examples=tuple(row.examples),
                aliases=tuple(row.aliases),
                parent_id=row.parent_id,
            )
        )
    return out
