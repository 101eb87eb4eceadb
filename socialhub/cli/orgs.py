"""``socialhub orgs``: create, list, switch between and configure organizations."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, get_hub, info, out, warn

app = typer.Typer(help="Add, list, switch between and configure organizations.",
                  no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The organization's name, as `organization:` "
                                        "in the config refers to it.")],
    json_: JsonOption = False,
) -> None:
    """Create an organization, with you as its owner.

    Only this command creates one.

    Example: socialhub orgs add shop && socialhub orgs use shop
    """
    from socialhub.services.teams.organizations import start_organization

    hub = get_hub()
    with hub.transaction() as session:
        start_organization(session, name)
    if json_:
        emit_json({"name": name, "created": True})
    else:
        info(f"added organization {name}")


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List organizations and your role; the current one is marked."""
    from socialhub.services.teams.organizations import organizations_for_login

    hub = get_hub()
    current = hub.config.settings.organization
    with hub.transaction() as session:
        rows = [{**row, "current": row["name"] == current}
                for row in organizations_for_login(session)]
    if json_:
        emit_json(rows)
        return
    if not rows:
        info("no organizations yet; the first command creates the configured one "
             f"({current})")
        return
    console = out()
    for row in rows:
        mark = "*" if row["current"] else " "
        role = f"  {row['role']}" if row["role"] else ""
        console.print(f"{mark} {row['name']}  ({row['members']} member"
                      f"{'' if row['members'] == 1 else 's'}){role}", highlight=False,
                      markup=False)


@app.command("use")
def use(
    name: Annotated[str, typer.Argument(help="An organization you are a member of.")],
    json_: JsonOption = False,
) -> None:
    """Make NAME your current organization (saved in your config).

    It is written as `organization: NAME` in your config file.

    Example: socialhub orgs use shop
    """
    from socialhub.services.settings import save_organization
    from socialhub.services.teams.organizations import organization_settings

    hub = get_hub()
    with hub.context("cli", organization=name) as ctx:  # refuses non-members and unknown names
        organization_settings(ctx)
    file = save_organization(get_config(), name)
    if json_:
        emit_json({"organization": name, "config_file": str(file)})
    else:
        info(f"now using organization {name} (saved in {file})")
    if os.environ.get("SOCIALHUB_ORGANIZATION"):
        warn("SOCIALHUB_ORGANIZATION is set and still wins over the config file")


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="The organization.")],
    approvals: Annotated[str | None, typer.Option(
        "--approvals", help="required: posts need a reviewer's approval before they are "
        "scheduled or sent; off: they do not.")] = None,
    json_: JsonOption = False,
) -> None:
    """Change an organization's settings (owners and admins).

    Example: socialhub orgs set shop --approvals required
    """
    from socialhub.services.teams.organizations import organization_settings, set_approvals

    hub = get_hub()
    with hub.context("cli", organization=name) as ctx:
        data = set_approvals(ctx, approvals) if approvals is not None else \
            organization_settings(ctx)
    if json_:
        emit_json(data)
    else:
        info(f"{data['name']}: approvals {data['settings']['approvals']}")
