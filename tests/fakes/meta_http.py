"""The HTTP side of the Graph fake (tests/fakes/meta.py): one handler for all three platforms.

``MetaHandler`` parses each call (query, form, JSON or multipart), checks its
token (the documented 190 errors, subcodes 458/463), answers throttled calls
with the platform's rate-limit code and usage headers, serves the consent page
and the OAuth endpoints (code → short-lived → long-lived token, refresh), applies
``fail_next`` failures and hands API calls to the platform's routes
(``tests.fakes.<platform>.route``), then to ``meta_graph.common_route``.
"""

from __future__ import annotations

import json
import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.fakes.meta_graph import Fail, common_route
from tests.fakes.meta_model import (
    CLIENT_ID,
    CLIENT_SECRET,
    LONG_LIVED_S,
    RATE_LIMIT_CODE,
    SCOPES,
    Tok,
)
from tests.fakes.plumbing import QuietHandler

if TYPE_CHECKING:
    from tests.fakes.meta import FakeMeta


class MetaHandler(QuietHandler):
    """Answers one Graph call to the ``FakeMeta`` it serves (``self.fake``)."""

    @property
    def fake(self) -> FakeMeta:
        return self.server.fake  # type: ignore[attr-defined]

    # -- answering ---------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              raw: bytes | None = None, ctype: str = "application/json") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_bytes(status, data, ctype=ctype, headers=headers)

    def _error(self, message: str, code: int, *, subcode: int | None = None,
               etype: str = "OAuthException", status: int | None = None,
               headers: dict[str, str] | None = None) -> None:
        err: dict[str, Any] = {"message": message, "type": etype, "code": code,
                               "fbtrace_id": secrets.token_urlsafe(8)}
        if subcode is not None:
            err["error_subcode"] = subcode
        if code in (1, 2):
            err["is_transient"] = True
        self._send(status or (500 if code in (1, 2) else 400), {"error": err}, headers)

    def _failure(self, status: int) -> None:
        if status >= 500:
            code, text = ((2, "Service temporarily unavailable") if status == 503
                          else (1, "An unknown error has occurred."))
            return self._error(text, code, status=status)
        if status in (401, 403):
            return self._error("Error validating access token: The user has not authorized "
                               "application 1234567890.", 190, subcode=458, status=status)
        return self._error("(#100) Invalid parameter", 100, status=status)

    def _rate_limited(self, reset_s: int) -> None:
        fake = self.fake
        usage = {"call_count": 100, "total_cputime": 28, "total_time": 31}
        headers = {"X-App-Usage": json.dumps(usage)}
        if not fake.app_usage_only:
            minutes = max(1, math.ceil(reset_s / 60))
            headers["X-Business-Use-Case-Usage"] = json.dumps({"1784140": [{
                "type": "pages" if fake.platform == "facebook" else fake.platform,
                **usage, "estimated_time_to_regain_access": minutes}]})
        code = 4 if fake.app_usage_only else RATE_LIMIT_CODE[fake.platform]
        text = ("(#4) Application request limit reached" if code == 4 else
                f"(#{code}) There have been too many calls for this account. Wait a bit "
                "and try again.")
        self._error(text, code, status=403 if code == 32 else 400, headers=headers)

    # -- parsing -------------------------------------------------------------------------------
    def _token(self, params: dict[str, Any]) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.startswith(("Bearer ", "OAuth ")):
            return auth.split(" ", 1)[1]
        return params.get("access_token")

    def _check_token(self, token: str | None) -> Tok | None:
        """The token's record, or None after answering the documented 190 error."""
        tok = self.fake.tokens.get(token or "")
        if tok is None or tok.kind == "code":
            self._error("Invalid OAuth access token - Cannot parse access token", 190)
            return None
        if tok.revoked:
            self._error("Error validating access token: The user has not authorized "
                        "application 1234567890.", 190, subcode=458)
            return None
        now = datetime.now(UTC)
        if tok.api_expired or (tok.expires is not None and tok.expires <= now):
            when = (tok.expires or now).strftime("%A, %d-%b-%y %H:%M:%S")
            self._error(f"Error validating access token: Session has expired on {when} UTC. "
                        f"The current time is {now:%A, %d-%b-%y %H:%M:%S} UTC.", 190,
                        subcode=463)
            return None
        return tok

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path.rstrip("/") or "/"
        params, uploads = self.read_params()
        files = {name: upload["bytes"] for name, upload in uploads.items()}
        token = self._token(params)
        with fake.lock:
            fake.requests.append({"method": self.command, "path": path, "token": token,
                                  "params": {k: v for k, v in params.items()
                                             if k not in ("access_token", "client_secret")}})
            if path.startswith("/media/"):
                return self._send(200, None, raw=b"\xff\xd8\xff\xe0fake-jpeg",
                                  ctype="image/jpeg")
            if path in ("/oauth/authorize", "/dialog/oauth") and self.command == "GET":
                return self._authorize(params)
            if fake.rate_limit_reset_s is not None:
                reset, fake.rate_limit_reset_s = fake.rate_limit_reset_s, None
                return self._rate_limited(reset)
            if path in ("/oauth/access_token", "/access_token", "/refresh_access_token"):
                return _oauth(self, path, params)
            tok = self._check_token(token)
            if tok is None:
                return None
            segments = path.strip("/").split("/")
            failure: tuple[int, bool] | None = None
            if self.command == "POST" and fake.failures:
                status, after_create = fake.failures[0]
                creates = segments[-1] in ("threads_publish", "media_publish", "feed",
                                           "comments") or (
                    segments[-1] == "photos" and params.get("published") != "false")
                if not after_create:
                    fake.failures.pop(0)
                    return self._failure(status)
                if creates:
                    failure = fake.failures.pop(0)
            try:
                answer = _route(self, tok, segments, params, files)
            except Fail as fail:
                return self._error(fail.message, fail.code, subcode=fail.subcode,
                                   status=fail.status)
            if failure is not None:
                return self._failure(failure[0])  # the post exists; the answer is lost
            return self._send(200, answer)

    def _authorize(self, query: dict[str, Any]) -> None:
        """The consent page (threads.net/instagram.com ``/oauth/authorize``, Facebook's
        ``/dialog/oauth``), approving at once as the first user (made if there is none)."""
        fake = self.fake
        refused = fake.consent.refuse({k: str(v) for k, v in query.items()})
        if refused:
            return self._error(f"Invalid request: {refused}", 100)
        uid = next(iter(fake.users), None) or fake.add_user(
            "shop", pages=["Shop Page"] if fake.platform == "facebook" else None)
        wanted = {s for s in str(query.get("scope") or "").split(",") if s}
        code = fake.issue(uid, "code", lifetime_s=600,
                          scopes=(wanted & SCOPES[fake.platform]) or None)
        self.send_response(302)
        self.send_header("Location", fake.consent.approve(query, code))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = _dispatch


def _oauth(h: MetaHandler, path: str, params: dict[str, Any]) -> None:
    fake = h.fake
    grant = params.get("grant_type")
    if path == "/oauth/access_token" and (grant == "authorization_code" or "code" in params):
        if params.get("client_id") != CLIENT_ID or params.get("client_secret") != CLIENT_SECRET:
            return h._error("Error validating client secret.", 1, etype="OAuthException",
                            status=400)
        code = fake.tokens.get(str(params.get("code")))
        if code is None or code.kind != "code" or fake.consent.redeem(str(params["code"]),
                                                                       params):
            return h._error("Invalid verification code format.", 100)
        del fake.tokens[str(params["code"])]
        short = fake.issue(code.owner, "short", lifetime_s=3600, scopes=code.scopes)
        answer: dict[str, Any] = {"access_token": short}
        if fake.platform == "facebook":
            answer.update(token_type="bearer", expires_in=3600)
        else:
            answer["user_id"] = int(code.owner)
        if fake.platform == "instagram":
            answer["permissions"] = ",".join(sorted(code.scopes))
        return h._send(200, answer)
    exchange = {"threads": ("/access_token", "th_exchange_token", "access_token"),
                "instagram": ("/access_token", "ig_exchange_token", "access_token"),
                "facebook": ("/oauth/access_token", "fb_exchange_token",
                             "fb_exchange_token")}[fake.platform]
    refresh_grant = {"threads": "th_refresh_token", "instagram": "ig_refresh_token"}.get(
        fake.platform)
    if path == exchange[0] and grant == exchange[1]:
        if params.get("client_secret") != CLIENT_SECRET:
            return h._error("Error validating client secret.", 1, status=400)
        tok = h._check_token(params.get(exchange[2]))
        if tok is None:
            return None
        if tok.kind != "short":
            return h._error("Invalid OAuth access token - the token is not short-lived",
                            190)
        long = fake.issue(tok.owner, "long", scopes=tok.scopes)
        return h._send(200, {"access_token": long, "token_type": "bearer",
                             "expires_in": LONG_LIVED_S})
    if path == "/refresh_access_token" and refresh_grant and grant == refresh_grant:
        token = params.get("access_token")
        tok = fake.tokens.get(token or "")
        now = datetime.now(UTC)
        if tok is None or tok.revoked or tok.kind != "long" or (
                tok.expires is not None and tok.expires <= now):
            return h._error("Error validating access token: the token is invalid or has "
                            "expired", 190, subcode=463 if tok and not tok.revoked else 458)
        if now - tok.issued < timedelta(hours=24):
            return h._error("(#100) The access token must be at least 24 hours old to be "
                            "refreshed", 100)
        new = fake.issue(tok.owner, "long", scopes=tok.scopes)
        return h._send(200, {"access_token": new, "token_type": "bearer",
                             "expires_in": LONG_LIVED_S})
    return h._error(f"Unsupported grant_type {grant}", 100)


def _route(h: MetaHandler, tok: Tok, segments: list[str], params: dict[str, Any],
           files: dict[str, bytes]) -> Any:
    """Serve one API call with the platform's routes, then the shared ones."""
    import importlib

    module = importlib.import_module(f"tests.fakes.{h.fake.platform}")
    answer = module.route(h.fake, h.command, tok, segments, params, files)
    if answer is not None:
        return answer
    return common_route(h.fake, h.command, tok, segments, params)
