"""Where a memo points: its target type and the typed foreign-key column of that type."""

from __future__ import annotations

from workbench.errors import WorkbenchError

MEMO_TARGETS = ("document", "segment", "code", "coding", "project")

_MEMO_COLUMNS = {
    "document": "document_id",
    "segment": "segment_id",
    "code": "code_id",
    "coding": "coding_id",
}


def memo_target(target_type: str, target_id: object) -> dict[str, object]:
    """The memo columns that point at a target: its type and its typed foreign key
    (`target_id` itself is a column the store derives from them)."""
    if target_type not in MEMO_TARGETS:
        raise WorkbenchError(f"memo target '{target_type}': one of {', '.join(MEMO_TARGETS)}")
    values: dict[str, object] = {"target_type": target_type}
    values.update(dict.fromkeys(_MEMO_COLUMNS.values()))  # same keys for every executemany row
    column = _MEMO_COLUMNS.get(target_type)
    if column is not None:
        values[column] = str(target_id) if column == "code_id" else int(str(target_id))
    return values
