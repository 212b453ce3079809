"""Keys as data: the config file's [keys] table rebinds TUI actions by name; help, footer,
palette and `workbench keys` show the keys in force; problems are one line at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tui_project import build_project

from workbench.tui.app import WorkbenchApp
from workbench.tui.keymap import build_keymap, default_keys, keymap_rows
from workbench.tui.screens.coding import CodingScreen
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.picker import CodePicker


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_CONFIG", str(path))
    return path


def help_text(screen: HelpScreen) -> str:
    from io import StringIO

    from rich.console import Console

    console = Console(width=120, file=StringIO(), record=True)
    for static in screen.query("Static"):
        console.print(static.content)
    return console.export_text()


async def test_code_on_k_opens_the_picker_and_help_shows_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(tmp_path, monkeypatch, '[keys]\ncode = "k"\n')
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # the clash with k = previous turn is reported once, as one line
        notes = [n.message for n in app._notifications if n.title == "Key bindings"]
        assert notes == [
            "keys: k is bound to both previous_turn and code on Coding screen; it does code"
        ]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("c")  # c no longer codes
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)
        await pilot.press("escape")
        await pilot.pause()
        titles = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert titles["Code"] == "key: k"
        footer = {b.binding.key: b.binding.description for b in app.screen.active_bindings.values()}
        assert footer.get("k") == "Code" and "c" not in footer
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app.screen)
        coding = text[text.index("\nCoding screen") : text.index("\nCode picker")]
        lines = [line.split() for line in coding.splitlines()]
        assert ["k", "Code"] in lines
        assert ["c", "Code"] not in lines
    assert app.errors == []


async def test_dotted_names_and_tables_rebind_other_screens(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(tmp_path, monkeypatch, '[keys.home]\nfilter = "ctrl+f"\n[keys]\n"undo" = "ctrl+z"\n')
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.keys.problems == []
        await pilot.press("ctrl+f")
        assert app.screen.query_one("#doc-filter").has_focus


def test_unknown_names_and_bad_values_are_problems() -> None:
    result = build_keymap({"cod": "k", "memo": 3, "select": "V"})
    assert result.errors == [
        "'cod' is not an action name (workbench keys lists them)",
        '\'memo\' must be a key string such as "k" or "ctrl+k"',
    ]
    assert result.keymap == {"select": "V"}
    assert result.conflicts == [
        "V is bound to both select_turn and select on Coding screen; it does select"
    ]
    assert result.summary() is not None and "\n" not in result.summary()


def test_every_binding_has_a_unique_name() -> None:
    from workbench.tui.keymap import scopes

    names = [b.id for sc in scopes() for b in sc.bindings]
    assert None not in names
    assert len(names) == len(set(names)) == len(default_keys())
    assert default_keys()["code"] == "c"


def test_workbench_keys_prints_the_keymap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config(tmp_path, monkeypatch, '[keys]\ncode = "k"\n')
    run = subprocess.run(
        [sys.executable, "-m", "workbench", "keys", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    code = next(r for r in rows if r["name"] == "code")
    assert code == {"screen": "Coding screen", "name": "code", "keys": "k", "action": "Code"}
    assert len(rows) == len(keymap_rows({}))
    assert run.stderr.strip() == (
        f"warning: {path} [keys]: k is bound to both previous_turn and code on Coding screen; "
        "it does code"
    )
    path.write_text('[keys]\nnosuch = "x"\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "workbench", "keys"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"{path} [keys]: 'nosuch' is not an action name (workbench keys lists them)"
    )
    assert "Traceback" not in run.stderr


async def test_a_screen_key_beats_an_app_key_as_reported(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(tmp_path, monkeypatch, '[keys]\nundo = "c"\n')
    app = WorkbenchApp(project, "tester")
    assert (
        app.keys.conflicts[0] == "c is bound to both undo and code on Coding screen; it does code"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("c")  # the coding screen's own c: the picker, as the line says
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)


def test_docs_list_every_action_name() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "tui.md").read_text(encoding="utf-8")
    missing = [name for _, name, _, _ in keymap_rows({}) if f"`{name}`" not in docs]
    assert missing == [], f"docs/tui.md does not list {missing}"
