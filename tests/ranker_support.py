"""Shared by the ranker and eval tests: a small codebook and a fake, deterministic embedding."""

from __future__ import annotations

import re
import zlib

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


def words(texts: list[str]) -> np.ndarray:
    """Hashed bag of words, L2-normalised (the fake embedding)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            out[i, zlib.crc32(w.encode()) % DIM] += 1.0
        out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
    return out
