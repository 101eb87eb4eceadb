"""LinkedIn's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="linkedin",
    badge="li",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.linkedin.adapter:LinkedInAdapter",
    docs_page="docs/platforms/linkedin.md",
    text_rules=PlatformRules(
        platform="linkedin", display_name="LinkedIn", limit=3000, unit="utf16", hashtag_budget=3,
    ),
)
