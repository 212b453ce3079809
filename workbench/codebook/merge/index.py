"""Every code of every input book, addressable by (book, effective id)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.codebook.merge.types import CodeRef, Conflict, Decision, SourceKey
from workbench.codebook.model import PATH_SEP, Code, Codebook, effective_id, iter_codes


@dataclass(frozen=True)
class SourceCode:
    key: SourceKey
    code: Code
    path: tuple[str, ...]
    parent: SourceKey | None
    order: int  # position in the book, parents before children

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.key.book, self.order)

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.path)


class SourceIndex:
    def __init__(self, books: list[tuple[str, Codebook]]) -> None:
        self.labels = [label for label, _ in books]
        self.books = [cb for _, cb in books]
        self.codes: dict[SourceKey, SourceCode] = {}
        self.by_book: list[list[SourceKey]] = []
        self.children: dict[SourceKey, list[SourceKey]] = {}
        for b, (_, cb) in enumerate(books):
            keys = []
            for order, (code, path, parent_id) in enumerate(iter_codes(cb)):
                key = SourceKey(b, effective_id(code, path))
                parent = SourceKey(b, parent_id) if parent_id is not None else None
                self.codes[key] = SourceCode(key, code, tuple(path), parent, order)
                if parent is not None:
                    self.children.setdefault(parent, []).append(key)
                keys.append(key)
            self.by_book.append(keys)

    def __getitem__(self, key: SourceKey) -> SourceCode:
        return self.codes[key]

    def label(self, key: SourceKey) -> str:
        return self.labels[key.book]

    def short_label(self, key: SourceKey) -> str:
        """The book's label without a codebook extension: the suffix of renamed codes."""
        label = self.labels[key.book]
        for ext in (".yaml", ".yml", ".qdc"):
            if label.lower().endswith(ext):
                return label[: -len(ext)]
        return label

    def ref(self, key: SourceKey) -> CodeRef:
        sc = self.codes[key]
        return CodeRef(self.labels[key.book], key.id, sc.path_str, sc.code.description)

    def decision(
        self,
        kind: str,
        action: str,
        keys: list[SourceKey],
        rule: str,
        score: float | None = None,
        result: list[str] | None = None,
    ) -> Decision:
        refs = [self.ref(k) for k in keys]
        return Decision(kind, action, refs, rule, score, result or [], list(keys))

    def conflict(self, kind: str, message: str, keys: list[SourceKey]) -> Conflict:
        return Conflict(kind, message, [self.ref(k) for k in keys], list(keys))

    def is_ancestor(self, a: SourceKey, b: SourceKey) -> bool:
        """True when `a` is a proper ancestor of `b` in the same book."""
        cur = self.codes[b].parent
        while cur is not None:
            if cur == a:
                return True
            cur = self.codes[cur].parent
        return False

    def find(self, book: int, ref: str) -> SourceKey | None:
        """A code of `book` by effective id, else by path `A > B` (case-insensitive)."""
        key = SourceKey(book, ref)
        if key in self.codes:
            return key
        wanted = [p.strip().casefold() for p in ref.split(PATH_SEP.strip())]
        for k in self.by_book[book]:
            if [p.casefold() for p in self.codes[k].path] == wanted:
                return k
        return None
