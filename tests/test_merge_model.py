"""Meaning matching with the real bundled embedding model (default thresholds)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from workbench.codebook.merge import merge_codebooks, render_report
from workbench.codebook.model import iter_codes
from workbench.codebook.yaml_io import dump_codebook, load_codebook

pytestmark = pytest.mark.model


def test_real_model_merges_same_ideas_and_flags_the_clash() -> None:
    from workbench.suggest.merge_embed import default_embed

    embed, why = default_embed()
    assert embed is not None, why
    books = [(n, load_codebook(FIXTURES / "codebooks" / n)) for n in ("team-a.yaml", "team-b.yaml")]
    result = merge_codebooks(books, embed=embed)
    codes = {" > ".join(p): c for c, p, _ in iter_codes(result.codebook)}
    # same idea, different names
    assert "Digital inequalities" in codes["Digital exclusion"].aliases
    assert "Ways practices help" in codes["Modes of facilitation"].aliases
    assert any(d.kind == "meaning" and d.action == "merge" for d in result.decisions)
    # same name, different meaning: both kept and flagged
    assert "Trust (team-a)" in codes and "Trust (team-b)" in codes
    assert [c.kind for c in result.conflicts].count("clash") == 1
    # same name, same meaning in other words: merged, not a clash
    assert "Modes of facilitation > Passive facilitation" in codes
    assert "Ways practices help" not in codes
    assert result.meaning == "used (meaning score >= 0.80)"
    again = merge_codebooks(books, embed=embed)
    assert dump_codebook(again.codebook) == dump_codebook(result.codebook)
    assert render_report(again) == render_report(result)
