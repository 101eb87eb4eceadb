"""Mastodon's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="mastodon",
    badge="ma",
    connect=ConnectKind.OAUTH_INSTANCE,
    adapter="socialhub.platforms.mastodon.adapter:MastodonAdapter",
    docs_page="docs/platforms-sandbox-mastodon.md",
)
