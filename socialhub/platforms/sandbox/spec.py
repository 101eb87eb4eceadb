"""Sandbox's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="sandbox",
    badge="sb",
    connect=ConnectKind.LOCAL_TOKEN,
    adapter="socialhub.platforms.sandbox.adapter:SandboxAdapter",
    docs_page="docs/platforms-sandbox-mastodon.md",
    text_rules=PlatformRules(
        platform="sandbox", display_name="Sandbox", limit=500, unit="graphemes",
        supports_threads=True, max_media=4, hashtag_budget=3,
    ),
    # the inbox: what fetch_inbox reads (docs/inbox.md)
    inbox=InboxCapabilities(comments=True, mentions=True, replies=True, messages=True),
)
