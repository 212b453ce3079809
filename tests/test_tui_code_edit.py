"""Codebook editing services used by the TUI's codebook panel (workbench.services.code_edit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_project import build_project

from workbench.errors import WorkbenchError
from workbench.services import code_edit
from workbench.services.codes import CodeTree
from workbench.services.coding import add_coding, list_codings
from workbench.store.db import open_project


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    proj = open_project(build_project(tmp_path / "study.sqlite"))
    yield proj
    proj.close()


def test_move_refuses_cycles_and_sibling_clashes(project) -> None:  # type: ignore[no-untyped-def]
    with project.begin() as conn:
        with pytest.raises(WorkbenchError, match="under itself"):
            code_edit.move_code(conn, "facilitation", "facilitation/passive-facilitation")
        code_edit.move_code(conn, "hidden-work", "facilitation")
        assert CodeTree.load(conn).path_str("hidden-work") == "Facilitation > Hidden work"
        code_edit.add_code(conn, "Hidden work")
        with pytest.raises(WorkbenchError, match="sibling"):
            code_edit.move_code(conn, "hidden-work", None)


def test_merge_drops_duplicate_spans_and_keeps_names_as_aliases(project) -> None:  # type: ignore[no-untyped-def]
    with project.begin() as conn:
        hw = next(c for c in list_codings(conn) if c.code_id == "hidden-work")
        add_coding(conn, "staff_s1", hw.start, hw.end, "COVID-19", "alice")  # same span + coder
        add_coding(conn, "staff_s1", 0, 5, "Hidden work", "bob")
        out = code_edit.merge_codes(conn, "hidden-work", "covid-19")
        assert (out.moved, out.duplicates) == (1, 1)
        tree = CodeTree.load(conn)
        assert tree.codes["covid-19"].aliases == ("Hidden work", "invisible labour")
        assert tree.codes["covid-19"].merged_from[0]["id"] == "hidden-work"
        assert sorted((c.coder, c.code_id) for c in list_codings(conn, code_ids=["covid-19"])) == [
            ("alice", "covid-19"),
            ("bob", "covid-19"),
        ]
        with pytest.raises(WorkbenchError):
            code_edit.merge_codes(conn, "facilitation", "facilitation/passive-facilitation")


def test_delete_needs_confirmation_when_codings_exist(project) -> None:  # type: ignore[no-untyped-def]
    with project.begin() as conn:
        with pytest.raises(WorkbenchError, match="has 1 codings"):
            code_edit.delete_code(conn, "hidden-work")
        assert code_edit.delete_code(conn, "hidden-work", delete_codings=True) == 1
        assert code_edit.delete_code(conn, "facilitation") == 0  # children move up
        tree = CodeTree.load(conn)
        assert tree.codes["facilitation/passive-facilitation"].parent_id is None
        assert "hidden-work" not in tree.codes


def test_edit_validates_colour_and_fields(project) -> None:  # type: ignore[no-untyped-def]
    with project.begin() as conn:
        with pytest.raises(WorkbenchError, match="colour"):
            code_edit.edit_code(conn, "covid-19", color="red")
        with pytest.raises(WorkbenchError, match="not an editable"):
            code_edit.edit_code(conn, "covid-19", name="x")
        code_edit.edit_code(conn, "covid-19", description=" Pandemic ", examples=["a", " "])
        code = CodeTree.load(conn).codes["covid-19"]
        assert (code.description, code.examples) == ("Pandemic", ("a",))
