"""Keys as data: every binding has a name (its id); the user's `[keys]` table rebinds by name.

The keymap in force is the defaults (the `BINDINGS` of the app, each screen and panel, every
binding with an `id`) overlaid with the config file's `[keys]` table, e.g.

    [keys]
    code = "k"                 # the coding screen's code picker on k
    "home.filter" = "ctrl+f"   # names of other screens carry the screen's prefix
    undo = "u,ctrl+z"          # several keys, comma-separated

The app applies it at start-up (`App.set_keymap`); the help screen, the footer, the command
palette and `workbench keys` all show the keys in force. Unknown names and keys that end up
doing two things on one screen are reported as one line at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from textual.binding import Binding

# (prefix of the names, title, "module:Class"); the app's and the coding screen's names have
# no prefix. Dialogs are in the same list; a screen that is not installed is skipped.
SCOPES: list[tuple[str, str, str]] = [
    ("", "Everywhere", "workbench.tui.app:WorkbenchApp"),
    ("home", "Home (documents)", "workbench.tui.screens.home:HomeScreen"),
    ("codebook", "Codebook panel (b on home)", "workbench.tui.widgets.codebook:CodeTreeView"),
    ("", "Coding screen", "workbench.tui.screens.coding:CodingScreen"),
    ("picker", "Code picker (c)", "workbench.tui.screens.picker:CodePicker"),
    ("memo", "Memo (m)", "workbench.tui.screens.modals:MemoScreen"),
    (
        "code_form",
        "Code form (e in the codebook)",
        "workbench.tui.screens.code_form:CodeFormScreen",
    ),
    ("confirm", "Confirm", "workbench.tui.screens.modals:ConfirmScreen"),
    ("retrieval", "Retrieval (r on home, F2)", "workbench.tui.screens.retrieval:RetrievalScreen"),
    ("search", "Search (f on home, F3)", "workbench.tui.screens.search:SearchScreen"),
    (
        "review",
        "Review suggestions (F4, or R on the coding screen)",
        "workbench.tui.screens.review:ReviewScreen",
    ),
    ("merge", "Merge codebooks (F5, or M on home)", "workbench.tui.screens.merge:MergeScreen"),
    (
        "disagreements",
        "Coder disagreements (F6, or D on home)",
        "workbench.tui.screens.disagreements:DisagreementScreen",
    ),
    ("analysis", "Analysis (matrix coding)", "workbench.tui.screens.analysis:AnalysisScreen"),
    ("pseudonyms", "Pseudonyms", "workbench.tui.screens.pseudonyms:PseudonymScreen"),
    (
        "form",
        "Forms (merge set-up, write merged codebook)",
        "workbench.tui.screens.forms:FormScreen",
    ),
    ("help", "Help (?)", "workbench.tui.screens.help:HelpScreen"),
]
# Bindings of these scopes are active together with the scope itself (conflict checks).
ALSO_ACTIVE = {"home": ["codebook"]}


@dataclass(frozen=True)
class Scope:
    prefix: str
    title: str
    bindings: list[Binding]


@dataclass
class KeymapResult:
    """The user's overrides (binding id -> keys), bad entries and clashes, one line each."""

    keymap: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # unknown names, values that are no keys
    conflicts: list[str] = field(default_factory=list)  # a key doing two things on a screen

    @property
    def problems(self) -> list[str]:
        return [*self.errors, *self.conflicts]

    def summary(self) -> str | None:
        """Every problem on one line (for the start-up notification), or None."""
        return "keys: " + "; ".join(self.problems) if self.problems else None


def _load(path: str) -> type | None:
    module, _, name = path.partition(":")
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


def scopes() -> list[Scope]:
    """Every screen and panel with its bindings, in reading order."""
    out = []
    for prefix, title, path in SCOPES:
        cls = _load(path)
        if cls is None:
            continue
        bindings = [b for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding)]
        out.append(Scope(prefix, title, bindings))
    return out


def default_keys() -> dict[str, str]:
    """Binding id -> its default keys."""
    return {b.id: b.key for sc in scopes() for b in sc.bindings if b.id}


def keys_for(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The keys in force for a binding, as shown to the user (`?`, `ctrl+p`, `/`)."""
    if binding.id and binding.id in keymap:
        return display(keymap[binding.id])
    if binding.key_display:
        return binding.key_display
    return display(binding.key)


SHORT = {
    "question_mark": "?",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "comma": ",",
    "full_stop": ".",
}


def display(keys: str) -> str:
    return ", ".join(SHORT.get(k.strip(), k.strip().replace("_", " ")) for k in keys.split(","))


def build_keymap(user: Mapping[str, object]) -> KeymapResult:
    """Check the user's `[keys]` table against the defaults: unknown names, bad values and
    keys bound to two actions on one screen become problems; the rest is the keymap."""
    result = KeymapResult()
    if not user:  # the usual case: nothing to check, no screen module imported at start-up
        return result
    known = default_keys()
    for name, value in user.items():
        if name not in known:
            result.errors.append(f"'{name}' is not an action name (workbench keys lists them)")
        elif not isinstance(value, str) or not value.strip():
            result.errors.append(f'\'{name}\' must be a key string such as "k" or "ctrl+k"')
        else:
            result.keymap[name] = ",".join(k.strip() for k in value.split(",") if k.strip())
    if result.keymap:
        result.conflicts = conflicts(result.keymap)
    return result


def _normal(key: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(key) if len(key) == 1 else key


def conflicts(keymap: Mapping[str, str]) -> list[str]:
    """`k is bound to both previous_turn and code on Coding screen; it does code` for each
    key the user's keymap makes do two things on one screen. Which one it does is Textual's
    rule: a priority binding first, then the screen's (and its panels') over the app's, and
    within one screen the rebound action."""
    all_scopes = scopes()
    everywhere = [b for sc in all_scopes if sc.title == "Everywhere" for b in sc.bindings]
    out: list[str] = []
    for sc in all_scopes:
        active = [(b, 0) for b in sc.bindings]
        for extra in ALSO_ACTIVE.get(sc.prefix, []):
            active += [(b, 0) for s2 in all_scopes if s2.prefix == extra for b in s2.bindings]
        if sc.title != "Everywhere":
            active += [(b, 1) for b in everywhere]
        owners: dict[str, list[tuple[int, int, str]]] = {}
        for b, level in active:
            name = b.id or b.action
            keys = keymap.get(name, b.key)
            for k in keys.split(","):
                rank = (-1 if b.priority else level, 0 if name in keymap else 1, name)
                names = owners.setdefault(_normal(k.strip()), [])
                if all(n != name for *_, n in names):
                    names.append(rank)
        for key, ranked in owners.items():
            names = [n for *_, n in ranked]
            if len(names) < 2 or not any(n in keymap for n in names):
                continue
            winner = min(ranked)[2]
            others = [n for n in names if n != winner]
            out.append(
                f"{display(key)} is bound to both {' and '.join([*others, winner])} on "
                f"{short_title(sc.title)}; it does {winner}"
            )
    return list(dict.fromkeys(out))


def short_title(title: str) -> str:
    """`Codebook panel (b on home)` -> `Codebook panel`."""
    return title.split(" (")[0]


def keymap_rows(keymap: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(screen, name, keys in force, what it does) for every named binding."""
    return [
        (short_title(sc.title), b.id, keys_for(b, keymap), b.description or b.action)
        for sc in scopes()
        for b in sc.bindings
        if b.id
    ]
