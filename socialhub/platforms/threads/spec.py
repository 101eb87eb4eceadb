"""Threads's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="threads",
    badge="th",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.threads.adapter:ThreadsAdapter",
    docs_page="docs/platforms/threads.md",
)
