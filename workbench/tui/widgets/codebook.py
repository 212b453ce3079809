"""The codebook panel: the code tree with coding counts, and the actions that edit it."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, Tree
from textual.widgets.tree import TreeNode

from workbench.errors import WorkbenchError
from workbench.services.code_tree import CodeTree
from workbench.services.home_stats import code_counts
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import show
from workbench.tui.text import plural


def _edit() -> ModuleType:
    """services.code_edit, loaded with the first edit (it needs SQLAlchemy; the panel's
    first fill at start-up does not)."""
    from workbench.services import code_edit

    return code_edit


def code_label(tree: CodeTree, code_id: str, counts: dict[str, int]) -> Text:
    code = tree.codes[code_id]
    own = counts.get(code_id, 0)
    total = own + sum(counts.get(d, 0) for d in tree.descendants(code_id))
    label = Text("■ ", style=code.color or "grey50")
    # the count first: a long name cut at the panel's edge never hides it
    label.append(f"{own} " if own == total else f"{own}/{total} ", style="dim")
    label.append(code.name)
    return label


class CodeTreeView(UsesWorkbench, Tree[str]):
    """Keys act on the highlighted code; every change is saved at once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_child", "Add code", id="codebook.add"),
        Binding("A", "add_top", "Add top-level", key_display="A", id="codebook.add_top"),
        Binding("n", "rename", "Rename", id="codebook.rename"),
        Binding("m", "move", "Move", id="codebook.move"),
        Binding("g", "merge", "Merge into…", id="codebook.merge"),
        Binding("e", "edit", "Edit", id="codebook.edit"),
        Binding("delete", "delete", "Delete", id="codebook.delete"),
    ]

    def panel(self) -> CodebookPanel:
        return self.query_ancestor(CodebookPanel)

    def selected(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def _write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a code_edit function in one transaction; errors become notifications."""
        try:
            with self.wb.project.begin() as conn:
                result = fn(conn, *args, **kwargs)
        except WorkbenchError as exc:
            show(self, exc)
            return None
        self.wb.refresh_data()
        return result if result is not None else True

    def _tree(self) -> CodeTree:
        with self.wb.reading() as conn:
            return CodeTree.load(conn)

    def action_add_child(self, parent: str | None = None, top: bool = False) -> None:
        from workbench.tui.screens.modals import PromptScreen

        parent_id = None if top else self.selected()
        where = "top level" if parent_id is None else self._tree().path_str(parent_id)

        def done(name: str | None) -> None:
            if name:
                code = self._write(_edit().add_code, name, parent_id)
                if code:
                    self.panel().select(code.id)
                    self.notify(f"added code '{code.name}' ({where})")

        self.app.push_screen(PromptScreen(f"New code under {where}"), done)

    def action_add_top(self) -> None:
        self.action_add_child(top=True)

    def action_rename(self) -> None:
        from workbench.tui.screens.modals import PromptScreen

        cid = self.selected()
        if cid is None:
            return
        old = self._tree().codes[cid].name

        def done(name: str | None) -> None:
            if name and name != old and self._write(_edit().rename_code, cid, name):
                self.notify(f"renamed '{old}' to '{name}' (old name kept as an alias)")

        self.app.push_screen(PromptScreen(f"Rename '{old}'", value=old), done)

    def action_move(self) -> None:
        from workbench.tui.screens.modals import ChoiceScreen

        cid = self.selected()
        if cid is None:
            return
        tree = self._tree()
        banned = {cid, *tree.descendants(cid)}
        options = [("\x00top", "(top level)")] + [
            (c.id, "  " * depth + c.name) for c, depth in tree.walk() if c.id not in banned
        ]

        def done(target: str | None) -> None:
            if target is None:
                return
            parent = None if target == "\x00top" else target
            if self._write(_edit().move_code, cid, parent):
                self.panel().select(cid)
                self.notify(f"moved '{tree.codes[cid].name}'")

        self.app.push_screen(ChoiceScreen(f"Move '{tree.codes[cid].name}' under…", options), done)

    def action_merge(self) -> None:
        from workbench.tui.screens.modals import ConfirmScreen
        from workbench.tui.screens.picker import CodePicker, Picked

        cid = self.selected()
        if cid is None:
            return
        tree = self._tree()
        loser = tree.codes[cid]

        def picked(choice: Picked | None) -> None:
            if choice is None or choice.code_id is None:
                return
            survivor = tree.codes[choice.code_id]
            with self.wb.project.read() as conn:
                n = _edit().coding_count(conn, cid)

            def confirmed(yes: bool | None) -> None:
                if not yes:
                    return
                out = self._write(_edit().merge_codes, cid, survivor.id)
                if out:
                    self.panel().select(survivor.id)
                    self.notify(
                        f"merged '{loser.name}' into '{survivor.name}': "
                        f"{plural(out.moved, 'coding')} moved"
                    )

            question = (
                f"Merge '{loser.name}' into '{survivor.name}'? {plural(n, 'coding')} move to "
                f"'{survivor.name}'; '{loser.name}' becomes its alias."
            )
            self.app.push_screen(ConfirmScreen(question), confirmed)

        self.app.push_screen(CodePicker(tree, f"Merge '{loser.name}' into…"), picked)

    def action_edit(self) -> None:
        from workbench.tui.screens.code_form import CodeFormScreen

        cid = self.selected()
        if cid is None:
            return
        code = self._tree().codes[cid]

        def done(values: dict[str, object] | None) -> None:
            if values is not None and self._write(_edit().edit_code, cid, **values):
                self.notify(f"saved '{code.name}'")

        self.app.push_screen(CodeFormScreen(code), done)

    def action_delete(self) -> None:
        from workbench.tui.screens.modals import ConfirmScreen

        cid = self.selected()
        if cid is None:
            return
        code = self._tree().codes[cid]
        with self.wb.project.read() as conn:
            n = _edit().coding_count(conn, cid)
        if n == 0:
            question = f"Delete code '{code.name}'? (no codings; children move up)"
        else:
            question = (
                f"Delete code '{code.name}' AND its {plural(n, 'coding')}? This cannot be undone."
            )

        def done(yes: bool | None) -> None:
            if yes and self._write(_edit().delete_code, cid, delete_codings=True) is not None:
                self.notify(f"deleted '{code.name}' ({plural(n, 'coding')} removed)")

        self.app.push_screen(ConfirmScreen(question), done)


class CodebookPanel(UsesWorkbench, Vertical):
    """Side panel: title and the code tree."""

    def compose(self) -> ComposeResult:
        yield Label("Codebook", classes="panel-title")
        tree: CodeTreeView = CodeTreeView("codes", id="code-tree")
        tree.show_root = False
        yield tree

    def reload(self) -> None:
        with self.wb.reading() as conn:  # at start-up: before SQLAlchemy is loaded
            tree = CodeTree.load(conn)
            counts = code_counts(conn)  # from the kept aggregate
        view = self.query_one(CodeTreeView)
        keep = view.selected()
        view.clear()
        nodes = {None: view.root}
        for code, _depth in tree.walk():
            parent = nodes[code.parent_id]
            leaf = not tree.children.get(code.id)
            label = code_label(tree, code.id, counts)
            node = (
                parent.add_leaf(label, data=code.id)
                if leaf
                else parent.add(label, data=code.id, expand=True)
            )
            nodes[code.id] = node
        if keep:
            self.select(keep)

    def select(self, code_id: str) -> None:
        view = self.query_one(CodeTreeView)

        def find(node: TreeNode[str]) -> TreeNode[str] | None:
            if node.data == code_id:
                return node
            for child in node.children:
                hit = find(child)
                if hit is not None:
                    return hit
            return None

        node = find(view.root)
        if node is not None:
            view.call_after_refresh(view.move_cursor, node)

    def selected_code_id(self) -> str | None:
        return self.query_one(CodeTreeView).selected()

    def focus_tree(self) -> None:
        view = self.query_one(CodeTreeView)
        if view.cursor_line < 0:
            view.cursor_line = 0
        view.focus()
