"""codebook import / export / validate / merge."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, info, project_session
from workbench.cli.help_format import PLAIN_HELP
from workbench.errors import WorkbenchError

codebook_app = typer.Typer(
    **PLAIN_HELP, help="Codebooks: import, export, validate, merge.", no_args_is_help=True
)
app.add_typer(codebook_app, name="codebook")

YAML_EXT = (".yaml", ".yml")


def load_any_codebook(path: Path):  # type: ignore[no-untyped-def]
    """A codebook from .yaml/.yml or REFI-QDA .qdc (what a .qdc needed adjusting goes to stderr)."""
    if not path.exists():
        raise WorkbenchError(f"{path}: no such file")
    ext = path.suffix.lower()
    if ext in YAML_EXT:
        from workbench.codebook.yaml_io import load_codebook

        return load_codebook(path)
    if ext == ".qdc":
        from workbench.codebook.refi.qdc import read_qdc_report

        cb, warnings = read_qdc_report(path)
        for warning in warnings:
            typer.echo(f"warning: {warning}", err=True)
        return cb
    raise WorkbenchError(f"{path}: unknown codebook format (use .yaml, .yml or .qdc)")


@codebook_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Codebook .yaml/.yml or REFI-QDA .qdc")],
    prune: Annotated[
        bool,
        typer.Option(help="Remove project codes missing from the file (never those with codings)."),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Load codes into the project: adds and updates by id (else by path of names)."""
    from workbench.services.codebook_sync import import_codebook

    cb = load_any_codebook(file)
    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            report = import_codebook(conn, cb, prune=prune)
    for line in report.lines():
        typer.echo(line)


class CodebookFormat(StrEnum):
    yaml = "yaml"
    md = "md"
    qdc = "qdc"


FORMAT_BY_EXT = {".yaml": "yaml", ".yml": "yaml", ".md": "md", ".qdc": "qdc"}


def export_format(output: str, fmt: CodebookFormat | None) -> CodebookFormat:
    """`--format` wins; else the extension; `-o -` without `--format` is YAML."""
    from workbench.fsutil import is_stdout

    if fmt is not None:
        return fmt
    if is_stdout(output):
        return CodebookFormat.yaml
    by_ext = FORMAT_BY_EXT.get(Path(output).suffix.lower())
    if by_ext is None:
        raise WorkbenchError(f"{output}: unknown format (use .yaml, .qdc or .md, or --format)")
    return CodebookFormat(by_ext)


@codebook_app.command("export")
def export_cmd(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output .yaml, .qdc or .md (- for stdout)")
    ],
    format: Annotated[
        CodebookFormat | None,
        typer.Option("--format", help="yaml, md or qdc (default: by extension; yaml for -o -)"),
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Write the project's codebook as .yaml, .qdc or .md (by extension, or --format)."""
    from workbench.cli.export_cmds import check_target
    from workbench.fsutil import (
        atomic_write_bytes,
        is_stdout,
        write_stdout_bytes,
        write_text_output,
    )
    from workbench.services.codebook_sync import export_codebook
    from workbench.services.codes import coding_counts

    fmt = export_format(output, format)
    proj_path = check_target(ctx, project, output, stdout_ok=True)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            from workbench.services.codes import CodeTree

            if not CodeTree.load(conn).codes:
                raise WorkbenchError(
                    "the project has no codes yet (workbench codebook import FILE)"
                )
            cb = export_codebook(conn)
            counts = coding_counts(conn)
    if fmt is CodebookFormat.yaml:
        from workbench.codebook.yaml_io import dump_codebook

        write_text_output(output, dump_codebook(cb), project=proj_path)
    elif fmt is CodebookFormat.md:
        from workbench.codebook.markdown import codebook_to_markdown

        write_text_output(output, codebook_to_markdown(cb, counts), project=proj_path)
    else:
        from workbench.codebook.refi.qdc import qdc_bytes

        data = qdc_bytes(cb)
        if is_stdout(output):  # .qdc is UTF-8 XML: text, fine on a pipe
            write_stdout_bytes(data)
        else:
            atomic_write_bytes(output, data, project=proj_path, what="a .qdc codebook")
    if is_stdout(output):
        info(f"wrote the codebook ({fmt}) to stdout")
    else:
        typer.echo(f"wrote {output}")


@codebook_app.command("validate")
def validate_cmd(file: Annotated[Path, typer.Argument(help="Codebook .yaml/.yml or .qdc")]) -> None:
    """Exit 0 if valid, else exit 2 with one FILE:LINE: message per problem."""
    cb = load_any_codebook(file)
    from workbench.codebook.model import iter_codes

    n = sum(1 for _ in iter_codes(cb))
    typer.echo(f"{file}: valid ({n} codes)")


@codebook_app.command("merge")
def merge_cmd(
    files: Annotated[list[Path], typer.Argument(help="Two or more codebooks (.yaml)")],
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Merged codebook .yaml (- for stdout)")
    ] = None,
    report: Annotated[
        str | None, typer.Option(help="Write the Markdown decision report here (- for stdout)")
    ] = None,
    plan: Annotated[
        str | None,
        typer.Option(
            help="Write the proposed decisions as an editable YAML plan, nothing merged "
            "(- for stdout)"
        ),
    ] = None,
    apply: Annotated[Path | None, typer.Option(help="Apply an edited plan")] = None,
    no_meaning: Annotated[
        bool, typer.Option("--no-meaning", help="Skip embedding-based matching (no model load).")
    ] = False,
) -> None:
    """Merge codebooks; the report lists every decision and conflict."""
    from workbench.codebook.merge.cli_glue import run_merge
    from workbench.fsutil import is_stdout
    from workbench.suggest.merge_embed import default_embed

    to_stderr = any(is_stdout(o) for o in (output, report, plan))  # stdout carries the data
    for line in run_merge(
        files,
        output=output,
        report=report,
        plan=plan,
        apply=apply,
        use_meaning=not no_meaning,
        load_embed=default_embed,
    ):
        typer.echo(line, err=to_stderr)
