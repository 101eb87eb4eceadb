"""Meta's long-lived tokens: reading token answers, exchanging and refreshing them.

A short-lived token is exchanged for a 60-day one, which "refreshes" by
exchanging itself — only once it is 24 h old (PLATFORMS.md §2.5–2.7). The
token-exchange endpoints only take tokens as query parameters, as Meta
documents; the log redaction masks those.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialhub.platforms.base import PlatformAdapter, Tokens
from socialhub.platforms.errors import AuthRevokedError, OutcomeUnknownError, RetryLaterError
from socialhub.platforms.http import send
from socialhub.platforms.meta.graph import (
    RATE_LIMIT_CODES,
    TRANSIENT_CODES,
    clip_message,
    graph_error,
    int_or_none,
    raise_for_graph,
)
from socialhub.security.tls import verify_context

#: Meta's long-lived tokens can only be refreshed once they are this old.
MIN_REFRESH_AGE = timedelta(hours=24)


def tokens_from_answer(answer: dict[str, Any], *, scopes: list[str] | None = None,
                       extra: dict[str, Any] | None = None,
                       now: datetime | None = None) -> Tokens:
    """Tokens from a token endpoint's JSON: ``expires_in`` → expires_at, ``issued_at`` kept.

    Meta only lets a long-lived token be refreshed once it is 24 h old, so its
    issue time is kept in ``extra["issued_at"]`` (ISO 8601, UTC).
    """
    now = now or datetime.now(UTC)
    token = answer.get("access_token")
    if not token:
        raise AuthRevokedError("the token endpoint answered without an access token",
                               hint="reconnect the account")
    expires_in = int_or_none(answer.get("expires_in"))
    kept = dict(extra or {})
    kept["issued_at"] = now.isoformat()
    return Tokens(access_token=str(token),
                  expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
                  scopes=list(scopes or []), extra=kept)


def token_issued_at(tokens: Tokens) -> datetime | None:
    """When the access token was issued (from ``extra``, else 60 days before expiry)."""
    raw = tokens.extra.get("issued_at")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    if tokens.expires_at is not None:
        expires = tokens.expires_at if tokens.expires_at.tzinfo else \
            tokens.expires_at.replace(tzinfo=UTC)
        return expires - timedelta(days=60)
    return None


def too_young_to_refresh(tokens: Tokens, now: datetime | None = None) -> bool:
    """True while a long-lived token is under 24 h old: refreshing it would be refused."""
    issued = token_issued_at(tokens)
    return issued is not None and (now or datetime.now(UTC)) - issued < MIN_REFRESH_AGE


def token_call(platform: str, url: str, params: dict[str, Any], *, timeout_s: float,
               method: str = "GET", what: str = "token exchange") -> dict[str, Any]:
    """Call a token endpoint (exchange, refresh, code) and return its JSON.

    Every token problem here means a person must reconnect: a refused
    exchange or refresh is AuthRevokedError, never "expired".

    Raises:
        AuthRevokedError: Meta refused the token or the app credentials.
        RetryLaterError: the endpoint could not be reached or failed (5xx); an
            unknown outcome too (exchanging again is harmless).
    """
    with httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
                      follow_redirects=False, verify=verify_context()) as client:
        try:
            if method == "GET":
                response = send(client, "GET", url, platform=platform, params=params)
            else:
                response = send(client, "POST", url, platform=platform, data=params)
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None
    if response.status_code >= 400:
        err = graph_error(response)
        if (err is not None and response.status_code < 500 and err.code not in RATE_LIMIT_CODES
                and err.code not in TRANSIENT_CODES):
            raise AuthRevokedError(f"{platform}: {what} refused: {clip_message(err.message)} "
                                   f"(code {err.code})", status=response.status_code,
                                   code=str(err.code), hint="reconnect the account")
        raise_for_graph(response, platform=platform, refreshable=False)
    data = response.json()
    if not isinstance(data, dict):
        raise RetryLaterError(f"{platform}: {what}: unexpected answer")
    return data


def refresh_long_lived(adapter: PlatformAdapter, token_root: str, grant_type: str) -> Tokens:
    """Refresh a Meta long-lived token by exchanging it (Threads, Instagram).

    Meta refuses tokens younger than 24 h, so those are returned unchanged and
    nothing is called. New tokens reach ``adapter.on_tokens`` before they are used.
    """
    if too_young_to_refresh(adapter.tokens):
        return adapter.tokens
    answer = token_call(adapter.name, f"{token_root}/refresh_access_token", {
        "grant_type": grant_type, "access_token": adapter.tokens.access_token or ""},
        timeout_s=adapter.timeout_s, what="token refresh")
    extra = {k: v for k, v in adapter.tokens.extra.items() if k != "issued_at"}
    tokens = tokens_from_answer(answer, scopes=list(adapter.tokens.scopes), extra=extra)
    if adapter.on_tokens is not None:
        adapter.on_tokens(tokens)
    adapter.tokens = tokens
    return tokens
