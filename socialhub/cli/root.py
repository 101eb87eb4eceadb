"""The ``socialhub`` root command: its global options and the table of its nouns.

Importing this loads no command module: ``socialhub --help`` (``cli.entry``) renders the
root help from here and ``cli.noun_summaries`` alone; ``cli.main`` registers the nouns.
"""

from __future__ import annotations

from typing import Annotated

import typer

from socialhub import __version__
from socialhub.cli.common import state

app = typer.Typer(
    name="socialhub",
    help="A self-hosted social media hub that lives in the terminal.\n\n"
    "Plan posts for many networks, keep brand voices, publish on time with the daemon.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# (module, attribute, command name, help) — each module defines a Typer sub-app
# or a single command function. Order is the order in --help.
NOUNS: list[tuple[str, str, str]] = [
    ("socialhub.cli.accounts", "app", "accounts"),
    ("socialhub.cli.posts", "app", "posts"),
    ("socialhub.cli.calendar", "app", "calendar"),
    ("socialhub.cli.slots", "app", "slots"),
    ("socialhub.cli.evergreen", "app", "evergreen"),
    ("socialhub.cli.campaigns", "app", "campaigns"),
    ("socialhub.cli.links", "app", "links"),
    ("socialhub.cli.voices", "app", "voices"),
    ("socialhub.cli.manifests", "apply_app", "apply"),
    ("socialhub.cli.manifests", "export_app", "export"),
    ("socialhub.cli.manifests", "lint_app", "lint"),
    ("socialhub.cli.manifests_review", "diff_app", "diff"),
    ("socialhub.cli.manifests_review", "preview_app", "preview"),
    ("socialhub.cli.sync", "app", "sync"),
    ("socialhub.cli.importing", "app", "import"),
    ("socialhub.cli.text", "app", "text"),
    ("socialhub.cli.orgs", "app", "orgs"),
    ("socialhub.cli.members", "app", "members"),
    ("socialhub.cli.audit", "app", "audit"),
    ("socialhub.cli.db", "app", "db"),
    ("socialhub.cli.config_cmd", "app", "config"),
    ("socialhub.cli.keys", "app", "keys"),
    ("socialhub.cli.doctor", "app", "doctor"),
    ("socialhub.cli.queue", "app", "queue"),
    ("socialhub.cli.analytics", "app", "analytics"),
    ("socialhub.cli.report", "app", "report"),
    ("socialhub.cli.experiments", "app", "experiments"),
    ("socialhub.cli.digest", "app", "digest"),
    ("socialhub.cli.inbox", "app", "inbox"),
    ("socialhub.cli.rules", "app", "rules"),
    ("socialhub.cli.tokens", "app", "tokens"),
    ("socialhub.cli.webhooks", "app", "webhooks"),
    ("socialhub.cli.daemon", "app", "daemon"),
    ("socialhub.cli.mcp", "app", "mcp"),
    ("socialhub.cli.sandbox", "app", "sandbox"),
    ("socialhub.cli.demo", "app", "demo"),
    ("socialhub.cli.docs", "app", "docs"),
    ("socialhub.cli.music", "app", "music"),
    ("socialhub.cli.search_cmd", "app", "search"),
    ("socialhub.cli.ai", "app", "ai"),
    ("socialhub.cli.hashtags", "app", "hashtags"),
    ("socialhub.cli.tui_cmd", "app", "tui"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socialhub {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", help="Config file (default: $SOCIALHUB_CONFIG, then "
                     "the XDG config dir).", envvar=None, show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Less chatter on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    """socialhub: plan, write and publish social posts from the terminal."""
    state.config_path = config
    state.debug = debug
    state.quiet = quiet
