"""Seeded random codebooks: every merge validates, loses nothing and survives plan/apply."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from workbench.codebook.merge import MergeOptions, apply_plan, hashed_bow_embed, merge_codebooks
from workbench.codebook.merge import write_plan as plan_of
from workbench.codebook.model import Code, Codebook, effective_id, iter_codes
from workbench.codebook.yaml_io import CodebookInvalid, dump_codebook, parse_codebook

WORDS = (
    "trust data access staff work hidden digital exclusion older apps systems covid training "
    "passive reactive proactive support online booking patients reception"
).split()


def _code(rng: random.Random, depth: int, used: set[str]) -> Code:
    name = " ".join(rng.sample(WORDS, rng.randint(1, 2))).capitalize()
    while name.lower() in used:
        name = " ".join(rng.sample(WORDS, rng.randint(1, 2))).capitalize()
    used.add(name.lower())
    extra: dict[str, object] = {}
    if rng.random() < 0.7:
        extra["description"] = " ".join(rng.choices(WORDS, k=rng.randint(3, 10)))
    if rng.random() < 0.2:
        extra["aliases"] = [" ".join(rng.sample(WORDS, 2))]
    if rng.random() < 0.15:
        extra["id"] = rng.choice(["x1", "x2", "shared"])
    kids: list[Code] = []
    if depth < 3 and rng.random() < 0.5:
        kid_names: set[str] = set()
        kids = [_code(rng, depth + 1, kid_names) for _ in range(rng.randint(1, 3))]
    return Code(name=name, children=kids, **extra)  # type: ignore[arg-type]


def _book(rng: random.Random, title: str) -> Codebook:
    while True:
        used: set[str] = set()
        cb = Codebook(codebook=title, codes=[_code(rng, 0, used) for _ in range(rng.randint(1, 6))])
        try:  # random ids may collide: draw again
            return parse_codebook(dump_codebook(cb))
        except CodebookInvalid:
            continue


@pytest.mark.parametrize("seed", range(40))
def test_random_merges_are_valid_complete_and_replayable(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    books = [(f"b{i}.yaml", _book(rng, f"B{i}")) for i in range(rng.choice([2, 2, 3]))]
    embed = hashed_bow_embed if seed % 2 else None
    result = merge_codebooks(books, MergeOptions(meaning_threshold=0.5, split_margin=0.2), embed)
    text = dump_codebook(result.codebook)
    assert dump_codebook(parse_codebook(text)) == text
    seen = sorted(
        (m.codebook, m.id) for c, _, _ in iter_codes(result.codebook) for m in c.merged_from
    )
    assert seen == sorted((lb, effective_id(c, p)) for lb, b in books for c, p, _ in iter_codes(b))
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_of(result), encoding="utf-8")
    assert dump_codebook(apply_plan(books, plan).codebook) == text
