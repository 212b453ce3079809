"""spaCy imported without torch.

spaCy's machine-learning library, thinc, imports torch when it is installed (to offer torch
models, which Workbench never uses: the sentencizer and the small English NER model run on
numpy). torch is installed for the suggestions, so every command that splits sentences
(an import, the demo) or finds names paid for it: `import spacy` took 2.8-3.7 s on 2 cores,
1.0 s without torch. While spaCy is imported here, `import torch` fails in this thread
only (a meta-path finder that answers for this thread and no other), so thinc records
that torch is absent; a suggestion engine loading in another thread meanwhile imports torch
as usual, and torch imports normally here afterwards. If torch is loaded already, spaCy
simply sees it.
"""

from __future__ import annotations

import sys
import threading
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any


class _NoTorchInThisThread(MetaPathFinder):
    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if threading.get_ident() == self.thread and fullname.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {fullname!r} (while spaCy loads)")
        return None


def import_spacy() -> ModuleType:
    """The `spacy` module, imported (the first time) without letting thinc import torch."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    blocker = _NoTorchInThisThread()
    sys.meta_path.insert(0, blocker)
    try:
        import spacy
    finally:
        sys.meta_path.remove(blocker)
    return spacy
