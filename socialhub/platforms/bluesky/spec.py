"""Bluesky's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="bluesky",
    badge="bs",
    connect=ConnectKind.APP_PASSWORD,
    adapter="socialhub.platforms.bluesky.adapter:BlueskyAdapter",
    docs_page="docs/platforms-bluesky.md",
)
