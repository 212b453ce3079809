"""Build the merged codebook from a plan (entries): group, place, name, combine fields.

Rules (docs/merging.md):
- codes in one `merge` entry become one code; every other code stays its own code;
- a merged code's survivor is its member from the earliest book; its name, definition,
  include/exclude, colour and id are the survivor's unless it lacks them;
- placement: the survivor's parent wins (first book's placement), unless the entry says
  `under`; a placement that would put a code inside itself is dropped and reported;
- every source name and alias becomes an alias (every distinct spelling, `hidden-work` as well
  as `Hidden work`; only the final name itself is left out), unless it would point to two
  codes; `merged_from` lists every source code (book label, id, path);
- two siblings left with the same name get the book label as a suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.codebook.merge.index import SourceIndex
from workbench.codebook.merge.text import name_key
from workbench.codebook.merge.types import Conflict, Decision, PlanEntry, SourceKey
from workbench.codebook.model import PATH_SEP, Code, Codebook, MergedFrom, default_id


@dataclass(eq=False)
class Group:
    members: list[SourceKey]
    entry: PlanEntry | None = None
    name: str = ""
    explicit_name: bool = False
    parent: Group | None = None
    under: SourceKey | None = None
    children: list[Group] = field(default_factory=list)
    code: Code | None = None  # merged fields, children left empty
    path: tuple[str, ...] = ()

    @property
    def rep(self) -> SourceKey:
        return self.members[0]


@dataclass
class Built:
    codebook: Codebook
    groups: list[Group]  # tree order
    group_of: dict[SourceKey, Group]
    decisions: list[Decision]
    conflicts: list[Conflict]
    issues: list[tuple[int | None, str]]  # problems with the plan itself (apply)


class _Builder:
    def __init__(self, index: SourceIndex, entries: list[PlanEntry], n_books: int) -> None:
        self.ix = index
        self.n_books = n_books
        self.decisions: list[Decision] = []
        self.conflicts: list[Conflict] = []
        self.issues: list[tuple[int | None, str]] = []
        self.group_of: dict[SourceKey, Group] = {}
        self._make_groups(entries)

    def _order(self, key: SourceKey) -> tuple[int, int]:
        return self.ix[key].sort_key

    def _make_groups(self, entries: list[PlanEntry]) -> None:
        for book in range(self.n_books):
            for key in self.ix.by_book[book]:
                self.group_of[key] = Group([key])
        for entry in entries:
            if entry.action == "merge":
                members = sorted(entry.keys(), key=self._order)
                group = Group(members, entry, name=entry.name or "", under=entry.under)
                group.explicit_name = bool(entry.name)
                for key in members:
                    self.group_of[key] = group
            else:
                for pc in entry.codes:
                    group = self.group_of[pc.key]
                    group.entry, group.under = entry, entry.under
                    if pc.name:
                        group.name, group.explicit_name = pc.name, True
        self.groups = sorted(
            {id(g): g for g in self.group_of.values()}.values(), key=lambda g: self._order(g.rep)
        )
        for g in self.groups:
            if not g.name:
                g.name = self.ix[g.rep].code.name

    # --- placement ---------------------------------------------------------------------

    def _natural_parent(self, g: Group) -> Group | None:
        parent = self.ix[g.rep].parent
        return self.group_of[parent] if parent is not None else None

    def place(self) -> list[Group]:
        for g in self.groups:
            g.parent = self._natural_parent(g)
        for g in self.groups:
            if g.under is None:
                continue
            target = self.group_of.get(g.under)
            if target is None or target is g:
                continue
            old = g.parent
            g.parent = target
            if self._cycle_from(g):
                g.parent = old
                line = g.entry.line if g.entry else None
                msg = (
                    f"cannot place '{g.name}' under '{target.name}': it would end up inside itself"
                )
                self.issues.append((line, msg))
                self.conflicts.append(
                    self.ix.conflict("parent", f"{msg}; kept in its own place", [g.rep])
                )
        roots: list[Group] = []
        for g in self.groups:
            (g.parent.children if g.parent is not None else roots).append(g)
        return roots

    def _cycle_from(self, g: Group) -> bool:
        seen: set[int] = set()
        cur: Group | None = g
        while cur is not None:
            if id(cur) in seen:
                return True
            seen.add(id(cur))
            cur = cur.parent
        return False

    # --- names, fields, ids ------------------------------------------------------------

    def name_siblings(self, siblings: list[Group], parent_path: tuple[str, ...]) -> None:
        seen: dict[str, Group] = {}
        for g in siblings:
            key = name_key(g.name)
            if key in seen:
                original = g.name
                label = self.ix.short_label(g.rep)
                g.name = self._free_name(f"{original} ({label})", seen)
                if g.explicit_name and seen[key].explicit_name:
                    self.issues.append(
                        (
                            g.entry.line if g.entry else None,
                            f"two codes under the same parent are both named "
                            f"'{original}'; give one of them another name",
                        )
                    )
                self.decisions.append(
                    self.ix.decision(
                        "clash",
                        "rename",
                        [seen[key].rep, g.rep],
                        f"same name as a sibling after merging: renamed '{original}' to '{g.name}'",
                    )
                )
                key = name_key(g.name)
            seen[key] = g
            g.path = (*parent_path, g.name)
            self.name_siblings(g.children, g.path)

    @staticmethod
    def _free_name(name: str, seen: dict[str, Group]) -> str:
        candidate, n = name, 2
        while name_key(candidate) in seen:
            candidate, n = f"{name} {n}", n + 1
        return candidate

    def fields(self, g: Group, used_ids: set[str], used_guids: set[str]) -> None:
        codes = [self.ix[k].code for k in g.members]
        first = codes[0]

        def pick(attr: str) -> str | None:
            return next((getattr(c, attr) for c in codes if getattr(c, attr)), None)

        cid = first.id if first.id is not None and first.id not in used_ids else None
        eff = cid or default_id(list(g.path))
        if eff in used_ids:
            n = 2
            while f"{eff}-{n}" in used_ids:
                n += 1
            cid = eff = f"{eff}-{n}"
        used_ids.add(eff)
        guid = next((c.guid for c in codes if c.guid and c.guid not in used_guids), None)
        if guid:
            used_guids.add(guid)
        g.code = Code(
            name=g.name,
            id=cid,
            description=pick("description"),
            include=pick("include"),
            exclude=pick("exclude"),
            examples=_union(e for c in codes for e in c.examples),
            aliases=self._aliases(g, codes),
            color=pick("color"),
            groups=_union(x for c in codes for x in c.groups),
            guid=guid,
            merged_from=self._provenance(g),
        )

    def _aliases(self, g: Group, codes: list[Code]) -> list[str]:
        """Every source name and alias, each distinct spelling once: `hidden-work` stays an
        alias of `Hidden work` so codings made under it map onto the merged code. Only the
        final name itself (the same string, spacing aside) is left out."""
        seen = {_spelling(g.name)}
        out: list[str] = []
        for c in codes:
            for alias in (c.name, *c.aliases):
                key = _spelling(alias)
                if key and key not in seen:
                    seen.add(key)
                    out.append(" ".join(alias.split()))
        return out

    def _provenance(self, g: Group) -> list[MergedFrom]:
        out: dict[tuple[str, str], MergedFrom] = {}
        for key in g.members:
            sc = self.ix[key]
            own = MergedFrom(codebook=self.ix.label(key), id=key.id, path=sc.path_str)
            for m in (own, *sc.code.merged_from):
                out.setdefault((m.codebook, m.id), m)
        return list(out.values())

    def drop_ambiguous_aliases(self, groups: list[Group]) -> None:
        """An alias that would name two codes (or another code's name) helps nobody."""
        owners: dict[str, set[int]] = {}
        for g in groups:
            assert g.code is not None
            for text in (g.code.name, *g.code.aliases):
                owners.setdefault(name_key(text), set()).add(id(g))
        for g in groups:
            assert g.code is not None
            aliases = g.code.aliases
            keep = [a for a in aliases if len(owners[name_key(a)]) == 1]
            if len(keep) == len(aliases):
                continue
            g.code = g.code.model_copy(update={"aliases": keep})
            # a renamed code losing its old name as an alias is expected (e.g. a name clash)
            old = {name_key(self.ix[k].code.name) for k in g.members} if g.explicit_name else set()
            dropped = [a for a in aliases if a not in keep and name_key(a) not in old]
            if dropped:
                self.conflicts.append(
                    self.ix.conflict(
                        "alias",
                        f"alias{'es' if len(dropped) > 1 else ''} {', '.join(map(repr, dropped))} "
                        f"of '{PATH_SEP.join(g.path)}' also name{'' if len(dropped) > 1 else 's'} "
                        "another code: left out",
                        [g.rep],
                    )
                )

    # --- decisions about placement -----------------------------------------------------

    def placement_notes(self) -> None:
        for g in self.groups:
            if len(g.members) > 1:
                self._note_parents(g)
                self._note_leaf_parent(g)
            if g.under is not None and g.parent is self.group_of.get(g.under):
                rule = g.entry.rule if g.entry and g.entry.rule else "placed as the plan says"
                self.decisions.append(
                    self.ix.decision(
                        "placement",
                        "place",
                        [g.rep, g.under],
                        f"placed under '{PATH_SEP.join(g.parent.path)}': {rule}",
                        result=[PATH_SEP.join(g.path)],
                    )
                )

    def _parent_text(self, group: Group | None) -> str:
        return f"'{PATH_SEP.join(group.path)}'" if group is not None else "the top level"

    def _source_parent(self, key: SourceKey) -> str:
        path = self.ix[key].path[:-1]
        return f"'{PATH_SEP.join(path)}'" if path else "the top level"

    def _note_parents(self, g: Group) -> None:
        if g.under is not None:
            return
        for key in g.members[1:]:
            parent = self.ix[key].parent
            theirs = self.group_of[parent] if parent is not None else None
            if theirs is g.parent:
                continue
            msg = (
                f"'{g.name}' sits under {self._source_parent(g.rep)} in "
                f"{self.ix.label(g.rep)} but under {self._source_parent(key)} in "
                f"{self.ix.label(key)}; kept under {self._parent_text(g.parent)} (the first "
                "book's placement wins)"
            )
            self.decisions.append(
                self.ix.decision(
                    "placement", "place", [g.rep, key], msg, result=[PATH_SEP.join(g.path)]
                )
            )
            self.conflicts.append(self.ix.conflict("parent", msg, [g.rep, key]))

    def _note_leaf_parent(self, g: Group) -> None:
        with_kids = [k for k in g.members if self.ix.children.get(k)]
        if not with_kids or len(with_kids) == len(g.members):
            return
        leaves = [k for k in g.members if k not in with_kids]
        books = ", ".join(self.ix.label(k) for k in with_kids)
        leaf_books = ", ".join(self.ix.label(k) for k in leaves)
        self.decisions.append(
            self.ix.decision(
                "placement",
                "place",
                list(g.members),
                f"'{g.name}' has sub-codes in {books} but none in {leaf_books}: the merged code "
                "keeps the sub-codes",
                result=[PATH_SEP.join(g.path)],
            )
        )


def _spelling(text: str) -> str:
    """A name as written, surrounding and repeated spaces aside."""
    return " ".join(text.split())


def _union(items) -> list[str]:  # type: ignore[no-untyped-def]
    out: dict[str, str] = {}
    for item in items:
        key = " ".join(item.split())
        if key and key not in out:
            out[key] = item
    return list(out.values())


def _tree(groups: list[Group]) -> list[Code]:
    out = []
    for g in groups:
        assert g.code is not None
        out.append(g.code.model_copy(update={"children": _tree(g.children)}))
    return out


def _walk(groups: list[Group]) -> list[Group]:
    out: list[Group] = []
    for g in groups:
        out.append(g)
        out.extend(_walk(g.children))
    return out


def merged_title(index: SourceIndex, n_books: int) -> str:
    titles = list(dict.fromkeys(cb.codebook for cb in index.books[:n_books]))
    return titles[0] if len(titles) == 1 else " + ".join(titles)


def build(index: SourceIndex, entries: list[PlanEntry], n_books: int | None = None) -> Built:
    """The merged codebook of the first `n_books` books (default: all) under `entries`."""
    n = len(index.books) if n_books is None else n_books
    b = _Builder(index, entries, n)
    roots = b.place()
    b.name_siblings(roots, ())
    ordered = _walk(roots)
    used_ids: set[str] = set()
    used_guids: set[str] = set()
    for g in ordered:
        b.fields(g, used_ids, used_guids)
    b.drop_ambiguous_aliases(ordered)
    b.placement_notes()
    cb = Codebook(codebook=merged_title(index, n), codes=_tree(roots))
    return Built(cb, ordered, b.group_of, b.decisions, b.conflicts, b.issues)
