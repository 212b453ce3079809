"""Coder disagreements in reading order: where two coders' segment-level codings differ, each
with its settlement if one was made (workbench.services.resolve writes those).

Analysis sits above services: this module computes agreement (workbench.analysis.agreement)
and reads codings and resolutions through the services, never the other way round.
"""

from __future__ import annotations

from sqlalchemy import Connection

from workbench.analysis.agreement import compute_agreement
from workbench.services.coding import CodingRow, list_codings
from workbench.services.resolve import Disagreement, list_resolutions


def list_disagreements(conn: Connection, coder_a: str, coder_b: str) -> list[Disagreement]:
    """Segment-level disagreements between two coders in reading order (document, segment),
    each with its resolution (if any)."""
    result = compute_agreement(conn, coder_a, coder_b, unit="segment")
    ids_by_name: dict[str, list[str]] = {}
    for c in result.per_code:
        ids_by_name.setdefault(c.code, []).append(c.code_id)
    done = {
        (r.document_id, r.segment, r.code_id): r for r in list_resolutions(conn, coder_a, coder_b)
    }
    codings: dict[str, list[CodingRow]] = {}
    taken: set[tuple[int, int, str]] = set()
    out = []
    for unit, name, who in result.disagreements:
        ids = ids_by_name.get(name, [])
        if len(ids) > 1:  # codes that share a name: one `who` applied here, not yet listed
            rows = codings.setdefault(who, list_codings(conn, coder=who))
            ids = [
                c.code_id
                for c in rows
                if c.code_id in ids
                and (unit.document_id, unit.segment, c.code_id) not in taken
                and c.document_id == unit.document_id
                and c.start < unit.end
                and c.end > unit.start
            ][:1]
        if not ids:
            continue
        taken.add((unit.document_id, unit.segment, ids[0]))
        out.append(
            Disagreement(
                document=unit.document,
                document_id=unit.document_id,
                segment=unit.segment,
                speaker=unit.speaker,
                start=unit.start,
                end=unit.end,
                code=name,
                code_id=ids[0],
                applied_by=who,
                missing_from=coder_b if who == coder_a else coder_a,
                resolution=done.get((unit.document_id, unit.segment, ids[0])),
            )
        )
    return sorted(out, key=lambda d: (d.document, d.segment))  # reading order; codes stable
