"""Inter-coder agreement per code and overall, at the segment or character unit (CONTRACT §7)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, func, select

from workbench.analysis.stats import cohen_kappa, krippendorff_alpha_nominal, percent_agreement
from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding import CodingRow, list_codings
from workbench.store import schema as s

UNITS = ("segment", "character")


@dataclass(frozen=True)
class Unit:
    document: str
    document_id: int
    segment: int
    speaker: str | None
    start: int
    end: int


@dataclass
class CodeAgreement:
    code: str
    code_id: str
    kappa: float | None
    alpha: float | None
    percent_agreement: float | None
    count_a: int
    count_b: int
    units: int


@dataclass
class AgreementResult:
    unit: str
    coders: tuple[str, str]
    documents: list[str]
    overall: CodeAgreement
    per_code: list[CodeAgreement]
    disagreements: list[tuple[Unit, str, str]] = field(default_factory=list)  # unit, code, who

    def to_json(self) -> dict[str, object]:
        def stats(c: CodeAgreement) -> dict[str, object]:
            return {
                "kappa": _r(c.kappa),
                "alpha": _r(c.alpha),
                "percent_agreement": _r(c.percent_agreement),
            }

        return {
            "unit": self.unit,
            "coders": list(self.coders),
            "documents": self.documents,
            "overall": {
                **stats(self.overall),
                "count_a": self.overall.count_a,
                "count_b": self.overall.count_b,
                "units": self.overall.units,
            },
            "per_code": [
                {
                    "code": c.code,
                    "code_id": c.code_id,
                    **stats(c),
                    "count_a": c.count_a,
                    "count_b": c.count_b,
                    "units": c.units,
                }
                for c in self.per_code
            ],
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _stats(name: str, code_id: str, a: np.ndarray, b: np.ndarray) -> CodeAgreement:
    return CodeAgreement(
        code=name,
        code_id=code_id,
        kappa=cohen_kappa(a, b),
        alpha=krippendorff_alpha_nominal(a, b),
        percent_agreement=percent_agreement(a, b),
        count_a=int(a.sum()),
        count_b=int(b.sum()),
        units=len(a),
    )


def _lowest_units(conn: Connection, doc_id: int, name: str) -> list[Unit]:
    g = s.segments
    rows = conn.execute(
        select(g.c.id, g.c.idx, g.c.level, g.c.speaker, g.c.parent_id, g.c.start, g.c.end)
        .where(g.c.document_id == doc_id)
        .order_by(g.c.idx)
    ).all()
    by_id = {r.id: r for r in rows}
    has_sentences = any(r.level == "sentence" for r in rows)
    chosen = [r for r in rows if (r.level == "sentence") == has_sentences]
    out = []
    for r in chosen:
        speaker = r.speaker
        if speaker is None and r.parent_id in by_id:
            speaker = by_id[r.parent_id].speaker
        out.append(Unit(name, doc_id, r.idx, speaker, r.start, r.end))
    return out


def _applied(starts: np.ndarray, ends: np.ndarray, codings: list[CodingRow]) -> np.ndarray:
    """1 where any coding overlaps the unit (units given by their start and end arrays)."""
    out = np.zeros(len(starts), dtype=np.int8)
    for c in codings:
        out |= ((starts < c.end) & (ends > c.start)).astype(np.int8)
    return out


def _by_document_and_code(codings: list[CodingRow]) -> dict[tuple[int, str], list[CodingRow]]:
    out: dict[tuple[int, str], list[CodingRow]] = {}
    for c in codings:
        out.setdefault((c.document_id, c.code_id), []).append(c)
    return out


def _char_vector(length: int, codings: list[CodingRow]) -> np.ndarray:
    out = np.zeros(length, dtype=np.int8)
    for c in codings:
        out[c.start : c.end] = 1
    return out


def compute_agreement(
    conn: Connection,
    coder_a: str,
    coder_b: str,
    *,
    unit: str = "segment",
    codes: list[str] | None = None,
) -> AgreementResult:
    if unit not in UNITS:
        raise WorkbenchError(f"--unit {unit}: must be segment or character")
    if coder_a == coder_b:
        raise WorkbenchError("give two different coders")
    tree = CodeTree.load(conn)
    ca = list_codings(conn, coder=coder_a)
    cb = list_codings(conn, coder=coder_b)
    for who, rows in ((coder_a, ca), (coder_b, cb)):
        if not rows:
            known = sorted({r[0] for r in conn.execute(select(s.codings.c.coder).distinct())})
            raise WorkbenchError(
                f"coder '{who}' has no codings (coders: {', '.join(known) or 'none'})"
            )
    shared = sorted({c.document_id for c in ca} & {c.document_id for c in cb})
    if not shared:
        raise WorkbenchError(f"{coder_a} and {coder_b} have not coded any document in common")
    d = s.documents
    docs: dict[int, tuple[str, int]] = {}  # id -> (name, text length): no text is read
    for lo in range(0, len(shared), 500):
        q = select(d.c.id, d.c.name, func.length(d.c.text)).where(d.c.id.in_(shared[lo : lo + 500]))
        docs.update((int(i), (str(n), int(k or 0))) for i, n, k in conn.execute(q))
    if codes:
        code_ids = [tree.resolve(c).id for c in codes]
    else:
        used = {c.code_id for c in ca if c.document_id in shared} | {
            c.code_id for c in cb if c.document_id in shared
        }
        code_ids = [c.id for c, _ in tree.walk() if c.id in used]
    vec_a: dict[str, list[np.ndarray]] = {cid: [] for cid in code_ids}
    vec_b: dict[str, list[np.ndarray]] = {cid: [] for cid in code_ids}
    disagreements: list[tuple[Unit, str, str]] = []
    by_a, by_b = _by_document_and_code(ca), _by_document_and_code(cb)
    for doc_id in shared:
        name = docs[doc_id][0]
        units = _lowest_units(conn, doc_id, name) if unit == "segment" else []
        starts = np.array([u.start for u in units], dtype=np.int64)
        ends = np.array([u.end for u in units], dtype=np.int64)
        for cid in code_ids:
            ra, rb = by_a.get((doc_id, cid), []), by_b.get((doc_id, cid), [])
            if unit == "segment":
                va, vb = _applied(starts, ends, ra), _applied(starts, ends, rb)
                for i in np.nonzero(va != vb)[0]:
                    who = coder_a if va[i] else coder_b
                    disagreements.append((units[int(i)], tree.codes[cid].name, who))
            else:
                n = docs[doc_id][1]
                va, vb = _char_vector(n, ra), _char_vector(n, rb)
            vec_a[cid].append(va)
            vec_b[cid].append(vb)
    per_code = []
    all_a: list[np.ndarray] = []
    all_b: list[np.ndarray] = []
    for cid in code_ids:
        a = np.concatenate(vec_a[cid]) if vec_a[cid] else np.zeros(0, dtype=np.int8)
        b = np.concatenate(vec_b[cid]) if vec_b[cid] else np.zeros(0, dtype=np.int8)
        per_code.append(_stats(tree.codes[cid].name, cid, a, b))
        all_a.append(a)
        all_b.append(b)
    a_all = np.concatenate(all_a) if all_a else np.zeros(0, dtype=np.int8)
    b_all = np.concatenate(all_b) if all_b else np.zeros(0, dtype=np.int8)
    return AgreementResult(
        unit=unit,
        coders=(coder_a, coder_b),
        documents=[docs[i][0] for i in shared],
        overall=_stats("(overall)", "", a_all, b_all),
        per_code=per_code,
        disagreements=disagreements,
    )
