"""Pinterest's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="pinterest",
    badge="pi",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.pinterest.adapter:PinterestAdapter",
    docs_page="docs/platforms/pinterest.md",
)
