"""A light loader for plain mean-pooling sentence-transformers folders (all-MiniLM-L6-v2 and
its fine-tuned copies): a plain BERT runs on torch's own layers (bert_encoder.py), any other
transformer through `transformers`' AutoModel; mean pooling and L2 normalisation are done
here, so the first suggestion does not pay for importing sentence-transformers (about 5 s
on 2 cores) nor, for a BERT, transformers (3 s). The vectors are those sentence-transformers
gives for the same folder (tests/test_suggest_first.py checks it), so the embedding cache is
shared. Folders with any other module layout return None: the caller falls back to
sentence-transformers. torch and transformers are imported inside `load_light` only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from workbench.suggest.bert_encoder import Forward

_PLAIN = ("Transformer", "Pooling", "Normalize")
DEFAULT_MAX_LENGTH = 256


def _is_plain(folder: Path) -> tuple[bool, int]:
    """(the folder is Transformer + mean Pooling [+ Normalize], its max_seq_length)."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [str(m["type"]).rsplit(".", 1)[-1] for m in modules]
        if kinds not in (list(_PLAIN), list(_PLAIN[:2])) or modules[0].get("path", "") != "":
            return False, 0
        pooling = json.loads(
            (folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8")
        )
        # sentence-transformers < 5 writes one flag per mode; later ones "pooling_mode": "mean"
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
        mode = pooling.get("pooling_mode")
        if (modes, mode) not in ((["pooling_mode_mean_tokens"], None), ([], "mean")):
            return False, 0
        cfg_path = folder / "sentence_bert_config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
        if cfg.get("do_lower_case") or cfg.get("transformer_task", "feature-extraction") != (
            "feature-extraction"
        ):
            return False, 0
        return True, int(cfg.get("max_seq_length") or _tokenizer_limit(folder))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False, 0


def _tokenizer_limit(folder: Path) -> int:
    """The max sequence length a newer sentence-transformers folder keeps in its tokenizer
    config (older ones: sentence_bert_config.json's max_seq_length)."""
    try:
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        limit = int(cfg.get("model_max_length") or 0)
    except (OSError, ValueError, TypeError):
        limit = 0
    return limit if 0 < limit <= 100_000 else DEFAULT_MAX_LENGTH


class LightModel:
    """`encode` with the subset of SentenceTransformer.encode's signature the Embedder uses.
    `forward(texts)` gives the token vectors and the attention mask of one batch."""

    def __init__(self, forward: Forward, max_seq_length: int, dim: int) -> None:
        self.forward = forward
        self.max_seq_length = max_seq_length
        self.dim = dim

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        show_progress_bar: bool = False,
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = True,
    ) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for lo in range(0, len(texts), max(1, batch_size)):
                batch = list(texts[lo : lo + batch_size])
                hidden, attention = self.forward(batch)
                mask = attention.unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(dim=1)
                vecs = summed / mask.sum(dim=1).clamp(min=1e-9)
                if normalize_embeddings:
                    vecs = torch.nn.functional.normalize(vecs, p=2, dim=1)
                out[lo : lo + len(batch)] = vecs.float().numpy()
        return out


def quiet_transformers() -> None:
    """No progress bars or warnings from transformers (imported here, when it is needed)."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def load_light(folder: Path) -> LightModel | None:
    """The light model of a plain mean-pooling folder, else None: a plain BERT runs on
    torch's own layers (workbench/suggest/bert_encoder.py), any other through transformers'
    AutoModel."""
    plain, max_len = _is_plain(folder)
    if not plain:
        return None
    from workbench.suggest.bert_encoder import load_bert

    bert = load_bert(folder, max_len)
    if bert is not None:
        return LightModel(*bert)
    quiet_transformers()
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    model.eval()
    max_len = min(max_len, int(getattr(model.config, "max_position_embeddings", max_len)))

    def forward(texts: list[str]) -> tuple[Any, Any]:
        enc = tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=max_len,
            return_tensors="pt",
        )
        return model(**enc).last_hidden_state, enc["attention_mask"]

    return LightModel(forward, max_len, int(model.config.hidden_size))
