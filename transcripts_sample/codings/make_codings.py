"""Regenerate the reference codings (coder-a.csv, coder-b.csv, difacto.csv) from spec/*.yaml.

Each spec names a coder, the codebook the coder used and a list of codings, each a verbatim
quote from a document (see README.md). The documents are parsed exactly as `workbench
import` and `workbench demo` parse them, the codings are applied in a throwaway project with
the project's own services, and the CSV is written by the coded-excerpt exporter, so the files
are byte-for-byte what `workbench export excerpts` would give (CONTRACT §5).

    .venv/bin/python transcripts_sample/codings/make_codings.py          # write the CSVs
    .venv/bin/python transcripts_sample/codings/make_codings.py --check  # exit 1 if stale

A quote that is missing from its document, or found more than once without an `occurrence`,
is an error: nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent
REPO = SAMPLE.parent
SPECS = ("coder-a", "coder-b", "difacto")
CREATED = "2022-03-14T10:00:00+00:00"  # fixed, so the files only change when the codings do
ENTRY_KEYS = {"document", "code", "quote", "until", "occurrence", "memo"}


class SpecError(Exception):
    """A problem with a spec file: reported as one line, nothing written."""


@dataclass(frozen=True)
class Coding:
    document: str
    code: str
    start: int
    end: int
    memo: str | None


@dataclass(frozen=True)
class Spec:
    name: str
    coder: str
    codebook: Path
    codings: list[dict[str, object]]


def load_spec(name: str) -> Spec:
    path = HERE / "spec" / f"{name}.yaml"
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict) or not {"coder", "codebook", "documents"} <= doc.keys():
        raise SpecError(f"{path}: needs 'coder', 'codebook' and 'documents'")
    codings: list[dict[str, object]] = []
    for document, entries in (doc["documents"] or {}).items():
        for entry in entries or []:
            if not isinstance(entry, dict):
                raise SpecError(f"{path}: {document}: each coding must be a mapping")
            codings.append({"document": document, **entry})
    return Spec(name, str(doc["coder"]), REPO / str(doc["codebook"]), codings)


def find_span(text: str, entry: dict[str, object], where: str) -> tuple[int, int]:
    """(start, end) of the entry's quote (through `until`, when given) in `text`."""
    quote = str(entry["quote"])
    hits = []
    pos = text.find(quote)
    while pos >= 0:
        hits.append(pos)
        pos = text.find(quote, pos + 1)
    if not hits:
        raise SpecError(f"{where}: quote not found: {quote!r}")
    occurrence = entry.get("occurrence")
    if occurrence is None:
        if len(hits) > 1:
            raise SpecError(f"{where}: quote found {len(hits)} times; give 'occurrence': {quote!r}")
        start = hits[0]
    else:
        if not isinstance(occurrence, int) or not 1 <= occurrence <= len(hits):
            raise SpecError(
                f"{where}: occurrence {occurrence!r}: the quote occurs {len(hits)} times"
            )
        start = hits[occurrence - 1]
    end = start + len(quote)
    until = entry.get("until")
    if until is not None:
        stop = text.find(str(until), end)
        if stop < 0:
            raise SpecError(f"{where}: 'until' text not found after the quote: {until!r}")
        end = stop + len(str(until))
    return start, end


def parse_documents(names: set[str]) -> dict[str, object]:
    """The named sample documents, parsed as `workbench demo` parses them."""
    from workbench.ingest import ImportOptions, parse_file
    from workbench.services.demo import (
        ROLE_KIND,
        SURVEY_COLUMNS,
        read_participants,
        sample_documents,
    )

    participants = read_participants(SAMPLE)
    files = {p.stem: p for p in sample_documents(SAMPLE)}
    missing = sorted(names - files.keys())
    if missing:
        raise SpecError(f"documents not in {SAMPLE}: {', '.join(missing)}")
    parsed = {}
    for name in sorted(names):
        role = participants.get(name, {}).get("role", "")
        kind = ROLE_KIND.get(role, "interview")
        extra = SURVEY_COLUMNS if kind == "survey" else {}
        parsed[name] = parse_file(files[name], ImportOptions(kind=kind, **extra))
    return parsed


def resolve(spec: Spec, parsed: dict[str, object]) -> list[Coding]:
    """Every coding's span; all problems of the spec at once, one per line."""
    out: list[Coding] = []
    problems: list[str] = []
    for i, entry in enumerate(spec.codings, 1):
        try:
            out.append(_resolve_one(spec, parsed, i, entry))
        except SpecError as exc:
            problems.append(str(exc))
    if problems:
        raise SpecError("\n".join(problems))
    return out


def _resolve_one(spec: Spec, parsed: dict[str, object], i: int, entry: object) -> Coding:
    where = f"spec/{spec.name}.yaml: coding {i}"
    if not isinstance(entry, dict) or not {"document", "code", "quote"} <= entry.keys():
        raise SpecError(f"{where}: needs 'document', 'code' and 'quote'")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = str(entry["document"])
    where += f" ({name})"
    if name not in parsed:
        raise SpecError(f"{where}: unknown document")
    start, end = find_span(parsed[name].text, entry, where)  # type: ignore[attr-defined]
    memo = entry.get("memo")
    return Coding(name, str(entry["code"]), start, end, None if memo is None else str(memo))


def build_csv(spec: Spec, parsed: dict[str, object], out: Path) -> int:
    """Apply the spec's codings in a throwaway project and export them to `out`."""
    from workbench.codebook.yaml_io import load_codebook
    from workbench.errors import WorkbenchError
    from workbench.services.codebook_sync import import_codebook
    from workbench.services.coding import add_coding
    from workbench.services.demo import read_participants
    from workbench.services.documents import store_document
    from workbench.services.excerpts import excerpts, write_excerpts_csv
    from workbench.store.db import open_project

    codings = resolve(spec, parsed)
    participants = read_participants(SAMPLE)
    with tempfile.TemporaryDirectory() as tmp:
        proj = open_project(Path(tmp) / "codings.sqlite", create=True)
        try:
            with proj.begin() as conn:
                for name in sorted({c.document for c in codings}):
                    attrs = {
                        k: v for k, v in participants.get(name, {}).items() if k != "document" and v
                    }
                    store_document(conn, parsed[name], attributes=attrs)  # type: ignore[arg-type]
                import_codebook(conn, load_codebook(spec.codebook))
                for i, c in enumerate(codings, 1):
                    try:
                        _, created = add_coding(
                            conn,
                            c.document,
                            c.start,
                            c.end,
                            c.code,
                            spec.coder,
                            memo=c.memo,
                            created=CREATED,
                        )
                    except WorkbenchError as exc:
                        raise SpecError(f"spec/{spec.name}.yaml: coding {i}: {exc}") from exc
                    if not created:
                        raise SpecError(
                            f"spec/{spec.name}.yaml: coding {i}: the same span and code twice"
                        )
            with proj.read() as conn:
                rows = excerpts(conn)
        finally:
            proj.close()
    return write_excerpts_csv(rows, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files; write nothing")
    ap.add_argument("specs", nargs="*", default=list(SPECS), help="spec names (default: all)")
    args = ap.parse_args(argv)
    try:
        specs = [load_spec(n) for n in args.specs]
        parsed = parse_documents({str(e["document"]) for s in specs for e in s.codings})
        stale = []
        with tempfile.TemporaryDirectory() as tmp:
            for spec in specs:
                target = HERE / f"{spec.name}.csv"
                out = Path(tmp) / target.name if args.check else target
                n = build_csv(spec, parsed, out)
                if args.check:
                    same = target.exists() and target.read_bytes() == out.read_bytes()
                    if not same:
                        stale.append(target.name)
                    print(f"{target.name}: {n} codings, {'up to date' if same else 'STALE'}")
                else:
                    print(f"wrote {target.relative_to(REPO)}: {n} codings by {spec.coder}")
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
