"""Facebook's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="facebook",
    badge="fb",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.facebook.adapter:FacebookAdapter",
    docs_page="docs/platforms/facebook.md",
)
