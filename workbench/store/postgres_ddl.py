"""The PostgreSQL-only DDL of a server project: search index, PL/pgSQL guards, id sequences,
change notifications, the three group roles and their row-level security.

Every statement is idempotent (CREATE OR REPLACE, IF NOT EXISTS, DROP ... IF EXISTS first), so
`workbench server init` can run it again on a project that has it: after an upgrade it puts
the rules on tables that a new migration added. The tables themselves come from schema.py
(`metadata.create_all`, see postgres_extras.create_schema).
"""

from __future__ import annotations

from collections.abc import Iterable

ROLES = ("workbench_lead", "workbench_coder", "workbench_reader")
CHANNEL = "workbench_changes"

# Tables a coder writes, each with the column naming the person who owns the row.
OWNED = {"codings": "coder", "memos": "author", "suggestion_feedback": "coder"}
# Tables every role may write: the shared embedding cache is computed data, not content.
SHARED_CACHE = ("embeddings",)
# Written only by the owner (migrations) or through SECURITY DEFINER triggers.
OWNER_ONLY = ("schema_migrations", "change_counters")

# What a refusal of a write to each table means, in the words of the rules (CONTRACT §11).
RULES = {
    "codes": "only a lead (workbench_lead) edits the codebook",
    "project_meta": "only a lead (workbench_lead) edits the codebook",
    "documents": "only a lead (workbench_lead) imports documents",
    "segments": "only a lead (workbench_lead) imports documents",
    "segment_fts": "only a lead (workbench_lead) imports documents",
    "segment_attributes": "only a lead (workbench_lead) imports documents",
    "document_attributes": "only a lead (workbench_lead) sets attributes",
    "case_attributes": "only a lead (workbench_lead) sets attributes",
    "resolutions": "only a lead (workbench_lead) resolves disagreements",
    "codings": "a reader (workbench_reader) only reads: coding needs workbench_coder",
    "memos": "a reader (workbench_reader) only reads: memos need workbench_coder",
    "suggestion_feedback": "a reader (workbench_reader) only reads",
}

_ROLES_DDL = "\n".join(
    f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN "
    f"CREATE ROLE {r} NOLOGIN; END IF;"
    for r in ROLES
)
ROLES_DDL = f"DO $$ BEGIN {_ROLES_DDL} END $$"

FUNCTIONS: tuple[str, ...] = (
    # The project's owner or a superuser (not in a workbench role): no rules apply.
    """CREATE OR REPLACE FUNCTION workbench_is_owner() RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
          OR NOT (pg_has_role(current_user, 'workbench_lead', 'MEMBER')
                  OR pg_has_role(current_user, 'workbench_coder', 'MEMBER')
                  OR pg_has_role(current_user, 'workbench_reader', 'MEMBER'))
    $$""",
    """CREATE OR REPLACE FUNCTION workbench_refuse(msg text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'refused: ' || msg; END $$""",
    # The owner column of a coder's row is the login: set when empty, refused when another.
    # A lead may change and remove anyone's rows, and write other coders' names where that
    # is the point: imported codings, resolutions (origin imported/resolved), memos.
    """CREATE OR REPLACE FUNCTION workbench_own_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE col text := TG_ARGV[0]; who text; what text := TG_ARGV[1];
            lead boolean := pg_has_role(current_user, 'workbench_lead', 'MEMBER');
    BEGIN
      IF workbench_is_owner() THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' THEN
        who := to_jsonb(OLD) ->> col;
        IF NOT lead AND who IS DISTINCT FROM current_user::text THEN
          PERFORM workbench_refuse(format('a coder removes only their own %s (this one is %s''s)',
                                          what, who));
        END IF;
        RETURN OLD;
      END IF;
      IF TG_OP = 'UPDATE' THEN
        who := to_jsonb(OLD) ->> col;
        IF NOT lead AND who IS DISTINCT FROM current_user::text THEN
          PERFORM workbench_refuse(format('a coder changes only their own %s (this one is %s''s)',
                                          what, who));
        END IF;
        IF lead OR (to_jsonb(NEW) ->> col) IS NOT DISTINCT FROM who THEN RETURN NEW; END IF;
      END IF;
      who := to_jsonb(NEW) ->> col;
      IF NOT lead AND TG_OP = 'INSERT' AND who IS DISTINCT FROM current_user::text THEN
        IF (to_jsonb(NEW) ->> 'origin') = 'resolved' THEN
          PERFORM workbench_refuse('only a lead (workbench_lead) resolves disagreements');
        ELSIF (to_jsonb(NEW) ->> 'origin') = 'imported' THEN
          PERFORM workbench_refuse('only a lead (workbench_lead) imports colleagues'' codings');
        END IF;
      END IF;
      IF who IS NULL OR who = '' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(col, current_user::text));
      ELSIF who <> current_user::text AND NOT (lead AND (TG_TABLE_NAME = 'memos'
            OR coalesce(to_jsonb(NEW) ->> 'origin', '') IN ('imported', 'resolved'))) THEN
        PERFORM workbench_refuse(format(
          'on this server you are %s: --coder %s would act as someone else', current_user, who));
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION workbench_bump() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      UPDATE change_counters SET value = value + 1 WHERE name = 'learner';
      RETURN NULL;
    END $$""",
    # Ids come from each table's sequence; rows inserted with ids of their own (a document's
    # segments, in one executemany) move the sequence past them, so no id is handed out twice.
    """CREATE OR REPLACE FUNCTION workbench_sync_id() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE seq text := pg_get_serial_sequence(quote_ident(TG_TABLE_NAME), 'id');
            top bigint; last bigint; called boolean;
    BEGIN
      SELECT max(id) INTO top FROM new_rows;
      IF top IS NULL OR seq IS NULL THEN RETURN NULL; END IF;
      EXECUTE format('SELECT last_value, is_called FROM %s', seq) INTO last, called;
      IF top > last OR (top = last AND NOT called) THEN PERFORM setval(seq, top); END IF;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION workbench_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE col text;
    BEGIN
      FOREACH col IN ARRAY TG_ARGV[1:] LOOP
        IF (to_jsonb(OLD) -> col) IS DISTINCT FROM (to_jsonb(NEW) -> col)
           AND NOT (col = 'text_sha256' AND (to_jsonb(OLD) ->> col) IS NULL) THEN
          RAISE EXCEPTION '%', TG_ARGV[0];
        END IF;
      END LOOP;
      RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION workbench_document_undeletable() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM codings WHERE document_id = OLD.id) THEN
        RAISE EXCEPTION 'a coded document cannot be deleted (remove its codings first)';
      END IF;
      RETURN OLD;
    END $$""",
    """CREATE OR REPLACE FUNCTION workbench_segment_undeletable() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM codings c WHERE c.document_id = OLD.document_id
                 AND c.start < OLD."end" AND c."end" > OLD.start) THEN
        RAISE EXCEPTION 'a segment under a coding cannot be deleted';
      END IF;
      RETURN OLD;
    END $$""",
    # Live updates: one notification per changed row of what a colleague's screen shows.
    """CREATE OR REPLACE FUNCTION workbench_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE r jsonb;
    BEGIN
      IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
      PERFORM pg_notify('workbench_changes', json_build_object(
        'table', TG_TABLE_NAME, 'op', TG_OP, 'by', current_user::text,
        'id', r -> 'id', 'document_id', r -> 'document_id', 'code_id', r -> 'code_id',
        'coder', coalesce(r -> 'coder', r -> 'author'), 'start', r -> 'start',
        'end', r -> 'end')::text);
      RETURN NULL;
    END $$""",
)


def _trigger(name: str, table: str, when: str, func: str, *, row: bool = True) -> list[str]:
    each = "ROW" if row else "STATEMENT"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {func}",
    ]


def guard_triggers() -> list[str]:
    """The twins of migration_v3's SQLite triggers, plus the owner rule of a coder's rows."""
    out: list[str] = []
    for table in ("codings", "suggestion_feedback", "codes"):
        out += _trigger(
            f"{table}_counts", table, "AFTER INSERT OR UPDATE OR DELETE", "workbench_bump()"
        )
    text_msg = "'a document''s text never changes after import'"
    out += _trigger(
        "documents_text_immutable",
        "documents",
        "BEFORE UPDATE",
        f"workbench_immutable({text_msg}, 'text', 'sha256', 'text_sha256')",
    )
    out += _trigger(
        "documents_coded_undeletable",
        "documents",
        "BEFORE DELETE",
        "workbench_document_undeletable()",
    )
    out += _trigger(
        "segments_offsets_immutable",
        "segments",
        "BEFORE UPDATE",
        "workbench_immutable('segment offsets never change', 'start', 'end', 'document_id', "
        "'idx', 'level', 'parent_id')",
    )
    out += _trigger(
        "segments_coded_undeletable",
        "segments",
        "BEFORE DELETE",
        "workbench_segment_undeletable()",
    )
    out += _trigger(
        "codings_offsets_immutable",
        "codings",
        "BEFORE UPDATE",
        "workbench_immutable('a coding''s offsets never change', 'start', 'end', 'document_id')",
    )
    what = {"codings": "codings", "memos": "memos", "suggestion_feedback": "suggestion decisions"}
    for table, col in OWNED.items():
        out += _trigger(
            f"{table}_own_row",
            table,
            "BEFORE INSERT OR UPDATE OR DELETE",
            f"workbench_own_row('{col}', '{what[table]}')",
        )
        out.append(f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT current_user")
    for table in ("codings", "memos", "codes", "documents"):
        out += _trigger(
            f"{table}_notify", table, "AFTER INSERT OR UPDATE OR DELETE", "workbench_notify()"
        )
    return out


def id_triggers(tables: Iterable[str]) -> list[str]:
    out: list[str] = []
    for table in tables:
        out += [
            f"DROP TRIGGER IF EXISTS {table}_sync_id ON {table}",
            f"CREATE TRIGGER {table}_sync_id AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION workbench_sync_id()",
        ]
    return out


def security(tables: Iterable[str]) -> list[str]:
    """Grants and row-level security. Every table can be read by the three roles; a lead
    writes every table but the owner's; a coder writes their own rows of OWNED (and the
    cache); a reader only reads."""
    lead, coder, reader = ROLES
    out = [
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {lead}, {coder}, {reader}",
    ]
    for table in tables:
        out += [
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT ON {table} TO {lead}, {coder}, {reader}",
        ]
        if table in OWNER_ONLY:
            continue
        out.append(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {lead}")
        if table in OWNED or table in SHARED_CACHE:
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {coder}")
        if table in SHARED_CACHE:
            out.append(f"GRANT INSERT ON {table} TO {reader}")
    out.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {lead}, {coder}")
    for table, col in OWNED.items():
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            *(
                f"DROP POLICY IF EXISTS {p} ON {table}"
                for p in (
                    "wb_read",
                    "wb_lead",
                    "wb_coder_insert",
                    "wb_coder_update",
                    "wb_coder_delete",
                )
            ),
            f"CREATE POLICY wb_read ON {table} FOR SELECT TO {lead}, {coder}, {reader} "
            "USING (true)",
            f"CREATE POLICY wb_lead ON {table} FOR ALL TO {lead} USING (true) WITH CHECK (true)",
            f"CREATE POLICY wb_coder_insert ON {table} FOR INSERT TO {coder} "
            f"WITH CHECK ({col} = current_user)",
            f"CREATE POLICY wb_coder_update ON {table} FOR UPDATE TO {coder} "
            f"USING (true) WITH CHECK ({col} = current_user)",
            # Updates and deletes of others' rows pass RLS so that the own-row trigger refuses
            # them with a message (a policy alone would make them a silent no-op).
            f"CREATE POLICY wb_coder_delete ON {table} FOR DELETE TO {coder} USING (true)",
        ]
    return out
