"""Sandbox's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="sandbox",
    badge="sb",
    connect=ConnectKind.LOCAL_TOKEN,
    adapter="socialhub.platforms.sandbox.adapter:SandboxAdapter",
    docs_page="docs/platforms-sandbox-mastodon.md",
)
