"""``socialhub accounts``: the social profiles you publish to."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out
from socialhub.cli.registry import graft

app = typer.Typer(help="Add, list, show and remove social accounts.", no_args_is_help=True)


@app.command("add")
def add(
    ref: Annotated[str, typer.Argument(help="platform:@handle, e.g. bluesky:@shop.example.com")],
    display_name: Annotated[str | None, typer.Option("--name", help="A display name.")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Instance or PDS URL (Mastodon, self-hosted Bluesky, sandbox).")] = None,
    external_id: Annotated[str | None, typer.Option("--external-id",
                                                    help="The platform's id.")] = None,
    max_characters: Annotated[int | None, typer.Option(
        "--max-characters", help="This account's text limit when it differs from the "
        "platform default (e.g. a Mastodon instance's).")] = None,
    json_: JsonOption = False,
) -> None:
    """Add an account record (connect credentials separately).

    Example: socialhub accounts add mastodon:@me@social.example --base-url https://social.example
    """
    from socialhub.services.accounts.accounts import account_summary, add_account, parse_account_ref

    platform, handle = parse_account_ref(ref)
    hub = get_hub()
    with hub.context("cli") as ctx:
        settings = {"max_characters": max_characters} if max_characters else {}
        account = add_account(ctx, platform=platform, handle=handle,
                              display_name=display_name, base_url=base_url,
                              external_id=external_id, settings=settings)
        data = account_summary(account)
    if json_:
        emit_json(data)
    else:
        info(f"added account {data['ref']} (id {data['id']})")


@app.command("list")
def list_(
    platform: Annotated[str | None, typer.Option("--platform", help="Only this platform.")] = None,
    json_: JsonOption = False,
) -> None:
    """List accounts with their status."""
    from socialhub.services.accounts.overview import account_list

    hub = get_hub()
    with hub.context("cli") as ctx:
        rows = account_list(ctx, platform)
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no accounts yet: add one with `socialhub accounts add platform:@handle`")
        return
    from rich.text import Text

    from socialhub.cli.fit_table import Column, print_list

    # On a narrow terminal the token's expiry, then "connected" are left out: the id,
    # the account and its status stay whole.
    print_list([Column("id", "left"), Column("account", "left"), Column("status", "left"),
                Column("connected", "left", drop=1),
                Column("token expires", "left", drop=2, wrap=True)],
               [[str(r["id"]), r["ref"],
                 Text(r["status"], style="" if r["status"] == "active" else "red"),
                 "yes" if r["connected"] else "no", str(r["token_expires_at"] or "-")]
                for r in rows])


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="platform:@handle or id.")],
    json_: JsonOption = False,
) -> None:
    """Show one account: status, token expiry, scopes; never the tokens."""
    from socialhub.services.accounts.overview import account_details

    hub = get_hub()
    with hub.context("cli") as ctx:
        data = account_details(ctx, ref)
    if json_:
        emit_json(data)
        return
    console = out()
    for key, value in data.items():
        console.print(f"{key:>16}: {value if value not in (None, [], {}) else '-'}")


@app.command("remove")
def remove(
    ref: Annotated[str, typer.Argument(help="platform:@handle or id.")],
    force: Annotated[bool, typer.Option("--force", help="Remove even with posts waiting to go "
                                        "out (they are dropped).")] = False,
) -> None:
    """Remove an account with its credentials, variants and queue."""
    from socialhub.services.accounts.accounts import remove_account

    hub = get_hub()
    with hub.context("cli") as ctx:
        account = remove_account(ctx, ref, force=force)
        name = account.ref
    info(f"removed account {name}")


# `accounts connect` lives in its own module.
graft(app, ("socialhub.cli.accounts_connect",))
