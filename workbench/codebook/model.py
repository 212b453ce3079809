"""The codebook model (CONTRACT §4): codes with definitions, nested under themes.

Field checks that need only one value live here (colours, empty names); checks across codes
(duplicate sibling names, duplicate ids) and the mapping of errors to file lines live in
`workbench.codebook.validate`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbench.errors import WorkbenchError

COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
PATH_SEP = " > "

# Key order of a code in files (CONTRACT §4 first, then our extensions before merged_from).
CODE_KEYS: tuple[str, ...] = (
    "name",
    "id",
    "description",
    "include",
    "exclude",
    "examples",
    "aliases",
    "color",
    "groups",
    "guid",
    "merged_from",
    "children",
)
CODEBOOK_KEYS: tuple[str, ...] = ("codebook", "version", "codes")
MERGED_FROM_KEYS: tuple[str, ...] = ("codebook", "id", "path")

# The one nesting limit for codes: a top-level code is level 1. Reading (YAML and .qdc),
# validating, merging and writing (YAML, .qdc, Markdown) all refuse a deeper codebook.
MAX_CODE_DEPTH = 50


def depth_text() -> str:
    """The message for a codebook nested deeper than MAX_CODE_DEPTH (the same everywhere)."""
    return (
        f"codes are nested more than {MAX_CODE_DEPTH} levels deep "
        f"(the limit is {MAX_CODE_DEPTH} levels)"
    )


def _none_to_list(value: Any) -> Any:
    """`examples:` with nothing after it means an empty list, not an error."""
    return [] if value is None else value


class MergedFrom(BaseModel):
    """Where a merged code came from: the source codebook's label, the code's id and path."""

    model_config = ConfigDict(extra="forbid")

    codebook: str
    id: str
    path: str | None = None


class Code(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    id: str | None = None
    description: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    color: str | None = None
    groups: list[str] = Field(default_factory=list)
    guid: str | None = None
    merged_from: list[MergedFrom] = Field(default_factory=list)
    children: list[Code] = Field(default_factory=list)

    @field_validator("name", mode="after")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("'name' is empty")
        if "\n" in value or "\r" in value:
            raise ValueError("'name' must be a single line")
        return value

    @field_validator("id", mode="after")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value != value.strip()):
            raise ValueError(f"'id' {value!r} must be non-empty with no spaces at either end")
        return value

    @field_validator("color", mode="after")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is not None and not COLOR_RE.match(value):
            raise ValueError(f'bad color {value!r}: use "#RGB" or "#RRGGBB" (hex digits)')
        return value

    @field_validator("examples", "aliases", "groups", "merged_from", "children", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _none_to_list(value)


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebook: str
    version: int | str | None = None
    codes: list[Code] = Field(min_length=1)

    @field_validator("codebook", mode="after")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("'codebook' (the title) is empty")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str | None):
            raise ValueError("'version' must be a number or text")
        return value


def slugify(name: str) -> str:
    """Lowercase ASCII, runs of anything else -> '-', no '-' at either end.

    A name with no ASCII letters or digits at all (e.g. only CJK) gets `code-` plus a short
    stable hash of the name, so every code still has an id.
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if slug:
        return slug
    return "code-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def default_id(path: list[str]) -> str:
    """The id of a code with no explicit `id`: each name of its path slugified, joined by '/'."""
    return "/".join(slugify(n) for n in path)


def effective_id(code: Code, path: list[str]) -> str:
    return code.id if code.id is not None else default_id(path)


def iter_codes(cb: Codebook) -> Iterator[tuple[Code, list[str], str | None]]:
    """Every code in tree order (parents first) with its path of names and its parent's id."""

    def walk(codes: list[Code], parent_path: list[str], parent_id: str | None):  # type: ignore[no-untyped-def]
        for code in codes:
            path = [*parent_path, code.name]
            yield code, path, parent_id
            yield from walk(code.children, path, effective_id(code, path))

    yield from walk(cb.codes, [], None)


def normalise_name(name: str) -> str:
    """Names compared for sibling uniqueness: whitespace collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def code_depth(codes: list[Code]) -> int:
    """How many levels deep the codes nest (1 for codes without children); no recursion."""
    deepest = 0
    stack = [(c, 1) for c in codes]
    while stack:
        code, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in code.children)
    return deepest


def check_depth(cb: Codebook, action: str = "write") -> None:
    """Raise WorkbenchError (one line) if `cb` nests deeper than MAX_CODE_DEPTH."""
    if code_depth(cb.codes) > MAX_CODE_DEPTH:
        raise WorkbenchError(f"cannot {action} the codebook: {depth_text()}")
