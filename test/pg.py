"""Run a throwaway PostgreSQL server on loopback for tests, which may stop and restart it."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from support import free_port

# Debian's PostgreSQL 15 (`make test` installs it); REACHY_MINI_PG_BIN points elsewhere.
PG_BIN = Path(os.environ.get("REACHY_MINI_PG_BIN", "/usr/lib/postgresql/15/bin"))
# The server refuses to run as root: as root, run its tools as this account.
PG_USER = "postgres"
SUPERUSER = "postgres"


def missing_reason() -> str | None:
    """Return why no server can be started here, or None if one can."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL not installed: {PG_BIN / tool} is missing (make system-deps)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"running as root but there is no {PG_USER!r} account to run PostgreSQL"
        if shutil.which("runuser") is None:
            return "running as root but runuser is missing"
    return None


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        reason = missing_reason()
        if reason is not None:
            raise RuntimeError(reason)
        # Not under pytest's tmp_path: that is private to root and the server's account could
        # not enter it.
        self.root = Path(tempfile.mkdtemp(prefix="reachy-mini-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "sockets"
        self.log_path = self.root / "server.log"
        self.port = 0
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam(PG_USER)
            for path in (self.root, self.socket_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )

    def _command(self, tool: str, *args: str) -> list[str]:
        """Return the command line running tool as the server's account."""
        line = [str(PG_BIN / tool), *args]
        if os.geteuid() == 0:
            line = ["runuser", "-u", PG_USER, "--", *line]
        return line

    def _run(self, tool: str, *args: str, timeout: float = 120.0) -> None:
        """Run a PostgreSQL tool; raise with its output if it fails."""
        result = subprocess.run(
            self._command(tool, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"{self.log()[-3000:]}"
            )

    def log(self) -> str:
        """Return the server's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        """Return whether the server runs."""
        result = subprocess.run(
            self._command("pg_ctl", "status", "-D", str(self.data_dir)),
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def start(self) -> None:
        """Start the server (on the same port after a stop) and wait until it accepts clients."""
        attempts = 1 if self.port else 3
        for attempt in range(attempts):
            port = self.port or free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {self.socket_dir} "
                # Test data need not survive a machine crash; skip the disk syncs.
                "-c fsync=off -c full_page_writes=off -c max_connections=50"
            )
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_path),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                )
            except RuntimeError:
                # The free port may have been taken meanwhile: try another one.
                if attempt == attempts - 1:
                    raise
                continue
            self.port = port
            return

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" ends the sessions, "immediate" kills it like a crash."""
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60")

    def restart(self) -> None:
        """Stop the server and start it again on the same port."""
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of one database on this server (plain postgresql://)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database; return its URL."""
        import psycopg

        name = name or "test_" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        """Stop the server if it runs and delete its files."""
        with contextlib.suppress(Exception):
            if self.running:
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Run a server for the duration of the block."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
