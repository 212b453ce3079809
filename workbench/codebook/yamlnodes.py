"""Line-aware YAML reading: plain data plus the line of every key and list item.

Codebooks and merge plans are edited by hand, so every problem is reported as `FILE:LINE:
message`. We compose the YAML with a SafeLoader (no arbitrary objects) and walk the node tree
ourselves, which also lets us:
- report duplicate keys (PyYAML silently keeps the last one);
- read plain scalars that YAML would turn into numbers, booleans or dates (`name: 2020`,
  `name: no`, `id: 1.10`) as the text the user wrote, except where a caller wants typed values;
- spot `color: #4e79a7`, where YAML reads everything after `#` as a comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]
Problems = list[tuple[int, str]]

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_COMMENT_VALUE = re.compile(r":\s+#[0-9a-fA-F]{3,6}\b")


def problem(file: str, line: int, message: str) -> str:
    return f"{file}:{line}: {message}"


def format_problems(file: str, problems: Problems) -> list[str]:
    """`FILE:LINE: message` lines in line order (stable for problems on one line)."""
    ordered = sorted(enumerate(problems), key=lambda t: (t[1][0], t[0]))
    return [problem(file, line, msg) for _, (line, msg) in ordered]


@dataclass
class LinedYaml:
    """Parsed YAML data with `lines[loc]` = 1-based line of that key or list item."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, else of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def at(self, loc: Loc, message: str) -> str:
        return (self.line_of(loc), message)


class _Reader:
    def __init__(self, file: str, text: str, typed: Callable[[Loc], bool]) -> None:
        self.file = file
        self.text_lines = text.splitlines()
        self.typed = typed
        self.loader = yaml.SafeLoader(text)
        self.lines: dict[Loc, int] = {}
        self.problems: Problems = []
        self._active: set[int] = set()

    def close(self) -> None:
        self.loader.dispose()

    def convert(self, node: yaml.Node, loc: Loc) -> Any:
        if id(node) in self._active:
            self.problems.append((_line(node), "recursive YAML alias"))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                out_list = []
                for i, item in enumerate(node.value):
                    self.lines[(*loc, i)] = _line(item)
                    out_list.append(self.convert(item, (*loc, i)))
                return out_list
            return self._mapping(node, loc)  # type: ignore[arg-type]
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        if node.tag == _NULL_TAG:
            return None
        if node.tag == _STR_TAG or not self.typed(loc):
            return node.value
        return self.loader.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = _line(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((line, "a key must be plain text"))
                continue
            key = key_node.value
            if key in first_line:
                self.problems.append(
                    (line, f"duplicate key '{key}' (first at line {first_line[key]})")
                )
                continue
            first_line[key] = line
            self.lines[(*loc, key)] = line
            value = self.convert(value_node, (*loc, key))
            if value is None and self._comment_swallowed(key_node, value_node):
                self.problems.append(
                    (
                        line,
                        f"'{key}' is empty: YAML reads a '#' after ': ' as the start of a comment; "
                        f'quote the value, e.g. {key}: "#4e79a7"',
                    )
                )
            out[key] = value
        return out

    def _comment_swallowed(self, key_node: yaml.Node, value_node: yaml.Node) -> bool:
        if not (isinstance(value_node, yaml.ScalarNode) and value_node.value == ""):
            return False
        row = key_node.start_mark.line
        if row >= len(self.text_lines):
            return False
        if key_node.end_mark.line != row:
            return False
        return bool(_COMMENT_VALUE.match(self.text_lines[row][key_node.end_mark.column :]))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _decode(raw: bytes) -> tuple[str | None, Problems]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [(line, "not UTF-8 text (save the file as UTF-8)")]


def read_lined_yaml(
    path: Path,
    *,
    file: str | None = None,
    typed: Callable[[Loc], bool] = lambda loc: False,
    what: str = "YAML file",
) -> tuple[LinedYaml | None, Problems]:
    """Read `path`: (data with lines, [(line, message)]); data is None if it cannot be read."""
    label = file if file is not None else str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [(1, "no such file")]
    except IsADirectoryError:
        return None, [(1, "is a folder, not a file")]
    except OSError as exc:
        return None, [(1, f"cannot read: {exc.strerror or exc}")]
    text, problems = _decode(raw)
    if text is None:
        return None, problems
    return parse_lined_yaml(text, file=label, typed=typed, what=what)


def parse_lined_yaml(
    text: str,
    *,
    file: str,
    typed: Callable[[Loc], bool] = lambda loc: False,
    what: str = "YAML file",
) -> tuple[LinedYaml | None, Problems]:
    reader = _Reader(file, text, typed)
    try:
        root = reader.loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        reader.close()
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem and exc.context_mark is not None:
            detail = f"{exc.context} (line {exc.context_mark.line + 1}): {exc.problem}"
        return None, [(line, f"YAML syntax error: {detail}")]
    except yaml.YAMLError as exc:
        reader.close()
        return None, [(1, f"YAML syntax error: {exc}")]
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
        reader.close()
        return None, [(1, f"the file is empty (expected a {what})")]
    reader.lines[()] = _line(root)
    try:
        data = reader.convert(root, ())
    finally:
        reader.close()
    return LinedYaml(file=file, data=data, lines=reader.lines), reader.problems


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
