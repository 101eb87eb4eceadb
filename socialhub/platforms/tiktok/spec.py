"""TikTok's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="tiktok",
    badge="tt",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.tiktok.adapter:TikTokAdapter",
    docs_page="docs/platforms/tiktok.md",
    # UTF-16 code units of the caption
    text_rules=PlatformRules(
        platform="tiktok", display_name="TikTok", limit=2200, unit="utf16", max_media=35,
        requires_media=True, hashtag_budget=4,
    ),
)
