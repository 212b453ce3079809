"""Migration 3: ids never reused, memos with real foreign keys, a change counter, guards.

- documents, segments, codings, memos, suggestion_feedback and resolutions are rebuilt with
  `INTEGER PRIMARY KEY AUTOINCREMENT`: an id, once used, never comes back, so nothing that
  remembered an id (a memo, a feedback row, an undo entry, another process) can ever find
  different text behind it.
- memos point at their target through typed, foreign-keyed columns (document_id, segment_id,
  code_id, coding_id) that cascade; `target_id` stays readable as a generated column. A memo
  whose target had already vanished becomes a project memo that says where it was.
- `case_attributes` keeps the attributes of a case (a participant, a site) from a sheet
  that names it before its documents are imported; `documents.case_name` says which case
  a document belongs to (NULL: the case of its own name).
- `change_counters` holds a number that triggers bump on every change to codings,
  suggestion feedback and codes: what the suggestion engine learns from. Unlike (count,
  max id) it also moves on a delete followed by an insert.
- Triggers refuse, whatever program connects (foreign keys are a per-connection pragma in
  SQLite; triggers are not): deleting a coded document, deleting a segment under a coding,
  changing a coding's offsets, and changing a segment's place in its document; a deleted
  segment leaves the search index with it.

Frozen: never edit a statement here once shipped; later changes are new migrations.
The rebuild follows SQLite's documented 12-step procedure: it runs with foreign keys off
(the caller arranges that outside the transaction) and copies every row with its id.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection

TABLES: tuple[tuple[str, str, str], ...] = (
    (
        "documents",
        """CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(400) NOT NULL UNIQUE,
    kind VARCHAR(40) NOT NULL,
    source_name VARCHAR(400) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    imported_at VARCHAR(40) NOT NULL,
    text TEXT NOT NULL,
    guid VARCHAR(40) NOT NULL UNIQUE,
    text_sha256 VARCHAR(64),
    case_name VARCHAR(400)
)""",
        "id, name, kind, source_name, sha256, imported_at, text, guid",
    ),
    (
        "segments",
        """CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    level VARCHAR(20) NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    speaker VARCHAR(200),
    timestamp VARCHAR(60),
    parent_id INTEGER REFERENCES segments (id) ON DELETE CASCADE,
    CONSTRAINT uq_segment_doc_idx UNIQUE (document_id, idx),
    CHECK (start >= 0 AND start <= "end")
)""",
        'id, document_id, idx, level, start, "end", speaker, timestamp, parent_id',
    ),
    (
        "codings",
        """CREATE TABLE codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE RESTRICT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    code_id VARCHAR(400) NOT NULL REFERENCES codes (id) ON DELETE RESTRICT,
    coder VARCHAR(200) NOT NULL,
    created VARCHAR(40) NOT NULL,
    memo TEXT,
    origin VARCHAR(20) NOT NULL,
    guid VARCHAR(40) NOT NULL UNIQUE,
    CONSTRAINT uq_coding_span UNIQUE (document_id, start, "end", code_id, coder),
    CHECK (start >= 0 AND start < "end")
)""",
        'id, document_id, start, "end", code_id, coder, created, memo, origin, guid',
    ),
    (
        "suggestion_feedback",
        """CREATE TABLE suggestion_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    code_id VARCHAR(400) NOT NULL REFERENCES codes (id) ON DELETE CASCADE,
    decision VARCHAR(20) NOT NULL,
    coder VARCHAR(200) NOT NULL,
    created VARCHAR(40) NOT NULL,
    score TEXT,
    CONSTRAINT uq_feedback UNIQUE (segment_id, code_id, coder)
)""",
        "id, segment_id, code_id, decision, coder, created, score",
    ),
    (
        "resolutions",
        """CREATE TABLE resolutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    segment INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    code_id VARCHAR(400) NOT NULL,
    coder_a VARCHAR(200) NOT NULL,
    coder_b VARCHAR(200) NOT NULL,
    decision VARCHAR(20) NOT NULL,
    resolver VARCHAR(200) NOT NULL,
    consensus VARCHAR(200) NOT NULL,
    codings TEXT NOT NULL,
    note TEXT,
    created VARCHAR(40) NOT NULL,
    CONSTRAINT uq_resolution UNIQUE (document_id, segment, code_id, coder_a, coder_b)
)""",
        'id, document_id, segment, start, "end", code_id, coder_a, coder_b, decision, '
        "resolver, consensus, codings, note, created",
    ),
)

MEMOS = """CREATE TABLE memos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target_type VARCHAR(20) NOT NULL
        CHECK (target_type IN ('project', 'document', 'segment', 'code', 'coding')),
    document_id INTEGER REFERENCES documents (id) ON DELETE CASCADE,
    segment_id INTEGER REFERENCES segments (id) ON DELETE CASCADE,
    code_id VARCHAR(400) REFERENCES codes (id) ON DELETE CASCADE ON UPDATE CASCADE,
    coding_id INTEGER REFERENCES codings (id) ON DELETE CASCADE,
    target_id VARCHAR(400) GENERATED ALWAYS AS
        (coalesce(document_id, segment_id, code_id, coding_id, '')) VIRTUAL,
    author VARCHAR(200) NOT NULL,
    created VARCHAR(40) NOT NULL,
    text TEXT NOT NULL,
    guid VARCHAR(40) NOT NULL UNIQUE,
    CHECK ((document_id IS NOT NULL) + (segment_id IS NOT NULL) + (code_id IS NOT NULL)
        + (coding_id IS NOT NULL) = (target_type <> 'project')),
    CHECK (target_type <> 'document' OR document_id IS NOT NULL),
    CHECK (target_type <> 'segment' OR segment_id IS NOT NULL),
    CHECK (target_type <> 'code' OR code_id IS NOT NULL),
    CHECK (target_type <> 'coding' OR coding_id IS NOT NULL)
)"""

# A memo whose target row exists moves to its typed column; one whose target vanished
# (possible before foreign keys) becomes a project memo that says where it was.
_MEMO_TARGETS: tuple[tuple[str, str, str], ...] = (
    ("document", "document_id", "SELECT 1 FROM documents WHERE id = CAST(m.target_id AS INTEGER)"),
    ("segment", "segment_id", "SELECT 1 FROM segments WHERE id = CAST(m.target_id AS INTEGER)"),
    ("code", "code_id", "SELECT 1 FROM codes WHERE id = m.target_id"),
    ("coding", "coding_id", "SELECT 1 FROM codings WHERE id = CAST(m.target_id AS INTEGER)"),
)

INDEXES: tuple[str, ...] = (
    "CREATE INDEX ix_segments_doc_start ON segments (document_id, start)",
    "CREATE INDEX ix_segments_parent ON segments (parent_id)",
    'CREATE INDEX ix_codings_doc ON codings (document_id, start, "end")',
    "CREATE INDEX ix_codings_code ON codings (code_id)",
    "CREATE INDEX ix_memos_document ON memos (document_id)",
    "CREATE INDEX ix_memos_segment ON memos (segment_id)",
    "CREATE INDEX ix_memos_code ON memos (code_id)",
    "CREATE INDEX ix_memos_coding ON memos (coding_id)",
    "CREATE INDEX ix_feedback_code ON suggestion_feedback (code_id)",
    "CREATE INDEX ix_documents_case ON documents (case_name)",
)

CASES = """CREATE TABLE case_attributes (
    case_name VARCHAR(400) NOT NULL,
    "key" VARCHAR(200) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (case_name, "key")
)"""

COUNTERS = """CREATE TABLE change_counters (
    name VARCHAR(40) PRIMARY KEY,
    value INTEGER NOT NULL
)"""

_BUMP = "UPDATE change_counters SET value = value + 1 WHERE name = 'learner';"

TRIGGERS: tuple[str, ...] = (
    *(
        f"CREATE TRIGGER {table}_{op.lower()}_counts AFTER {op} ON {table} BEGIN {_BUMP} END"
        for table in ("codings", "suggestion_feedback", "codes")
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
    "CREATE TRIGGER documents_text_immutable BEFORE UPDATE OF text ON documents "
    "WHEN NEW.text IS NOT OLD.text "
    "BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END",
    "CREATE TRIGGER documents_sha256_immutable BEFORE UPDATE OF sha256 ON documents "
    "WHEN NEW.sha256 IS NOT OLD.sha256 "
    "BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END",
    "CREATE TRIGGER documents_text_sha256_immutable BEFORE UPDATE OF text_sha256 ON documents "
    "WHEN OLD.text_sha256 IS NOT NULL AND NEW.text_sha256 IS NOT OLD.text_sha256 "
    "BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END",
    "CREATE TRIGGER documents_coded_undeletable BEFORE DELETE ON documents "
    "WHEN EXISTS (SELECT 1 FROM codings WHERE document_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'a coded document cannot be deleted (remove its codings "
    "first)'); END",
    *(
        f'CREATE TRIGGER segments_{col}_immutable BEFORE UPDATE OF "{col}" ON segments '
        f'WHEN NEW."{col}" IS NOT OLD."{col}" '
        "BEGIN SELECT RAISE(ABORT, 'segment offsets never change'); END"
        for col in ("start", "end", "document_id", "idx", "level", "parent_id")
    ),
    "CREATE TRIGGER segments_unindex AFTER DELETE ON segments "
    "BEGIN DELETE FROM segment_fts WHERE rowid = OLD.id; END",
    "CREATE TRIGGER segments_coded_undeletable BEFORE DELETE ON segments "
    "WHEN EXISTS (SELECT 1 FROM codings c WHERE c.document_id = OLD.document_id "
    'AND c.start < OLD."end" AND c."end" > OLD.start) '
    "BEGIN SELECT RAISE(ABORT, 'a segment under a coding cannot be deleted'); END",
    *(
        f'CREATE TRIGGER codings_{col}_immutable BEFORE UPDATE OF "{col}" ON codings '
        f'WHEN NEW."{col}" IS NOT OLD."{col}" '
        "BEGIN SELECT RAISE(ABORT, 'a coding''s offsets never change'); END"
        for col in ("start", "end", "document_id")
    ),
)

# The names `workbench check` expects to find (a dropped trigger is a problem to report).
TRIGGER_NAMES: tuple[str, ...] = tuple(t.split()[2] for t in TRIGGERS)

_OLD_TRIGGERS = (
    "documents_text_immutable",
    "documents_sha256_immutable",
    "segments_start_immutable",
    "segments_end_immutable",
    "segments_document_id_immutable",
)
_OLD_INDEXES = ("ix_segments_doc_start", "ix_codings_doc", "ix_codings_code", "ix_memos_target")


def _rebuild(conn: Connection, table: str, ddl: str, columns: str) -> None:
    conn.exec_driver_sql(ddl.replace(f"CREATE TABLE {table} (", f"CREATE TABLE {table}_v3 (", 1))
    conn.exec_driver_sql(
        f"INSERT INTO {table}_v3 ({columns}) SELECT {columns} FROM {table} ORDER BY id"
    )
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE {table}_v3 RENAME TO {table}")


def _move_memos(conn: Connection) -> None:
    conn.exec_driver_sql(MEMOS.replace("CREATE TABLE memos (", "CREATE TABLE memos_v3 (", 1))
    common = "m.id, m.author, m.created, m.guid"
    for kind, column, exists in _MEMO_TARGETS:
        value = "m.target_id" if kind == "code" else "CAST(m.target_id AS INTEGER)"
        conn.exec_driver_sql(
            f"INSERT INTO memos_v3 (id, author, created, guid, target_type, {column}, text) "
            f"SELECT {common}, '{kind}', {value}, m.text FROM memos m "
            f"WHERE m.target_type = '{kind}' AND EXISTS ({exists})"
        )
    conn.exec_driver_sql(
        "INSERT INTO memos_v3 (id, author, created, guid, target_type, text) "
        f"SELECT {common}, 'project', "
        "CASE WHEN m.target_type = 'project' THEN m.text "
        "ELSE '[memo on ' || m.target_type || ' ' || m.target_id || ', which no longer "
        "exists] ' || m.text END "
        "FROM memos m WHERE m.id NOT IN (SELECT id FROM memos_v3)"
    )
    conn.exec_driver_sql("DROP TABLE memos")
    conn.exec_driver_sql("ALTER TABLE memos_v3 RENAME TO memos")


def _hash_texts(conn: Connection) -> None:
    """Fill text_sha256 (the SHA-256 of the stored text's UTF-8, which `workbench check`
    compares; `sha256` is the imported file's bytes)."""
    rows = conn.exec_driver_sql("SELECT id, text FROM documents").all()
    if rows:
        conn.exec_driver_sql(
            "UPDATE documents SET text_sha256 = ? WHERE id = ?",
            [(text_sha256(t), i) for i, t in rows],
        )


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def apply(conn: Connection) -> None:
    for name in _OLD_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for name in _OLD_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for table, ddl, columns in TABLES:
        _rebuild(conn, table, ddl, columns)
    _move_memos(conn)
    _hash_texts(conn)
    for statement in (CASES, *INDEXES, COUNTERS):
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("INSERT INTO change_counters (name, value) VALUES ('learner', 0)")
    for statement in TRIGGERS:
        conn.exec_driver_sql(statement)
