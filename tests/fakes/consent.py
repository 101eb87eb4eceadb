"""An authorize page that approves at once, shared by the OAuth platforms' fakes.

A real consent page asks the user; these fakes approve immediately and
redirect to the ``redirect_uri`` with ``code`` and ``state`` (RFC 6749 §4.1.2),
after the checks a platform makes before showing the page: ``response_type``
is ``code``, the client id (under the platform's parameter name: TikTok's
``client_key``) is the app's, a redirect URI is given and, where the platform
uses PKCE, a ``code_challenge`` with method S256. The token endpoint later
``redeem``\\s the code: same redirect URI, and the ``code_verifier`` must hash
to the challenge (base64url per RFC 7636, or hex as TikTok's desktop flow wants).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


def pkce_challenge(verifier: str, encoding: str = "base64url") -> str:
    """SHA-256 of the verifier, base64url without padding (RFC 7636) or lowercase hex."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    if encoding == "hex":
        return digest.hex()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class _Issued:
    redirect_uri: str
    challenge: str | None


class Consent:
    """What the authorize page issued each code for, so the token endpoint can check it."""

    def __init__(self, client_id: str, *, client_id_param: str = "client_id",
                 pkce: bool = False, encoding: str = "base64url") -> None:
        self.client_id, self.client_id_param = client_id, client_id_param
        self.pkce, self.encoding = pkce, encoding
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def refuse(self, query: dict[str, str]) -> str | None:
        """Why the platform would not show its consent page for ``query`` (None: it would)."""
        if query.get("response_type") != "code":
            return "response_type must be code"
        if query.get(self.client_id_param) != self.client_id:
            return f"unknown {self.client_id_param}"
        if not urlsplit(query.get("redirect_uri", "")).scheme:
            return "redirect_uri is missing"
        if self.pkce and (not query.get("code_challenge")
                          or query.get("code_challenge_method") != "S256"):
            return "code_challenge with code_challenge_method=S256 is required"
        return None

    def approve(self, query: dict[str, str], code: str) -> str:
        """Remember ``code`` and return the redirect (Location) carrying it and the state."""
        with self._lock:
            self._issued[code] = _Issued(query["redirect_uri"],
                                         query.get("code_challenge") if self.pkce else None)
        params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        separator = "&" if urlsplit(query["redirect_uri"]).query else "?"
        return f"{query['redirect_uri']}{separator}{urlencode(params)}"

    def redeem(self, code: str, form: dict[str, Any]) -> str | None:
        """Why the token endpoint refuses ``code`` (None: accepted).

        Codes this page did not issue (tests mint them directly) are left to the
        fake's own code store.
        """
        with self._lock:
            issued = self._issued.pop(code, None)
        if issued is None:
            return None
        if form.get("redirect_uri") != issued.redirect_uri:
            return "redirect_uri does not match the authorization request"
        if issued.challenge is not None:
            verifier = str(form.get("code_verifier") or "")
            if not verifier or not secrets.compare_digest(
                    pkce_challenge(verifier, self.encoding), issued.challenge):
                return "code_verifier does not match the code_challenge"
        return None
