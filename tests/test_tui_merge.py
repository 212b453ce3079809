"""Pilot tests of the merge screen: review proposed decisions one by one, write the YAML."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from rich.console import Console
from textual.widgets import Input
from tui_project import build_project

from workbench.codebook.merge import hashed_bow_embed
from workbench.services.codes import CodeTree
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.forms import FormScreen
from workbench.tui.screens.merge import MergeScreen

BOOKS = FIXTURES / "merge_tui"
SIZE = (120, 40)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def copy_books(source: Path, folder: Path) -> list[Path]:
    """Copies of coder-a.yaml and coder-b.yaml of `source` in `folder` (made)."""
    folder.mkdir()
    out = []
    for name in ("coder-a.yaml", "coder-b.yaml"):
        (folder / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
        out.append(folder / name)
    return out


@pytest.fixture
def books(tmp_path: Path) -> list[Path]:
    """Copies of the two books in a folder of their own (the merged files go next to them)."""
    return copy_books(BOOKS, tmp_path / "books")


def fill(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put a long path into a form field (typing it key by key is slow); Enter still submits."""
    pilot.app.screen.query_one(selector, Input).value = text


async def open_merge(pilot, books: list[Path], meaning: bool = False) -> MergeScreen:  # type: ignore[no-untyped-def]
    """M on home, type the paths, untick meaning matching unless asked, Enter; wait for it."""
    await pilot.pause()
    await pilot.press("M")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FormScreen)
    fill(pilot, "#field-paths", " ".join(str(b) for b in books))
    if not meaning:
        await pilot.press("tab", "space", "shift+tab")
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, MergeScreen)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert screen.review is not None
    return screen


def shown(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    """What a Static shows, as plain text (it may hold a rich Group or Table)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(screen.query_one(selector).content)
    return console.export_text()


async def write_without_report(pilot, out: Path) -> None:  # type: ignore[no-untyped-def]
    """In the write form: the merged YAML to `out`, no report; then decline the import."""
    fill(pilot, "#field-output", str(out))
    fill(pilot, "#field-report", "")
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("n")  # do not import
    await pilot.pause()


def names(node: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [c["name"] for c in node]


async def test_review_accept_reject_rename_then_write_and_import(
    project: Path, books: list[Path]
) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_merge(pilot, books)
        review = screen.review
        assert review is not None
        kinds = [i.proposed.kind for i in review.items]
        assert kinds == ["name", "fuzzy", "alias"]  # the two codes only one book has: not asked
        status = shown(screen, "#merge-status")
        assert "decision 1 of 3" in status
        proposal = shown(screen, "#merge-proposal")
        assert "Proposal: merge" in proposal and "match: name" in proposal
        assert "score: 1.00" in proposal
        side_by_side = " ".join(shown(screen, "#merge-codes").split())
        assert "coder-a.yaml" in side_by_side and "coder-b.yaml" in side_by_side
        assert "without recognition" in side_by_side and "falls on" in side_by_side
        # skip the first, come back, accept it
        await pilot.press("space", "b", "y")
        # reject the fuzzy merge: both staff codes stay
        await pilot.press("n")
        # rename the alias merge
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", *"Digital exclusion and inequalities", "enter")
        await pilot.pause()
        assert [i.status for i in review.items] == ["accepted", "rejected", "renamed"]
        assert "End of the proposals" in shown(screen, "#merge-proposal")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)  # where to write (defaults next to the books)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # import it into the project
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen)
        await pilot.press("escape")  # written: leaves without asking
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
    assert app.errors == []
    folder = books[0].parent
    merged = yaml.safe_load((folder / "merged.yaml").read_text(encoding="utf-8"))
    codes = {c["name"]: c for c in merged["codes"]}
    assert set(codes) == {
        "Hidden work",
        "Staff training and capacity",
        "Staff capacity and training",
        "Digital exclusion and inequalities",
        "COVID-19",
        "Mental health",
    }
    assert [m["codebook"] for m in codes["Hidden work"]["merged_from"]] == [
        "coder-a.yaml",
        "coder-b.yaml",
    ]
    assert len(codes["Staff training and capacity"]["merged_from"]) == 1
    renamed = codes["Digital exclusion and inequalities"]
    assert {"Digital exclusion", "Exclusion"} <= set(renamed["aliases"])
    assert [m["id"] for m in renamed["merged_from"]] == ["digital-exclusion", "exclusion"]
    report = (folder / "merge.md").read_text(encoding="utf-8")
    assert "proposed merge rejected in review" in report and "renamed in review" in report
    assert not list(folder.glob(".*.tmp"))  # temp-file + rename left nothing behind
    proj = open_project(project)
    try:
        with proj.read() as conn:
            tree = CodeTree.load(conn)
    finally:
        proj.close()
    project_names = {c.name for c in tree.codes.values()}
    assert {"Digital exclusion and inequalities", "Staff capacity and training"} <= project_names


async def test_pending_decisions_kept_separate_and_meaning_runs_in_a_worker(
    project: Path, books: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.suggest.merge_embed as embedder

    calls: list[int] = []

    def fake_default_embed():  # type: ignore[no-untyped-def]
        calls.append(1)
        return hashed_bow_embed, ""

    monkeypatch.setattr(embedder, "default_embed", fake_default_embed)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_merge(pilot, books, meaning=True)
        assert calls == [1]
        assert screen.review is not None and "used" in screen.review.result.meaning
        await pilot.press("y", "w")  # accept the first; two left pending
        await pilot.pause()
        await pilot.press("down", "enter")  # "keep their codes separate"
        await pilot.pause()
        out = books[0].parent / "out" / "team.yaml"
        out.parent.mkdir()
        await write_without_report(pilot, out)
    assert app.errors == []
    merged = yaml.safe_load(out.read_text(encoding="utf-8"))
    top = names(merged["codes"])
    assert "Hidden work" in top and "Exclusion" in top and "Digital exclusion" in top
    assert not (out.parent / "merge.md").exists()  # an empty report path writes none


async def test_invalid_book_is_reported_and_output_may_not_overwrite_an_input(
    project: Path, books: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("codebook: x\ncodes:\n  - name: A\n    colour: red\n", encoding="utf-8")
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(MergeScreen([books[0], bad], use_meaning=False))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MergeScreen) and screen.review is None
        assert "bad.yaml:4" in shown(screen, "#merge-status")
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_merge(pilot, books)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("enter")  # pending: as proposed
        await pilot.pause()
        fill(pilot, "#field-output", str(books[0]))
        await pilot.press("enter")
        await pilot.pause()
        assert any("one of the input codebooks" in n.message for n in app._notifications)
    assert app.errors == []
    assert books[0].read_text(encoding="utf-8") == (BOOKS / "coder-a.yaml").read_text(
        encoding="utf-8"
    )


@pytest.mark.model
async def test_m_merges_a_possible_match_the_engine_only_flagged(
    project: Path, tmp_path: Path
) -> None:
    """The team books with the bundled model: 'Scam worries' (coder B) is only flagged as a
    possible match of 'Trust and security' (coder A); m merges them in review."""
    folder = tmp_path / "team"
    books = copy_books(Path(__file__).resolve().parents[1] / "codebooks" / "team", folder)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_merge(pilot, books, meaning=True)
        assert screen.review is not None
        items = screen.review.items
        flagged = next(
            n
            for n, item in enumerate(items)
            if "possible match" in item.proposed.rule and "Scam worries" in item.proposed.rule
        )
        screen.index = flagged  # jump to it (the entries before it stay pending)
        screen.show()
        await pilot.pause()
        assert "possible" in shown(screen, "#merge-proposal")
        await pilot.press("m")
        await pilot.pause()
        assert items[flagged].status == "merged" and screen.index == flagged + 1
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("enter")  # open decisions: as proposed
        await pilot.pause()
        out = folder / "merged.yaml"
        await write_without_report(pilot, out)
    assert app.errors == []
    merged = yaml.safe_load(out.read_text(encoding="utf-8"))

    def find(codes: list[dict], name: str) -> dict | None:  # type: ignore[type-arg]
        for c in codes:
            if c["name"] == name:
                return c
            hit = find(c.get("children", []), name)
            if hit:
                return hit
        return None

    trust = find(merged["codes"], "Trust and security")
    assert trust is not None and "Scam worries" in trust.get("aliases", [])
    assert find(merged["codes"], "Scam worries") is None
