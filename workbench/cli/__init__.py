"""The `workbench` command: a thin layer over workbench.services."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from workbench.errors import WorkbenchError

app = typer.Typer(
    name="workbench",
    help="Workbench: local-first qualitative coding. Every command takes --project PATH.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-p",
            help="Project file (default: $WORKBENCH_PROJECT, else ./workbench.sqlite).",
            show_default=False,
        ),
    ] = None,
) -> None:
    ctx.obj = {"project": project}


def _register() -> None:
    from workbench.cli import (  # noqa: F401  (modules register their commands on import)
        codebook_cmds,
        coding_cmds,
        demo_cmd,
        document_cmds,
        eval_cmd,
        export_cmds,
        search_cmd,
        suggest_cmds,
        team_cmds,
        tui_cmd,
    )


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input becomes one line per problem on stderr, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = app(args=args, prog_name="workbench", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except WorkbenchError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc} (set WORKBENCH_DEBUG=1 for details)",
            err=True,
        )
        return 3
    return int(result or 0) if isinstance(result, int) else 0
