"""X's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="x",
    badge="x ",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.x.adapter:XAdapter",
    docs_page="docs/platforms/x.md",
    # twitter-text config v3; U+FFFE, U+FEFF, U+FFFF refused
    text_rules=PlatformRules(
        platform="x", display_name="X", limit=280, unit="weighted", supports_threads=True,
        max_media=4, hashtag_budget=2, refuses="twitter-text",
    ),
    # the inbox: the mentions timeline (replies mention their author, so they come too;
    # a quote without a mention does not, so quotes are not promised; docs/inbox.md)
    inbox=InboxCapabilities(mentions=True, replies=True),
)
