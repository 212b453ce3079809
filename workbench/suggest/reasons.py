"""The reason shown with a suggestion: the coded passage that contributed most to its score,
else the closest piece of the code's profile, prefixed with the parent code when the parent's
profile matched better (`Ranker.explain`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker


def reason(ranker: Ranker, text: str, code_id: str) -> str:
    tr = ranker._require()
    j = ranker._index[code_id]
    vec, kern_row, own = _parts(ranker, text)
    parent = ranker._parent[j]
    prefix = ""
    target = j
    if parent >= 0 and own[parent] > own[j]:
        prefix = f'parent "{ranker.profiles[parent].name}": '
        target = parent
    contrib = kern_row * tr.ridge.dual[:, j]
    passages = [
        i
        for i, k in enumerate(tr.kinds)
        if k == "passage" and tr.targets[i, j] == 1 and contrib[i] > 0
    ]
    if passages and not prefix:
        best = max(passages, key=lambda i: contrib[i])
        return f'like coded passage "{_short(tr.texts[best])}"'
    cols = ranker._pcols[target]
    best = int(cols[np.argmax(ranker._pvecs[cols] @ vec)])
    kind, ptext, _ = ranker._ptexts[best]
    if kind == "definition":
        return prefix + f'fits the definition: "{_short(ptext)}"'
    return prefix + f'like {kind} "{_short(ptext)}"'


def _parts(ranker: Ranker, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(embedding, kernel row to the training rows, own profile) of `text`: kept by the
    scoring that came before (the TUI's one-passage path), else computed and kept."""
    hit = ranker._explained.get(text)
    if hit is None:
        tr = ranker._require()
        vec = ranker._encode([text])
        kern = tr.featurizer.kernel(tr.featurizer.transform([text], vec), tr.features)
        hit = (vec[0], kern[0], ranker._own_profile(vec)[0])
        ranker._remember(text, hit)
    return hit


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
