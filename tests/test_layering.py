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


def test_cli_help_starts_without_rich_or_the_store() -> None:
    """`workbench --help` is the CLI's start-up floor (issue 15): it prints click's plain help,
    so neither Rich's help renderer nor SQLAlchemy is imported; brackets come out as written."""
    code = (
        "import sys\n"
        "from workbench.cli import main\n"
        "for args in ([], ['--help'], ['keys', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = [m for m in ('rich', 'typer.rich_utils', 'sqlalchemy', 'numpy') if m in sys.modules]\n"
        "print('LOADED', ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.rstrip().endswith("LOADED")
    assert "[keys] table" in out.stdout  # Rich markup would have eaten it
    assert "Commands:" in out.stdout and "matrix" in out.stdout
    assert out.stdout.count("Usage: workbench [OPTIONS] COMMAND") == 2  # bare `workbench` too
