"""Import speed: generate a synthetic corpus of transcripts and time the importer on it.

    python benchmarks/import_speed.py [--files 200] [--seed 7] [--keep DIR] [--parse-only]

Prints the corpus size, the time for `parse_file` on every file (text -> turns -> sentences)
and, when the service layer is available, for the full `workbench import` path into a fresh
temporary project (parse + store + search index), each as MB/s of input. spaCy's one-off load
time is measured separately and excluded from both rates. Goal: >= 2 MB/s on 2 cores (issue 15;
benchmarks/scale.py measures the same on N copies of the sample study).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.ingest import ImportOptions, parse_file

PHRASES = [
    "I usually ring the surgery at eight",
    "the app asked me for photo ID again",
    "reception told me to use the online form",
    "nobody really explained how it works",
    "my daughter set it up on my phone",
    "we had a text message with a link",
    "the form gets switched off after ten",
    "it's quicker than waiting in the phone queue",
    "I don't trust putting my details online",
    "the signal out here is terrible",
    "we never had any training on it",
    "it just lands on whoever is youngest",
    "there are three different apps and they all work differently",
    "since COVID everything goes through triage",
    "I'd rather speak to someone face to face",
    "the pharmacy app and the NHS App are not the same thing",
]
OPENERS = ["Well,", "Honestly,", "So", "I mean,", "Yeah,", "To be fair,", "Erm,", ""]
ENDINGS = [".", ".", ".", "?", "!", "..."]


def sentence(rng: random.Random) -> str:
    parts = rng.sample(PHRASES, rng.randint(1, 3))
    body = ", and ".join(parts)
    opener = rng.choice(OPENERS)
    text = f"{opener} {body}" if opener else body[0].upper() + body[1:]
    return text + rng.choice(ENDINGS)


def turn_text(rng: random.Random) -> str:
    paragraphs = [
        " ".join(sentence(rng) for _ in range(rng.randint(1, 5)))
        for _ in range(rng.choice([1, 1, 1, 2]))
    ]
    return "\n\n".join(paragraphs)


def clock(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def _labels(rng: random.Random, pair: tuple[str, str]) -> Callable[[int, int, str], str]:
    return lambda i, t, text: f"{pair[i % 2]}: {text}\n\n"


STYLES: dict[str, Callable[[random.Random], Callable[[int, int, str], str]]] = {
    "interviewer": lambda rng: _labels(rng, ("Interviewer", f"P{rng.randint(1, 40):02d}")),
    "int": lambda rng: _labels(rng, ("Int", f"Participant {rng.randint(1, 40)}")),
    "ir": lambda rng: _labels(rng, ("I", "R")),
    "dr": lambda rng: _labels(rng, ("Interviewer", "Dr Patel")),
    "bold": lambda rng: (
        lambda i, t, text: f"**{('Interviewer', 'Pharmacist')[i % 2]}:** {text}\n\n"
    ),
    "stamped": lambda rng: lambda i, t, text: f"[{clock(t)}] Speaker {i % 2 + 1}: {text}\n",
    "otter": lambda rng: (
        lambda i, t, text: f"{('Jane Smith', 'Sam Okoro')[i % 2]}  {clock(t)[3:]}\n{text}\n\n"
    ),
}
SUFFIX = {"bold": ".md"}


def make_transcript(rng: random.Random, style: str) -> str:
    target = rng.randint(10_000, 30_000)
    render = STYLES[style](rng)
    out = ["# Interview transcript (synthetic)\n\nRecorded on Teams. Names changed.\n\n"]
    size, i, t = 0, 0, 0
    while size < target:
        piece = render(i, t, turn_text(rng))
        out.append(piece)
        size += len(piece)
        i += 1
        t += rng.randint(5, 90)
    return "".join(out)


def make_vtt(rng: random.Random) -> str:
    target = rng.randint(10_000, 30_000)
    out = ["WEBVTT\n\n"]
    size, t = 0, 0
    speakers = ("Interviewer", "Dr Anil Mehta")
    who = 0
    while size < target:
        if rng.random() < 0.4:
            who = 1 - who
        cue = f"{clock(t)}.000 --> {clock(t + 4)}.000\n<v {speakers[who]}>{sentence(rng)}</v>\n\n"
        out.append(cue)
        size += len(cue)
        t += 4
    return "".join(out)


def generate(folder: Path, files: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    names = list(STYLES)
    paths: list[Path] = []
    for n in range(files):
        if n % 10 == 9:
            path, text = folder / f"T{n:03d}_teams.vtt", make_vtt(rng)
        else:
            style = names[n % len(names)]
            text = make_transcript(rng, style)
            path = folder / f"T{n:03d}_{style}{SUFFIX.get(style, '.txt')}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def rate(nbytes: int, seconds: float) -> str:
    return f"{seconds:6.2f} s  {nbytes / 1e6 / seconds:6.2f} MB/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--parse-only", action="store_true", help="skip the full import")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="wb-import-speed-"))
    try:
        corpus = args.keep or tmp / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        paths = generate(corpus, args.files, args.seed)
        nbytes = sum(p.stat().st_size for p in paths)
        print(f"corpus: {len(paths)} files, {nbytes / 1e6:.2f} MB ({corpus})")

        t0 = time.perf_counter()
        parse_file(paths[0])  # loads spaCy once
        print(f"spaCy load + first file: {time.perf_counter() - t0:.2f} s (not counted)")

        t0 = time.perf_counter()
        segments = sum(len(parse_file(p, ImportOptions()).segments) for p in paths)
        parse_s = time.perf_counter() - t0
        print(f"parse_file:  {rate(nbytes, parse_s)}  ({segments} segments)")

        if not args.parse_only:
            try:
                from workbench.services.importing import ImportRequest, import_files
                from workbench.store.db import open_project
            except ImportError as exc:
                print(f"full import: skipped (service layer not available: {exc})")
                return 0
            project = open_project(tmp / "bench.sqlite", create=True)
            try:
                t0 = time.perf_counter()
                lines = import_files(project, ImportRequest(paths=paths))
                full_s = time.perf_counter() - t0
            finally:
                project.close()
            print(f"full import: {rate(nbytes, full_s)}  ({len(lines)} documents stored)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
