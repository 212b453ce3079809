"""Migration 5: indexes for the everyday queries and counts kept up to date on write.

- Indexes for what researchers do every day: excerpts of a code (with its descendants:
  `codings (code_id, document_id, start)`, which replaces `ix_codings_code`), by coder
  (`codings (coder, code_id)`), by document attribute (`document_attributes ("key",
  value)`) and kind (`documents (kind)`). A document's codings and segments already
  have theirs (migration 3).
  `tests/test_query_plans.py` checks with EXPLAIN QUERY PLAN that none of them scans a table.
- `document_counts`: per document, its coding count; `code_document_counts`: per (code,
  document), its coding count. Triggers on documents and codings keep them right whatever
  program writes (the sqlite3 shell included), so the home screen, the retrieval screen and
  the codebook panel read counts from an index instead of counting a million rows. Both are
  filled from the existing rows here. A document's segment count needs no table: its
  segments are numbered 0..n-1 (`idx`, unique per document), so it is `max(idx) + 1`, one
  seek in `uq_segment_doc_idx` (a trigger per segment would cost a survey import of a
  million rows about ten seconds).

Frozen: never edit a statement here once shipped; later changes are new migrations.
"""

from __future__ import annotations

from sqlalchemy import Connection

TABLES: tuple[str, ...] = (
    """CREATE TABLE document_counts (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    codings INTEGER NOT NULL DEFAULT 0
)""",
    """CREATE TABLE code_document_counts (
    code_id VARCHAR(400) NOT NULL,
    document_id INTEGER NOT NULL,
    codings INTEGER NOT NULL,
    PRIMARY KEY (code_id, document_id)
) WITHOUT ROWID""",
)

INDEXES: tuple[str, ...] = (
    "CREATE INDEX ix_codings_code_doc ON codings (code_id, document_id, start)",
    "CREATE INDEX ix_codings_coder ON codings (coder, code_id)",
    'CREATE INDEX ix_document_attributes_kv ON document_attributes ("key", value)',
    "CREATE INDEX ix_documents_kind ON documents (kind)",
    "CREATE INDEX ix_document_counts_codings ON document_counts (codings)",
    "CREATE INDEX ix_code_document_counts_doc ON code_document_counts (document_id)",
)

_DOC_CODINGS = (
    "UPDATE document_counts SET codings = codings {op} 1 WHERE document_id = {row}.document_id;"
)
_CODE_UP = (
    "INSERT INTO code_document_counts (code_id, document_id, codings) "
    "VALUES (NEW.code_id, NEW.document_id, 1) "
    "ON CONFLICT (code_id, document_id) DO UPDATE SET codings = codings + 1;"
)
_CODE_DOWN = (
    "UPDATE code_document_counts SET codings = codings - 1 "
    "WHERE code_id = OLD.code_id AND document_id = OLD.document_id; "
    "DELETE FROM code_document_counts "
    "WHERE code_id = OLD.code_id AND document_id = OLD.document_id AND codings <= 0;"
)

TRIGGERS: tuple[str, ...] = (
    "CREATE TRIGGER documents_count_insert AFTER INSERT ON documents "
    "BEGIN INSERT INTO document_counts (document_id) VALUES (NEW.id); END",
    "CREATE TRIGGER documents_count_delete AFTER DELETE ON documents "
    "BEGIN DELETE FROM document_counts WHERE document_id = OLD.id; END",
    "CREATE TRIGGER codings_count_insert AFTER INSERT ON codings BEGIN "
    f"{_DOC_CODINGS.format(op='+', row='NEW')} {_CODE_UP} END",
    "CREATE TRIGGER codings_count_delete AFTER DELETE ON codings BEGIN "
    f"{_DOC_CODINGS.format(op='-', row='OLD')} {_CODE_DOWN} END",
    "CREATE TRIGGER codings_count_recode AFTER UPDATE OF code_id ON codings "
    f"WHEN NEW.code_id IS NOT OLD.code_id BEGIN {_CODE_DOWN} {_CODE_UP} END",
)

# The names `workbench check` can expect to find.
TRIGGER_NAMES: tuple[str, ...] = tuple(t.split()[2] for t in TRIGGERS)

BACKFILL: tuple[str, ...] = (
    "INSERT INTO document_counts (document_id, codings) "
    "SELECT d.id, (SELECT count(*) FROM codings c WHERE c.document_id = d.id) FROM documents d",
    "INSERT INTO code_document_counts (code_id, document_id, codings) "
    "SELECT code_id, document_id, count(*) FROM codings GROUP BY code_id, document_id",
)


def apply(conn: Connection) -> None:
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_codings_code")
    for statement in (*TABLES, *BACKFILL, *INDEXES, *TRIGGERS):
        conn.exec_driver_sql(statement)
