"""Threads's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="threads",
    badge="th",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.threads.adapter:ThreadsAdapter",
    docs_page="docs/platforms/threads.md",
    # emoji count their UTF-8 bytes; at most 5 distinct links
    text_rules=PlatformRules(
        platform="threads", display_name="Threads", limit=500, unit="utf8-emoji",
        supports_threads=True, max_links=5, max_media=20, hashtag_budget=1,
    ),
    # the inbox: replies at every depth to the newest posts; no mentions, no quotes
    # (docs/inbox.md)
    inbox=InboxCapabilities(replies=True),
)
