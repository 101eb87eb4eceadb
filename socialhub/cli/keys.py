"""``socialhub keys``: see where the master key comes from, and rotate it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out, state

app = typer.Typer(
    help="Check and rotate the master key that encrypts credentials.",
    no_args_is_help=True,
)

PROGRESS_THRESHOLD = 200  # below this a rotation is instant; no progress chatter


@app.command("status")
def status(json_output: JsonOption = False) -> None:
    """Show where the master key comes from and what each key encrypts.

    Example: socialhub keys status --json
    """
    from socialhub.services.accounts.credentials import credential_counts_by_key
    from socialhub.services.accounts.key_source import describe_key_source

    config = get_config()
    described = describe_key_source(config)
    with get_hub().transaction() as session:
        counts = credential_counts_by_key(session)
    known = {described["key_id"], *described["retired_key_ids"]} - {None}
    rows = [
        {"key_id": key_id, "count": n, "current": key_id == described["key_id"],
         "available": key_id in known}
        for key_id, n in sorted(counts.items())
    ]
    data: dict[str, Any] = {**described, "credentials": rows}
    if json_output:
        emit_json(data)
    else:
        _print_status(data)
    if described["error"]:
        from socialhub.errors import SecurityError

        raise SecurityError(described["error"])
    if any(not row["available"] for row in rows):
        info("warning: some credentials use a key that is not available; see docs/security.md")


def _print_status(described: dict[str, Any]) -> None:
    rows = described["credentials"]
    where = f" ({described['path']})" if described["path"] else ""
    console = out()
    console.print(f"source:   {described['source']}{where}")
    console.print(f"key id:   {described['key_id'] or '-'}")
    console.print(f"keyring:  {described['keyring'] or 'not used'}")
    console.print(f"retired:  {', '.join(described['retired_key_ids']) or '-'}")
    if described.get("will_create_in"):
        console.print(f"note:     a key will be created in {described['will_create_in']} "
                      "on first use")
    console.print("credentials by key:" if rows else "credentials by key: none")
    for row in rows:
        tag = "current" if row["current"] else "retired" if row["available"] else "MISSING"
        console.print(f"  {row['key_id']}  {row['count']:>6}  {tag}")


def _progress_printer() -> Any:
    last = [0]

    def report(done: int, total: int) -> None:
        if total < PROGRESS_THRESHOLD or state.quiet:
            return
        # About ten lines whatever the size, plus the last one.
        if done == total or done - last[0] >= max(total // 10, 1):
            last[0] = done
            sys.stderr.write(f"re-encrypted {done}/{total} credentials\n")
            sys.stderr.flush()

    return report


@app.command("rotate")
def rotate(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    new_key_file: Annotated[
        Path | None,
        typer.Option("--new-key-file", help="Where to write the new key (0600) when the "
                     "current one comes from $SOCIALHUB_MASTER_KEY or systemd credentials.",
                     dir_okay=False, show_default=False),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Generate a new master key and re-encrypt every credential with it.

    The re-encryption is one transaction. The new key replaces the old one in
    the key file or OS keyring; the old key is kept as a retired key so backups
    made before the rotation still decrypt. Keys from the environment or
    systemd cannot be replaced by socialhub: give --new-key-file and install it.

    Example: socialhub keys rotate --yes
    """
    from socialhub.services.accounts.credentials import rotate_master_key

    if not yes and not typer.confirm("Re-encrypt every credential under a new master key?",
                                     err=True):
        raise typer.Exit(1)
    result = rotate_master_key(get_hub(), new_key_file=new_key_file,
                               progress=_progress_printer())
    if json_output:
        emit_json({"old_key_id": result.old_key_id, "new_key_id": result.new_key_id,
                   "source": result.source, "count": result.count,
                   "new_key_file": result.new_key_file})
    else:
        out().print(f"rotated {result.old_key_id} -> {result.new_key_id}: "
                    f"{result.count} credentials re-encrypted")
    if result.new_key_file is not None:
        what = ("the systemd credential socialhub-master-key" if result.source ==
                "systemd-credential" else "$SOCIALHUB_MASTER_KEY")
        sys.stderr.write(
            f"now update {what} to the new key in {result.new_key_file}, then delete that file; "
            f"until then the new key is read from the retired-keys folder\n")
