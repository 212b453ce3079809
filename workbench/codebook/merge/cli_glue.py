"""`workbench codebook merge`: load the books, merge or apply a plan, write the outputs."""

from __future__ import annotations

from pathlib import Path

from workbench.codebook.model import Codebook
from workbench.codebook.yaml_io import CodebookInvalid, load_codebook, save_codebook
from workbench.errors import WorkbenchError
from workbench.fsutil import atomic_write


def book_labels(files: list[Path]) -> list[str]:
    """File names as labels (`coder-a.yaml`); same names in different folders get the folder."""
    names = [f.name for f in files]
    labels = []
    for f in files:
        label = f.name if names.count(f.name) == 1 else f"{f.parent.name}/{f.name}"
        labels.append(label if label not in labels else str(f))
    return labels


def _load(path: Path, label: str) -> Codebook:
    if path.suffix.lower() == ".qdc":
        try:
            from workbench.exchange.refi.qdc import read_qdc  # type: ignore[import-not-found]
        except ImportError as exc:
            raise WorkbenchError(f"{path}: reading .qdc codebooks is not available") from exc
        return read_qdc(path)  # type: ignore[no-any-return]
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise WorkbenchError(f"{path}: unknown codebook format (use .yaml, .yml or .qdc)")
    return load_codebook(path, file=str(path))


def load_books(files: list[Path]) -> list[tuple[str, Codebook]]:
    """Every book, or one error listing the problems of all of them."""
    books, problems = [], []
    for path, label in zip(files, book_labels(files), strict=True):
        try:
            books.append((label, _load(path, label)))
        except WorkbenchError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CodebookInvalid(problems)
    return books


def _write(path: Path, text: str) -> None:
    with atomic_write(path, newline="\n") as fh:
        fh.write(text)


def run_merge(
    files: list[Path],
    *,
    output: Path | None,
    report: Path | None = None,
    plan: Path | None = None,
    apply: Path | None = None,
    use_meaning: bool = True,
) -> list[str]:
    """Do the merge the command line asked for; returns the lines to print."""
    from workbench.codebook.merge import apply_plan, merge_codebooks, render_report, write_plan

    if plan is not None and apply is not None:
        raise WorkbenchError("give --plan (write a plan) or --apply (apply one), not both")
    if len(files) < 2:
        raise WorkbenchError("codebook merge needs at least two codebooks")
    if plan is None and output is None:
        raise WorkbenchError("say where to write the merged codebook: -o OUT.yaml")
    inputs = {f.resolve() for f in files}
    for out in (output, report, plan):
        if out is not None and out.resolve() in inputs:
            raise WorkbenchError(f"{out} is one of the input codebooks; write elsewhere")
    books = load_books(files)
    lines: list[str] = []
    if apply is not None:
        result = apply_plan(books, apply)
    else:
        embed, why = None, "--no-meaning given"
        if use_meaning:
            from workbench.codebook.merge.embedder import default_embed

            embed, why = default_embed()
            if embed is None:
                lines.append(f"note: meaning matching skipped: {why}")
        result = merge_codebooks(books, embed=embed)
        if embed is None:
            result.meaning = f"skipped: {why}"
    merges = sum(1 for e in result.entries if e.action == "merge")
    inputs_n = sum(n for k, n in result.counts.items() if k != "merged")
    lines.append(
        f"{len(books)} codebooks, {inputs_n} codes -> {result.counts['merged']} codes; "
        f"{merges} merges, {len(result.conflicts)} conflicts for a human"
    )
    if plan is not None:
        _write(plan, write_plan(result))
        lines.append(
            f"wrote plan {plan}: nothing merged yet; review it, then run with --apply {plan}"
        )
    else:
        assert output is not None
        save_codebook(result.codebook, output)
        lines.append(f"wrote {output}")
    if report is not None:
        _write(report, render_report(result))
        lines.append(f"wrote report {report}")
    return lines
