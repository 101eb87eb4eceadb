"""Mastodon's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="mastodon",
    badge="ma",
    connect=ConnectKind.OAUTH_INSTANCE,
    adapter="socialhub.platforms.mastodon.adapter:MastodonAdapter",
    docs_page="docs/platforms-sandbox-mastodon.md",
    # the server's StatusLengthValidator; an instance may publish another limit
    text_rules=PlatformRules(
        platform="mastodon", display_name="Mastodon", limit=500, unit="graphemes",
        counter="mastodon", supports_threads=True, max_media=4, hashtag_budget=3,
    ),
    # the inbox: what fetch_inbox reads (docs/inbox.md)
    inbox=InboxCapabilities(mentions=True, replies=True, messages=True),
)
