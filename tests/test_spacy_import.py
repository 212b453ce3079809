"""spaCy is imported without torch (workbench/ingest/spacy_import.py): thinc imported torch
for models Workbench never uses, 2 s of every import command. Checked in fresh interpreters:
sentences split and names found as before, torch still importable afterwards, and another
thread importing torch meanwhile is not refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

SPLIT = """
import sys
from workbench.ingest.sentences import paragraph_sentences, spacy_sentences
text = "Dr. Smith came at 9 a.m. He said: 'Fine.' Then we left!  OK?"
ours = paragraph_sentences(text, 0, len(text))
assert ours == spacy_sentences(text, 0, len(text)), ours
print("torch" in sys.modules, len(ours))
import thinc.compat
import torch
print(thinc.compat.has_torch, torch.ones(2).sum().item())
"""

NAMES = """
import sys
from workbench.pseudonyms.names import nlp
ents = [(e.text, e.label_) for e in nlp()("Mary Smith from Leeds saw the nurse.").ents]
print("torch" in sys.modules, ents)
"""

THREADED = """
import sys, threading
from workbench.ingest.spacy_import import _NoTorchInThisThread
sys.meta_path.insert(0, _NoTorchInThisThread())  # as while spaCy is imported here
try:
    import torch
    here = "imported"
except ModuleNotFoundError:
    here = "refused"
seen = {}
def other():
    import torch
    seen["there"] = torch.__name__
worker = threading.Thread(target=other)
worker.start()
worker.join()
print(here, seen.get("there"))
"""


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def test_sentences_split_without_torch() -> None:
    assert run(SPLIT) == ["False 3", "False 2.0"]


@pytest.mark.model
def test_names_found_without_torch() -> None:
    torch_loaded, ents = run(NAMES)[-1].split(" ", 1)
    assert torch_loaded == "False"
    assert "('Mary Smith', 'PERSON')" in ents and "('Leeds', 'GPE')" in ents


def test_another_thread_imports_torch_meanwhile() -> None:
    assert run(THREADED)[-1] == "refused torch"
