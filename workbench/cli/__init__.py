"""The `workbench` command: a thin layer over workbench.services."""

from __future__ import annotations

import copy
import gc
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import click
import typer

try:  # typer >= 0.17 ships its own copy of click: its exceptions are not click's
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover - older typer uses click itself
    _typer_click = click.exceptions  # type: ignore[assignment]

from workbench import startup_gc
from workbench.cli.help_format import PLAIN_HELP
from workbench.errors import WorkbenchError

app = typer.Typer(
    **PLAIN_HELP,
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
        analysis_cmds,
        check_cmd,
        codebook_cmds,
        coding_cmds,
        demo_cmd,
        document_cmds,
        eval_cmd,
        export_cmds,
        keys_cmd,
        pseudonyms_cmd,
        search_cmd,
        server_cmds,
        suggest_cmds,
        team_cmds,
        tui_cmd,
    )


_register()


_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_CLICK_ERRORS = (click.ClickException, _typer_click.ClickException)


def usage_line(exc: Exception) -> str:
    """One line for a usage error: click's own message and where to find help."""
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "workbench --help"
    return f"Error: {message} (see `{where}`)"


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input becomes one line per problem on stderr, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    if _command_name(args) != "tui":  # the TUI resumes it once painted (startup_gc)
        startup_gc.resume()
    from workbench.cli.server_cmds import adopt_login

    adopt_login(args)  # on a server project the default coder is the login
    _store_call("forget_created")
    try:
        code = _run(args)
    except BaseException:
        _store_call("discard_created_if_empty")
        raise
    if code not in (0, 1):
        _store_call("discard_created_if_empty")  # a refused first import leaves no file behind
    return code


def run() -> NoReturn:
    """The `workbench` command: `main()`, then exit without the interpreter's last garbage
    collection. A command that loaded SQLAlchemy leaves ~50,000 objects whose collection at
    exit took 0.1 s of every command's wall time (`export excerpts`: 0.61 -> 0.50 s, median
    of 10); the process is ending, so nothing is gained by walking them. Files are closed and
    exports renamed before `main()` returns; atexit handlers still run. The collector is
    also paused while the command starts (workbench/startup_gc.py)."""
    startup_gc.pause()
    code = main()
    gc.freeze()
    sys.exit(code)


def _store_call(name: str) -> None:
    """Call a project-bookkeeping function of the store if the store was loaded at all (a
    command that opened no project created none; `--help` never loads SQLAlchemy)."""
    db = sys.modules.get("workbench.store.db")
    if db is not None:
        getattr(db, name)()


ROOT_VALUE_OPTIONS = ("--project", "-p")  # the root callback's options that take a value


def _command_name(args: list[str]) -> str | None:
    """The command the arguments name (None: none, or the root's own --help)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if arg in ROOT_VALUE_OPTIONS:
            i += 2
            continue
        if arg.startswith("-"):
            if arg in ("--help", "-h"):
                return None
            i += 1
            continue
        return arg
    return None


def tree_for(args: list[str]) -> typer.Typer:
    """The command tree to build for this run: only the command asked for, when it is one.
    typer builds a click command for every registered function on each run, evaluating
    each one's annotations (36 commands: 0.03-0.04 s of every command's start); the root
    --help, no command or an unknown one (click's "did you mean") get the whole tree."""
    from typer.main import get_command_name

    name = _command_name(args)
    if name is None:
        return app
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    tree = copy.copy(app)  # the same settings and root callback (--project)
    tree.registered_commands, tree.registered_groups = commands, groups
    return tree


def _run(args: list[str]) -> int:
    try:
        result = tree_for(args)(args=args, prog_name="workbench", standalone_mode=False)
    except _EXIT as exc:
        return int(exc.exit_code or 0)
    except _ABORT:
        typer.echo("aborted", err=True)
        return 130
    except _CLICK_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, no error
            typer.echo(exc.format_message())
            return 0
        typer.echo(usage_line(exc), err=True)
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
