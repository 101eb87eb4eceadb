"""Facebook's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, InboxCapabilities, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="facebook",
    badge="fb",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.facebook.adapter:FacebookAdapter",
    docs_page="docs/platforms/facebook.md",
    text_rules=PlatformRules(
        platform="facebook", display_name="Facebook", limit=63206, unit="chars", hashtag_budget=2,
    ),
    # the inbox: comments (and replies to comments) on the Page's newest posts; no
    # Messenger, no mentions (docs/inbox.md)
    inbox=InboxCapabilities(comments=True, replies=True),
)
