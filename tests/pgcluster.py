"""A throwaway PostgreSQL cluster on loopback for the tests and the server benchmark.

The server binaries come from the `pgserver` wheel (in the `dev` extra), so a fresh machine
needs no manual step. Unlike pgserver's own helper the cluster listens on 127.0.0.1 with
SCRAM passwords (the way a team server runs), on a free port, in a temporary folder that is
removed when it stops. As root, PostgreSQL runs as the system user `pgserver` (created if
missing), as pgserver itself does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"
SUPERPASS = "throwaway-superuser"


def _bin() -> Path:
    import warnings

    with warnings.catch_warnings():  # pgserver's own helper warns about XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    root: Path
    port: int
    user: str | None = None  # the system user postgres runs as (None: ourselves)
    _dbs: int = field(default=0, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, user: str = SUPERUSER, password: str = SUPERPASS, db: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def _run(self, exe: str, *args: str) -> str:
        out = subprocess.run(
            [str(_bin() / exe), *args],
            check=True,
            capture_output=True,
            text=True,
            user=self.user,
            timeout=120,
            cwd=self.root,
        )
        return out.stdout

    def sql(self, statement: str, db: str = "postgres") -> None:
        """Run one statement as the superuser (autocommit: CREATE DATABASE works)."""
        import psycopg

        with psycopg.connect(self.url(db=db), autocommit=True) as con:
            con.execute(statement)  # type: ignore[arg-type]

    def new_database(self, prefix: str = "wb") -> str:
        """A fresh empty database (C collation: the order of names is SQLite's)."""
        self._dbs += 1
        name = f"{prefix}_{os.getpid()}_{self._dbs}"
        self.sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'")
        return name

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PgCluster:
    """initdb + start on a free loopback port; returns when the server accepts logins."""
    root = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    user = None
    _bin()  # imports pgserver quietly
    if os.geteuid() == 0:
        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        user = "pgserver"
        entry = ensure_user_exists(user)
        assert entry is not None
        ensure_prefix_permissions(_bin())
        ensure_folder_permissions(_bin(), 0o555)
        ensure_folder_permissions(_bin().parent / "lib", 0o444)
        ensure_prefix_permissions(root)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(root=root, port=_free_port(), user=user)
    pwfile = root / "pw"
    pwfile.write_text(SUPERPASS + "\n")
    if user is not None:
        shutil.chown(pwfile, user)
    cluster._run(
        "initdb",
        "-D",
        str(cluster.data),
        "-U",
        SUPERUSER,
        "--pwfile",
        str(pwfile),
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",
    )
    sock = root / "sock"
    sock.mkdir()
    if user is not None:
        shutil.chown(sock, user)
    opts = f"-h 127.0.0.1 -p {cluster.port} -k {sock} -c fsync=off -c max_connections=200"
    cluster._run(
        "pg_ctl", "-D", str(cluster.data), "-o", opts, "-l", str(root / "log"), "-w", "start"
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.sql("SELECT 1")
            return cluster
        except Exception:
            if time.monotonic() > deadline:
                cluster.stop()
                raise
            time.sleep(0.2)


_SHARED: list[PgCluster] = []


def shared_cluster() -> PgCluster:
    """One cluster per test process, stopped at exit (every test module that needs a server
    gets the same one; each test makes its own database in it)."""
    if not _SHARED:
        import atexit

        cluster = start_cluster()
        atexit.register(cluster.stop)
        _SHARED.append(cluster)
    return _SHARED[0]
