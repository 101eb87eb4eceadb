"""``socialhub tokens``: scoped tokens for the REST API (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

app = typer.Typer(
    help="Tokens for the REST API, each narrowed to some scopes.\n\n"
    "A token acts as you, with your role, narrowed by its scopes (docs/api.md lists "
    "them). It is shown once and stored hashed.\n\n"
    "Example: socialhub tokens create --name ci --scope posts:write,analytics:read",
    no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="A name to recognise it by (unique).")],
    scope: Annotated[list[str], typer.Option(
        "--scope", metavar="SCOPES", help="Scopes, comma-separated or the option "
        "repeated, e.g. posts:write,analytics:read (see docs/api.md).")],
    expires: Annotated[str, typer.Option(
        "--expires", help="Lifetime: 90d, 12h, 2w or never.")] = "90d",
    json_: JsonOption = False,
) -> None:
    """Create a token for yourself; it is printed once.

    Example: socialhub tokens create --name ci --scope posts:write --expires 30d
    """
    from socialhub.services.access.tokens import create_token

    with get_hub().context("cli") as ctx:
        made = create_token(ctx, name=name, scopes=",".join(scope), expires=expires)
    if json_:
        emit_json({**made.row, "token": made.secret})
        return
    info(f"created token {made.row['name']} ({', '.join(made.row['scopes'])}; "
         f"expires {made.row['expires_at'] or 'never'})")
    info("store it now; it is not shown again:")
    out().print(made.secret, soft_wrap=True, highlight=False)


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List your tokens (owners and admins: everyone's).

    Secrets are never shown again: a lost token is revoked and replaced.
    """
    from socialhub.services.access.tokens import list_tokens

    with get_hub().context("cli") as ctx:
        rows = list_tokens(ctx)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no tokens yet: `socialhub tokens create --name N --scope posts:read`")
        return
    from socialhub.cli.fit_table import Column, print_list

    # On a narrow terminal last use, expiry, then the scopes are left out: the name,
    # member, prefix and state stay whole.
    print_list([Column("name", "left"), Column("member", "left"), Column("prefix", "left"),
                Column("scopes", "left", drop=1), Column("state", "left"),
                Column("expires", "left", drop=2), Column("last used", "left", drop=3)],
               [[r["name"], r["member"], r["prefix"] + "…", ",".join(r["scopes"]),
                 r["state"], r["expires_at"] or "never", r["last_used_at"] or "-"]
                for r in rows])


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The token's name (see `tokens list`).")]
           ) -> None:
    """Revoke a token: its next request is refused."""
    from socialhub.services.access.tokens import revoke_token

    with get_hub().context("cli") as ctx:
        row = revoke_token(ctx, name)
    info(f"revoked token {row['name']}")
