"""Line-aware YAML reading: plain data plus the line of every key and list item.

Codebooks and merge plans are edited by hand, so every problem is reported as `FILE:LINE:
message`. We compose the YAML with a SafeLoader (no arbitrary objects) and walk the node tree
ourselves, which also lets us:
- report duplicate keys (PyYAML silently keeps the last one);
- read plain scalars that YAML would turn into numbers, booleans or dates (`name: 2020`,
  `name: no`, `id: 1.10`) as the text the user wrote, except where a caller wants typed values;
- spot `color: #4e79a7`, where YAML reads everything after `#` as a comment.

Files from elsewhere may be hostile, so before any Python object is built we refuse aliases
(`*name`: "billion laughs" bombs), tags other than the plain core ones (`!!python/...`),
nesting deeper than MAX_YAML_DEPTH, more than MAX_YAML_NODES values, files over
MAX_YAML_BYTES and numbers longer than MAX_NUMBER_CHARS (docs/codebook-format.md, *Limits*).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.codebook.model import MAX_CODE_DEPTH, depth_text
from workbench.errors import WorkbenchError
from workbench.inputcheck import require_regular_file

Loc = tuple[str | int, ...]
Problems = list[tuple[int, str]]

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_COMMENT_VALUE = re.compile(r":\s+#[0-9a-fA-F]{3,6}\b")
_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
_NUMBER_TAGS = frozenset((_CORE + "int", _CORE + "float"))

MAX_YAML_BYTES = 10 * 1024 * 1024
MAX_YAML_NODES = 200_000
# Room for MAX_CODE_DEPTH levels of codes (a mapping and a `children` list per level, and
# `merged_from` inside the deepest) with a margin, so the friendlier check per code in
# validate.py sees a codebook one level too deep first.
MAX_YAML_DEPTH = 2 * MAX_CODE_DEPTH + 10
MAX_NUMBER_CHARS = 100


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


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Loader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses aliases, unusual tags, deep nesting and too many
    values as it meets their events, before any node or Python object is built for them."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__(text)
        self.what = what
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(line, f"YAML aliases (*{event.anchor}) are not allowed in a {self.what}")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
            raise _Refused(
                line,
                f"YAML tag '{_short_tag(tag)}' is not allowed in a {self.what} "
                "(only plain text, numbers, lists and mappings)",
            )
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _Refused(
                line, f"the {self.what} has more than {MAX_YAML_NODES:,} values (the limit)"
            )
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            if self.what == "codebook":
                raise _Refused(line, depth_text())
            raise _Refused(
                line, f"the {self.what} is nested more than {MAX_YAML_DEPTH} levels deep"
            )
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


class _Reader:
    def __init__(self, file: str, text: str, typed: Callable[[Loc], bool], what: str) -> None:
        self.file = file
        self.text_lines = text.splitlines()
        self.typed = typed
        self.loader = _Loader(text, what)
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
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            raise _Refused(
                _line(node),
                f"'{loc[-1]}': a number of {len(node.value):,} characters is too long "
                f"(at most {MAX_NUMBER_CHARS})",
            )
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            raise _Refused(_line(node), f"'{loc[-1]}': cannot read {node.value[:40]!r}") from None

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


def _utf16_codec(raw: bytes) -> str | None:
    """'utf-16' (with a BOM), 'utf-16-le'/'utf-16-be' when the file clearly is UTF-16
    without one (a NUL in every other byte of its start, none in the others), else None."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and raw[:4] not in (b"\xff\xfe\0\0",):
        return "utf-16"
    head = raw[:4096]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 2:
        return None
    even, odd = head[0::2], head[1::2]
    pairs = len(head) // 2
    if even.count(0) == 0 and odd.count(0) * 2 >= pairs:
        return "utf-16-le"
    if odd.count(0) == 0 and even.count(0) * 2 >= pairs:
        return "utf-16-be"
    return None


def _decode(raw: bytes) -> tuple[str | None, Problems]:
    codec = _utf16_codec(raw)
    if codec is not None:
        try:
            return raw.decode(codec).removeprefix("\ufeff"), []
        except UnicodeDecodeError:
            return None, [(1, "looks like UTF-16 but cannot be decoded (save the file as UTF-8)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [(line, "not UTF-8 text (save the file as UTF-8)")]
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        return None, [(line, "contains NUL bytes: not a text file (save it as UTF-8 text)")]
    return text, []


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
        size = require_regular_file(path, what)
        if size > MAX_YAML_BYTES:
            return None, [(1, _too_large(size, what))]
        with path.open("rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except WorkbenchError as exc:
        if not path.exists():
            return None, [(1, "no such file")]
        return None, [(1, str(exc).removeprefix(f"{path}: "))]
    except FileNotFoundError:
        return None, [(1, "no such file")]
    except IsADirectoryError:
        return None, [(1, "is a folder, not a file")]
    except OSError as exc:
        return None, [(1, f"cannot read: {exc.strerror or exc}")]
    if len(raw) > MAX_YAML_BYTES:
        return None, [(1, _too_large(len(raw), what))]
    text, problems = _decode(raw)
    if text is None:
        return None, problems
    return parse_lined_yaml(text, file=label, typed=typed, what=what)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _too_large(size: int, what: str) -> str:
    limit = MAX_YAML_BYTES // (1024 * 1024)
    return f"{size:,} bytes is too large for a {what} (the limit is {limit} MB)"


def parse_lined_yaml(
    text: str,
    *,
    file: str,
    typed: Callable[[Loc], bool] = lambda loc: False,
    what: str = "YAML file",
) -> tuple[LinedYaml | None, Problems]:
    if len(text) > MAX_YAML_BYTES:
        return None, [(1, _too_large(len(text.encode("utf-8")), what))]
    try:
        reader = _Reader(file, text, typed, what)
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text[: max(exc.position, 0)].count("\n") + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        return None, [
            (line, f"contains the control character U+{char:04X}, which YAML does not allow")
        ]
    try:
        root = reader.loader.get_single_node()
    except _Refused as exc:
        reader.close()
        return None, [(exc.line, exc.message)]
    except RecursionError:
        reader.close()
        return None, [(1, f"the {what} is nested too deeply")]
    except yaml.MarkedYAMLError as exc:
        reader.close()
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem and exc.context_mark is not None:
            detail = f"{exc.context} (line {exc.context_mark.line + 1}): {exc.problem}"
        return None, [(line, f"YAML syntax error: {_one_line(detail)}")]
    except yaml.YAMLError as exc:
        reader.close()
        return None, [(1, f"YAML syntax error: {_one_line(str(exc))}")]
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
        reader.close()
        return None, [(1, f"the file is empty (expected a {what})")]
    reader.lines[()] = _line(root)
    try:
        data = reader.convert(root, ())
    except _Refused as exc:  # a value that cannot be read: the file is refused as a whole
        return None, [(exc.line, exc.message)]
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
