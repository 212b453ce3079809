"""keys: print the TUI's keymap (the defaults with the config file's `[keys]` table applied)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import TableFormat, print_csv, print_json, print_table
from workbench.errors import WorkbenchError

COLUMNS = ("screen", "name", "keys", "action")


@app.command()
def keys(
    format: Annotated[
        TableFormat, typer.Option("--format", help="table, csv or json")
    ] = TableFormat.table,
) -> None:
    """Every key of the TUI by screen, with the name to rebind it by in the config file's
    [keys] table, as in code = "k". Unknown names in [keys] are errors (exit 2); keys that
    end up doing two things on one screen are listed on stderr."""
    from workbench.config import config_path, load_config
    from workbench.tui.keymap import build_keymap, keymap_rows

    result = build_keymap(load_config().keys)
    if result.errors:
        lines = [f"{config_path()} [keys]: {p}" for p in result.errors]
        raise WorkbenchError(lines[0], lines)
    rows = keymap_rows(result.keymap)
    if format is TableFormat.json:
        print_json([dict(zip(COLUMNS, r, strict=True)) for r in rows])
    elif format is TableFormat.csv:
        print_csv(COLUMNS, rows)
    else:
        from rich.markup import escape

        print_table(COLUMNS, rows, title=escape(f"keys: rebind them in {config_path()} [keys]"))
    for problem in result.conflicts:
        print(f"warning: {config_path()} [keys]: {problem}", file=sys.stderr)
