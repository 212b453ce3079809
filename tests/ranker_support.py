"""Shared by the suggestion tests: a small codebook and fake, deterministic embeddings."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np

DIM = 256

CODEBOOK = """\
codebook: Test codebook
codes:
  - name: Access
    description: Getting to the service.
    children:
      - name: Parking
        description: Finding a car park space at the hospital.
        examples: ["no parking spaces left", "the car park was full"]
        aliases: [car parking]
      - name: Transport
        id: transport
        description: Buses, taxis and ambulances to and from appointments.
        exclude: Parking a car (use Parking).
        examples: ["the bus was late", "hospital transport never arrived"]
  - name: Food
    description: Meals and drinks on the ward.
    examples: ["the food was cold", "lovely hot meals and tea"]
  - name: Staff attitude
    description: How staff treated the patient.
    examples: ["the nurses were kind", "rude receptionist"]
"""


def words(texts: list[str], dim: int = DIM) -> np.ndarray:
    """Hashed bag of words, L2-normalised: the one fake embedding of the tests (texts that
    share words are close; `WordsEmbedder` wraps it in the engine's interface)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            out[i, zlib.crc32(w.encode()) % dim] += 1.0
        out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
    return out


class WordsEmbedder:
    """Stand-in for the model behind the engine's interface: a hashed bag of words,
    L2-normalised (texts sharing words are close). Records every text it is given."""

    def __init__(self, model_id: str = "words@1", dim: int = 64) -> None:
        self.model_id = model_id
        self.dim = dim
        self.seen: list[str] = []

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        self.seen.extend(texts)
        out = words(list(texts), self.dim)
        if progress:
            progress(len(texts), len(texts))
        return out
