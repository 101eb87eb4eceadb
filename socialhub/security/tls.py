"""The TLS context outgoing HTTPS requests verify servers with, built once.

httpx builds a new ``ssl.SSLContext`` for every ``httpx.Client`` (and so for every
``httpx.post``), and building one parses the whole CA bundle: ~50 ms of CPU and ~0.9
MB each. A daemon made one per account at start-up and per reconnect, and one per
webhook sent. Every client here verifies with this one instead: the same checks
(httpx's own default: certifi's bundle, or the one ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``
name), built once per process and per value of those two variables.
"""

from __future__ import annotations

import functools
import os
import ssl


def verify_context() -> ssl.SSLContext:
    """The context that verifies servers as httpx's default does (certificate chain
    and host name, against certifi's CA bundle or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``),
    shared by every client of the process: pass it as ``verify=``."""
    return _built(os.environ.get("SSL_CERT_FILE") or None,
                  os.environ.get("SSL_CERT_DIR") or None)


@functools.lru_cache(maxsize=4)
def _built(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's default context for these ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` values
    (httpx reads them itself; they are the cache's key)."""
    import httpx

    return httpx.create_ssl_context()
