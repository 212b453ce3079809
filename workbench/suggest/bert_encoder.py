"""A plain BERT encoder (all-MiniLM-L6-v2 and its fine-tuned copies) built from torch's own
layers, so the first suggestion does not wait for `transformers`.

Loading the model through `transformers` imported its BERT module, which pulls in
torch._dynamo, torch.distributed.tensor, sympy and scipy.optimize (the latter for an object-
detection loss): 3 s of a cold first suggestion's 8 on 2 cores, against 1.9 s for torch
itself. A BERT encoder is standard: embeddings (word + position + token type, LayerNorm),
then post-norm transformer layers with GELU, which is what `torch.nn.TransformerEncoderLayer`
is. The weights are read from the folder's `model.safetensors`, the text is tokenised by the
folder's `tokenizer.json` (the `tokenizers` library, as transformers' fast tokenizer does),
and the vectors are those of transformers' BertModel for the same folder
(tests/test_suggest_first.py compares with sentence-transformers). Any other folder (another
architecture, activation or weights file, a key missing) gives None: the caller loads it
with transformers. torch is imported inside `load_bert` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"

# transformers' BertLayer parameter -> torch.nn.TransformerEncoderLayer parameter
_LAYER = {
    "attention.output.dense": "self_attn.out_proj",
    "attention.output.LayerNorm": "norm1",
    "intermediate.dense": "linear1",
    "output.dense": "linear2",
    "output.LayerNorm": "norm2",
}
_EMBEDDINGS = {
    "word_embeddings.weight": "word.weight",
    "position_embeddings.weight": "position.weight",
    "token_type_embeddings.weight": "token_type.weight",
    "LayerNorm.weight": "norm.weight",
    "LayerNorm.bias": "norm.bias",
}


Forward = Callable[[list[str]], tuple[Any, Any]]  # texts -> (token vectors, attention mask)


class Encoder(NamedTuple):
    forward: Forward
    max_length: int  # tokens per text, at most
    dim: int  # the vectors' size


def plain_bert_config(folder: Path) -> dict[str, Any] | None:
    """The folder's config when it is a BERT this module can run, else None."""
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plain = (
        isinstance(cfg, dict)
        and cfg.get("model_type") == "bert"
        and cfg.get("hidden_act") == "gelu"
        and cfg.get("position_embedding_type", "absolute") == "absolute"
        and (folder / WEIGHTS).is_file()
        and (folder / TOKENIZER).is_file()
    )
    return cfg if plain else None


def _state_dict(weights: dict[str, Any], n_layers: int) -> dict[str, Any] | None:
    """transformers' BertModel weights renamed for the module below (None: a key missing)."""
    import torch

    w = {k.removeprefix("bert."): v for k, v in weights.items()}
    try:
        out = {new: w[f"embeddings.{old}"] for old, new in _EMBEDDINGS.items()}
        for i in range(n_layers):
            p = f"encoder.layer.{i}."
            q, k, v = (p + f"attention.self.{n}." for n in ("query", "key", "value"))
            out[f"layers.{i}.self_attn.in_proj_weight"] = torch.cat(
                [w[q + "weight"], w[k + "weight"], w[v + "weight"]]
            )
            out[f"layers.{i}.self_attn.in_proj_bias"] = torch.cat(
                [w[q + "bias"], w[k + "bias"], w[v + "bias"]]
            )
            for old, new in _LAYER.items():
                for part in ("weight", "bias"):
                    out[f"layers.{i}.{new}.{part}"] = w[f"{p}{old}.{part}"]
    except KeyError:
        return None
    return out


def load_bert(folder: Path, max_length: int) -> Encoder | None:
    """The encoder of a plain BERT folder, else None: `forward(texts)` gives (hidden states,
    attention mask), torch tensors, batch first."""
    cfg = plain_bert_config(folder)
    if cfg is None:
        return None
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    hidden, eps = int(cfg["hidden_size"]), float(cfg.get("layer_norm_eps", 1e-12))
    n_layers = int(cfg["num_hidden_layers"])

    class Bert(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = torch.nn.Embedding(int(cfg["vocab_size"]), hidden)
            self.position = torch.nn.Embedding(int(cfg["max_position_embeddings"]), hidden)
            self.token_type = torch.nn.Embedding(int(cfg.get("type_vocab_size", 2)), hidden)
            self.norm = torch.nn.LayerNorm(hidden, eps=eps)
            self.layers = torch.nn.ModuleList(
                torch.nn.TransformerEncoderLayer(
                    hidden,
                    int(cfg["num_attention_heads"]),
                    int(cfg["intermediate_size"]),
                    dropout=0.0,
                    activation="gelu",
                    layer_norm_eps=eps,
                    batch_first=True,
                )
                for _ in range(n_layers)
            )

        def forward(self, ids: Any, mask: Any) -> Any:
            positions = torch.arange(ids.shape[1])[None, :]
            x = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
            x = self.norm(x)
            padding = mask == 0
            # the layers' inference "fast path" was 20 % slower than the regular one here
            # (which, like transformers' BERT, attends through scaled_dot_product_attention):
            # 5.5 s against 4.5 s for 192 turns, transformers 4.4 s
            fast = torch.backends.mha.get_fastpath_enabled()
            torch.backends.mha.set_fastpath_enabled(False)
            try:
                for layer in self.layers:
                    x = layer(x, src_key_padding_mask=padding)
            finally:
                torch.backends.mha.set_fastpath_enabled(fast)
            return x

    state = _state_dict(load_file(str(folder / WEIGHTS)), n_layers)
    if state is None:
        return None
    model = Bert()
    model.load_state_dict(state)
    model.eval()
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
    limit = min(max_length, int(cfg["max_position_embeddings"]))
    tokenizer.enable_truncation(max_length=limit)  # the file's own settings are not ours
    pad_id = int(cfg.get("pad_token_id", 0))
    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id) or "[PAD]")

    def forward(texts: list[str]) -> tuple[Any, Any]:
        encoded = tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.long)
        return model(ids, mask), mask

    return Encoder(forward, limit, hidden)
