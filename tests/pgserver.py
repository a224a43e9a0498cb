"""A private PostgreSQL server for one test run, from Debian's server binaries.

No system cluster and no ``TEST_DATABASE_URL`` needed: ``initdb`` a temporary folder, start
``postgres`` on a free loopback port (and a unix socket in the same folder), hand out a URL,
stop it and remove the folder at the end. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user that Debian's package creates, in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server binaries were not found under /usr/lib/postgresql/<version>/bin. "
    "Run the test command `bash tests/run` (it installs them), or "
    "`sudo apt-get install -y postgresql`, or set TEST_DATABASE_URL to a server of yours."
)


class PostgresNotAvailable(RuntimeError):
    pass


def server_bin() -> Path:
    """The newest installed major version's bin folder."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        raise PostgresNotAvailable(INSTALL_HINT)
    newest = max(found, key=lambda p: int(Path(p).parent.parent.name.split(".")[0]))
    return Path(newest).parent


def as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs: as root, as the postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresNotAvailable(
            "Running as root, and there is no `postgres` user to run the private "
            "PostgreSQL as (Debian's postgresql package creates it)."
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(bin_dir: Path, prefix: list[str]) -> None:
    """Stop and remove servers left by a test run that was killed (its owner is gone)."""
    for folder in Path(tempfile.gettempdir()).glob("between-pg-*"):
        try:
            owner = int((folder / "owner").read_text())
        except (OSError, ValueError):
            continue  # being set up by a run right now, or not ours
        if _alive(owner):
            continue
        if (folder / "data" / "postmaster.pid").exists():
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate"]
                + ["-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """``with PrivatePostgres() as url:`` a fresh, empty ``between`` database at ``url``."""

    def __init__(self) -> None:
        self.bin = server_bin()
        self.prefix = as_server_user()
        sweep_orphans(self.bin, self.prefix)
        self.folder = Path(tempfile.mkdtemp(prefix="between-pg-"))
        if self.prefix:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        (self.folder / "owner").write_text(str(os.getpid()))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=120, cwd=self.folder
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise PostgresNotAvailable(
                f"{' '.join(args[:1])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )
        return result

    def start(self) -> str:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        # Durability is not what a test run needs; speed is.
        options = (
            f"-c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        for attempt in range(5):
            self.port = _free_port()
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    f"{options} -p {self.port}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                break
            except PostgresNotAvailable:  # the port was taken in between: try another
                if attempt == 4:
                    raise
                time.sleep(0.2)
        import psycopg

        admin = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE ROLE between LOGIN PASSWORD 'between' SUPERUSER")
            conn.execute("CREATE DATABASE between_test OWNER between")
        return f"postgresql://between:between@127.0.0.1:{self.port}/between_test"

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast"]
                + ["-w", "stop"],
                capture_output=True,
                timeout=60,
                cwd=self.folder,
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> str:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
