"""``socialhub db``: schema migrations, upkeep, backups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, info, out

app = typer.Typer(help="Upgrade, back up, restore or vacuum the database; its roles.",
                  no_args_is_help=True)


def _engine():  # type: ignore[no-untyped-def]
    from socialhub.services.ops.database import make_engine

    cfg = get_config()
    return make_engine(cfg.database_url, busy_timeout_ms=cfg.settings.database.busy_timeout_ms)


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    no_backup: Annotated[bool, typer.Option("--no-backup", help="Skip the SQLite backup.")]
    = False,
) -> None:
    """Upgrade the schema (a SQLite file is copied to backups/ first)."""
    from socialhub.services.ops.database import current_revision
    from socialhub.services.ops.database import upgrade as do_upgrade

    engine = _engine()
    before = current_revision(engine)
    backup = do_upgrade(engine, revision, backup=not no_backup,
                        backups_dir=get_config().paths.backups_dir)
    after = current_revision(engine)
    engine.dispose()
    if backup:
        info(f"backed up the database to {backup}")
    if before == after:
        info(f"already at {after}")
    else:
        info(f"upgraded {before or 'empty database'} → {after}")


@app.command("current")
def current(json_: JsonOption = False) -> None:
    """Print the schema revision and the one this version needs."""
    from socialhub.services.ops.database import current_revision, head_revision

    engine = _engine()
    now, head = current_revision(engine), head_revision()
    engine.dispose()
    data = {"current": now, "head": head, "up_to_date": now == head}
    if json_:
        emit_json(data)
    else:
        behind = "" if data["up_to_date"] else f" (head: {data['head']})"
        out().print(f"{data['current'] or '(empty)'}{behind}")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Downgrade the schema (may drop data; backs up SQLite first)."""
    from socialhub.services.ops.database import backup_sqlite, current_revision
    from socialhub.services.ops.database import downgrade as do_downgrade

    if not yes and not typer.confirm(f"Downgrade the database to {revision}? Data may be lost"):
        raise typer.Exit(1)
    engine = _engine()
    backup = backup_sqlite(engine, get_config().paths.backups_dir)
    if backup:
        info(f"backed up the database to {backup}")
    do_downgrade(engine, revision)
    info(f"now at {current_revision(engine) or 'base'}")
    engine.dispose()


@app.command("vacuum")
def vacuum(
    full: Annotated[bool, typer.Option(
        "--full", help="PostgreSQL: VACUUM FULL (locks tables while it rewrites them).")] = False,
    json_: JsonOption = False,
) -> None:
    """Give the space of deleted posts and rows back to the disk.

    SQLite: rebuilds the file and turns on incremental auto-vacuum for a database
    made before it existed (one-time conversion). PostgreSQL: VACUUM (ANALYZE).
    """
    from socialhub.services.ops.database import vacuum_database

    engine = _engine()
    try:
        result = vacuum_database(engine, full=full)
    finally:
        engine.dispose()
    if json_:
        emit_json(result.as_dict())
        return
    mib = 1024 * 1024
    info(f"{result.backend}: {result.bytes_before / mib:.1f} MiB → "
         f"{result.bytes_after / mib:.1f} MiB (reclaimed {result.reclaimed / mib:.1f} MiB)")
    if result.auto_vacuum_before not in (None, "incremental"):
        info("auto-vacuum is now on: space of deleted rows is returned as you go")


@app.command("roles")
def roles(
    apply: Annotated[bool, typer.Option(
        "--apply", help="Create the roles and grants (needs a superuser database.url).")]
    = False,
    json_: JsonOption = False,
) -> None:
    """Show (or, with --apply, create) a team's PostgreSQL roles.

    socialhub_migrate owns the schema and runs `db upgrade`; socialhub_app is the
    group of every member's login (no DDL, not the owner, no BYPASSRLS);
    socialhub_ro reads only; socialhub_daemon is the group of the daemon's login.
    Without --apply, prints the SQL it would run; --apply runs it, idempotently,
    and hands existing tables to socialhub_migrate. PostgreSQL only.

    Example (as a superuser, once per database):
    SOCIALHUB_DATABASE_URL=postgresql+psycopg://postgres@db/socialhub socialhub db roles --apply
    """
    from socialhub.services.teams.database_roles import database_roles

    report = database_roles(get_config(), apply=apply)
    if json_:
        emit_json(report.as_dict())
        return
    console = out()
    for role in report.roles:
        state = "exists" if role["exists"] else "missing"
        console.print(f"{role['name']:<18} {state:<8} {role['purpose']}", highlight=False,
                      markup=False)
    if report.applied:
        info(f"applied {len(report.statements)} statements (idempotent: safe to run again)")
        return
    console.print("", highlight=False)
    for stmt in report.statements:
        console.print(f"{stmt};", highlight=False, markup=False)
    info("nothing changed; run again with --apply (as a superuser) to create them")


def _summary(verb: str, result: Any) -> None:
    mib = result.bytes / (1024 * 1024)
    info(f"{verb} {result.file} ({mib:.1f} MiB): {result.rows:,} rows in "
         f"{len(result.tables)} tables; {', '.join(result.checks)}")


@app.command("backup")
def backup(
    file: Annotated[Path | None, typer.Argument(
        help="Where to write it; default: backups/socialhub-<UTC time>.sqlite (or .dump) "
             "in the data dir.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")]
    = False,
    json_: JsonOption = False,
) -> None:
    """Back up the database to one private file and check the copy.

    SQLite: the online backup API (safe while the daemon runs), then PRAGMA
    integrity_check and each table's row count compared. PostgreSQL: pg_dump
    --format=custom on one snapshot, read back with pg_restore --list; the row
    counts are kept beside it in FILE.counts.json. The password is passed in the
    environment, never on a command line. Restore with `socialhub db restore FILE`.

    Example: socialhub db backup ~/socialhub-$(date +%F).sqlite
    """
    from socialhub.services.ops.backup import backup_database

    cfg = get_config()
    info("backing up the database…")
    result = backup_database(cfg.database_url, file, backups_dir=cfg.paths.backups_dir,
                             force=force, pg_bin=cfg.settings.database.pg_bin)
    if json_:
        emit_json(result.as_dict())
    _summary("backed up to", result)


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A file made by `socialhub db backup`.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a database that already has rows (they are lost).")] = False,
    json_: JsonOption = False,
) -> None:
    """Replace the database with a backup, after checking the backup.

    A damaged, truncated or foreign file is refused before anything is touched. A
    database with rows is refused unless --force. Stop the daemon first: it would
    keep working from what it had read. SQLite: integrity_check and row counts
    compared after the copy. PostgreSQL: pg_restore in one transaction (a failure
    changes nothing), then row counts compared with FILE.counts.json if present.

    Example: socialhub daemon stop; socialhub db restore backup.sqlite --force
    """
    from socialhub.services.ops.backup import restore_database

    cfg = get_config()
    info(f"checking {file} and restoring it…")
    result = restore_database(cfg.database_url, file, force=force,
                              pg_bin=cfg.settings.database.pg_bin)
    if json_:
        emit_json(result.as_dict())
    _summary("restored from", result)
