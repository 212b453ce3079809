"""The embedding cache: vectors stored in the project's `embeddings` table, keyed by model id
and the SHA-256 of the text, so a passage is embedded once per model, ever.

A small in-memory layer in front of the table keeps warm look-ups fast (no SQL per query).
Writes go in one transaction per encoded block (an executemany).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.store import schema as s
from workbench.store.db import Project

Progress = Callable[[int, int], None]
LOOKUP_CHUNK = 500  # hashes per SELECT ... IN (...)
BLOCK = 512  # texts embedded (and written) per block; cancellation is checked between blocks


class TextEncoder(Protocol):
    model_id: str
    dim: int

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray: ...


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_blob(blob: bytes, dim: int) -> np.ndarray | None:
    v = np.frombuffer(blob, dtype="<f4")
    return v.astype(np.float32) if v.shape == (dim,) else None


class CachedEncoder:
    """`encode` like the embedder's, but each distinct text is embedded at most once per model:
    looked up in memory, then in the store, and only then given to the model."""

    def __init__(self, embedder: TextEncoder, store: Project) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self._project = store
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.embedded = 0  # texts given to the model by this encoder (for tests and benchmarks)

    # Look-ups --------------------------------------------------------------------------

    def _load(self, hashes: Iterable[str]) -> None:
        """Pull stored vectors of these hashes into memory."""
        wanted = [h for h in dict.fromkeys(hashes) if h not in self._memory]
        if not wanted:
            return
        t = s.embeddings
        with self._project.read() as conn:
            for lo in range(0, len(wanted), LOOKUP_CHUNK):
                q = select(t.c.text_hash, t.c.dim, t.c.vector).where(
                    (t.c.model_id == self.model_id)
                    & t.c.text_hash.in_(wanted[lo : lo + LOOKUP_CHUNK])
                )
                for h, dim, blob in conn.execute(q):
                    v = from_blob(blob, self.dim) if dim == self.dim else None
                    if v is not None:
                        self._memory[h] = v

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts of `texts` that have no stored vector yet."""
        hashes = [text_hash(t) for t in texts]
        with self._lock:
            self._load(hashes)
            seen: set[str] = set()
            out = []
            for t, h in zip(texts, hashes, strict=True):
                if h not in self._memory and h not in seen:
                    seen.add(h)
                    out.append(t)
            return out

    # Embedding -------------------------------------------------------------------------

    def _store(self, texts: Sequence[str], vecs: np.ndarray) -> None:
        rows = [
            {
                "model_id": self.model_id,
                "text_hash": text_hash(t),
                "dim": self.dim,
                "vector": to_blob(v),
            }
            for t, v in zip(texts, vecs, strict=True)
        ]
        stmt = sqlite_insert(s.embeddings).on_conflict_do_nothing()
        with self._project.begin() as conn:
            conn.execute(stmt, rows)
        for r, v in zip(rows, vecs, strict=True):
            self._memory[str(r["text_hash"])] = np.asarray(v, dtype=np.float32)

    def fill(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> bool:
        """Embed and store every text not cached yet, in blocks (one transaction each).
        Reports (done, total) over the texts to embed; returns False when cancelled."""
        todo = self.missing(texts)
        total = len(todo)
        if progress is not None:
            progress(0, total)
        # longest first across blocks too, so each block batches texts of similar length
        todo.sort(key=len, reverse=True)
        for lo in range(0, total, BLOCK):
            if cancelled is not None and cancelled():
                return False
            block = todo[lo : lo + BLOCK]

            def sub(done: int, _n: int, base: int = lo) -> None:
                if progress is not None:
                    progress(base + done, total)

            vecs = self.embedder.encode(block, batch_size=batch_size, progress=sub)
            with self._lock:
                self.embedded += len(block)
                self._store(block, vecs)
        return True

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        texts = list(texts)
        self.fill(texts, batch_size=batch_size, progress=progress)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for i, t in enumerate(texts):
                out[i] = self._memory[text_hash(t)]
        return out

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)
