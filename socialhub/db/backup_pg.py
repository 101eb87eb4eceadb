"""PostgreSQL backups: ``pg_dump --format=custom`` and ``pg_restore``, verified.

The dump runs on a snapshot exported from a REPEATABLE READ transaction that
also counts each table's rows, so the counts describe exactly what was dumped;
they are kept beside the dump (``FILE.counts.json``, 0600) for the restore to
compare. ``pg_restore --list`` must read the whole file back before a backup is
reported done, and before a restore touches the database. A restore runs in one
transaction (``--single-transaction``): a failure leaves the database as it was.

The password never appears on a command line: the tools get it in
``PGPASSWORD``, and the connection string they are given has none.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine

from socialhub.db.backup import BackupResult, database_counts, has_data, open_new_private
from socialhub.errors import ConfigError, ConflictError, DatabaseError, ValidationError

_TABLE_DATA = re.compile(r"\bTABLE DATA \S+ (\S+) ")


def pg_tool(name: str, bin_dir: str | None = None) -> Path:
    """Where ``pg_dump``/``pg_restore`` is: ``bin_dir`` (``database.pg_bin``) if given,
    else on PATH, else the newest ``/usr/lib/postgresql/*/bin``.

    Raises:
        ConfigError: not found.
    """
    if bin_dir:
        found = Path(bin_dir).expanduser() / name
        if not found.is_file():
            raise ConfigError(f"database.pg_bin: no {name} in {bin_dir}")
        return found
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(re.sub(r"\D", "", p) or 0), reverse=True):
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    raise ConfigError(f"{name} not found on PATH nor in /usr/lib/postgresql/*/bin",
                      hint="install the PostgreSQL client tools or set database.pg_bin")


def libpq_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that
    carries it (``PGPASSWORD``) for the PostgreSQL tools."""
    u = engine.url
    url = URL.create("postgresql", username=u.username, host=u.host, port=u.port,
                     database=u.database, query=u.query)
    env = {**os.environ}
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    return url.render_as_string(hide_password=False), env


def counts_file(dump: Path) -> Path:
    """Where the row counts taken with ``dump`` are kept."""
    return dump.with_name(dump.name + ".counts.json")


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["no message"])[0]


def _run(argv: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, env=env, text=True, check=False,
                              **kw)  # type: ignore[call-overload]
    except OSError as exc:
        raise ConfigError(f"cannot run {argv[0]}: {exc.strerror}") from None


def list_dump(dump: Path, bin_dir: str | None = None) -> set[str]:
    """Read the whole custom-format dump's table of contents; the tables it has data for.

    Raises:
        ValidationError: the file is missing, truncated or not a pg_dump custom archive.
    """
    if not dump.is_file():
        raise ValidationError(f"no such backup file: {dump}")
    done = _run([str(pg_tool("pg_restore", bin_dir)), "--list", str(dump)], dict(os.environ),
                capture_output=True)
    if done.returncode != 0:
        raise ValidationError(f"{dump} is not a readable pg_dump backup: "
                              f"{_first_error(done.stderr)}")
    tables = set(_TABLE_DATA.findall(done.stdout))
    if "alembic_version" not in tables:
        raise ValidationError(f"{dump} is not a socialhub database dump (no schema version)")
    return tables


def backup_postgres(engine: Engine, target: Path, *, force: bool = False,
                    bin_dir: str | None = None) -> BackupResult:
    """Dump the database to ``target`` (custom format, 0600) and verify the file.

    Raises:
        ConflictError: ``target`` exists and ``force`` is false.
        ConfigError: ``pg_dump`` is missing.
        DatabaseError: ``pg_dump`` failed or its file does not list every table.
    """
    dump_tool = pg_tool("pg_dump", bin_dir)
    fd = open_new_private(target, force=force)
    dsn, env = libpq_target(engine)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.begin()
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
            expected = {t: int(conn.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0)
                        for t in sorted(tables)}
            with os.fdopen(fd, "wb", closefd=True) as out:
                fd = -1
                done = _run([str(dump_tool), "--format=custom", "--no-password",
                             f"--snapshot={snapshot}", f"--dbname={dsn}"], env,
                            stdout=out, stderr=subprocess.PIPE)
            conn.rollback()
        if done.returncode != 0:
            raise DatabaseError(f"pg_dump failed: {_first_error(done.stderr)}")
        listed = list_dump(target, bin_dir)
        missing = sorted(t for t, n in expected.items() if t not in listed)
        if missing:
            raise DatabaseError(f"the dump has no data for {', '.join(missing)}")
        sidecar = counts_file(target)
        os.close(open_new_private(sidecar, force=True))
        sidecar.write_text(json.dumps({"tables": expected}, indent=2) + "\n")
    except BaseException:
        if fd != -1:
            os.close(fd)
        target.unlink(missing_ok=True)
        counts_file(target).unlink(missing_ok=True)
        raise
    return BackupResult("postgresql", target, target.stat().st_size, expected,
                        ["pg_restore --list reads it", "every table's data is in it"])


def restore_postgres(engine: Engine, source: Path, *, force: bool = False,
                     bin_dir: str | None = None) -> BackupResult:
    """Restore the dump ``source`` into the database in one transaction, verified.

    With ``force`` the database's own tables are dropped first (``--clean``).
    Row counts after the restore are compared with those taken at backup time
    (``FILE.counts.json``) when that file is there.

    Raises:
        ValidationError: the dump is unreadable (nothing was touched).
        ConflictError: the database has rows and ``force`` is false.
        DatabaseError: ``pg_restore`` failed (rolled back) or the counts differ.
    """
    list_dump(source, bin_dir)
    if has_data(engine) and not force:
        raise ConflictError("the database is not empty", hint="restore over it with --force")
    dsn, env = libpq_target(engine)
    engine.dispose()  # our pooled connections would block the drops
    done = _run([str(pg_tool("pg_restore", bin_dir)), "--clean", "--if-exists", "--no-owner",
                 "--single-transaction", "--exit-on-error", "--no-password",
                 f"--dbname={dsn}", str(source)], env, capture_output=True)
    if done.returncode != 0:
        raise DatabaseError(f"pg_restore failed, nothing was changed: "
                            f"{_first_error(done.stderr)}")
    got = database_counts(engine)
    checks = ["pg_restore --list reads it", "restored in one transaction"]
    sidecar = counts_file(source)
    if sidecar.is_file():
        expected = json.loads(sidecar.read_text())["tables"]
        if got != expected:
            raise DatabaseError(f"the restored row counts differ from the backup's ({sidecar})")
        checks.append("row counts match")
    return BackupResult("postgresql", source, source.stat().st_size, got, checks)
