"""Codebook YAML files: load with `FILE:LINE:` problems, dump deterministically, save safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.codebook.model import (
    CODE_KEYS,
    Code,
    Codebook,
    check_depth,
    default_id,
    effective_id,
    iter_codes,
)
from workbench.codebook.validate import validate_codebook_doc
from workbench.codebook.yamlnodes import (
    LinedYaml,
    Loc,
    Problems,
    format_problems,
    parse_lined_yaml,
    read_lined_yaml,
)
from workbench.codebook.yamlout import FlowList, FlowMap, dump_yaml
from workbench.errors import WorkbenchError
from workbench.fsutil import atomic_write

__all__ = [
    "CodebookInvalid",
    "codebook_from_doc",
    "default_id",
    "dump_codebook",
    "effective_id",
    "iter_codes",
    "load_codebook",
    "parse_codebook",
    "save_codebook",
]

_FLOW_LISTS = ("aliases", "groups")


class CodebookInvalid(WorkbenchError):
    """A codebook file with problems; `problems` holds one `FILE:LINE: message` per problem."""

    def __init__(self, problems: list[str]) -> None:
        first = problems[0] if problems else "invalid codebook"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more, problems)


def _typed(loc: Loc) -> bool:
    """Only `version` keeps YAML's number typing; every other plain scalar is read as text."""
    return loc == ("version",)


def codebook_from_doc(file: str, doc: LinedYaml | None, problems: Problems) -> Codebook:
    """Validate parsed YAML; raise CodebookInvalid listing every problem, in line order."""
    found = list(problems)
    cb = None
    if doc is not None:
        cb, more = validate_codebook_doc(doc)
        found.extend(more)
    if found or cb is None:
        raise CodebookInvalid(format_problems(file, found))
    return cb


def load_codebook(path: Path, *, file: str | None = None) -> Codebook:
    """Read and validate a codebook file. `file` names it in messages (default: the path)."""
    label = file if file is not None else str(path)
    doc, problems = read_lined_yaml(Path(path), file=label, typed=_typed, what="codebook")
    return codebook_from_doc(label, doc, problems)


def parse_codebook(text: str, *, file: str = "<codebook>") -> Codebook:
    doc, problems = parse_lined_yaml(text, file=file, typed=_typed, what="codebook")
    return codebook_from_doc(file, doc, problems)


# --- writing -------------------------------------------------------------------------------


def _code_data(code: Code) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in CODE_KEYS:
        value = getattr(code, key)
        if value is None or value == [] or value == "":
            continue
        if key == "children":
            out[key] = [_code_data(c) for c in value]
        elif key == "merged_from":
            out[key] = [FlowMap(m.model_dump(exclude_none=True)) for m in value]
        elif key in _FLOW_LISTS:
            out[key] = FlowList(value)
        else:
            out[key] = list(value) if isinstance(value, list) else value
    return out


def codebook_data(cb: Codebook) -> dict[str, Any]:
    """The codebook as plain data in file key order, empty fields left out."""
    data: dict[str, Any] = {"codebook": cb.codebook}
    if cb.version is not None:
        data["version"] = cb.version
    data["codes"] = [_code_data(c) for c in cb.codes]
    return data


def dump_codebook(cb: Codebook) -> str:
    """Deterministic YAML (CONTRACT §4 key order); load -> dump is stable byte for byte."""
    check_depth(cb)
    return dump_yaml(codebook_data(cb))


def save_codebook(cb: Codebook, path: Path) -> None:
    """Write the codebook to a temporary file next to `path`, then rename it into place."""
    with atomic_write(Path(path), newline="\n") as fh:
        fh.write(dump_codebook(cb))
