"""Merge plans: write -> apply gives the same merge; edits are applied; bad plans get lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from workbench.codebook.markdown import md_escape
from workbench.codebook.merge import (
    MergeOptions,
    PlanInvalid,
    apply_plan,
    hashed_bow_embed,
    merge_codebooks,
    render_report,
    write_plan,
)
from workbench.codebook.model import iter_codes
from workbench.codebook.yaml_io import dump_codebook, load_codebook, parse_codebook

CODEBOOKS = FIXTURES / "codebooks"
BOW = MergeOptions(meaning_threshold=0.6, split_margin=0.1)


def team_books():  # type: ignore[no-untyped-def]
    return [(n, load_codebook(CODEBOOKS / n)) for n in ("team-a.yaml", "team-b.yaml")]


SMALL = [
    (
        "a.yaml",
        parse_codebook(
            "codebook: A\ncodes:\n  - name: Alpha\n    description: first letter\n  - name: Beta\n"
            "  - name: Gamma\n    children:\n      - name: Delta\n"
        ),
    ),
    (
        "b.yaml",
        parse_codebook(
            "codebook: B\ncodes:\n  - name: Alpha\n  - name: Beta two\n  - name: Delta\n"
        ),
    ),
]


def paths(cb) -> list[str]:  # type: ignore[no-untyped-def]
    return [" > ".join(p) for _, p, _ in iter_codes(cb)]


def test_plan_then_apply_gives_the_same_codebook(tmp_path: Path) -> None:
    books = team_books()
    proposed = merge_codebooks(books, BOW, hashed_bow_embed)
    plan = tmp_path / "plan.yaml"
    plan.write_text(write_plan(proposed), encoding="utf-8")
    applied = apply_plan(books, plan)
    assert dump_codebook(applied.codebook) == dump_codebook(proposed.codebook)
    # and the applied result writes the same plan again
    assert write_plan(applied) == write_plan(proposed)
    assert applied.plan_file == str(plan)
    assert f"decisions applied from {md_escape(str(plan))}" in render_report(applied)


def test_plan_is_readable_yaml_with_evidence() -> None:
    text = write_plan(merge_codebooks(team_books(), BOW, hashed_bow_embed))
    assert text.startswith("# Workbench merge plan for team-a.yaml, team-b.yaml\n")
    assert "plan: 1\nbooks: [team-a.yaml, team-b.yaml]\nentries:\n" in text
    assert (
        "  - action: rename\n    match: clash\n" in text
        and "name: Trust (team-a)}" in text
        and "name: Trust (team-b)}" in text
    )
    assert "    under: {book: team-a.yaml, id: responsibility-of-others/hidden-work" in text
    assert "  # team-b.yaml | Digital inequalities: Older people" in text


def _entry_with(entries: list[dict], code_id: str) -> dict:  # type: ignore[type-arg]
    return next(e for e in entries if any(c["id"] == code_id for c in e["codes"]))


def test_edited_plan_is_applied(tmp_path: Path) -> None:
    books = team_books()
    data = yaml.safe_load(write_plan(merge_codebooks(books, BOW, hashed_bow_embed)))
    entries = data["entries"]
    # 1. the team decides the two Trust codes are one code after all, and names it
    trust = _entry_with(entries, "trust")
    trust.update(action="merge", name="Trust in data")
    for code in trust["codes"]:
        del code["name"]
    # 2. Digital inequalities stays a code of its own, renamed
    merged = _entry_with(entries, "digital-inequalities")
    entries.remove(_entry_with(entries, "mental-health"))
    merged["codes"] = [c for c in merged["codes"] if c["id"] != "digital-inequalities"]
    merged["codes"].append({"book": "team-b.yaml", "id": "mental-health"})
    entries.append(
        {
            "action": "rename",
            "codes": [
                {"book": "team-b.yaml", "id": "digital-inequalities", "name": "Inequalities"}
            ],
        }
    )
    # 3. B's "Staff and workload" is A's "Responsibility of others": its children follow
    entries.remove(_entry_with(entries, "staff-and-workload"))
    resp = _entry_with(entries, "responsibility-of-others")
    resp.update(action="merge")
    resp["codes"].append({"book": "team-b.yaml", "id": "staff-and-workload"})
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    result = apply_plan(books, plan)
    codes = {" > ".join(p): c for c, p, _ in iter_codes(result.codebook)}
    merged_trust = codes["Trust in data"]
    assert [m.codebook for m in merged_trust.merged_from] == ["team-a.yaml", "team-b.yaml"]
    assert merged_trust.aliases == ["Trust"]
    assert "Digital inequalities" in codes["Inequalities"].aliases  # the old name is kept
    assert [m.id for m in codes["Digital exclusion"].merged_from] == [
        "digital-exclusion",
        "mental-health",
    ]
    assert "Staff and workload" not in codes
    assert "Staff and workload" in codes["Responsibility of others"].aliases
    assert "Responsibility of others > Staff capacity and training" not in codes  # merged
    assert "Responsibility of others > Hidden work > Reception workload" in codes  # split kept
    kinds = {(d.kind, d.action) for d in result.decisions}
    assert ("clash", "merge") in kinds and ("plan", "rename") in kinds


def test_codes_left_out_of_the_plan_are_kept_separate(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "plan: 1\nbooks: [a.yaml, b.yaml]\nentries:\n  - action: merge\n    codes:\n"
        "      - {book: a.yaml, id: alpha}\n      - {book: b.yaml, id: Alpha}\n"
    )
    result = apply_plan(SMALL, plan)
    assert paths(result.codebook) == [
        "Alpha",
        "Beta",
        "Gamma",
        "Gamma > Delta",
        "Beta two",
        "Delta",
    ]
    kept = [d for d in result.decisions if d.rule == "not in the plan: kept separate"]
    assert len(kept) == 5


def test_under_places_a_code(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "plan: 1\nbooks: [a.yaml, b.yaml]\nentries:\n  - action: keep-separate\n"
        "    under: {book: a.yaml, id: beta}\n    codes:\n      - {book: b.yaml, id: beta-two}\n"
    )
    result = apply_plan(SMALL, plan)
    assert "Beta > Beta two" in paths(result.codebook)
    assert any(d.kind == "placement" and "Beta > Beta two" in d.result for d in result.decisions)


PLAN_HEAD = "plan: 1\nbooks: [a.yaml, b.yaml]\nentries:\n"
BAD_PLANS = [
    (
        "unknown action",
        "  - action: fold\n    codes:\n      - {book: a.yaml, id: alpha}\n",
        4,
        "entry 1: 'action' must be 'merge', 'keep-separate' or 'rename'",
    ),
    (
        "unknown key",
        "  - action: merge\n    target: x\n    codes:\n      - {book: a.yaml, id: alpha}\n"
        "      - {book: b.yaml, id: alpha}\n",
        5,
        "entry 1: unknown key 'target' (allowed: action, name, match, score, why, under, codes)",
    ),
    (
        "unknown book",
        "  - action: keep-separate\n    codes:\n      - {book: c.yaml, id: alpha}\n",
        6,
        "entry 1: unknown book 'c.yaml' (books: a.yaml, b.yaml)",
    ),
    (
        "unknown code",
        "  - action: keep-separate\n    codes:\n      - {book: a.yaml, id: omega}\n",
        6,
        "entry 1: no code with id 'omega' in a.yaml",
    ),
    (
        "path that does not fit the id",
        "  - action: keep-separate\n    codes:\n      - {book: a.yaml, id: alpha, path: Beta}\n",
        6,
        "entry 1: code 'alpha' of a.yaml is at 'Alpha', not 'Beta'",
    ),
    (
        "code twice",
        "  - action: keep-separate\n    codes:\n      - {book: a.yaml, id: alpha}\n"
        "  - action: keep-separate\n    codes:\n      - {book: a.yaml, id: alpha}\n",
        9,
        "entry 2: code 'alpha' of a.yaml is already in the plan (line 6)",
    ),
    (
        "merge of one code",
        "  - action: merge\n    codes:\n      - {book: a.yaml, id: alpha}\n",
        5,
        "entry 1: a merge needs at least two codes",
    ),
    (
        "merge of two codes of one book",
        "  - action: merge\n    codes:\n      - {book: a.yaml, id: alpha}\n"
        "      - {book: a.yaml, id: beta}\n",
        5,
        "entry 1: a merge takes one code per book; a.yaml has 2",
    ),
    (
        "rename without a name",
        "  - action: rename\n    codes:\n      - {book: a.yaml, id: alpha}\n",
        6,
        "entry 1: rename: 'codes' item 1 has no new 'name'",
    ),
    (
        "under inside itself",
        "  - action: keep-separate\n    under: {book: a.yaml, id: gamma/delta}\n    codes:\n"
        "      - {book: a.yaml, id: gamma}\n",
        4,
        "cannot place 'Gamma' under 'Delta': it would end up inside itself",
    ),
    (
        "two siblings given one name",
        "  - action: rename\n    codes:\n      - {book: a.yaml, id: alpha, name: Same}\n"
        "      - {book: a.yaml, id: beta, name: same}\n",
        4,
        "two codes under the same parent are both named 'same'",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "line", "message"), BAD_PLANS, ids=[c[0] for c in BAD_PLANS]
)
def test_bad_plan_problems_have_lines(
    tmp_path: Path, case: str, body: str, line: int, message: str
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_HEAD + body)
    with pytest.raises(PlanInvalid) as info:
        apply_plan(SMALL, plan)
    assert len(info.value.problems) == 1, info.value.problems
    assert info.value.problems[0].startswith(f"{plan}:{line}: "), info.value.problems
    assert message in info.value.problems[0]


def test_plan_for_other_books_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("plan: 1\nbooks: [b.yaml, a.yaml]\nentries: []\n")
    with pytest.raises(PlanInvalid) as info:
        apply_plan(SMALL, plan)
    assert info.value.problems == [
        f"{plan}:2: the plan is for b.yaml, a.yaml but the merge was given a.yaml, b.yaml; "
        "give the same files in the same order"
    ]


def test_plan_syntax_error_and_several_problems(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("plan: 1\nbooks: [a.yaml, b.yaml\nentries: []\n")
    with pytest.raises(PlanInvalid) as info:
        apply_plan(SMALL, plan)
    assert info.value.problems[0].startswith(f"{plan}:3: YAML syntax error")
    plan.write_text(
        PLAN_HEAD + "  - action: rename\n    codes:\n      - {book: a.yaml, id: alpha}\n"
        "  - action: keep-separate\n    codes:\n      - {book: z.yaml, id: x}\n"
    )
    with pytest.raises(PlanInvalid) as info:
        apply_plan(SMALL, plan)
    assert [p.split(":")[1] for p in info.value.problems] == ["6", "9"]


def test_apply_entries_in_memory_for_a_review_screen() -> None:
    from workbench.codebook.merge import apply_entries

    books = team_books()
    proposed = merge_codebooks(books, BOW, hashed_bow_embed)
    same = apply_entries(books, proposed.entries)
    assert dump_codebook(same.codebook) == dump_codebook(proposed.codebook)
    entries = [e for e in proposed.entries]
    clash = next(e for e in entries if e.kind == "clash")
    clash.action, clash.name = "merge", "Trust"
    for code in clash.codes:
        code.name = None
    merged = apply_entries(books, entries)
    assert "Trust" in paths(merged.codebook)
    assert "Trust (team-a)" not in paths(merged.codebook)
    twice = [*entries, entries[0]]
    with pytest.raises(PlanInvalid, match="is twice"):
        apply_entries(books, twice)
