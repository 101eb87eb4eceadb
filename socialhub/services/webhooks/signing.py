"""Signing webhook requests: the Standard Webhooks scheme, and the first releases' header.

Every request carries ``webhook-id`` (the delivery's id, the same on every retry),
``webhook-timestamp`` (Unix seconds of this attempt) and, when the endpoint has a
secret, ``webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``
(https://www.standardwebhooks.com/). The key is the secret's UTF-8 bytes, or for a
``whsec_<base64>`` secret the decoded bytes, as the Standard Webhooks libraries expect.
``X-Socialhub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` (the GitHub style of
the first releases) is still sent; it does not cover the timestamp, so it cannot stop a
replay: verify ``webhook-signature``. docs/webhooks.md has a receiver's check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER_V1 = "webhook-signature"
#: The first releases' signature header (body only).
LEGACY_SIGNATURE_HEADER = "X-Socialhub-Signature"
#: How far a receiver should accept a timestamp from its clock (the spec's 5 minutes).
TOLERANCE_S = 300


def signing_key(secret: str) -> bytes:
    """The HMAC key of ``secret``: base64-decoded after a ``whsec_`` prefix, else UTF-8."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def sign_v1(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>`` of id.timestamp.body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(body: bytes, secret: str) -> str:
    """The first releases' signature value: ``sha256=<hex HMAC-SHA256 of body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_headers(secret: str | None, webhook_id: str, timestamp: int,
                      body: bytes) -> dict[str, str]:
    """The id, timestamp and (with a secret) signature headers of one attempt."""
    headers = {ID_HEADER: webhook_id, TIMESTAMP_HEADER: str(timestamp)}
    if secret:
        headers[SIGNATURE_HEADER_V1] = sign_v1(secret, webhook_id, timestamp, body)
        headers[LEGACY_SIGNATURE_HEADER] = sign(body, secret)
    return headers


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """Whether ``headers`` carry a valid, fresh signature of ``body`` (what a receiver
    does; the tests and ``docs/webhooks.md`` use it). Header names are matched without
    regard to case."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        webhook_id = lower[ID_HEADER]
        timestamp = int(lower[TIMESTAMP_HEADER])
        given = lower[SIGNATURE_HEADER_V1].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign_v1(secret, webhook_id, timestamp, body)
    return any(hmac.compare_digest(expected, sig) for sig in given)
