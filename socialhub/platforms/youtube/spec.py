"""YouTube's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="youtube",
    badge="yt",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.youtube.adapter:YouTubeAdapter",
    docs_page="docs/platforms/youtube.md",
)
