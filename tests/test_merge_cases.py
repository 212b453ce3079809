"""Codebook merge: each planted case of tests/fixtures/codebooks/team-*.yaml gets its outcome.

Meaning matching uses a deterministic bag-of-words stand-in for the model here (thresholds
set for it); tests/test_merge_model.py runs the real model.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from workbench.codebook.merge import (
    MergeOptions,
    MergeResult,
    apply_plan,
    hashed_bow_embed,
    merge_codebooks,
    render_report,
    write_plan,
)
from workbench.codebook.model import Code, Codebook, iter_codes
from workbench.codebook.yaml_io import dump_codebook, load_codebook, parse_codebook
from workbench.errors import WorkbenchError

CODEBOOKS = FIXTURES / "codebooks"
BOW = MergeOptions(meaning_threshold=0.6, split_margin=0.1)


def team_books() -> list[tuple[str, object]]:
    return [(n, load_codebook(CODEBOOKS / n)) for n in ("team-a.yaml", "team-b.yaml")]


@pytest.fixture(scope="module")
def result() -> MergeResult:
    return merge_codebooks(team_books(), BOW, hashed_bow_embed)  # type: ignore[arg-type]


def by_path(result: MergeResult) -> dict[str, Code]:
    return {" > ".join(p): c for c, p, _ in iter_codes(result.codebook)}


def sources(code: Code) -> list[tuple[str, str]]:
    return [(m.codebook, m.id) for m in code.merged_from]


def decision_kinds(result: MergeResult, path: str) -> set[tuple[str, str]]:
    return {(d.kind, d.action) for d in result.decisions if path in d.result}


def test_same_idea_under_different_names_merges_by_meaning(result: MergeResult) -> None:
    codes = by_path(result)
    merged = codes["Digital exclusion"]
    assert merged.aliases == ["Digital inequalities"]
    assert sources(merged) == [
        ("team-a.yaml", "digital-exclusion"),
        ("team-b.yaml", "digital-inequalities"),
    ]
    assert ("meaning", "merge") in decision_kinds(result, "Digital exclusion")
    assert "Digital inequalities" not in codes
    top = codes["Modes of facilitation"]  # parent of the modes, named differently in B
    assert "Ways practices help" in top.aliases


def test_alias_in_one_book_only(result: MergeResult) -> None:
    merged = by_path(result)["Multiple systems"]
    # every distinct spelling of a source name is kept, so codings under either one map
    assert merged.aliases == ["too many apps", "Too many apps"]
    assert [m.path for m in merged.merged_from] == ["Multiple systems", "Too many apps"]
    assert ("alias", "merge") in decision_kinds(result, "Multiple systems")


def test_same_id_merges_and_keeps_the_other_name_as_alias(result: MergeResult) -> None:
    merged = by_path(result)["Modes of facilitation > Reactive facilitation"]
    assert merged.id == "reactive"
    assert merged.aliases == ["Responding to patient queries"]
    assert ("id", "merge") in decision_kinds(
        result, "Modes of facilitation > Reactive facilitation"
    )


def test_fuzzy_name(result: MergeResult) -> None:
    merged = by_path(result)["Staff training and capacity"]
    assert merged.aliases == ["Staff capacity and training"]
    assert ("fuzzy", "merge") in decision_kinds(result, "Staff training and capacity")


def test_one_code_split_into_two_becomes_sub_codes(result: MergeResult) -> None:
    codes = by_path(result)
    hidden = codes["Responsibility of others > Hidden work"]
    assert [c.name for c in hidden.children] == ["Reception workload", "Tech-savvy default"]
    assert "Staff and workload > Reception workload" not in codes
    split = [c for c in result.conflicts if c.kind == "split"]
    assert len(split) == 1
    assert {r.path for r in split[0].codes} == {
        "Responsibility of others > Hidden work",
        "Staff and workload > Reception workload",
        "Staff and workload > Tech-savvy default",
    }


def test_different_parents_first_book_wins_and_is_flagged(result: MergeResult) -> None:
    codes = by_path(result)
    assert "Modes of facilitation > Proactive facilitation" in codes
    assert "Staff and workload > Proactive facilitation" not in codes
    parent = [c for c in result.conflicts if c.kind == "parent"]
    assert any(
        "'Proactive facilitation' sits under 'Modes of facilitation' in team-a.yaml but under "
        "'Staff and workload' in team-b.yaml" in c.message
        for c in parent
    ), [c.message for c in parent]


def test_leaf_in_one_book_parent_in_the_other(result: MergeResult) -> None:
    passive = by_path(result)["Modes of facilitation > Passive facilitation"]
    assert [c.name for c in passive.children] == ["Text messages", "Leaflets and posters"]
    rules = [d.rule for d in result.decisions if d.kind == "placement"]
    assert any("has sub-codes in team-b.yaml but none in team-a.yaml" in r for r in rules)


def test_genuine_name_clash_is_never_merged(result: MergeResult) -> None:
    codes = by_path(result)
    assert "Trust" not in codes
    a, b = codes["Trust (team-a)"], codes["Trust (team-b)"]
    assert sources(a) == [("team-a.yaml", "trust")] and sources(b) == [("team-b.yaml", "trust")]
    assert "Trust" not in a.aliases + b.aliases  # would point at two codes
    assert "data" in (a.description or "") and "hospital" in (b.description or "")
    clash = [c for c in result.conflicts if c.kind == "clash"]
    assert len(clash) == 1 and "'Trust' means different things" in clash[0].message


def test_codes_only_one_coder_has_are_kept(result: MergeResult) -> None:
    codes = by_path(result)
    assert sources(codes["COVID-19"]) == [("team-a.yaml", "covid-19")]
    assert sources(codes["Mental health"]) == [("team-b.yaml", "mental-health")]
    assert ("new", "keep-separate") in decision_kinds(result, "Mental health")


def test_nothing_is_lost(result: MergeResult) -> None:
    """Every source code is in exactly one merged code's merged_from."""
    seen = [s for c, _, _ in iter_codes(result.codebook) for s in sources(c)]
    expected = [
        (label, cid)
        for label, cb in team_books()
        for cid in (c.id or "/".join(_slug_path(p)) for c, p, _ in iter_codes(cb))  # type: ignore[arg-type]
    ]
    assert sorted(seen) == sorted(expected)
    assert result.counts == {"team-a.yaml": 11, "team-b.yaml": 14, "merged": 18}


def _slug_path(path: list[str]) -> list[str]:
    from workbench.codebook.model import slugify

    return [slugify(p) for p in path]


def test_result_is_a_valid_codebook(result: MergeResult) -> None:
    text = dump_codebook(result.codebook)
    assert dump_codebook(parse_codebook(text)) == text


def test_report_lists_decisions_evidence_and_conflicts(result: MergeResult) -> None:
    report = render_report(result)
    assert report.startswith("# Codebook merge report\n")
    assert f"## Conflicts for a human ({len(result.conflicts)})" in report
    assert f"## Decisions ({len(result.decisions)})" in report
    assert "### C" in report and "Name clash" in report and "Possible split" in report
    # both definitions of a merge are shown with the rule and score
    assert "merge — meaning (0.90)" in report
    assert "Older people, people on low incomes" in report
    assert "are excluded from online access." in report
    assert "**Meaning matching:** used (meaning score >= 0.60)" in report


def test_without_a_model_meaning_is_skipped_and_said(tmp_path: Path) -> None:
    result = merge_codebooks(team_books())  # type: ignore[arg-type]
    codes = by_path(result)
    assert "Digital inequalities" in codes and "Digital exclusion" in codes
    assert not any(d.kind == "meaning" for d in result.decisions)
    assert result.meaning.startswith("skipped: no embedding model")
    assert "**Meaning matching:** skipped: no embedding model" in render_report(result)
    # clashes are still caught by the definitions' shared words
    assert "Trust (team-a)" in codes and "Trust (team-b)" in codes


def test_same_inputs_give_byte_identical_outputs() -> None:
    one = merge_codebooks(team_books(), BOW, hashed_bow_embed)  # type: ignore[arg-type]
    two = merge_codebooks(team_books(), BOW, hashed_bow_embed)  # type: ignore[arg-type]
    assert dump_codebook(one.codebook) == dump_codebook(two.codebook)
    assert render_report(one) == render_report(two)
    assert write_plan(one) == write_plan(two)


def test_output_does_not_depend_on_hash_seed() -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from workbench.codebook.merge import *\n"
        "from workbench.codebook.yaml_io import load_codebook, dump_codebook\n"
        f"d = Path({str(CODEBOOKS)!r})\n"
        "books = [(n, load_codebook(d / n)) for n in ('team-a.yaml', 'team-b.yaml')]\n"
        "r = merge_codebooks(books, MergeOptions(meaning_threshold=0.6, split_margin=0.1),"
        " hashed_bow_embed)\n"
        "sys.stdout.write(dump_codebook(r.codebook) + render_report(r) + write_plan(r))\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1


def test_three_books_merge_into_one_valid_codebook() -> None:
    books = team_books()
    c = parse_codebook(
        "codebook: Coder C\ncodes:\n"
        "  - name: Hidden Work\n    description: Unseen support work by reception staff.\n"
        "  - name: Trust\n    description: Whether patients trust that their health data "
        "is secure and private online.\n"
        "  - name: Mental health\n    aliases: [MH]\n"
        "  - name: Online consultation forms\n",
    )
    result = merge_codebooks([*books, ("coder-c.yaml", c)], BOW, hashed_bow_embed)  # type: ignore[list-item]
    codes = by_path(result)
    text = dump_codebook(result.codebook)
    assert dump_codebook(parse_codebook(text)) == text
    assert ("coder-c.yaml", "hidden-work") in sources(
        codes["Responsibility of others > Hidden work"]
    )
    assert ("coder-c.yaml", "trust") in sources(codes["Trust (team-a)"])  # same meaning as A's
    assert ("coder-c.yaml", "mental-health") in sources(codes["Mental health"])
    assert "Online consultation forms" in codes
    assert result.counts["merged"] == 19


def test_needs_two_books_with_distinct_labels() -> None:
    books = team_books()
    with pytest.raises(WorkbenchError, match="at least two"):
        merge_codebooks(books[:1])  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="share a label"):
        merge_codebooks([books[0], books[0]])  # type: ignore[list-item]


def test_split_the_other_way_keeps_the_broad_code_separate() -> None:
    books = list(reversed(team_books()))  # B (two narrow codes) first, A (one broad code) second
    result = merge_codebooks(books, BOW, hashed_bow_embed)  # type: ignore[arg-type]
    codes = by_path(result)
    assert sources(codes["Responsibility of others > Hidden work"]) == [
        ("team-a.yaml", "responsibility-of-others/hidden-work")
    ]
    assert sources(codes["Staff and workload > Reception workload"]) == [
        ("team-b.yaml", "staff-and-workload/reception-workload")
    ]
    split = [c for c in result.conflicts if c.kind == "split"]
    assert len(split) == 1
    assert "'Hidden work' of team-a.yaml matches 'Reception workload', 'Tech-savvy default'" in (
        split[0].message
    )
    assert not any(d.kind == "new" and "Hidden work" in d.result[0] for d in result.decisions)


def test_a_split_below_the_merge_threshold_only_flags(tmp_path: Path) -> None:
    """Parts of a broad code that score between `split_threshold` and the merge threshold:
    flagged as a possible split, nothing merged, nothing moved; the plan reproduces it."""
    books = two_books(
        [
            Code(
                name="Burnout",
                description="Teachers worn out: tired, drained, distant from pupils and "
                "feeling they achieve nothing.",
            )
        ],
        [
            Code(
                name="Exhaustion", description="Teachers tired and drained at the end of the day."
            ),
            Code(name="Detachment", description="Teachers distant and cold towards pupils."),
        ],
    )
    weak = MergeOptions(meaning_threshold=0.9, split_threshold=0.3, split_margin=0.3)
    result = merge_codebooks(books, weak, hashed_bow_embed)
    [split] = [c for c in result.conflicts if c.kind == "split"]
    assert "below the merge threshold); left where they are" in split.message
    assert [c.name for c in result.codebook.codes] == ["Burnout", "Exhaustion", "Detachment"]
    assert not any(d.action == "merge" for d in result.decisions)
    plan = tmp_path / "plan.yaml"
    plan.write_text(write_plan(result), encoding="utf-8")
    applied = apply_plan(books, plan)
    assert dump_codebook(applied.codebook) == dump_codebook(result.codebook)
    # above every score: no split evidence at all
    strict = MergeOptions(meaning_threshold=0.9, split_threshold=0.95, split_margin=0.3)
    assert not merge_codebooks(books, strict, hashed_bow_embed).conflicts


# --- definitions compared without the code's own name; opposite poles; merged spellings ------


def two_books(a: list[Code], b: list[Code]) -> list[tuple[str, Codebook]]:
    return [
        ("a.yaml", Codebook(codebook="A", codes=a)),
        ("b.yaml", Codebook(codebook="B", codes=b)),
    ]


TRUST_A = Code(
    name="Trust",
    description="Mentions of the NHS trust as an organisation: the trust board, trust "
    "policies and decisions the trust makes.",
)
TRUST_B = Code(
    name="Trust",
    description="Whether patients trust their doctor: trust in the clinician's honesty and "
    "judgement, and losing that trust.",
)


@pytest.mark.parametrize("embed", [None, hashed_bow_embed], ids=["no model", "bow model"])
def test_a_shared_name_word_is_not_agreement(embed) -> None:  # type: ignore[no-untyped-def]
    """Both definitions say 'trust' four times and share nothing else: a clash, not a merge."""
    result = merge_codebooks(two_books([TRUST_A], [TRUST_B]), MergeOptions(), embed)
    assert not any(d.action == "merge" for d in result.decisions)
    assert [c.kind for c in result.conflicts] == ["clash"]
    assert {c.name for c in result.codebook.codes} == {"Trust (a)", "Trust (b)"}


def test_same_name_reworded_still_merges() -> None:
    a = Code(name="Parking", description="Car parking spaces and charges at the hospital.")
    b = Code(name="parking", description="Finding a car space at the hospital and its charges.")
    result = merge_codebooks(two_books([a], [b]))
    assert [c.name for c in result.codebook.codes] == ["Parking"]
    assert result.codebook.codes[0].aliases == ["parking"]
    assert not result.conflicts


def test_opposite_poles_are_never_matched_by_meaning_or_fuzzy_name() -> None:
    a = Code(name="Positive experience", description="Overall praise of the service.")
    b = Code(name="Negative experience", description="Overall praise of the service.")
    c = Code(name="Barriers", description="What makes the change harder to put in place.")
    d = Code(name="Facilitators", description="What makes the change harder to put in place.")
    options = MergeOptions(meaning_threshold=0.5, fuzzy_threshold=60)
    result = merge_codebooks(two_books([a, c], [b, d]), options, hashed_bow_embed)
    assert not any(x.action == "merge" for x in result.decisions)
    assert len(result.codebook.codes) == 4


def hidden_work_books() -> list[tuple[str, Codebook]]:
    a = Code(
        name="Hidden work",
        id="hidden",
        description="Support work absorbed by reception staff without recognition.",
    )
    b = Code(
        name="Staff roles",
        id="roles",
        children=[
            Code(
                name="hidden-work",
                id="hw",
                description="Unrecognised support work that falls on receptionists.",
            )
        ],
    )
    return two_books([a], [b])


def test_every_source_spelling_becomes_an_alias() -> None:
    result = merge_codebooks(hidden_work_books())
    merged = by_path(result)["Hidden work"]
    assert merged.aliases == ["hidden-work"]
    assert [(m.codebook, m.id) for m in merged.merged_from] == [
        ("a.yaml", "hidden"),
        ("b.yaml", "hw"),
    ]
    text = dump_codebook(result.codebook)
    assert dump_codebook(parse_codebook(text)) == text


def test_codings_under_another_spelling_map_onto_the_merged_code(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A colleague's codings CSV says `hidden-work`; the merged book names it `Hidden work`
    (id `hidden`); neither its id nor its path says `hidden-work`: only the alias maps it."""
    merged = tmp_path / "merged.yaml"
    merged.write_text(dump_codebook(merge_codebooks(hidden_work_books()).codebook), "utf-8")
    project = tmp_path / "study.sqlite"
    doc = tmp_path / "interview_a.txt"
    doc.write_text((FIXTURES / "core" / "interview_a.txt").read_text("utf-8"), "utf-8")
    assert cli("import", doc, "--project", project).code == 0
    assert cli("codebook", "import", merged, "--project", project).code == 0
    csv = tmp_path / "coder-b.csv"
    csv.write_text(
        "document,start,end,code,coder\ninterview_a,138,188,hidden-work,coder-b\n", "utf-8"
    )
    res = cli("import", csv, "--project", project)
    assert res.code == 0, res.err
    from workbench.store import schema as s
    from workbench.store.db import open_project

    proj = open_project(project)
    try:
        with proj.read() as conn:
            rows = conn.execute(s.codings.select()).mappings().all()
    finally:
        proj.close()
    assert [(r["code_id"], r["coder"], r["start"], r["end"]) for r in rows] == [
        ("hidden", "coder-b", 138, 188)
    ]
