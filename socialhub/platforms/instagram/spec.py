"""Instagram's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="instagram",
    badge="ig",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.instagram.adapter:InstagramAdapter",
    docs_page="docs/platforms/instagram.md",
)
