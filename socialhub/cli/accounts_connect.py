"""``socialhub accounts connect``: log in to a platform and save the account's tokens.

Joins the ``accounts`` noun through ``register(app)``. Client ids and secrets
come from the config or the OS keyring and the Bluesky app password from a
hidden prompt, ``$SOCIALHUB_BLUESKY_APP_PASSWORD`` or the reference an Account
manifest gives (``credentials.app_password: env:VAR`` or ``keyring:NAME``):
none of them is ever an option, so none lands in the shell history.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer.core import TyperCommand

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out, state
from socialhub.services.platform_names import developer_app_sentence, platforms_sentence

APP_PASSWORD_ENV = "SOCIALHUB_BLUESKY_APP_PASSWORD"


def _notify(message: str) -> None:
    # The URL is the user's next step: it goes to stderr even with --quiet.
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _read_redirect() -> str:
    sys.stderr.write("Redirect URL: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line.strip()


def _scopes(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [s for s in value.replace(",", " ").split() if s]


def connect(
    platform: Annotated[str, typer.Argument(
        help=f"{platforms_sentence(' or ')}.")],
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Mastodon instance, Bluesky PDS, sandbox URL, or another API "
        "base (a local fake).")] = None,
    handle: Annotated[str | None, typer.Option(
        "--handle", help="Bluesky: your handle; sandbox: the account to create; Facebook: "
        "the Page to publish as (name or id) when you manage several.")] = None,
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="Print the login URL and read the redirect URL you paste "
        "(for headless machines).")] = False,
    port: Annotated[int, typer.Option(
        "--port", help="Loopback port of the redirect URI http://127.0.0.1:PORT/callback "
        "(must match the app's registration; 0 picks a free one).")] = 8767,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Seconds to wait for the browser's redirect.")] = 300.0,
    scopes: Annotated[str | None, typer.Option(
        "--scopes", help="Scopes to request instead of the defaults (comma or "
        "space separated).")] = None,
    json_: JsonOption = False,
) -> None:
    """Connect an account, or reconnect it keeping posts and history.

    OAuth platforms open the browser at the login page and wait for the
    redirect on 127.0.0.1; the client id/secret come from the config
    (platforms.<name>.client_id/client_secret) or the keyring.
    {developer_app_networks} need a
    developer app of your own first (docs/platforms.md); Mastodon registers
    itself on the instance. Bluesky takes
    the app password from $SOCIALHUB_BLUESKY_APP_PASSWORD, else from the
    account's manifest reference (credentials.app_password), else asks.

    Example: socialhub accounts connect mastodon --base-url https://mastodon.social
    """
    from socialhub.errors import ValidationError
    from socialhub.services.accounts.connect import (
        ConnectOptions,
        connect_account,
        stored_app_password,
    )

    name = platform.strip().lower()
    if timeout <= 0 or not 0 <= port <= 65535:
        raise ValidationError("--timeout must be positive and --port between 0 and 65535")
    password = None
    if name == "bluesky":
        if not handle:
            raise ValidationError("bluesky: pass --handle (e.g. --handle shop.example.com)")
        password = (os.environ.get(APP_PASSWORD_ENV) or stored_app_password(get_hub(), handle)
                    or typer.prompt(f"App password for {handle.lstrip('@')}", hide_input=True,
                                    err=True))
    open_browser = None
    if not no_browser:
        import webbrowser

        open_browser = webbrowser.open
    options = ConnectOptions(base_url=base_url, handle=handle, scopes=_scopes(scopes),
                             port=port, timeout_s=timeout, no_browser=no_browser,
                             open_browser=open_browser, read_redirect=_read_redirect,
                             notify=_notify, app_password=password)
    summary = connect_account(get_hub(), name, options)
    if json_:
        emit_json(summary)
        return
    verb = "connected" if summary["created"] else "reconnected"
    info(f"{verb} {summary['ref']} (id {summary['id']})")
    if not state.quiet:
        console = out()
        expires = summary["token_expires_at"] or "never"
        console.print(f"{'token expires':>16}: {expires}")
        console.print(f"{'refresh token':>16}: "
                      f"{'yes' if summary['has_refresh_token'] else 'no'}")
        console.print(f"{'scopes':>16}: {' '.join(summary['scopes']) or '-'}")


class _DeveloperAppsHelp(TyperCommand):
    """``accounts connect``, whose help names the networks that need a developer app.

    The names come from the platform registry when the help is read, not when
    the module is imported, so ``socialhub --help`` loads no platform spec.
    """

    _help_template: str | None = None

    @property
    def help(self) -> str | None:
        """The docstring with the registry's developer-app networks filled in."""
        template = self._help_template
        if template is None:
            return None
        return template.replace("{developer_app_networks}", developer_app_sentence())

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_template = value


def register(app: typer.Typer) -> None:
    """Add ``connect`` to the ``accounts`` sub-app."""
    app.command("connect", cls=_DeveloperAppsHelp)(connect)
