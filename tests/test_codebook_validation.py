"""Codebook validation: every problem as `FILE:LINE: message`, all of them at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.codebook.yaml_io import CodebookInvalid, load_codebook, parse_codebook
from workbench.errors import WorkbenchError

CODEBOOKS = FIXTURES / "codebooks"


def problems_of(tmp_path: Path, text: str | bytes, name: str = "cb.yaml") -> list[str]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookInvalid) as info:
        load_codebook(path)
    assert isinstance(info.value, WorkbenchError)
    return info.value.problems


# (case, yaml text, the one expected problem: line, message fragment)
CASES = [
    (
        "unknown key",
        "codebook: T\ncodes:\n  - name: A\n    colour: red\n",
        4,
        "code 'A': unknown key 'colour' (allowed: name, id, description, include, exclude, "
        "examples, aliases, color, groups, guid, merged_from, children)",
    ),
    (
        "unknown top-level key",
        "codebook: T\ntitle: x\ncodes:\n  - name: A\n",
        2,
        "unknown key 'title' (allowed: codebook, version, codes)",
    ),
    (
        "missing name",
        "codebook: T\ncodes:\n  - name: A\n    children:\n      - description: no name\n",
        5,
        "code #1 under 'A': missing 'name'",
    ),
    (
        "empty name",
        "codebook: T\ncodes:\n  - name: '  '\n",
        3,
        "'name' is empty",
    ),
    (
        "duplicate sibling names",
        "codebook: T\ncodes:\n  - name: Hidden work\n  - name: Other\n  - name: ' hidden   WORK'\n",
        5,
        "duplicate name 'hidden   WORK' among the codes at the top level (first at line 3;",
    ),
    (
        "bad colour",
        "codebook: T\ncodes:\n  - name: A\n    color: '#12345'\n",
        4,
        "code 'A': bad color '#12345': use \"#RGB\" or \"#RRGGBB\" (hex digits)",
    ),
    (
        "colour lost to a YAML comment",
        "codebook: T\ncodes:\n  - name: A\n    color: #4e79a7\n",
        4,
        "'color' is empty: YAML reads a '#' after ': ' as the start of a comment; quote the value",
    ),
    (
        "codes not a list",
        "codebook: T\ncodes:\n  name: A\n",
        2,
        "'codes' must be a list, not a mapping",
    ),
    (
        "examples not a list",
        "codebook: T\ncodes:\n  - name: A\n    examples: just one quote\n",
        4,
        "code 'A': 'examples' must be a list, not text",
    ),
    (
        "examples item not text",
        "codebook: T\ncodes:\n  - name: A\n    examples:\n      - fine\n      - {a: b}\n",
        6,
        "code 'A': 'examples' item 2 must be text, not a mapping",
    ),
    (
        "description not text",
        "codebook: T\ncodes:\n  - name: A\n    description: [a, b]\n",
        4,
        "code 'A': 'description' must be text, not a list",
    ),
    (
        "a code that is not a mapping",
        "codebook: T\ncodes:\n  - name: A\n  - just text\n",
        4,
        "code #2 in 'codes': this entry must be a mapping",
    ),
    (
        "duplicate explicit ids anywhere",
        "codebook: T\ncodes:\n  - name: A\n    id: x\n    children:\n      - name: B\n"
        "        id: x\n",
        7,
        "duplicate id 'x' (first used at line 4, code 'A')",
    ),
    (
        "explicit id equal to another code's default id",
        "codebook: T\ncodes:\n  - name: Trust\n  - name: Other\n    id: trust\n",
        5,
        "code 'Other': its explicit id 'trust' is also the id of code 'Trust' (line 3)",
    ),
    (
        "YAML syntax error",
        'codebook: T\ncodes:\n  - name: A\n    description: "unclosed\n  - name: B\n',
        6,
        "YAML syntax error:",
    ),
    (
        "tab indentation",
        "codebook: T\ncodes:\n\t- name: A\n",
        3,
        "YAML syntax error:",
    ),
    ("empty file", "", 1, "the file is empty (expected a codebook)"),
    ("only comments", "# nothing here\n\n", 1, "the file is empty"),
    ("missing title", "codes:\n  - name: A\n", 1, "missing 'codebook' (the codebook's title)"),
    ("empty title", "codebook: ''\ncodes:\n  - name: A\n", 1, "'codebook' (the title) is empty"),
    ("missing codes", "codebook: T\n", 1, "missing 'codes' (the list of codes)"),
    (
        "empty codes",
        "codebook: T\ncodes: []\n",
        2,
        "'codes' is empty: a codebook needs at least one code",
    ),
    ("not a mapping", "- name: A\n", 1, "a codebook must be a mapping with 'codebook'"),
    (
        "duplicate key",
        "codebook: T\ncodes:\n  - name: A\n    description: one\n    description: two\n",
        5,
        "duplicate key 'description' (first at line 4)",
    ),
    (
        "merged_from entry without id",
        "codebook: T\ncodes:\n  - name: A\n    merged_from:\n      - {codebook: a.yaml}\n",
        5,
        "code 'A': 'merged_from' item 1: missing 'id'",
    ),
    (
        "version of the wrong type",
        "codebook: T\nversion: [1]\ncodes:\n  - name: A\n",
        2,
        "'version' must be a number or text",
    ),
]


@pytest.mark.parametrize(("case", "text", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_with_its_line(
    tmp_path: Path, case: str, text: str, line: int, message: str
) -> None:
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    prefix = f"{tmp_path / 'cb.yaml'}:{line}: "
    assert problems[0].startswith(prefix), problems
    assert message in problems[0]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, b"codebook: T\ncodes:\n  - name: caf\xe9\n")
    assert problems == [f"{tmp_path / 'cb.yaml'}:3: not UTF-8 text (save the file as UTF-8)"]


def test_all_problems_are_reported_in_line_order(tmp_path: Path) -> None:
    text = (
        "codebook: T\n"  # 1
        "codes:\n"  # 2
        "  - name: A\n"  # 3
        "    colour: red\n"  # 4
        "    children:\n"  # 5
        "      - name: B\n"  # 6
        "        color: blue\n"  # 7
        "      - name: b\n"  # 8
        "      - description: nameless\n"  # 9
        "  - name: C\n"  # 10
        "    examples: quote\n"  # 11
        "    aliases: [x, [y]]\n"  # 12
    )
    problems = problems_of(tmp_path, text)
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == [4, 7, 8, 9, 11, 12], problems


def test_file_name_used_in_messages_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("codebook: T\ncodes: []\n")
    with pytest.raises(CodebookInvalid) as info:
        load_codebook(path, file="coder-a.yaml")
    assert info.value.problems[0].startswith("coder-a.yaml:2: ")
    assert str(info.value).startswith("coder-a.yaml:2: ")


def test_missing_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(CodebookInvalid) as info:
        load_codebook(tmp_path / "nope.yaml")
    assert info.value.problems == [f"{tmp_path / 'nope.yaml'}:1: no such file"]


def test_plain_scalars_are_read_as_text() -> None:
    cb = parse_codebook(
        "codebook: 2021\nversion: 3\ncodes:\n  - name: 2020\n  - name: no\n"
        "    aliases: [yes, 1.10, 2021-11-04]\n"
    )
    assert cb.codebook == "2021"
    assert cb.version == 3
    assert [c.name for c in cb.codes] == ["2020", "no"]
    assert cb.codes[1].aliases == ["yes", "1.10", "2021-11-04"]


def test_empty_list_fields_and_short_colours_are_fine() -> None:
    cb = parse_codebook("codebook: T\ncodes:\n  - name: A\n    examples:\n    color: '#AbC'\n")
    assert cb.codes[0].examples == []
    assert cb.codes[0].color == "#AbC"  # kept as written


def test_fixtures_are_valid() -> None:
    for path in sorted(CODEBOOKS.glob("*.yaml")):
        if not path.name.startswith("bad"):
            assert load_codebook(path).codes, path


def test_cli_validate(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("codebook: T\ncodes:\n  - name: A\n    colour: red\n  - name: a\n")
    r = cli("codebook", "validate", bad)
    assert r.code == 2
    assert r.err.splitlines() == [
        f"{bad}:4: code 'A': unknown key 'colour' (allowed: name, id, description, include, "
        "exclude, examples, aliases, color, groups, guid, merged_from, children)",
        f"{bad}:5: duplicate name 'a' among the codes at the top level (first at line 3; "
        "sibling names must differ, ignoring case and spacing)",
    ]
    assert "Traceback" not in r.err
    good = cli("codebook", "validate", CODEBOOKS / "contract-example.yaml")
    assert good.code == 0, good.err
