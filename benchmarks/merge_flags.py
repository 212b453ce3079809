"""Possible matches (merge_quality.py): how many missed merges the merge flags for a person.

A possible match never merges anything, so it leaves the merge, clash and split figures as
they are. What it is worth: of the pairs that should merge, how many are merged *or flagged*
(the recall a reviewer gets), and of the flags, how many point at a pair that should merge
(the rest cost the reviewer a look). The review threshold is chosen by the same 5-fold
cross-validation: on the train folds, the highest F1 of the flags (flag precision, and flag
recall over the should-merge pairs left unmerged), ties to the higher threshold (fewer flags).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

REVIEW_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
FOLDS = 5


def flag_scores(expected: Sequence[str], got: Sequence[str], stray: int) -> dict[str, float]:
    pairs = list(zip(expected, got, strict=True))
    should = sum(e == "merge" for e, _ in pairs)
    merged = sum(e == "merge" and g == "merge" for e, g in pairs)
    flagged = sum(e == "merge" and g == "possible" for e, g in pairs)
    flags = sum(g == "possible" for _, g in pairs) + stray
    precision = flagged / flags if flags else 1.0
    recall = flagged / (should - merged) if should > merged else 1.0
    out: dict[str, float] = {
        "merged": merged,
        "flagged": flagged,
        "flags": flags,
        "stray_flags": stray,
        "flag_precision": precision,
        "flag_f1": 2 * precision * recall / (precision + recall or 1),
        "review_recall": (merged + flagged) / should if should else 1.0,
    }
    for kind in ("separate", "split", "clash"):
        out[f"flags_on_{kind}"] = sum(e == kind and g == "possible" for e, g in pairs)
    return out


def cross_validate_flags(
    pairs: Sequence[Any], run: Callable[[Any], Any], options: Any
) -> tuple[dict[str, float], dict[str, float], list[float], float]:
    """(shipped figures on all pairs, held-out figures, threshold chosen per fold, on all)."""
    runs = {t: run(replace(options, review_threshold=t)) for t in REVIEW_GRID}
    shipped = run(options)
    expected = [p.expected for p in pairs]

    def pick(idx: list[int], skip_fold: int | None) -> float:
        def key(t: float) -> tuple[float, float]:
            stray = sum(n for f, n in runs[t].stray_flags.items() if f != skip_fold)
            got = [runs[t].outcomes[i] for i in idx]
            return flag_scores([expected[i] for i in idx], got, stray)["flag_f1"], t

        return max(REVIEW_GRID, key=key)

    chosen: list[float] = []
    test_got: dict[int, str] = {}
    test_stray = 0
    for k in range(1, FOLDS + 1):
        train = [i for i, p in enumerate(pairs) if p.fold != k]
        t = pick(train, k)
        chosen.append(t)
        test_got |= {i: runs[t].outcomes[i] for i, p in enumerate(pairs) if p.fold == k}
        test_stray += runs[t].stray_flags.get(k, 0)
    held_out = flag_scores(expected, [test_got[i] for i in range(len(pairs))], test_stray)
    final = pick(list(range(len(pairs))), None)
    all_stray = sum(shipped.stray_flags.values())
    return flag_scores(expected, shipped.outcomes, all_stray), held_out, chosen, final


def flag_table(rows: list[tuple[str, dict[str, float]]]) -> str:
    head = (
        "| run | merged | flagged | merged or flagged (recall) | flags | flag precision | "
        "flags on split / separate / clash pairs | flags across pairs |"
    )
    lines = [head, "|---|" + "---:|" * 7]
    for label, s in rows:
        on = f"{int(s['flags_on_split'])} / {int(s['flags_on_separate'])} / "
        on += f"{int(s['flags_on_clash'])}"
        lines.append(
            f"| {label} | {int(s['merged'])} | {int(s['flagged'])} | {s['review_recall']:.2f} | "
            f"{int(s['flags'])} | {s['flag_precision']:.2f} | {on} | {int(s['stray_flags'])} |"
        )
    return "\n".join(lines)
