"""End to end with the real bundled model on the sample study (one field-note document, so the
test embeds a few hundred passages, not the whole corpus)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.services.demo import build_demo
from workbench.store import schema as s
from workbench.suggest.engine import SuggestionEngine

pytestmark = pytest.mark.model

DOC = "FN04_elmwood_reception"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    project = build_demo(tmp_path_factory.mktemp("demo")).project
    eng = SuggestionEngine(project, "tester", background=False)
    assert eng.prepare(document=DOC)
    yield eng
    eng.close()


def test_suggestions_accept_and_reject_on_a_sample_document(engine: SuggestionEngine) -> None:
    units = [u for u in engine.units(DOC) if u.worth_suggesting]
    unit = max(units, key=lambda u: len(u.text))  # a long entry: scored per sentence too
    first = engine.for_segment(unit.segment_id, top_k=5)
    assert len(first) == 5
    assert all(0.0 <= x.score <= 1.0 for x in first)
    assert [x.score for x in first] == sorted((x.score for x in first), reverse=True)
    assert all(x.reason and x.document == DOC for x in first)

    accepted, rejected = first[0], first[1]
    row = engine.accept(accepted)
    engine.reject(rejected)
    engine.wait()
    with engine.project.read() as conn:
        coding = conn.execute(
            select(s.codings.c.origin, s.codings.c.coder, s.codings.c.start, s.codings.c.end).where(
                s.codings.c.id == row.id
            )
        ).one()
        feedback = dict(
            conn.execute(
                select(s.suggestion_feedback.c.code_id, s.suggestion_feedback.c.decision).where(
                    s.suggestion_feedback.c.segment_id == unit.segment_id
                )
            ).all()
        )
    assert tuple(coding) == ("suggested", "tester", unit.start, unit.end)
    assert feedback == {accepted.code_id: "accepted", rejected.code_id: "rejected"}

    after = engine.for_segment(unit.segment_id, top_k=5)
    codes_after = [x.code_id for x in after]
    assert accepted.code_id not in codes_after and rejected.code_id not in codes_after
    # the remaining codes move up: the next ranking is a different list
    assert codes_after != [x.code_id for x in first]
