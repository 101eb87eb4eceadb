"""LinkedIn's declaration: the one place the rest of socialhub learns about it."""

from socialhub.platforms.spec import ConnectKind, PlatformSpec

SPEC = PlatformSpec(
    name="linkedin",
    badge="li",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.linkedin.adapter:LinkedInAdapter",
    docs_page="docs/platforms/linkedin.md",
)
