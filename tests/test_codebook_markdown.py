"""The codebook as a Markdown appendix."""

from __future__ import annotations

from conftest import FIXTURES

from workbench.codebook.markdown import codebook_to_markdown
from workbench.codebook.yaml_io import load_codebook, parse_codebook

BOOK = parse_codebook(
    """\
codebook: Digital facilitation
version: 2
codes:
  - name: Modes of facilitation
    description: How practices support patients.
    children:
      - name: Passive facilitation
        id: passive
        description: Support with no person-to-person contact.
        include: Text messages, leaflets.
        exclude: Answering a patient's own question.
        examples:
          - "We text everyone on repeat medication."
          - |
            Two lines
            of quote
        aliases: [passive support]
      - name: Reactive_facilitation
  - name: COVID-19
"""
)


def test_markdown_has_hierarchy_definitions_examples() -> None:
    md = codebook_to_markdown(BOOK)
    assert md.startswith("# Codebook: Digital facilitation\n\nVersion 2. 4 codes.\n")
    assert (
        "1. Modes of facilitation\n   1. Passive facilitation\n   2. Reactive\\_facilitation\n"
        "2. COVID-19\n" in md
    )
    assert "### 1 Modes of facilitation\n" in md
    assert "#### 1.1 Passive facilitation\n\n*Under:* Modes of facilitation\n" in md
    assert "**Definition:** Support with no person-to-person contact." in md
    assert "**Use when:** Text messages, leaflets." in md
    assert "**Do not use when:** Answering a patient's own question." in md
    assert "**Also called:** passive support" in md
    assert "> We text everyone on repeat medication.\n" in md
    assert "> Two lines\n> of quote\n" in md
    assert "### 2 COVID-19" in md
    assert "Codings" not in md  # no counts given


def test_markdown_counts_include_sub_codes() -> None:
    counts = {
        "modes-of-facilitation": 1,
        "passive": 3,
        "modes-of-facilitation/reactive-facilitation": 1,
    }
    md = codebook_to_markdown(BOOK, counts)
    assert "Version 2. 4 codes. 5 codings." in md
    assert "1. Modes of facilitation (1 coding, 5 with sub-codes)" in md
    assert "1. Passive facilitation (3 codings)" in md
    assert "2. COVID-19 (0 codings)" in md
    assert "**Codings:** 3 codings" in md
    assert "**Codings:** 1 coding, 5 with sub-codes" in md


def test_markdown_of_rich_fixture_is_deterministic() -> None:
    cb = load_codebook(FIXTURES / "codebooks" / "rich.yaml")
    assert codebook_to_markdown(cb) == codebook_to_markdown(cb)
    assert "日本語のコード" in codebook_to_markdown(cb)
