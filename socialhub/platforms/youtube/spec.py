"""YouTube's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="youtube",
    badge="yt",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.youtube.adapter:YouTubeAdapter",
    docs_page="docs/platforms/youtube.md",
    # UTF-8 bytes of the description; < and > refused
    text_rules=PlatformRules(
        platform="youtube", display_name="YouTube", limit=5000, unit="bytes", max_media=1,
        requires_media=True, hashtag_budget=3, refuses="angle-brackets",
    ),
    # the inbox: comments on the channel's videos and replies in their threads
    # (commentThreads.list); YouTube has no direct messages (docs/inbox.md)
    inbox=InboxCapabilities(comments=True, replies=True),
)
