"""X's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="x",
    badge="x ",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.x.adapter:XAdapter",
    docs_page="docs/platforms/x.md",
)
