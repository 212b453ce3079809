"""server init, server add-user, server push, server watch (CONTRACT §11)."""

from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import info
from workbench.cli.help_format import PLAIN_HELP
from workbench.errors import WorkbenchError

server_app = typer.Typer(
    **PLAIN_HELP,
    help="A team server on PostgreSQL: create the project and its roles, add logins, "
    "move a laptop project up, watch live changes.",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")

UrlArg = Annotated[
    str, typer.Argument(help="postgresql://USER:PASSWORD@HOST:PORT/DB (the database's owner).")
]
PASSWORD_ENV = "WORKBENCH_NEW_PASSWORD"


def _url(raw: str) -> str:
    from workbench.store.db import server_url

    url = server_url(raw)
    if url is None:
        raise WorkbenchError(
            f"{raw}: not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        )
    return url


def _owner_engine(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(url, connect_args={"connect_timeout": 10})


def _server_failure(label: str, exc: BaseException) -> WorkbenchError:
    from workbench.store import postgres_extras as pg

    refused = pg.refusal_message(exc)
    if refused:
        return WorkbenchError(f"{label}: {refused}")
    return WorkbenchError(f"{label}: {pg.server_error_line(exc)}")


@server_app.command("init")
def init(url: UrlArg) -> None:
    """As the database's owner: create (or bring up to date) the schema, the search index,
    the guard triggers, the roles workbench_lead/coder/reader and their row-level security."""
    from sqlalchemy.exc import DBAPIError

    from workbench.store import migrations
    from workbench.store import postgres_extras as pg
    from workbench.store.db import redact

    target = _url(url)
    label = redact(target)
    engine = _owner_engine(target)
    try:
        with engine.begin() as conn:
            recorded = pg.create_schema(conn)
    except DBAPIError as exc:
        raise _server_failure(label, exc) from exc
    finally:
        engine.dispose()
    state = f"recorded versions {recorded[0]}-{recorded[-1]}" if recorded else "was up to date"
    typer.echo(
        f"server project {label}: schema version {migrations.latest_version()} ({state}); "
        "roles workbench_lead, workbench_coder, workbench_reader"
    )


def _password() -> str:
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise WorkbenchError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@server_app.command("add-user")
def add_user(
    url: UrlArg,
    name: Annotated[str, typer.Argument(help="Login name (the coder name on their codings).")],
    role: Annotated[str, typer.Option(help="lead | coder | reader")],
) -> None:
    """Create a login NAME with a role (password from stdin, or $WORKBENCH_NEW_PASSWORD).
    An existing login gets the new password and role."""
    from sqlalchemy.exc import DBAPIError

    from workbench.store import postgres_extras as pg
    from workbench.store.db import redact

    if role not in ("lead", "coder", "reader"):
        raise WorkbenchError(f"--role {role}: choose lead, coder or reader")
    pg.check_login_name(name)
    target = _url(url)
    password = _password()
    engine = _owner_engine(target)
    try:
        with engine.begin() as conn:
            if not pg.is_initialised(conn):
                raise WorkbenchError(
                    f"{redact(target)}: not a Workbench project yet (run `workbench server init`)"
                )
            new = pg.add_user(conn, name, role, password)
    except DBAPIError as exc:
        raise _server_failure(redact(target), exc) from exc
    finally:
        engine.dispose()
    typer.echo(f"{'created' if new else 'updated'} login {name}: workbench_{role}")


@server_app.command("push")
def push(
    project: Annotated[Path, typer.Argument(help="The laptop project (.sqlite).")],
    url: UrlArg,
) -> None:
    """Copy a laptop project (documents, codebook, codings with their coders, memos,
    attributes, cases, resolutions, GUIDs) into an empty server project."""
    from sqlalchemy.exc import DBAPIError

    from workbench.services.server_push import ensure_empty
    from workbench.services.server_push import push as do_push
    from workbench.store.db import open_project, server_url

    if server_url(project) is not None:
        raise WorkbenchError(f"{project}: give the laptop project file first, then the URL")
    target = _url(url)
    src = open_project(project)
    try:
        dst = open_project(target, create=True)
        try:
            with src.read() as sconn, dst.begin() as dconn:
                ensure_empty(dconn, dst.label)
                counts = do_push(sconn, dconn)
        except DBAPIError as exc:
            raise _server_failure(dst.label, exc) from exc
        finally:
            dst.close()
    finally:
        src.close()
    shown = ("documents", "segments", "codes", "codings", "memos", "resolutions")
    typer.echo(
        f"pushed {project} to {dst.label}: " + ", ".join(f"{counts.get(t, 0)} {t}" for t in shown)
    )


@server_app.command("watch")
def watch(
    url: UrlArg,
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
) -> None:
    """Print colleagues' changes as they happen, one line each (a live feed)."""
    from workbench.services.live import ChangeFeed
    from workbench.store.db import open_project

    proj = open_project(_url(url))
    try:
        feed = ChangeFeed(proj, on_change=lambda c: typer.echo(c.describe()))
        with feed:
            info(f"watching {proj.label}")
            end = None if seconds is None else time.monotonic() + seconds
            while end is None or time.monotonic() < end:
                time.sleep(0.1)
    finally:
        proj.close()


def adopt_login(args: list[str]) -> None:
    """On a server the coder is the login: when the command's project is a server URL and
    $WORKBENCH_CODER is not set, the login's name becomes the default coder (so `code`
    without --coder codes as you, and --coder naming someone else is refused)."""
    if os.environ.get("WORKBENCH_CODER"):
        return
    raw = os.environ.get("WORKBENCH_PROJECT")
    for i, arg in enumerate(args):
        if arg in ("--project", "-p") and i + 1 < len(args):
            raw = args[i + 1]
        elif arg.startswith("--project="):
            raw = arg.split("=", 1)[1]
    if not raw or not raw.startswith(("postgresql", "postgres:")):
        return
    from workbench.store.db import server_url

    url = server_url(raw)
    if url is None:
        return
    from sqlalchemy.engine import make_url

    try:
        user = make_url(url).username
    except Exception:  # a malformed URL is reported when the project is opened
        return
    login = user or os.environ.get("PGUSER") or getpass.getuser()
    os.environ["WORKBENCH_CODER"] = login
