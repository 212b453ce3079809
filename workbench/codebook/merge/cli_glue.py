"""`workbench codebook merge`: load the books, merge or apply a plan, write the outputs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from workbench.codebook.merge.text import Embed
from workbench.codebook.model import Codebook
from workbench.codebook.yaml_io import CodebookInvalid, dump_codebook, load_codebook
from workbench.errors import WorkbenchError
from workbench.fsutil import check_output, is_stdout, write_text_output

OutPath = str | os.PathLike[str]


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
        from workbench.codebook.refi.qdc import read_qdc

        return read_qdc(path)
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


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _where(path: OutPath) -> str:
    return "to stdout" if is_stdout(path) else str(path)


def check_outputs(outputs: dict[str, OutPath | None], inputs: list[Path]) -> dict[str, OutPath]:
    """Refuse bad targets before any work: the output guard for each, at most one `-`
    (stdout), no output that is an input or another output. Returns the outputs given."""
    given = {flag: out for flag, out in outputs.items() if out is not None}
    to_stdout = [flag for flag, out in given.items() if is_stdout(out)]
    if len(to_stdout) > 1:
        raise WorkbenchError(f"only one output can go to stdout (-): {' and '.join(to_stdout)}")
    files: dict[str, Path] = {}
    for flag, out in given.items():
        if not is_stdout(out):
            check_output(out)  # before Path(): Path("") would be "."
            files[flag] = Path(out)
    for out in files.values():
        for f in inputs:
            if _same_file(out, f):
                raise WorkbenchError(f"{out} is one of the input codebooks; write elsewhere")
    seen: list[tuple[str, Path]] = []
    for flag, out in files.items():
        for other_flag, other in seen:
            if _same_file(out, other):
                raise WorkbenchError(f"{out}: given to both {other_flag} and {flag}")
        seen.append((flag, out))
    return given


def run_merge(
    files: list[Path],
    *,
    output: OutPath | None,
    report: OutPath | None = None,
    plan: OutPath | None = None,
    apply: Path | None = None,
    use_meaning: bool = True,
    load_embed: Callable[[], tuple[Embed | None, str]] | None = None,
) -> list[str]:
    """`-` as -o, --report or --plan writes that one to stdout (the caller then prints the
    returned lines to stderr)."""
    """Do the merge the command line asked for; returns the lines to print."""
    from workbench.codebook.merge import apply_plan, merge_codebooks, render_report, write_plan

    if plan is not None and apply is not None:
        raise WorkbenchError("give --plan (write a plan) or --apply (apply one), not both")
    if len(files) < 2:
        raise WorkbenchError("codebook merge needs at least two codebooks")
    if plan is None and output is None:
        raise WorkbenchError("say where to write the merged codebook: -o OUT.yaml")
    inputs = [*files, *([apply] if apply is not None else [])]
    check_outputs({"-o": output, "--report": report, "--plan": plan}, inputs)
    books = load_books(files)
    lines: list[str] = []
    if apply is not None:
        result = apply_plan(books, apply)
    else:
        embed, why = None, "--no-meaning given"
        if use_meaning:
            embed, why = load_embed() if load_embed else (None, "no embedding model given")
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
        write_text_output(plan, write_plan(result))
        again = "PLAN.yaml" if is_stdout(plan) else plan
        lines.append(
            f"wrote plan {_where(plan)}: nothing merged yet; review it, then run with "
            f"--apply {again}"
        )
    else:
        assert output is not None
        write_text_output(output, dump_codebook(result.codebook))
        lines.append(f"wrote {_where(output)}")
    if report is not None:
        write_text_output(report, render_report(result))
        lines.append(f"wrote report {_where(report)}")
    return lines
