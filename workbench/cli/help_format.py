"""How `workbench … --help` looks: click's plain layout, without Rich. The help prints in a
fraction of the time (Rich's help renderer costs more than the rest of the start-up), and
square brackets are shown as written (`[keys]`), where Rich read them as markup. The command
lists give each command's whole first sentence, wrapped, where click would cut it to one
line with "…"."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

try:  # typer >= 0.17 ships its own copy of click
    from typer._click.utils import make_default_short_help
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.utils import make_default_short_help

SUMMARY = 400  # characters: a first sentence is never cut


class HelpGroup(TyperGroup):
    """A command group whose command list shows first sentences whole."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.short_help and cmd.help:
                cmd.short_help = make_default_short_help(cmd.help, SUMMARY)
        super().format_commands(ctx, formatter)


# What every Typer app of the CLI is made with.
PLAIN_HELP: dict[str, Any] = {"cls": HelpGroup, "rich_markup_mode": None}
