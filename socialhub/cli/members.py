"""``socialhub members``: the people of an organization and their roles."""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

app = typer.Typer(help="Add, list and remove members; change and print roles.",
                  no_args_is_help=True)

OrgOption = Annotated[str | None, typer.Option(
    "--org", help="The organization (default: the current one, see `socialhub orgs use`).")]


@app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="Who: a local user name on SQLite, a database "
                                         "login role on PostgreSQL.")],
    role: Annotated[str, typer.Option("--role", "-r", help="owner, admin, editor, reviewer "
                                      "or viewer (see `socialhub members roles`).")],
    org: OrgOption = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="PostgreSQL: read the new login's password from stdin "
        "(none for peer, trust or certificate set-ups).")] = False,
    json_: JsonOption = False,
) -> None:
    """Make LOGIN a member with ROLE (never above your own role).

    Example: socialhub members add alice --role editor --org shop
    """
    from socialhub.cli.stdin import read_stdin_text
    from socialhub.services.teams.members import add_member

    password = read_stdin_text(4096).rstrip("\n") if password_stdin else None
    hub = get_hub()
    with hub.context("cli", organization=org) as ctx:
        row = add_member(ctx, login, role, password=password or None)
    if json_:
        emit_json(row)
    else:
        info(f"added {row['login']} as {row['role']}")


@app.command("list")
def list_(org: OrgOption = None, json_: JsonOption = False) -> None:
    """List the members of the organization with their roles."""
    from socialhub.services.teams.members import list_members

    hub = get_hub()
    with hub.context("cli", organization=org) as ctx:
        rows = list_members(ctx)
        me = ctx.actor.name
    if json_:
        emit_json(rows)
        return
    console = out()
    for row in rows:
        mark = "*" if row["login"] == me else " "
        console.print(f"{mark} {row['login'] or '(unclaimed)'}\t{row['role']}",
                      highlight=False, markup=False)


@app.command("set-role")
def set_role(
    login: Annotated[str, typer.Argument(help="The member.")],
    role: Annotated[str, typer.Argument(help="The new role.")],
    org: OrgOption = None,
    json_: JsonOption = False,
) -> None:
    """Change a member's role; the last owner stays an owner.

    Example: socialhub members set-role bob reviewer
    """
    from socialhub.services.teams.members import set_member_role

    hub = get_hub()
    with hub.context("cli", organization=org) as ctx:
        row = set_member_role(ctx, login, role)
    if json_:
        emit_json(row)
    else:
        info(f"{row['login']} is now {row['role']}")


@app.command("remove")
def remove(
    login: Annotated[str, typer.Argument(help="The member.")],
    org: OrgOption = None,
) -> None:
    """Take a member out of the organization (never the last owner)."""
    from socialhub.services.teams.members import remove_member

    hub = get_hub()
    with hub.context("cli", organization=org) as ctx:
        row = remove_member(ctx, login)
    info(f"removed {row['login']}")


@app.command("roles")
def roles(json_: JsonOption = False) -> None:
    """Print what each role may do (the permission matrix)."""
    from socialhub.services.teams.members import roles_matrix

    rows = roles_matrix()
    if json_:
        emit_json(rows)
        return
    from rich.table import Table

    permissions = sorted({p for row in rows for p in row["permissions"]})
    table = Table("permission", *(row["role"] for row in rows))
    for permission in permissions:
        table.add_row(permission, *("yes" if permission in row["permissions"] else "-"
                                    for row in rows))
    out().print(table)
