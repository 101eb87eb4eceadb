"""Bluesky's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="bluesky",
    badge="bs",
    connect=ConnectKind.APP_PASSWORD,
    adapter="socialhub.platforms.bluesky.adapter:BlueskyAdapter",
    docs_page="docs/platforms-bluesky.md",
    # 300 graphemes and 3000 UTF-8 bytes (app.bsky.feed.post lexicon)
    text_rules=PlatformRules(
        platform="bluesky", display_name="Bluesky", limit=300, unit="graphemes+bytes",
        supports_threads=True, max_media=4, byte_limit=3000, hashtag_budget=2,
    ),
    # the inbox: what fetch_inbox reads (docs/inbox.md)
    inbox=InboxCapabilities(mentions=True, replies=True, quotes=True),
)
