"""Text helpers of the matchers: name keys, fuzzy ratio, definition texts, similarities."""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from workbench.codebook.model import Code

Embed = Callable[[list[str]], np.ndarray]

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his
    i if in into is it its itself me my no not of on or our she so such than that the their them
    then there these they this those to too use used using very was we were what when where which
    while who will with would you your also any all other etc e g eg ie code codes""".split()
)


def name_key(name: str) -> str:
    """Names compared by the `name` and `alias` matchers: accents, case, punctuation and
    spacing ignored ("COVID-19" == "covid 19", "Hidden work" == "hidden-work")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def fuzzy_ratio(a: str, b: str) -> float:
    """rapidfuzz token-sort ratio (0-100) of two name keys: word order and typos tolerated."""
    from rapidfuzz import fuzz

    return float(fuzz.token_sort_ratio(a, b))


def definition_text(code: Code) -> str:
    """What a code means, for the clash check: description and when to use it."""
    return " ".join(t.strip() for t in (code.description, code.include) if t and t.strip())


def meaning_text(code: Code) -> str:
    """Name, aliases, definition and examples: what the meaning matcher embeds."""
    head = code.name + (f" ({', '.join(code.aliases)})" if code.aliases else "")
    parts = [head, definition_text(code), *(e.strip() for e in code.examples)]
    return ". ".join(p for p in parts if p)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


def hashed_bow_embed(texts: list[str], dim: int = 512) -> np.ndarray:
    """A deterministic bag-of-words 'embedding' (hashed, stemmed content words, L2-normalised).

    Used for the definition check when no model is available, and by tests as a stand-in for
    the sentence-embedding model."""
    out = np.zeros((len(texts), dim), dtype=np.float64)
    for i, text in enumerate(texts):
        for word in content_words(text):
            out[i, zlib.crc32(word.encode("utf-8")) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


class VectorCache:
    """Embeds each distinct text once, in sorted batches (the same inputs give the same
    vectors whatever order they are asked in)."""

    def __init__(self, embed: Embed) -> None:
        self.embed = embed
        self.vectors: dict[str, np.ndarray] = {}

    def add(self, texts: Sequence[str]) -> None:
        missing = sorted({t for t in texts if t and t not in self.vectors})
        if not missing:
            return
        matrix = np.asarray(self.embed(missing), dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != len(missing):
            raise ValueError("the embedder must return one vector per text")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        for text, vec in zip(missing, matrix / norms, strict=True):
            self.vectors[text] = vec

    def cosine(self, a: str, b: str) -> float | None:
        if not a or not b:
            return None
        self.add([a, b])
        return round(float(np.dot(self.vectors[a], self.vectors[b])), 4)
