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


def head_text(code: Code) -> str:
    """The code's name and aliases: `Name (alias, alias)`."""
    return code.name + (f" ({', '.join(code.aliases)})" if code.aliases else "")


def meaning_text(code: Code) -> str:
    """Name, aliases, definition and examples: what the meaning matcher embeds."""
    parts = [head_text(code), definition_text(code), *(e.strip() for e in code.examples)]
    return ". ".join(p for p in parts if p)


def own_name_words(code: Code) -> set[str]:
    """Stemmed content words of the code's name and aliases."""
    return set(content_words(" ".join([code.name, *code.aliases])))


def definition_without_name(code: Code) -> str:
    """The definition with the words of the code's own name and aliases taken out.

    Two codes called *Trust* both say "trust" in their definitions whatever they mean; the
    clash check compares what is left, so a shared name word is not taken for agreement."""
    words = own_name_words(code)

    def drop(m: re.Match[str]) -> str:
        word = m.group().casefold()
        return "" if word not in _STOP and _stem(word) in words else m.group()

    text = re.sub(r"[^\W_]+", drop, definition_text(code))
    return " ".join(text.split()) if content_words(text) else ""


# Opposite poles that embeddings place side by side ("Barriers" / "Facilitators").
_OPPOSITES = frozenset(
    tuple(pair.split("/"))
    for pair in """positive/negative good/bad better/worse best/worst easier/harder
    easy/difficult easy/hard barrier/facilitator barrier/enabler obstacle/facilitator
    for/against pro/con advantage/disadvantage benefit/drawback benefit/harm
    strength/weakness success/failure satisfaction/dissatisfaction satisfied/dissatisfied
    helpful/unhelpful increase/decrease upside/downside praise/complaint passive/active
    passive/proactive trust/distrust trust/mistrust like/dislike presence/absence
    inclusion/exclusion gain/loss reward/punishment agreement/disagreement
    acceptance/rejection motivator/deterrent""".split()
)


def _pole_words(name: str) -> set[str]:
    out = set()
    for word in _WORD.findall(name.casefold()):
        out.add(word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            out.add(word[:-1])
    return out


def opposite_poles(a: str, b: str) -> bool:
    """True when one name holds a word and the other its opposite (and neither holds both):
    `Positive experience` / `Negative experience`, `Barriers` / `Facilitators`."""
    wa, wb = _pole_words(a), _pole_words(b)
    for x, y in _OPPOSITES:
        for p, q in ((wa, wb), (wb, wa)):
            if x in p and y in q and x not in q and y not in p:
                return True
    return False


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


def hashed_bow_embed(texts: list[str], dim: int = 512) -> np.ndarray:
    """A deterministic bag-of-words 'embedding' (hashed, stemmed content words, L2-normalised).

    The shared-words cosine of the clash check (always) and a stand-in for the sentence-
    embedding model in tests. Its cosines are on the shared-words scale, so, given as the
    model, the clash check judges it by `lexical_clash_threshold` (see `is_lexical`)."""
    out = np.zeros((len(texts), dim), dtype=np.float64)
    for i, text in enumerate(texts):
        for word in content_words(text):
            out[i, zlib.crc32(word.encode("utf-8")) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


hashed_bow_embed.lexical = True  # type: ignore[attr-defined]


def is_lexical(embed: Embed) -> bool:
    """True for an embed function that only counts shared words (it says `lexical = True`)."""
    return bool(getattr(embed, "lexical", False))


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
