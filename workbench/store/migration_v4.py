"""Migration 4: pseudonym proposals (CONTRACT §10).

- `pseudonyms`: one row per identifier text found in (or added to) the project: its kind
  (person, place, organisation, nhs_number, phone, postcode, email, date_of_birth, document),
  the stand-in that replaces it on the way out, its review status and where it came from.
  Variants of one person ("Janet Pryce", "Janet", "Mrs Pryce") share a replacement.
- `pseudonym_hits`: where each one was found: document, field (text, speaker, name) and the
  character span in that field. They cascade with their pseudonym and their document.

Stored text is never changed by this feature. Frozen: never edit a statement once shipped.
"""

from __future__ import annotations

from sqlalchemy import Connection

V4_DDL: tuple[str, ...] = (
    """CREATE TABLE pseudonyms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text VARCHAR(400) NOT NULL UNIQUE,
    kind VARCHAR(40) NOT NULL,
    replacement VARCHAR(200) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'proposed'
        CHECK (status IN ('proposed', 'accepted', 'rejected')),
    origin VARCHAR(20) NOT NULL DEFAULT 'detected',
    created VARCHAR(40) NOT NULL,
    updated VARCHAR(40) NOT NULL
)""",
    """CREATE TABLE pseudonym_hits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pseudonym_id INTEGER NOT NULL REFERENCES pseudonyms (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    field VARCHAR(20) NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    UNIQUE (pseudonym_id, document_id, field, start)
)""",
    "CREATE INDEX ix_pseudonym_hits_doc ON pseudonym_hits (document_id)",
    "CREATE INDEX ix_pseudonyms_status ON pseudonyms (status)",
)


def apply(conn: Connection) -> None:
    for statement in V4_DDL:
        conn.exec_driver_sql(statement)
