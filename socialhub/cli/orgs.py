"""``socialhub orgs``: create and list organizations."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

app = typer.Typer(help="Add and list organizations.", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The organization's name, as `organization:` "
                                        "in the config refers to it.")],
    json_: JsonOption = False,
) -> None:
    """Create an organization with an owner (only this command does).

    Example: socialhub orgs add shop && SOCIALHUB_ORGANIZATION=shop socialhub posts list
    """
    from socialhub.services.orgs import add_organization

    hub = get_hub()
    with hub.transaction() as s:
        add_organization(s, name)
    if json_:
        emit_json({"name": name, "created": True})
    else:
        info(f"added organization {name}")


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List organizations; the configured one is marked."""
    from socialhub.services.orgs import list_organizations

    hub = get_hub()
    current = hub.config.settings.organization
    with hub.transaction() as s:
        rows = [{**row, "current": row["name"] == current} for row in list_organizations(s)]
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
        console.print(f"{mark} {row['name']}  ({row['members']} member"
                      f"{'' if row['members'] == 1 else 's'})", highlight=False, markup=False)
