"""Where the key that encrypts stored tokens comes from (for ``socialhub keys``)."""

from __future__ import annotations

from socialhub.security.keys import describe_key_source

__all__ = ["describe_key_source"]
