"""TikTok's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="tiktok",
    badge="tt",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.tiktok.adapter:TikTokAdapter",
    docs_page="docs/platforms/tiktok.md",
)
