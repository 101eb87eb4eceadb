"""Reddit's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="reddit",
    badge="rd",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.reddit.adapter:RedditAdapter",
    docs_page="docs/platforms/reddit.md",
    # the self-text body; titles: REDDIT_TITLE_LIMIT
    text_rules=PlatformRules(
        platform="reddit", display_name="Reddit", limit=40000, unit="chars", hashtag_budget=0,
    ),
    # the inbox: /message/inbox (post and comment replies, username mentions, messages)
    inbox=InboxCapabilities(comments=True, mentions=True, replies=True, messages=True),
)
