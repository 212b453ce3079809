"""Codebook YAML: deterministic dump, byte-identical round trips, ids, safe saving."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.codebook.model import (
    Code,
    Codebook,
    default_id,
    effective_id,
    iter_codes,
    slugify,
)
from workbench.codebook.yaml_io import dump_codebook, load_codebook, parse_codebook, save_codebook

CODEBOOKS = FIXTURES / "codebooks"


@pytest.mark.parametrize("name", ["contract-example.yaml", "rich.yaml", "team-a.yaml"])
def test_load_dump_load_dump_is_byte_identical(name: str) -> None:
    first = dump_codebook(load_codebook(CODEBOOKS / name))
    again = parse_codebook(first)
    assert dump_codebook(again) == first
    assert again == load_codebook(CODEBOOKS / name)  # nothing lost on the way


def test_contract_example_dump() -> None:
    text = dump_codebook(load_codebook(CODEBOOKS / "contract-example.yaml"))
    assert text == (
        "codebook: Digital facilitation in general practice\n"
        "version: 1\n"
        "codes:\n"
        "  - name: Modes of facilitation\n"
        "    description: How practices support patients.\n"
        "    children:\n"
        "      - name: Passive facilitation\n"
        "        id: passive-facilitation\n"
        "        description: Support initiated by the practice with no person-to-person "
        "contact.\n"
        "        include: Text messages, leaflets, website banners pointing to online services.\n"
        "        exclude: Answering a patient's own question (use Reactive facilitation).\n"
        "        examples:\n"
        "          - We text everyone on repeat medication with a link to the app.\n"
        "        aliases: [passive support]\n"
        "        color: '#4e79a7'\n"
        "        merged_from:\n"
        "          - {codebook: coder-a.yaml, id: passive}\n"
    )


def test_key_order_and_empty_fields_left_out() -> None:
    code = Code(
        name="N",
        children=[Code(name="C")],
        merged_from=[{"codebook": "a", "id": "x"}],
        guid="g",
        groups=["G"],
        color="#fff",
        aliases=["al"],
        examples=["e"],
        exclude="ex",
        include="in",
        description="d",
        id="i",
    )
    text = dump_codebook(Codebook(codebook="T", codes=[code, Code(name="Bare")]))
    keys = [line.strip().split(":")[0].lstrip("- ") for line in text.splitlines()]
    assert keys[:15] == [
        "codebook",
        "codes",
        "name",
        "id",
        "description",
        "include",
        "exclude",
        "examples",
        "e",
        "aliases",
        "color",
        "groups",
        "guid",
        "merged_from",
        "{codebook",
    ]
    assert text.endswith("  - name: Bare\n")  # no empty lists, no nulls
    assert "version" not in text


def test_unicode_and_long_lines_are_kept_whole() -> None:
    text = dump_codebook(load_codebook(CODEBOOKS / "rich.yaml"))
    assert "日本語のコード" in text and "“rich”" in text
    long_line = next(line for line in text.splitlines() if "deliberately long" in line)
    assert long_line.endswith("must not be wrapped.")
    assert "    description: |\n      How practices support patients.\n" in text


def test_save_writes_atomically(tmp_path: Path) -> None:
    cb = load_codebook(CODEBOOKS / "rich.yaml")
    target = tmp_path / "out.yaml"
    target.write_text("old")
    save_codebook(cb, target)
    assert target.read_text(encoding="utf-8") == dump_codebook(cb)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]  # no temp file left


def test_slugs_and_default_ids() -> None:
    assert slugify("Digital exclusion & inequalities") == "digital-exclusion-inequalities"
    assert slugify("  COVID-19: Closed doors!  ") == "covid-19-closed-doors"
    assert slugify("Café démarche") == "cafe-demarche"
    cjk = slugify("日本語")
    assert cjk.startswith("code-") and len(cjk) == 13 and cjk == slugify("日本語")
    assert default_id(["Modes of facilitation", "Passive"]) == "modes-of-facilitation/passive"


def test_iter_codes_gives_paths_and_parent_ids() -> None:
    cb = load_codebook(CODEBOOKS / "rich.yaml")
    rows = [(effective_id(c, p), p, parent) for c, p, parent in iter_codes(cb)]
    assert rows[:3] == [
        ("modes-of-facilitation", ["Modes of facilitation"], None),
        ("passive", ["Modes of facilitation", "Passive facilitation"], "modes-of-facilitation"),
        ("modes-of-facilitation/2020", ["Modes of facilitation", "2020"], "modes-of-facilitation"),
    ]
    assert len(rows) == 5
