"""Reddit's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="reddit",
    badge="rd",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.reddit.adapter:RedditAdapter",
    docs_page="docs/platforms/reddit.md",
)
