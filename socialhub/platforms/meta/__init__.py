"""Meta's Graph API pieces shared by the Facebook, Instagram and Threads adapters.

Not a network of its own (no spec): ``graph`` (errors, usage headers, paging),
``media`` (container media checks) and ``tokens`` (long-lived token exchange).
Only ``platforms.facebook``, ``platforms.instagram`` and ``platforms.threads`` import it.
"""
