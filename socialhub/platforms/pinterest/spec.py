"""Pinterest's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="pinterest",
    badge="pi",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.pinterest.adapter:PinterestAdapter",
    docs_page="docs/platforms/pinterest.md",
    # the pin description; titles: PINTEREST_TITLE_LIMIT
    text_rules=PlatformRules(
        platform="pinterest", display_name="Pinterest", limit=800, unit="chars",
        requires_media=True, hashtag_budget=5,
    ),
)
