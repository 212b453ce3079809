"""The codings an analysis counts, as SQL: filters, code roll-up, attribute values and the
lowest-level segments a coding overlaps. `matrix.count_matrix` and
`cooccurrence.cooccurrence` build their queries from these pieces, so a filter or a
definition means the same in every table, chart and report.

Definitions (docs/analysis.md):
- A coding's attributes are its document's, overlaid by the respondent attributes of the outer
  segment (turn, entry, survey response) holding its start: exactly what `export excerpts`
  writes in its `attr:` columns and filters with `--where`.
- The lowest-level segments of a document are its sentences where it has any, else all its
  segments (CONTRACT §7). A coding overlaps a segment when they share at least one character.
- Roll-up: a code stands for itself and all its descendants.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.sql.elements import TextClause

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeRow, CodeTree
from workbench.services.documents import all_attributes, matches_where
from workbench.store import schema as s

DIMENSIONS = ("code", "document", "coder")
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class Dimension:
    """What a matrix's rows or columns are: codes, documents, coders or an attribute's values."""

    kind: str  # code | document | coder | attr
    key: str | None = None  # the attribute name for attr

    @property
    def spec(self) -> str:
        return f"attr:{self.key}" if self.kind == "attr" else self.kind

    @property
    def title(self) -> str:
        return self.key if self.kind == "attr" and self.key else self.kind


def parse_dimension(spec: str, option: str = "--rows") -> Dimension:
    spec = spec.strip()
    if spec in DIMENSIONS:
        return Dimension(spec)
    if spec.startswith("attr:") and spec[5:].strip():
        return Dimension("attr", spec[5:].strip())
    raise WorkbenchError(f"{option} {spec}: must be code, document, coder or attr:KEY")


@dataclass(frozen=True)
class Filters:
    """Which codings count: codes (with descendants), attribute conditions, one coder."""

    codes: tuple[str, ...] = ()
    where: tuple[tuple[str, str], ...] = ()
    coder: str | None = None
    depth: int | None = None  # code rows at most this many levels down (1 = top only)


@dataclass(frozen=True)
class ShownCode:
    code: CodeRow
    depth: int  # 0 for a top-level (or chosen) code
    label: str  # its name, or its path where the name is not unique among the shown codes


def natural_key(value: str) -> tuple[object, ...]:
    """Sort '5-17' before '18-24' and '75+' after '65-74'."""
    parts = re.split(r"(\d+)", value.casefold())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


@dataclass
class Scope:
    """The resolved filters of one analysis and a parameter collector for its SQL."""

    conn: Connection
    filters: Filters
    tree: CodeTree
    params: dict[str, object] = field(default_factory=dict)
    expanding: set[str] = field(default_factory=set)
    _seg_keys: dict[str, bool] = field(default_factory=dict)
    _doc_keys: set[str] | None = None

    @classmethod
    def build(cls, conn: Connection, filters: Filters) -> Scope:
        if filters.depth is not None and filters.depth < 1:
            raise WorkbenchError(f"--depth {filters.depth}: must be 1 or more")
        return cls(conn=conn, filters=filters, tree=CodeTree.load(conn))

    # -- parameters ---------------------------------------------------------------------
    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def param_list(self, values: Sequence[object]) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = list(values)
        self.expanding.add(name)
        return f":{name}"

    def statement(self, sql: str) -> TextClause:
        stmt = text(sql)
        if self.expanding:
            stmt = stmt.bindparams(*(bindparam(n, expanding=True) for n in self.expanding))
        return stmt

    def run(self, sql: str) -> list[tuple[object, ...]]:
        return [tuple(r) for r in self.conn.execute(self.statement(sql), self.params)]

    # -- codes --------------------------------------------------------------------------
    def filter_code_ids(self) -> list[str] | None:
        """The codes whose codings count (the --code codes and their descendants), or None."""
        if not self.filters.codes:
            return None
        ids: set[str] = set()
        for ref in self.filters.codes:
            code = self.tree.resolve(ref)
            ids.add(code.id)
            ids.update(self.tree.descendants(code.id))
        return sorted(ids)

    def shown_codes(self) -> list[ShownCode]:
        """Code rows in codebook order: every code, or the chosen ones with their descendants;
        depth counts from the top (or from the chosen codes)."""
        chosen = self.filter_code_ids()
        walked = self.tree.walk()
        if chosen is None:
            picked = walked
        else:
            wanted = set(chosen)
            picked = []
            tops = {c for c in wanted if self.tree.codes[c].parent_id not in wanted}
            base: dict[str, int] = {}
            for code, depth in walked:
                if code.id in tops:
                    base[code.id] = depth
                if code.id in wanted:
                    top = code.id
                    while top not in tops:
                        top = self.tree.codes[top].parent_id  # type: ignore[assignment]
                    picked.append((code, depth - base[top]))
        if self.filters.depth is not None:
            picked = [(c, d) for c, d in picked if d < self.filters.depth]
        counts: dict[str, int] = defaultdict(int)
        for code, _ in picked:
            counts[code.name.casefold()] += 1
        return [
            ShownCode(
                code,
                depth,
                code.name if counts[code.name.casefold()] == 1 else self.tree.path_str(code.id),
            )
            for code, depth in picked
        ]

    # -- attributes ---------------------------------------------------------------------
    def document_keys(self) -> set[str]:
        if self._doc_keys is None:
            self._doc_keys = {
                r[0] for r in self.conn.execute(select(s.document_attributes.c.key).distinct())
            }
        return self._doc_keys

    def is_segment_key(self, key: str) -> bool:
        if key not in self._seg_keys:
            sa = s.segment_attributes
            row = self.conn.execute(select(sa.c.segment_id).where(sa.c.key == key).limit(1))
            self._seg_keys[key] = row.first() is not None
        return self._seg_keys[key]

    def needs_outer(self, keys: list[str]) -> bool:
        return any(self.is_segment_key(k) for k in keys)

    def attr_expr(self, key: str, cod: str = "cod") -> str:
        """SQL for a coding's value of attribute `key` (NULL when it has none)."""
        k = self.param(key)
        parts = []
        if self.is_segment_key(key):
            parts.append(
                f"(SELECT sa.value FROM segment_attributes sa JOIN segments so"
                f" ON so.id = sa.segment_id WHERE sa.segment_id = {cod}.outer_id"
                f' AND so."end" > {cod}.s AND sa.key = {k})'
            )
        parts.append(
            f"(SELECT da.value FROM document_attributes da"
            f" WHERE da.document_id = {cod}.document_id AND da.key = {k})"
        )
        if key == "kind":
            parts.append(f"(SELECT dk.kind FROM documents dk WHERE dk.id = {cod}.document_id)")
        return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"

    def known_values(self, key: str) -> list[str]:
        """Every stored value of an attribute (document, respondent; kind for `kind`)."""
        da, sa = s.document_attributes, s.segment_attributes
        values = {r[0] for r in self.conn.execute(select(da.c.value).where(da.c.key == key))}
        if self.is_segment_key(key):
            values |= {r[0] for r in self.conn.execute(select(sa.c.value).where(sa.c.key == key))}
        if key == "kind":
            values |= {r[0] for r in self.conn.execute(select(s.documents.c.kind).distinct())}
        return sorted(values, key=natural_key)

    def check_key(self, key: str) -> None:
        if key == "kind" or key in self.document_keys() or self.is_segment_key(key):
            return
        names = sorted(self.document_keys())
        raise WorkbenchError(
            f"attr:{key}: no document or respondent has this attribute "
            f"(attributes: {', '.join(names) or 'none'})"
        )

    def where_by_key(self) -> dict[str, set[str]]:
        by_key: dict[str, set[str]] = defaultdict(set)
        for key, value in self.filters.where:
            by_key[key].add(value.casefold())
        return by_key

    def allowed_values(self, key: str) -> list[str]:
        """The stored values of `key` that the --where conditions on it accept (casefold)."""
        wanted = self.where_by_key()[key]
        return [v for v in self.known_values(key) if v.casefold() in wanted]

    def document_ids(self) -> dict[int, str]:
        """Documents whose own attributes (and kind) pass the --where conditions on document
        attributes, by id, with their names; respondent-only keys are left to the codings."""
        doc_keys = self.document_keys() | {"kind"}
        where = [(k, v) for k, v in self.filters.where if k in doc_keys]
        attrs = all_attributes(self.conn)
        out = {}
        d = s.documents
        for doc_id, name, kind in self.conn.execute(select(d.c.id, d.c.name, d.c.kind)):
            if not where or matches_where(attrs.get(doc_id, {}), kind, where):
                out[doc_id] = name
        return out

    # -- the SQL ------------------------------------------------------------------------
    def codings_cte(self, value_keys: list[str]) -> str:
        """CTEs `cod` (the filtered codings: coding_id, document_id, s, e, code_id, coder,
        and a{i} for each of `value_keys`) and `low` (which documents have sentences)."""
        where_keys = list(self.where_by_key())
        outer = self.needs_outer([*value_keys, *where_keys])
        conds = []
        code_ids = self.filter_code_ids()
        if code_ids is not None:
            conds.append(f"c.code_id IN {self.param_list(code_ids)}")
        if self.filters.coder is not None:
            conds.append(f"c.coder = {self.param(self.filters.coder)}")
        outer_col = (
            ", (SELECT sg.id FROM segments sg WHERE sg.document_id = c.document_id"
            " AND sg.parent_id IS NULL AND sg.start <= c.start"
            " ORDER BY sg.start DESC LIMIT 1) AS outer_id"
            if outer
            else ""
        )
        base = (
            "cod0 AS (SELECT c.id AS coding_id, c.document_id AS document_id, c.start AS s,"
            f' c."end" AS e, c.code_id AS code_id, c.coder AS coder{outer_col}'
            f" FROM codings c{' WHERE ' + ' AND '.join(conds) if conds else ''})"
        )
        cols = "".join(f", {self.attr_expr(k, 'cod0')} AS a{i}" for i, k in enumerate(value_keys))
        wheres = []
        for key in where_keys:
            allowed = self.allowed_values(key)
            if not allowed:
                wheres.append("1 = 0")
            else:
                expr = self.attr_expr(key, "cod0")
                wheres.append(f"{expr} IN {self.param_list(allowed)}")
        cod = (
            "cod AS (SELECT cod0.coding_id, cod0.document_id, cod0.s, cod0.e,"
            f" cod0.code_id, cod0.coder{cols}"
            f" FROM cod0{' WHERE ' + ' AND '.join(wheres) if wheres else ''})"
        )
        low = (
            "low AS MATERIALIZED (SELECT d.id AS document_id, CASE WHEN EXISTS (SELECT 1"
            " FROM segments x WHERE x.document_id = d.id AND x.level = 'sentence')"
            " THEN 1 ELSE 0 END AS has_sent FROM documents d)"
        )
        return f"{base},\n{cod},\n{low}"

    @staticmethod
    def closure_cte() -> str:
        """`closure(anc, code_id)`: every code with itself and each of its ancestors."""
        return (
            "closure(anc, code_id) AS (SELECT id, id FROM codes UNION ALL"
            " SELECT p.parent_id, cl.code_id FROM closure cl JOIN codes p ON p.id = cl.anc"
            " WHERE p.parent_id IS NOT NULL)"
        )

    @staticmethod
    def segments_cte(source: str = "cod", carry: tuple[str, ...] = ()) -> str:
        """`csrc` and `cseg(coding_id, segment_id, *carry)`: the lowest-level segments each
        coding overlaps, with the coding's `carry` columns (expressions on `src`, each with
        an alias). `csrc` is materialised first so that the first candidate segment is one
        backwards index seek and the rest a range on (document_id, start): a coding deep in a
        long document costs the same as one at its start."""
        lowest = "((x.level = 'sentence') = (csrc.has_sent = 1))"
        extra = "".join(f", {c}" for c in carry)
        names = "".join(f", csrc.{c.rsplit(' AS ', 1)[-1]}" for c in carry)
        return (
            "csrc AS MATERIALIZED (SELECT src.coding_id, src.document_id, src.s, src.e,"
            f" low.has_sent{extra} FROM {source} src"
            " JOIN low ON low.document_id = src.document_id),\n"
            f"cseg AS (SELECT csrc.coding_id, sg.id AS segment_id{names} FROM csrc"
            " JOIN segments sg ON sg.document_id = csrc.document_id"
            " AND sg.start >= COALESCE((SELECT f.start FROM segments f"
            " WHERE f.document_id = csrc.document_id AND f.start <= csrc.s"
            f" AND {lowest.replace('x.', 'f.')} ORDER BY f.start DESC LIMIT 1), 0)"
            ' AND sg.start < csrc.e AND sg."end" > csrc.s'
            f" WHERE {lowest.replace('x.', 'sg.')})"
        )
