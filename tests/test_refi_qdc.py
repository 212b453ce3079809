"""`.qdc` codebooks: schema-valid export, lossless round trips, the ATLAS.ti sample, and the
description layout that carries Workbench's extra code fields (docs/refi-qda.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from refi_support import REFI, schema

from workbench.codebook.model import Codebook, effective_id, iter_codes
from workbench.codebook.refi.description import (
    MARKER,
    CodeFields,
    compose_description,
    parse_description,
)
from workbench.codebook.refi.guids import derived_guid, normalise_guid
from workbench.codebook.refi.qdc import parse_qdc, qdc_bytes
from workbench.codebook.yaml_io import dump_codebook, load_codebook


def _canonical(cb: Codebook) -> str:
    """YAML with every id explicit (an id equal to the default is not written to a .qdc)
    and GUIDs left out (codes without one get a derived GUID)."""
    cb = cb.model_copy(deep=True)
    for code, path, _parent in iter_codes(cb):
        code.id = effective_id(code, path)
        code.guid = None
    return dump_codebook(cb)


def test_codebook_to_qdc_and_back_loses_nothing() -> None:
    cb = load_codebook(REFI / "codebook.yaml")
    data = qdc_bytes(cb)
    schema("Codebook.xsd").validate(data.decode("utf-8"))
    back, warnings = parse_qdc(data, "x.qdc", "fallback")
    assert warnings == []
    # GUIDs are derived for codes that had none; everything else is identical
    assert _canonical(back) == _canonical(cb)
    assert back.codebook == "REFI round-trip codebook" and back.version == 3
    assert qdc_bytes(back) == data  # derived GUIDs are stable


def test_cli_qdc_round_trip_keeps_guids(cli, tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    r = cli("codebook", "import", REFI / "codebook.yaml", "--project", first)
    assert r.code == 2 and "missing" in r.err
    assert cli("init", "--project", first).code == 0
    assert cli("codebook", "import", REFI / "codebook.yaml", "--project", first).code == 0
    r = cli("codebook", "export", "-o", tmp_path / "book.qdc", "--project", first)
    assert r.code == 0, r.err
    schema("Codebook.xsd").validate((tmp_path / "book.qdc").read_text(encoding="utf-8"))
    assert cli("codebook", "validate", tmp_path / "book.qdc").code == 0
    assert cli("init", "--project", second).code == 0
    r = cli("codebook", "import", tmp_path / "book.qdc", "--project", second)
    assert r.code == 0 and "6 added" in r.out, r.out + r.err
    for project, out in ((first, "a.yaml"), (second, "b.yaml")):
        assert cli("codebook", "export", "-o", tmp_path / out, "--project", project).code == 0
    yaml_a = (tmp_path / "a.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "b.yaml").read_text(encoding="utf-8") == yaml_a
    assert yaml_a.count("guid:") == 6
    # exporting again gives the same file (GUIDs are stored, not minted per export)
    assert cli("codebook", "export", "-o", tmp_path / "c.qdc", "--project", second).code == 0
    assert (tmp_path / "c.qdc").read_bytes() == (tmp_path / "book.qdc").read_bytes()


def test_atlas_ti_sample_imports_code_colour_and_group(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    assert cli("init", "--project", project).code == 0
    sample = REFI / "sample-atlasti-23.qdc"
    schema("Codebook.xsd").validate(sample.read_text(encoding="utf-8"))
    r = cli("codebook", "import", sample, "--project", project)
    assert r.code == 0, r.err
    assert cli("codebook", "export", "-o", tmp_path / "out.yaml", "--project", project).code == 0
    cb = load_codebook(tmp_path / "out.yaml")
    (code,) = cb.codes
    assert (code.name, code.color, code.description) == ("code1", "#46AA00", "description")
    assert code.groups == ["code group 1"]
    assert code.guid == "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"


def test_qdc_problems_are_reported_not_fatal() -> None:
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="{AAAAAAAA-0000-4000-8000-000000000001}" name="A" isCodable="true" '
        b'color="red"/>'
        b'<Code guid="AAAAAAAA-0000-4000-8000-000000000001" name="a" isCodable="true"/>'
        b'<Code guid="nope" name="B&#10;two lines" isCodable="true"/>'
        b"</Codes></CodeBook>"
    )
    cb, warnings = parse_qdc(data, "x.qdc", "Fallback title")
    assert cb.codebook == "Fallback title"
    assert [c.name for c in cb.codes] == ["A", "a (2)", "B two lines"]
    assert cb.codes[0].guid == "aaaaaaaa-0000-4000-8000-000000000001"
    assert cb.codes[1].guid is None  # a GUID used twice: the second gets a new one
    # an id that is not a GUID gets one derived from it, so references to it still hold
    assert cb.codes[2].guid == derived_guid("foreign-id", "nope")
    assert "1 identifiers are not GUIDs (first: 'nope')" in warnings[0]
    assert len(warnings) == 5, warnings


def test_empty_codebook_is_an_error(cli, tmp_path: Path) -> None:
    path = tmp_path / "empty.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    r = cli("codebook", "validate", path)
    assert r.code == 2 and "has no codes" in r.err


# --- the description layout ------------------------------------------------------------------

FIELDS = [
    CodeFields(),
    CodeFields(description="Just a definition."),
    CodeFields(description="Two\nlines\n", include="x"),
    CodeFields(id="my-id"),
    CodeFields(
        description="Def",
        include="In: yes",
        exclude="  leading spaces\nand a second line",
        examples=["", "ex 1", "multi\n  indented\n\nblank line"],
        aliases=["a", "Include: not a field"],
        merged_from=[{"codebook": "x.yaml", "id": "p", "path": "A > B"}],
    ),
    CodeFields(description=MARKER),
    CodeFields(description=f"text\n{MARKER}\nInclude: fake", exclude="real"),
    CodeFields(description=f"text\n\n{MARKER}\nInclude: looks like ours"),
    CodeFields(description="ends with CR\r", examples=["tab\tand\r\nCRLF"]),
]


@pytest.mark.parametrize("fields", FIELDS)
def test_description_layout_round_trips(fields: CodeFields) -> None:
    text = compose_description(fields)
    back = parse_description(text)
    expected = CodeFields(**{**fields.__dict__, "description": fields.description or None})
    assert back == expected


def test_plain_description_from_another_tool_is_just_the_definition() -> None:
    assert parse_description("A code about trust.\nInclude: this is prose") == CodeFields(
        description="A code about trust.\nInclude: this is prose"
    )
    broken = f"Def\n\n{MARKER}\nInclude: a\nsomething else"
    assert parse_description(broken) == CodeFields(description=broken)


def test_description_survives_crlf_rewriting() -> None:
    text = compose_description(CodeFields(description="Def", include="x", examples=["e"]))
    assert text is not None
    back = parse_description(text.replace("\n", "\r\n") + "\r\n")
    assert (back.description, back.include, back.examples) == ("Def", "x", ["e"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294}", "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"),
        (" 1ff58b12-6f6f-4b0c-8be5-bbdc91f55294 ", "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"),
        ("{1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294", None),
        ("1FF58B12", None),
        (None, None),
    ],
)
def test_guid_normalisation(raw: str | None, expected: str | None) -> None:
    assert normalise_guid(raw) == expected
