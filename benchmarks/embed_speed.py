"""Suggestion engine speed on the sample study (the demo project).

    python benchmarks/embed_speed.py [--slices 12] [--limit N] [--samples 50] [--keep DIR]

Builds the demo project in a temporary folder (`workbench demo` without the TUI; when the
sample study has no codebook yet, tests/fixtures/codebooks/team-a.yaml is imported), then:

- embedding throughput: every distinct text the engine embeds for the corpus (unit texts,
  sentences of long units, coded passages, code profiles), once with plain
  `SentenceTransformer.encode` and once through the engine's cache on a cold cache (embed,
  store in the project), measured in paired slices (both methods back to back on each slice,
  alternating which goes first, so load from other processes hits both alike); the ratio
  engine / plain is reported (target >= 0.9);
- suggestion latency with a warm cache: `for_segment` on `--samples` random units (median
  and 90th percentile; target median < 50 ms);
- retrain time after one accept and after one reject: from the decision to the refitted
  learner being in place (what the suggestion panel waits for), then the self-training
  refine and the review queue's re-ranking, both in the background.

Model load time is measured separately and excluded from the rates.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete

from workbench.store import schema as s
from workbench.store.db import Project, open_project
from workbench.suggest.embedder import Embedder

REPO = Path(__file__).resolve().parents[1]
FALLBACK_CODEBOOK = REPO / "tests" / "fixtures" / "codebooks" / "team-a.yaml"


def build_corpus(folder: Path) -> tuple[Path, str]:
    """The demo project in `folder` and the name of the codebook it uses."""
    from workbench.codebook.yaml_io import load_codebook
    from workbench.services.codebook_sync import import_codebook
    from workbench.services.codes import CodeTree
    from workbench.services.demo import build_demo, codebook_path

    result = build_demo(folder, rebuild=True)
    proj = open_project(result.project)
    try:
        with proj.begin() as conn:
            if CodeTree.load(conn).codes:
                return result.project, codebook_path().name
            import_codebook(conn, load_codebook(FALLBACK_CODEBOOK))
    finally:
        proj.close()
    return result.project, f"{FALLBACK_CODEBOOK.name} (fallback: the sample has no codebook)"


def clear_cache(project: Project) -> None:
    with project.begin() as conn:
        conn.execute(delete(s.embeddings))


def paired_throughput(
    embedder: Embedder, project: Project, texts: list[str], slices: int, seed: int
) -> tuple[float, float]:
    """(plain seconds, engine seconds) over `texts`, measured slice by slice, the two methods
    back to back on each slice in alternating order, so that load from other processes on a
    shared machine hits both alike. The engine starts from an empty cache and must embed and
    store every text exactly once."""
    from workbench.suggest.cache import CachedEncoder

    clear_cache(project)
    enc = CachedEncoder(embedder, project)
    shuffled = texts[:]
    random.Random(seed).shuffle(shuffled)
    size = -(-len(shuffled) // slices)
    plain = engine = 0.0
    for k in range(slices):
        part = shuffled[k * size : (k + 1) * size]
        if not part:
            continue
        for method in ("plain", "engine") if k % 2 == 0 else ("engine", "plain"):
            t0 = time.perf_counter()
            if method == "plain":
                embedder.model.encode(
                    part,
                    batch_size=64,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
                plain += time.perf_counter() - t0
            else:
                enc.fill(part)
                engine += time.perf_counter() - t0
    assert enc.embedded == len(texts), "every text embedded exactly once"
    return plain, engine


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slices", type=int, default=12, help="paired slices for throughput")
    ap.add_argument("--limit", type=int, default=0, help="use only this many texts (0: all)")
    ap.add_argument("--samples", type=int, default=50, help="segments for the latency figure")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="build the demo here and keep it")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wb-embed-speed-"))
    folder = args.keep or tmp
    try:
        return run(folder, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(folder: Path, args: argparse.Namespace) -> int:
    from workbench.suggest.embedder import get_embedder
    from workbench.suggest.engine import SuggestionEngine

    path, codebook = build_corpus(folder)
    t0 = time.perf_counter()
    embedder = get_embedder()
    load_s = time.perf_counter() - t0
    embedder.encode(["warm-up sentence"] * 8)

    project = open_project(path)
    engine = SuggestionEngine(project, "bench", encoder=embedder)
    texts = list(dict.fromkeys(engine.needed_texts()))
    if args.limit:
        texts = random.Random(args.seed).sample(texts, min(args.limit, len(texts)))
    chars = sum(len(t) for t in texts)

    plain_s, engine_s = paired_throughput(embedder, project, texts, args.slices, args.seed)
    plain_rate, engine_rate = len(texts) / plain_s, len(texts) / engine_s

    # Warm cache: everything the corpus needs is stored; suggestions need no model call.
    engine.prepare()
    units = engine.units()
    rng = random.Random(args.seed)
    sample = rng.sample(units, min(args.samples, len(units)))
    engine.for_segment(sample[0].segment_id)  # first call: fits the learner
    embedded_before = engine.encoder.embedded
    lat = []
    for u in sample:
        t = time.perf_counter()
        engine.for_segment(u.segment_id)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p90 = lat[min(len(lat) - 1, int(0.9 * len(lat)))]

    retrain = {}
    queue = engine.queue(order="confident")  # a review queue is open: the corpus is re-ranked
    for decision in ("accept", "reject"):
        sug = next(queue, None)
        if sug is None:
            break
        t = time.perf_counter()
        if decision == "accept":
            engine.accept(sug)
        else:
            engine.reject(sug)
        engine.wait()  # what the suggestion panel waits for
        total_ms = (time.perf_counter() - t) * 1000
        engine.live.settle()  # then the review queue's re-ranking, in the background
        retrain[decision] = (
            total_ms,
            engine.fit_seconds * 1000,
            engine.live.refine_seconds * 1000,
            engine.rank_seconds * 1000,
        )
    with project.read() as conn:
        from workbench.suggest.corpus import training_data

        n_train = len(training_data(conn))
    engine.close()
    project.close()

    rows = [
        (
            "corpus",
            f"demo sample study: {len(units)} units, {len(texts)} distinct texts, "
            f"{chars / 1000:.0f}k chars; codebook {codebook}",
        ),
        ("model load (excluded)", f"{load_s:.1f} s"),
        ("plain model.encode", f"{plain_rate:.1f} texts/s ({plain_s:.0f} s)"),
        ("engine, cold cache", f"{engine_rate:.1f} texts/s ({engine_s:.0f} s; embed + store)"),
        ("ratio engine / plain", f"{engine_rate / plain_rate:.2f} (target >= 0.9)"),
        (
            "for_segment, warm cache",
            f"median {statistics.median(lat):.1f} ms, "
            f"p90 {p90:.1f} ms over {len(lat)} units (target median < 50 ms)",
        ),
        ("model calls while suggesting", str(engine.encoder.embedded - embedded_before)),
    ]
    for decision, (total_ms, fit_ms, refine_ms, rank_ms) in retrain.items():
        rows.append(
            (
                f"retrain after one {decision}",
                f"{total_ms:.0f} ms until the refitted learner is in place ({n_train} "
                f"labelled passages; fit {fit_ms:.0f} ms); then, in the background, "
                f"{refine_ms:.0f} ms self-training and {rank_ms:.0f} ms re-ranking the "
                "corpus for the review queue",
            )
        )
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
