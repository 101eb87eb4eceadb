"""Which endpoint wants which event, under what name, and the secret it is signed with.

Endpoints are configured in ``daemon.webhooks`` (``config.WebhookConfig``). Each lists
the events it wants: bus event names (``post.approved``), prefixes (``inbox.*``),
``*``, or the short names of the first releases (``published``), which keep working
and keep their short name in the payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from socialhub.config import LEGACY_WEBHOOK_EVENTS, Settings, WebhookConfig

if TYPE_CHECKING:
    from socialhub.config import LoadedConfig

EVENTS = LEGACY_WEBHOOK_EVENTS
#: The bus event (``services/events.py``) behind each short webhook name.
#: ``schedule.changed`` is sent only when it names a post (its subject).
BUS_EVENTS = {
    "schedule.changed": "scheduled", "delivery.published": "published",
    "delivery.failed": "failed", "delivery.dead": "dead",
    "delivery.unconfirmed": "unconfirmed", "account.needs_reauth": "needs_reauth",
    "daemon.digest": "digest", "sync.failed": "sync_failed",
    # the review of posts (teams)
    "post.submitted": "submitted", "post.approved": "approved",
    "post.changes_requested": "changes_requested", "post.commented": "commented",
    "alert.raised": "alert",
}
#: The short webhook name → its bus event.
HOOK_TO_BUS = {hook: bus for bus, hook in BUS_EVENTS.items()}
#: The bus event that wakes daemons; without a subject (a post) no webhook wants it.
SCHEDULE_CHANGED = "schedule.changed"
#: The event ``webhooks test`` sends.
TEST_EVENT = "webhook.test"


def matches(pattern: str, name: str) -> bool:
    """Whether the subscription ``pattern`` (``*``, ``prefix.*`` or a name) covers ``name``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return pattern == name


def hook_event_name(hook: WebhookConfig, event_name: str,
                    subject: str | int | None = None) -> str | None:
    """The name ``hook`` receives the bus event ``event_name`` under; None if it does not
    want it.

    A hook that lists the short name (``published``) gets the short name, as before;
    one that lists the bus name or a pattern gets the bus name. A
    ``schedule.changed`` that names no post goes to nobody.
    """
    if event_name == SCHEDULE_CHANGED and subject is None:
        return None
    short = BUS_EVENTS.get(event_name)
    if short is not None and short in hook.events:
        return short
    if any(matches(p, event_name) for p in hook.events if p not in LEGACY_WEBHOOK_EVENTS):
        return event_name
    return None


def wants(settings: Settings | None, event_name: str) -> bool:
    """Whether any configured endpoint wants ``event_name`` (with a subject)."""
    return settings is not None and any(
        hook_event_name(h, event_name, subject="?") for h in settings.daemon.webhooks)


def endpoint(settings: Settings, name: str) -> WebhookConfig | None:
    """The configured endpoint called ``name`` (``WebhookConfig.endpoint_name``), if any."""
    return next((h for h in settings.daemon.webhooks if h.endpoint_name() == name), None)


def where(url: str) -> str:
    """``scheme://host/path`` of ``url``: a query string may hold a receiver's token."""
    return url.split("?", 1)[0]


def register_url_secrets(url: str) -> None:
    """Register the query-string values of ``url`` with the log redactor: a receiver's
    token there must not reach a log line (httpx logs each request's URL at INFO)."""
    from urllib.parse import parse_qsl, urlsplit

    from socialhub.security.redact import register_secret

    for _key, value in parse_qsl(urlsplit(url).query):
        register_secret(value)


class _SettingsOnly:
    """What ``security.references`` reads of a loaded config: its settings (the keyring
    switch). Subscribers have settings, not the whole loaded config."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def secret_of(hook: WebhookConfig, settings: Settings,
              env: Mapping[str, str] | None = None) -> str | None:
    """The signing secret of ``hook`` with an ``env:``/``keyring:`` reference resolved;
    None without one. The value is registered with the log redactor.

    Raises:
        ConfigError: the reference names a missing variable or keyring entry (the
            message names the reference, never a value).
    """
    from socialhub.security.redact import register_secret

    raw = hook.secret.get_secret_value().strip() if hook.secret is not None else ""
    if not raw:
        return None
    if raw.startswith(("env:", "keyring:")):
        from socialhub.security.references import resolve_reference

        loaded = cast("LoadedConfig", _SettingsOnly(settings))
        raw = resolve_reference(loaded, raw,
                                what=f"the secret of webhook {hook.endpoint_name()}",
                                env=env).strip()
    register_secret(raw)
    return raw or None
