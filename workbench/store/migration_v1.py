"""Migrations 1 and 2 as they shipped, frozen as literal SQLite DDL.

Never edit these statements: a project created by any release must migrate the same way.
Later changes are new migrations (see migrations.py)."""

from __future__ import annotations

V1_DDL: tuple[str, ...] = (
    """CREATE TABLE schema_migrations (
	version INTEGER NOT NULL,
	name VARCHAR(200) NOT NULL,
	applied_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (version)
)""",
    """CREATE TABLE project_meta (
	"key" VARCHAR(200) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
)""",
    """CREATE TABLE documents (
	id INTEGER NOT NULL,
	name VARCHAR(400) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	source_name VARCHAR(400) NOT NULL,
	sha256 VARCHAR(64) NOT NULL,
	imported_at VARCHAR(40) NOT NULL,
	text TEXT NOT NULL,
	guid VARCHAR(40) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name),
	UNIQUE (guid)
)""",
    """CREATE TABLE codes (
	id VARCHAR(400) NOT NULL,
	guid VARCHAR(40) NOT NULL,
	parent_id VARCHAR(400),
	name VARCHAR(400) NOT NULL,
	description TEXT,
	include TEXT,
	exclude TEXT,
	examples TEXT NOT NULL,
	aliases TEXT NOT NULL,
	groups TEXT NOT NULL,
	merged_from TEXT NOT NULL,
	color VARCHAR(20),
	position INTEGER NOT NULL,
	created VARCHAR(40) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (guid),
	FOREIGN KEY(parent_id) REFERENCES codes (id) ON DELETE RESTRICT
)""",
    """CREATE TABLE memos (
	id INTEGER NOT NULL,
	target_type VARCHAR(20) NOT NULL,
	target_id VARCHAR(400) NOT NULL,
	author VARCHAR(200) NOT NULL,
	created VARCHAR(40) NOT NULL,
	text TEXT NOT NULL,
	guid VARCHAR(40) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (guid)
)""",
    """CREATE INDEX ix_memos_target ON memos (target_type, target_id)""",
    """CREATE TABLE embeddings (
	model_id VARCHAR(400) NOT NULL,
	text_hash VARCHAR(64) NOT NULL,
	dim INTEGER NOT NULL,
	vector BLOB NOT NULL,
	PRIMARY KEY (model_id, text_hash)
)""",
    """CREATE TABLE segments (
	id INTEGER NOT NULL,
	document_id INTEGER NOT NULL,
	idx INTEGER NOT NULL,
	level VARCHAR(20) NOT NULL,
	start INTEGER NOT NULL,
	"end" INTEGER NOT NULL,
	speaker VARCHAR(200),
	timestamp VARCHAR(60),
	parent_id INTEGER,
	PRIMARY KEY (id),
	CONSTRAINT uq_segment_doc_idx UNIQUE (document_id, idx),
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE,
	FOREIGN KEY(parent_id) REFERENCES segments (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_segments_doc_start ON segments (document_id, start)""",
    """CREATE TABLE document_attributes (
	document_id INTEGER NOT NULL,
	"key" VARCHAR(200) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (document_id, "key"),
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE
)""",
    """CREATE TABLE codings (
	id INTEGER NOT NULL,
	document_id INTEGER NOT NULL,
	start INTEGER NOT NULL,
	"end" INTEGER NOT NULL,
	code_id VARCHAR(400) NOT NULL,
	coder VARCHAR(200) NOT NULL,
	created VARCHAR(40) NOT NULL,
	memo TEXT,
	origin VARCHAR(20) NOT NULL,
	guid VARCHAR(40) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_coding_span UNIQUE (document_id, start, "end", code_id, coder),
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE RESTRICT,
	FOREIGN KEY(code_id) REFERENCES codes (id) ON DELETE RESTRICT,
	UNIQUE (guid)
)""",
    """CREATE INDEX ix_codings_doc ON codings (document_id, start)""",
    """CREATE INDEX ix_codings_code ON codings (code_id)""",
    """CREATE TABLE segment_attributes (
	segment_id INTEGER NOT NULL,
	"key" VARCHAR(200) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (segment_id, "key"),
	FOREIGN KEY(segment_id) REFERENCES segments (id) ON DELETE CASCADE
)""",
    """CREATE TABLE suggestion_feedback (
	id INTEGER NOT NULL,
	segment_id INTEGER NOT NULL,
	code_id VARCHAR(400) NOT NULL,
	decision VARCHAR(20) NOT NULL,
	coder VARCHAR(200) NOT NULL,
	created VARCHAR(40) NOT NULL,
	score TEXT,
	PRIMARY KEY (id),
	CONSTRAINT uq_feedback UNIQUE (segment_id, code_id, coder),
	FOREIGN KEY(segment_id) REFERENCES segments (id) ON DELETE CASCADE,
	FOREIGN KEY(code_id) REFERENCES codes (id) ON DELETE CASCADE
)""",
    """CREATE VIRTUAL TABLE segment_fts USING fts5(body, tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER documents_text_immutable BEFORE UPDATE OF text ON documents WHEN NEW.text IS NOT OLD.text BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END""",
    """CREATE TRIGGER documents_sha256_immutable BEFORE UPDATE OF sha256 ON documents WHEN NEW.sha256 IS NOT OLD.sha256 BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END""",
    """CREATE TRIGGER segments_start_immutable BEFORE UPDATE OF "start" ON segments WHEN NEW."start" IS NOT OLD."start" BEGIN SELECT RAISE(ABORT, 'segment offsets never change'); END""",
    """CREATE TRIGGER segments_end_immutable BEFORE UPDATE OF "end" ON segments WHEN NEW."end" IS NOT OLD."end" BEGIN SELECT RAISE(ABORT, 'segment offsets never change'); END""",
    """CREATE TRIGGER segments_document_id_immutable BEFORE UPDATE OF "document_id" ON segments WHEN NEW."document_id" IS NOT OLD."document_id" BEGIN SELECT RAISE(ABORT, 'segment offsets never change'); END""",
)

V2_DDL: tuple[str, ...] = (
    """CREATE TABLE resolutions (
	id INTEGER NOT NULL,
	document_id INTEGER NOT NULL,
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
	PRIMARY KEY (id),
	CONSTRAINT uq_resolution UNIQUE (document_id, segment, code_id, coder_a, coder_b),
	FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE
)""",
)
