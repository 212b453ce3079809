"""Core packages never pull in textual or torch; the TUI never pulls in the model stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "workbench.store.db",
    "workbench.services.documents",
    "workbench.services.codebook_sync",
    "workbench.services.excerpts",
    "workbench.ingest",
    "workbench.codebook",
    "workbench.analysis.agreement",
    "workbench.cli",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_textual_or_torch(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = [m for m in ('textual', 'torch', 'sentence_transformers', 'spacy') "
        "if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
