"""Table definitions (SQLAlchemy Core) for queries: the schema as the latest migration
leaves it. The DDL itself lives in the frozen migrations (migration_v1.py, migration_v3.py);
a change here needs a new migration. Portable SQL only: SQLite-specific SQL lives in
sqlite_extras.py."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)

project_meta = Table(
    "project_meta",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(400), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("source_name", String(400), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("guid", String(40), nullable=False, unique=True),
    Column("text_sha256", String(64)),  # SHA-256 of text (UTF-8); `sha256` is the file's
    Column("case_name", String(400)),  # the case it belongs to (NULL: the case of its name)
    sqlite_autoincrement=True,
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("level", String(20), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("speaker", String(200)),
    Column("timestamp", String(60)),
    Column("parent_id", Integer, ForeignKey("segments.id", ondelete="CASCADE")),
    UniqueConstraint("document_id", "idx", name="uq_segment_doc_idx"),
    sqlite_autoincrement=True,
)
Index("ix_segments_doc_start", segments.c.document_id, segments.c.start)

document_attributes = Table(
    "document_attributes",
    metadata,
    Column(
        "document_id",
        Integer,
        ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

Index("ix_document_attributes_kv", document_attributes.c.key, document_attributes.c.value)
Index("ix_documents_kind", documents.c.kind)  # (v5)

segment_attributes = Table(
    "segment_attributes",
    metadata,
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

codes = Table(
    "codes",
    metadata,
    Column("id", String(400), primary_key=True),
    Column("guid", String(40), nullable=False, unique=True),
    Column("parent_id", String(400), ForeignKey("codes.id", ondelete="RESTRICT")),
    Column("name", String(400), nullable=False),
    Column("description", Text),
    Column("include", Text),
    Column("exclude", Text),
    Column("examples", Text, nullable=False, default="[]"),  # JSON list of str
    Column("aliases", Text, nullable=False, default="[]"),  # JSON list of str
    Column("groups", Text, nullable=False, default="[]"),  # JSON list of str (REFI-QDA sets)
    Column("merged_from", Text, nullable=False, default="[]"),  # JSON list of objects
    Column("color", String(20)),
    Column("position", Integer, nullable=False, default=0),
    Column("created", String(40), nullable=False),
)

codings = Table(
    "codings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="RESTRICT"), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("code_id", String(400), ForeignKey("codes.id", ondelete="RESTRICT"), nullable=False),
    Column("coder", String(200), nullable=False),
    Column("created", String(40), nullable=False),
    Column("memo", Text),
    Column("origin", String(20), nullable=False, default="manual"),
    Column("guid", String(40), nullable=False, unique=True),
    UniqueConstraint("document_id", "start", "end", "code_id", "coder", name="uq_coding_span"),
    sqlite_autoincrement=True,
)
Index("ix_codings_doc", codings.c.document_id, codings.c.start)
# (v5) excerpts of a code (with descendants) and by coder; ix_codings_code is gone.
Index("ix_codings_code_doc", codings.c.code_id, codings.c.document_id, codings.c.start)
Index("ix_codings_coder", codings.c.coder, codings.c.code_id)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "target_type", String(20), nullable=False
    ),  # document | segment | code | coding | project
    # Exactly the column of the target type is set (none for a project memo); each cascades.
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE")),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE")),
    Column("code_id", String(400), ForeignKey("codes.id", ondelete="CASCADE")),
    Column("coding_id", Integer, ForeignKey("codings.id", ondelete="CASCADE")),
    Column(
        "target_id",
        String(400),
        Computed("coalesce(document_id, segment_id, code_id, coding_id, '')"),
    ),
    Column("author", String(200), nullable=False),
    Column("created", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("guid", String(40), nullable=False, unique=True),
    sqlite_autoincrement=True,
)

# Attributes of a case (participant, site...), kept before or after its documents arrive.
case_attributes = Table(
    "case_attributes",
    metadata,
    Column("case_name", String(400), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

# Bumped by triggers on every change to codings, suggestion feedback and codes.
change_counters = Table(
    "change_counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("model_id", String(400), primary_key=True),
    Column("text_hash", String(64), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian
)

suggestion_feedback = Table(
    "suggestion_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"), nullable=False),
    Column("code_id", String(400), ForeignKey("codes.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(20), nullable=False),  # accepted | rejected
    Column("coder", String(200), nullable=False),
    Column("created", String(40), nullable=False),
    Column("score", Text),
    UniqueConstraint("segment_id", "code_id", "coder", name="uq_feedback"),
    sqlite_autoincrement=True,
)

resolutions = Table(
    "resolutions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("segment", Integer, nullable=False),  # the unit's segment index (segments.idx)
    Column("start", Integer, nullable=False),  # the unit's span, for the record
    Column("end", Integer, nullable=False),
    # No foreign key: the record of a decision outlives the deletion of its code.
    Column("code_id", String(400), nullable=False),
    Column("coder_a", String(200), nullable=False),  # coder_a < coder_b (stored in that order)
    Column("coder_b", String(200), nullable=False),
    Column("decision", String(20), nullable=False),  # keep_a | keep_b | keep_both | neither
    Column("resolver", String(200), nullable=False),  # who settled it
    Column("consensus", String(200), nullable=False),  # coder name on the outcome codings
    Column("codings", Text, nullable=False, default="[]"),  # JSON list: GUIDs of codings written
    Column("note", Text),
    Column("created", String(40), nullable=False),
    UniqueConstraint(
        "document_id", "segment", "code_id", "coder_a", "coder_b", name="uq_resolution"
    ),
    sqlite_autoincrement=True,
)

# (v4) Pseudonym proposals: identifiers found in documents and their stand-ins (CONTRACT §10).
pseudonyms = Table(
    "pseudonyms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(400), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("replacement", String(200), nullable=False),
    Column("status", String(20), nullable=False, default="proposed"),  # proposed|accepted|rejected
    Column("origin", String(20), nullable=False, default="detected"),  # detected | added
    Column("created", String(40), nullable=False),
    Column("updated", String(40), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_pseudonyms_status", pseudonyms.c.status)

pseudonym_hits = Table(
    "pseudonym_hits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "pseudonym_id", Integer, ForeignKey("pseudonyms.id", ondelete="CASCADE"), nullable=False
    ),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(20), nullable=False),  # text | speaker | name
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    UniqueConstraint("pseudonym_id", "document_id", "field", "start", name="uq_pseudonym_hit"),
    sqlite_autoincrement=True,
)
Index("ix_pseudonym_hits_doc", pseudonym_hits.c.document_id)

# (v5) Coding counts kept up to date by triggers on documents and codings (SQLite:
# migration_v5.TRIGGERS); read by services/home_stats.py instead of counting every row.
document_counts = Table(
    "document_counts",
    metadata,
    Column(
        "document_id",
        Integer,
        ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("codings", Integer, nullable=False, default=0),
)
Index("ix_document_counts_codings", document_counts.c.codings)

code_document_counts = Table(
    "code_document_counts",
    metadata,
    Column("code_id", String(400), primary_key=True),
    Column("document_id", Integer, primary_key=True, autoincrement=False),
    Column("codings", Integer, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_code_document_counts_doc", code_document_counts.c.document_id)
