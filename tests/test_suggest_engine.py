"""The suggestion engine: embedding cache, units and exclusions, accept/reject/learn, review
queue, `workbench suggest`, offline model loading and light imports.

Tests marked `model` use the real bundled all-MiniLM-L6-v2 (loaded once per process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ranker_support import WordsEmbedder
from sqlalchemy import func, select

from workbench.codebook.yaml_io import load_codebook
from workbench.errors import WorkbenchError
from workbench.services.codebook_sync import import_codebook
from workbench.services.coding import add_coding, list_codings
from workbench.services.importing import ImportRequest, import_files
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.suggest.cache import CachedEncoder
from workbench.suggest.engine import SuggestionEngine
from workbench.suggest.suggestion import Suggestion

FIX = Path(__file__).parent / "fixtures" / "suggest"
DIM = WordsEmbedder().dim
REPO = Path(__file__).resolve().parents[1]


def make_project(path: Path) -> Path:
    """Two small interviews (through the importer) and a six-code codebook."""
    proj = open_project(path, create=True)
    try:
        import_files(proj, ImportRequest(sorted(FIX.glob("*.txt"))))
        with proj.begin() as conn:
            import_codebook(conn, load_codebook(FIX / "codebook.yaml"))
    finally:
        proj.close()
    return path


def unit_with(engine: SuggestionEngine, snippet: str):  # type: ignore[no-untyped-def]
    return next(u for u in engine.units() if snippet in u.text)


def feedback_rows(path: Path) -> list[tuple[int, str, str, str]]:
    proj = open_project(path)
    with proj.read() as conn:
        f = s.suggestion_feedback
        rows = conn.execute(
            select(f.c.segment_id, f.c.code_id, f.c.decision, f.c.coder).order_by(f.c.id)
        ).all()
    proj.close()
    return [tuple(r) for r in rows]  # type: ignore[misc]


# The cache ---------------------------------------------------------------------------------


def test_cache_embeds_each_text_once_and_survives_a_restart(project_file: Path) -> None:
    proj = open_project(project_file, create=True)
    model = WordsEmbedder()
    enc = CachedEncoder(model, proj)
    first = enc.encode(["a passage", "another passage", "a passage"])
    assert model.seen == ["another passage", "a passage"]  # duplicates once, longest first
    again = enc.encode(["a passage", "another passage"])
    assert len(model.seen) == 2  # nothing new was embedded
    np.testing.assert_array_equal(again, first[:2])
    proj.close()

    proj = open_project(project_file)  # a new process would see the same table
    model2 = WordsEmbedder()
    enc2 = CachedEncoder(model2, proj)
    np.testing.assert_array_equal(enc2.encode(["another passage"]), first[1:2])
    assert model2.seen == []
    with proj.read() as conn:
        row = conn.execute(select(s.embeddings)).first()
        assert row is not None and row.dim == DIM and len(row.vector) == DIM * 4
        assert len(row.text_hash) == 64
    proj.close()


def test_cache_keeps_models_apart(project_file: Path) -> None:
    proj = open_project(project_file, create=True)
    a, b = WordsEmbedder("model-a@1"), WordsEmbedder("model-b@1")
    CachedEncoder(a, proj).encode(["shared text"])
    vec_b = CachedEncoder(b, proj).encode(["shared text"])
    assert b.seen == ["shared text"]  # model b does not reuse model a's vector
    assert CachedEncoder(b, proj).encode(["shared text"]).tolist() == vec_b.tolist()
    with proj.read() as conn:
        ids = conn.execute(select(s.embeddings.c.model_id).order_by(s.embeddings.c.model_id))
        assert [r[0] for r in ids] == ["model-a@1", "model-b@1"]
    proj.close()


def test_fill_reports_progress_and_stops_when_cancelled(project_file: Path) -> None:
    proj = open_project(project_file, create=True)
    model = WordsEmbedder()
    enc = CachedEncoder(model, proj)
    texts = [f"passage number {i}" for i in range(1100)]
    seen: list[tuple[int, int]] = []
    blocks = iter([False, True])  # cancel before the second block
    assert (
        enc.fill(texts, progress=lambda d, n: seen.append((d, n)), cancelled=lambda: next(blocks))
        is False
    )
    assert 0 < len(model.seen) < len(texts)
    assert seen[0] == (0, 1100) and seen[-1][1] == 1100
    assert enc.fill(texts) is True  # the rest, and only the rest
    assert sorted(model.seen) == sorted(texts)
    proj.close()


# The engine with a stand-in model ------------------------------------------------------------


@pytest.fixture
def words_engine(project_file: Path) -> Iterator[SuggestionEngine]:
    make_project(project_file)
    engine = SuggestionEngine(project_file, "tester", encoder=WordsEmbedder())
    yield engine
    engine.close()


def test_long_turns_are_scored_per_sentence(words_engine: SuggestionEngine) -> None:
    long = unit_with(words_engine, "it always lands on us at reception")
    assert long.pieces[0] == long.text and len(long.pieces) == 5  # the turn and 4 sentences
    short = unit_with(words_engine, "No, I worked it out myself.")
    assert short.pieces == (short.text,)
    ranker = words_engine.ranker()
    from workbench.suggest.scoring import score_units

    scored = score_units(ranker, [long])
    pieces = ranker.score(list(long.pieces))
    assert np.all(scored.scores[0] >= pieces.max(axis=0) - 1e-9)  # at least the best piece
    assert np.all(scored.scores[0] <= 1.0)


def test_applied_and_rejected_codes_are_not_suggested(words_engine: SuggestionEngine) -> None:
    turn = unit_with(words_engine, "it always lands on us at reception")
    everything = {x.code_id for x in words_engine.for_segment(turn.segment_id, 10, min_score=0)}
    assert {"no-training", "hidden-work", "covid-19"} <= everything
    # a coding on one sentence of the turn by another coder: the code and its parent go
    sentence = "Nobody ever showed us how the app works."
    with words_engine.project.read() as conn:
        text = conn.execute(
            select(s.documents.c.text).where(s.documents.c.name == "receptionist")
        ).scalar_one()
    start = text.index(sentence)
    with words_engine.project.begin() as conn:
        add_coding(conn, "receptionist", start, start + len(sentence), "no-training", "alice")
    covid = Suggestion(turn.segment_id, turn.document, turn.start, turn.end, "covid-19", 0.5, "")
    words_engine.reject(covid)
    left = {x.code_id for x in words_engine.for_segment(turn.segment_id, 10, min_score=0)}
    assert left == everything - {"no-training", "hidden-work", "covid-19"}


def test_codings_made_elsewhere_retrain_the_learner(words_engine: SuggestionEngine) -> None:
    apps = unit_with(words_engine, "three different apps")
    words_engine.for_segment(apps.segment_id)
    version = words_engine.live.version
    words_engine.for_segment(apps.segment_id)
    assert words_engine.live.version == version  # nothing changed: no refit
    with words_engine.project.begin() as conn:  # coded by hand (the TUI, the CLI, ...)
        add_coding(conn, "receptionist", apps.start, apps.end, "multiple-systems", "alice")
    words_engine.for_segment(apps.segment_id)
    assert words_engine.live.version == version + 1


def test_corpus_suggestions_respect_each_codes_threshold(words_engine: SuggestionEngine) -> None:
    ranker = words_engine.ranker()
    threshold = dict(zip(ranker.codes, ranker.thresholds, strict=True))
    results = words_engine.suggest(top_k=2)
    assert [u.segment_id for u, _ in results] == [u.segment_id for u in words_engine.units()]
    shown = [x for _, items in results for x in items]
    assert all(x.score >= threshold[x.code_id] for x in shown)
    everything = words_engine.suggest(top_k=2, min_score=0.0)
    worthy = [u for u, _ in everything if u.worth_suggesting]
    assert len([x for _, items in everything for x in items]) == 2 * len(worthy) > len(shown)
    # interviewer prompts and back-channel turns are not offered corpus-wide
    skipped = [u for u, items in everything if not items]
    assert skipped and all(u.speaker == "Interviewer" or len(u.text.split()) < 6 for u in skipped)
    assert any(u.speaker == "Interviewer" for u in skipped)


def test_queue_skips_decided_and_shown_items(words_engine: SuggestionEngine) -> None:
    queue = words_engine.queue(order="confident", min_score=0.0)
    first = next(queue)
    words_engine.accept(first)
    words_engine.wait()
    rest = list(queue)
    pairs = [(x.segment_id, x.code_id) for x in rest]
    assert (first.segment_id, first.code_id) not in pairs
    assert len(pairs) == len(set(pairs))
    uncertain = list(words_engine.queue(order="uncertain"))
    assert (first.segment_id, first.code_id) not in {(x.segment_id, x.code_id) for x in uncertain}
    with pytest.raises(WorkbenchError):
        next(words_engine.queue(order="random"))  # type: ignore[arg-type]


def test_no_codebook_is_a_one_line_error(project_file: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--project", project_file).code == 0
    r = cli("suggest", "--project", project_file, "--format", "json")
    assert r.code == 2 and r.out == ""
    assert r.err.strip() == (
        "the project has no codes: import a codebook first (workbench codebook import FILE)"
    )


def test_front_ends_import_no_model_stack() -> None:
    code = (
        "import sys\n"
        "import workbench.cli, workbench.cli.suggest_cmds, workbench.tui.app\n"
        "import workbench.tui.suggestions, workbench.suggest, workbench.suggest.engine\n"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    from workbench.tui.suggestions import Suggestion as TuiSuggestion

    assert TuiSuggestion is Suggestion  # one dataclass, defined in the core


# The real model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project with every text embedded by the bundled model (done once)."""
    path = make_project(tmp_path_factory.mktemp("suggest") / "prepared.sqlite")
    engine = SuggestionEngine(path, "tester")
    progress: list[tuple[int, int]] = []
    assert engine.prepare(lambda d, n: progress.append((d, n)), lambda: False)
    assert progress[-1][0] == progress[-1][1] > 0
    engine.close()
    return path


@pytest.fixture
def model_engine(prepared: Path, tmp_path: Path) -> Iterator[SuggestionEngine]:
    path = tmp_path / "study.sqlite"
    shutil.copy(prepared, path)
    engine = SuggestionEngine(path, "tester")
    yield engine
    engine.close()


@pytest.mark.model
def test_model_suggestions_for_a_segment(model_engine: SuggestionEngine) -> None:
    apps = unit_with(model_engine, "three different apps")
    found = model_engine.for_segment(apps.segment_id, top_k=3, min_score=0.0)
    assert model_engine.encoder.embedded == 0  # the cache had everything
    assert len(found) == 3
    assert [x.score for x in found] == sorted((x.score for x in found), reverse=True)
    assert all(0.0 <= x.score <= 1.0 and x.reason for x in found)
    assert all(
        (x.document, x.start, x.end) == ("receptionist", apps.start, apps.end) for x in found
    )
    assert "multiple-systems" in [x.code_id for x in found]
    anxiety = unit_with(model_engine, "With my anxiety")
    assert "online-easier" in [
        x.code_id for x in model_engine.for_segment(anxiety.segment_id, 3, 0.0)
    ]


@pytest.mark.model
def test_model_accept_codes_the_segment(model_engine: SuggestionEngine) -> None:
    covid = unit_with(model_engine, "Since COVID the doors were shut")
    every = model_engine.for_segment(covid.segment_id, top_k=6)
    pick = next(x for x in every if x.code_id == "covid-19")
    model_engine.accept(pick)
    proj = model_engine.project
    with proj.read() as conn:
        mine = list_codings(conn, coder="tester")
    assert [(c.start, c.end, c.code_id, c.origin) for c in mine] == [
        (covid.start, covid.end, "covid-19", "suggested")
    ]
    assert feedback_rows(proj.path) == [(covid.segment_id, "covid-19", "accepted", "tester")]
    assert "covid-19" not in [x.code_id for x in model_engine.for_segment(covid.segment_id, 5, 0.0)]


@pytest.mark.model
def test_model_reject_is_remembered_and_teaches_the_learner(model_engine: SuggestionEngine) -> None:
    older = unit_with(model_engine, "A lot of our older patients")
    before = model_engine.ranker().score([older.text])[0]
    col = model_engine.ranker().codes.index("digital-exclusion")
    [pick] = [
        x
        for x in model_engine.for_segment(older.segment_id, 6, 0.0)
        if x.code_id == "digital-exclusion"
    ]
    model_engine.reject(pick)
    after = model_engine.ranker().score([older.text])[0]  # waits for the background refit
    assert after[col] < before[col]  # the rejection is a negative for the learner
    assert "digital-exclusion" not in [
        x.code_id for x in model_engine.for_segment(older.segment_id, 6, 0.0)
    ]
    assert feedback_rows(model_engine.project.path) == [
        (older.segment_id, "digital-exclusion", "rejected", "tester")
    ]
    path = model_engine.project.path
    fresh = SuggestionEngine(path, "someone-else")  # remembered across restarts and coders
    try:
        assert "digital-exclusion" not in [
            x.code_id for x in fresh.for_segment(older.segment_id, 6, 0.0)
        ]
    finally:
        fresh.close()


@pytest.mark.model
def test_model_cli_json_offline(prepared: Path, tmp_path: Path) -> None:
    """`workbench suggest --format json` in a fresh process whose sockets all fail: the model
    loads and suggestions come out without any network access being attempted."""
    path = tmp_path / "study.sqlite"
    shutil.copy(prepared, path)
    script = (
        "import socket, sys\n"
        "def deny(*a, **k):\n"
        "    sys.stderr.write('NETWORK ATTEMPT\\n')\n"
        "    raise OSError('network disabled by the test')\n"
        "socket.socket.connect = deny\n"
        "socket.socket.connect_ex = deny\n"
        "socket.create_connection = deny\n"
        "socket.getaddrinfo = deny\n"
        "from workbench.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "suggest",
            "--project",
            str(path),
            "--format",
            "json",
            "--min-score",
            "0",
            "--top-k",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "NETWORK ATTEMPT" not in r.stderr
    rows = json.loads(r.stdout)
    assert rows and all(
        set(row) == {"document", "segment", "start", "end", "code", "score", "reason"}
        for row in rows
    )
    per_segment: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        per_segment.setdefault((row["document"], row["segment"]), []).append(row["score"])
    assert all(len(v) == 2 and v == sorted(v, reverse=True) for v in per_segment.values())
    proj = open_project(path)
    with proj.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.codings)).scalar_one() == 0
    proj.close()


def test_near_duplicate_spans_become_one_training_row() -> None:
    from workbench.suggest.corpus import merge_near_duplicates

    spans = {
        (1, 100, 200): {"a"},  # coder 1
        (1, 105, 200): {"b"},  # coder 2, nearly the same passage
        (1, 120, 140): {"c"},  # one sentence inside it: its own row
        (2, 100, 200): {"d"},  # another document
    }
    merged = merge_near_duplicates(spans)
    assert merged == {(1, 100, 200): {"a", "b"}, (1, 120, 140): {"c"}, (2, 100, 200): {"d"}}


def test_the_fit_is_given_the_embedded_passages_as_background(
    words_engine: SuggestionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranker is told how common each code is from the project's passages already
    embedded (never embedding any for it), however many passages are coded; it may learn
    only from those of them no coding overlaps (self-training)."""
    from workbench.suggest import engine as engine_mod

    seen: list[list[str]] = []
    learnt: list[list[str]] = []
    fit, self_trained = engine_mod.Ranker.fit, engine_mod.Ranker.self_trained

    def spy(self, texts, positives, negatives=None, unlabelled=()):  # type: ignore[no-untyped-def]
        seen.append(list(unlabelled))
        return fit(self, texts, positives, negatives, unlabelled=unlabelled)

    def spy_refine(self, uncoded):  # type: ignore[no-untyped-def]
        learnt.append(list(uncoded))
        return self_trained(self, uncoded)

    monkeypatch.setattr(engine_mod.Ranker, "fit", spy)
    monkeypatch.setattr(engine_mod.Ranker, "self_trained", spy_refine)
    assert words_engine._embedded_passages(1000) == []  # nothing embedded yet: no background
    assert words_engine.prepare()  # the corpus embedded (and a fit)
    background = words_engine._embedded_passages(1000)
    corpus = {u.text for u in words_engine.units() if u.worth_suggesting}
    assert background and set(background) <= corpus
    assert not words_engine.encoder.missing(background)
    words_engine.retrain()
    words_engine.live.settle()  # the refine (self-training) runs after the plain refit
    assert seen and set(seen[-1]) == set(background)
    assert len(words_engine._embedded_passages(2)) <= 2
    assert set(learnt[-1]) <= set(background)
    # a few words of one unit coded (by anyone): that unit is no longer learnt from
    unit = next(u for u in words_engine.units() if u.text in learnt[-1] and len(u.text) > 40)
    with words_engine.project.begin() as conn:
        add_coding(conn, unit.document, unit.start + 2, unit.start + 20, "covid-19", "alice")
    words_engine.retrain()
    words_engine.live.settle()
    assert unit.text in seen[-1] and unit.text not in learnt[-1]
    assert set(learnt[-1]) == set(learnt[-2]) - {unit.text}


def test_a_code_added_elsewhere_is_known_to_the_next_suggestions(
    words_engine: SuggestionEngine, project_file: Path
) -> None:
    """The engine keeps the code tree between requests, read again when the store moved: a
    sub-code added and applied by another process takes its parent out of the suggestions."""
    turn = unit_with(words_engine, "it always lands on us at reception")
    before = {x.code_id for x in words_engine.for_segment(turn.segment_id, 10, min_score=0)}
    assert "hidden-work" in before
    other = (  # another process, as the CLI in a second terminal would be
        "import sys\n"
        "from pathlib import Path\n"
        "from workbench.services.code_edit import add_code\n"
        "from workbench.services.coding import add_coding\n"
        "from workbench.store.db import open_project\n"
        "p = open_project(Path(sys.argv[1]))\n"
        "with p.begin() as conn:\n"
        "    c = add_code(conn, 'Front desk chores', parent_id='hidden-work').id\n"
        "    add_coding(conn, 'receptionist', int(sys.argv[2]), int(sys.argv[3]), c, 'alice')\n"
        "p.close()\n"
        "print(c)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", other, str(project_file), str(turn.start), str(turn.end)],
        capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    child = done.stdout.strip()
    after = {x.code_id for x in words_engine.for_segment(turn.segment_id, 10, min_score=0)}
    assert "hidden-work" not in after and child not in after
