"""Which API tokens an agent may use to write plain drafts (``mcp.trusted_tokens``).

By default every post an agent drafts over MCP waits for a person's approval. The
daemon's operator may trust named tokens: their drafts stay drafts, as a person's at
the CLI do. An entry is ``ORGANIZATION/TOKEN`` (or ``TOKEN`` in the configured
organization); token names are unique within an organization, so an entry names
exactly one token, and another organization's token of the same name is not trusted.
"""

from __future__ import annotations

from collections.abc import Callable

from socialhub.db.queries import orgs as org_queries
from socialhub.errors import ConfigError
from socialhub.services.context import Principal
from socialhub.services.hub import Hub


def trusted_tokens(hub: Hub) -> Callable[[Principal], bool]:
    """Whether a principal's token is one ``mcp.trusted_tokens`` names. The entries are
    resolved once, now: an organization named there must exist.

    Raises:
        ConfigError: an entry names an organization that does not exist.
    """
    settings = hub.config.settings
    entries = settings.mcp.trusted_tokens
    if not entries:
        return lambda _principal: False
    keys: set[tuple[int, str]] = set()
    with hub.transaction() as session:
        for entry in entries:
            org, _, name = entry.rpartition("/")
            org = org or settings.organization
            org_id = org_queries.organization_id_named(session, org)
            if org_id is None:
                raise ConfigError(f"mcp.trusted_tokens: {entry!r}: no organization {org!r}")
            keys.add((org_id, name))
    return lambda principal: (principal.org_id, principal.token_name) in keys
