"""Each run builds only the command it names (cli.tree_for): the same command, help and
errors as with the whole tree, for every command there is."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from workbench.cli import _command_name, app, tree_for


def names() -> list[str]:
    from typer.main import get_command_name

    commands = [
        c.name or get_command_name(c.callback.__name__)
        for c in app.registered_commands
        if c.callback is not None
    ]
    return sorted([*commands, *(str(g.name) for g in app.registered_groups)])


def test_every_command_is_found() -> None:
    assert len(names()) >= 20
    for name in names():
        tree = tree_for([name, "--help"])
        assert tree is not app
        built = typer.main.get_command(tree)
        assert list(built.commands) == [name]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["export", "excerpts", "-o", "x.csv"], "export"),
        (["-p", "study.sqlite", "documents"], "documents"),
        (["--project", "study.sqlite", "documents"], "documents"),
        (["--project=study.sqlite", "codebook", "show"], "codebook"),
        (["--", "documents"], "documents"),
        (["--help"], None),
        (["-h", "documents"], None),
        ([], None),
        (["-p", "study.sqlite"], None),
    ],
)
def test_command_name(args: list[str], name: str | None) -> None:
    assert _command_name(args) == name


def test_unknown_names_get_the_whole_tree() -> None:
    assert tree_for(["expor"]) is app
    assert tree_for(["--help"]) is app


@pytest.mark.parametrize("name", names())
def test_help_is_the_same_as_with_the_whole_tree(name: str) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, [name, "--help"], prog_name="workbench")
    alone = runner.invoke(tree_for([name]), [name, "--help"], prog_name="workbench")
    assert whole.exit_code == alone.exit_code == 0
    assert alone.output == whole.output


def test_a_typo_still_gets_did_you_mean(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("expor")
    assert r.code == 2
    assert "Did you mean 'export'" in r.err
