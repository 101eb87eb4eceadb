"""Instagram's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="instagram",
    badge="ig",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.instagram.adapter:InstagramAdapter",
    docs_page="docs/platforms/instagram.md",
    # 30 hashtags by default (a parameter: recent sources say 5)
    text_rules=PlatformRules(
        platform="instagram", display_name="Instagram", limit=2200, unit="chars", max_hashtags=30,
        max_media=10, requires_media=True, hashtag_budget=10,
    ),
    # the inbox: comments (and replies to them) on the newest media; no mentions, no
    # direct messages (docs/inbox.md)
    inbox=InboxCapabilities(comments=True, replies=True),
)
