"""pseudonyms detect / list / accept / reject / add / link (CONTRACT §10)."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableJsonFormat,
    print_json,
    print_table,
    project_session,
)
from workbench.cli.help_format import PLAIN_HELP
from workbench.errors import WorkbenchError

pseudonyms_app = typer.Typer(
    **PLAIN_HELP,
    help="Find personal identifiers, review them, and replace them on the way out "
    "(--pseudonymise on exports, report and search). Stored text never changes.",
    no_args_is_help=True,
)
app.add_typer(pseudonyms_app, name="pseudonyms")

KIND_HELP = (
    "person, place, organisation, nhs_number, phone, postcode, email, date_of_birth or document"
)


@pseudonyms_app.command("detect")
def detect_cmd(
    ctx: typer.Context,
    doc: Annotated[
        list[str] | None, typer.Option("--doc", help="Only this document (repeatable).")
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Find identifiers (offline) and store them as proposals; prints counts by kind."""
    from workbench.pseudonyms.store import detect

    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            counts = detect(conn, doc)
    total = sum(counts.values())
    typer.echo(f"found {total} identifiers")
    for kind, n in sorted(counts.items()):
        typer.echo(f"{kind}\t{n}")


@pseudonyms_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="proposed, accepted or rejected")
    ] = None,
    format: Annotated[
        TableJsonFormat, typer.Option("--format", help="table or json")
    ] = TableJsonFormat.table,
    project: ProjectOpt = None,
) -> None:
    """The identifiers found or added, with kind, stand-in, status and count."""
    from workbench.pseudonyms.store import proposals

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            rows = proposals(conn, status)
    if format is TableJsonFormat.json:
        print_json([r.as_json() for r in rows])
        return
    print_table(
        ("text", "kind", "replacement", "status", "count"),
        [(r.text, r.kind, r.replacement, r.status, r.count) for r in rows],
        title=f"{len(rows)} identifiers",
    )


@pseudonyms_app.command("accept")
def accept_cmd(
    ctx: typer.Context,
    texts: Annotated[list[str] | None, typer.Argument(help="Identifiers, as listed.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Accept every proposed one.")] = False,
    as_: Annotated[
        str | None,
        typer.Option("--as", help="Stand-in to use (the same one on two texts links them)."),
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Accept identifiers: they are replaced on every way out."""
    from workbench.pseudonyms.store import set_status

    if all_ == bool(texts):
        raise WorkbenchError("give the identifiers to accept, or --all (not both)")
    if all_ and as_ is not None:
        raise WorkbenchError("--as needs named identifiers, not --all")
    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            n = set_status(conn, None if all_ else texts, "accepted", as_)
    typer.echo(f"accepted {n} identifiers")


@pseudonyms_app.command("reject")
def reject_cmd(
    ctx: typer.Context,
    texts: Annotated[list[str], typer.Argument(help="Identifiers, as listed.")],
    project: ProjectOpt = None,
) -> None:
    """Reject identifiers: they stay as they are in exports."""
    from workbench.pseudonyms.store import set_status

    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            n = set_status(conn, texts, "rejected")
    typer.echo(f"rejected {n} identifiers")


@pseudonyms_app.command("add")
def add_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The identifier, exactly as written.")],
    as_: Annotated[str, typer.Option("--as", help="Its stand-in, e.g. '[Person 3]'.")],
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)] = "person",
    project: ProjectOpt = None,
) -> None:
    """Add an identifier the detector missed (accepted)."""
    from workbench.pseudonyms.store import add

    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            n = add(conn, text, as_, kind)
    typer.echo(f"added {text!r} as {as_.strip()!r}: {n} occurrences")


@pseudonyms_app.command("link")
def link_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A variant, e.g. 'Mrs Pryce'.")],
    to: Annotated[str, typer.Argument(help="The identifier whose stand-in it takes.")],
    project: ProjectOpt = None,
) -> None:
    """Give TEXT the stand-in of TO (two ways of naming one person)."""
    from workbench.pseudonyms.store import link

    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            rep = link(conn, text, to)
    typer.echo(f"{text!r} is now {rep}")
