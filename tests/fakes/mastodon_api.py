"""The HTTP side of the fake Mastodon instance (tests/fakes/mastodon.py).

``MastodonHandler`` serves what socialhub uses, with Mastodon's status codes
and error bodies: the instance (``/api/v2/instance``), OAuth (app
registration, an authorize page with optional PKCE, the token endpoint),
``verify_credentials``, statuses (``Idempotency-Key`` dedupe,
``in_reply_to_id``, length by ``server_length``), media v2 with 202
processing, the account timeline, and ``X-RateLimit-*`` headers on every
answer, whose reset is an ISO-8601 timestamp.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from tests.fakes.consent import pkce_challenge
from tests.fakes.mastodon_text import render_html, server_length
from tests.fakes.plumbing import QuietHandler

if TYPE_CHECKING:
    from tests.fakes.mastodon import FakeAccount, FakeMastodon


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class MastodonHandler(QuietHandler):
    """Answers one request to the ``FakeMastodon`` it serves (``self.fake``)."""

    @property
    def fake(self) -> FakeMastodon:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any, *, raw: bytes | None = None,
              ctype: str = "application/json") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        reset = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
        if status == 429 and self.fake.rate_limit_reset_s is not None:
            reset = datetime.now(UTC) + timedelta(seconds=self.fake.rate_limit_reset_s)
        self.send_bytes(status, data, ctype=ctype, headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0" if status == 429 else "299",
            "X-RateLimit-Reset": _iso(reset)})

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path
        params, files = self.read_params(bracket_lists=True)
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        with fake.lock:
            fake.requests.append({"method": self.command, "path": path,
                                  "idempotency_key": self.headers.get("Idempotency-Key"),
                                  "params": {k: v for k, v in params.items()}})
            if fake.rate_limited_next > 0:
                fake.rate_limited_next -= 1
                return self._send(429, {"error": "Too many requests"})
        if path == "/api/v2/instance" and self.command == "GET":
            return self._send(200, self._instance())
        if path == "/api/v1/apps" and self.command == "POST":
            return self._register_app(params)
        if path == "/oauth/authorize" and self.command == "GET":
            return self._authorize(params)
        if path == "/oauth/token" and self.command == "POST":
            return self._token(params)
        account = fake.account_for(token)
        if account is None:
            return self._send(401, {"error": "The access token is invalid"})
        routes = [
            ("GET", r"/api/v1/accounts/verify_credentials", self._verify),
            ("POST", r"/api/v1/statuses", self._create),
            ("GET", r"/api/v1/statuses/(\d+)", self._get_status),
            ("DELETE", r"/api/v1/statuses/(\d+)", self._delete_status),
            ("POST", r"/api/v2/media", self._upload),
            ("GET", r"/api/v1/media/(\d+)", self._get_media),
            ("GET", r"/api/v1/accounts/(\d+)/statuses", self._timeline),
            ("GET", r"/api/v1/notifications", self._notifications),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and method == self.command:
                return handler(account, params, files, *match.groups())
        return self._send(404, {"error": "Record not found"})

    do_GET = do_POST = do_DELETE = _dispatch

    # -- OAuth (methods/apps.md, methods/oauth.md) ------------------------------
    def _register_app(self, params: dict[str, Any]) -> None:
        uris = params.get("redirect_uris") or ""
        uris = uris if isinstance(uris, list) else str(uris).split()
        if not params.get("client_name") or not uris:
            return self._send(422, {"error": "Validation failed: Name can't be blank, "
                                             "Redirect URI can't be blank"})
        app = {"id": str(len(self.fake.apps) + 1), "name": params["client_name"],
               "website": params.get("website"), "scopes": str(params.get("scopes") or
                                                               "read").split(),
               "redirect_uri": "\n".join(uris), "redirect_uris": uris,
               "client_id": secrets.token_urlsafe(16),
               "client_secret": secrets.token_urlsafe(24)}
        with self.fake.lock:
            self.fake.apps[app["client_id"]] = app
        return self._send(200, {k: v for k, v in app.items() if k != "scopes"})

    def _authorize(self, params: dict[str, Any]) -> None:
        fake = self.fake
        app = fake.apps.get(str(params.get("client_id")))
        redirect_uri = str(params.get("redirect_uri") or "")
        if app is None or redirect_uri not in app["redirect_uris"]:
            return self._send(400, {"error": "invalid_client", "error_description":
                                    "Client authentication failed or redirect URI mismatch"})
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return self._send(400, {"error": "invalid_request",
                                    "error_description": "code_challenge_method must be S256"})
        query: dict[str, str] = {"state": str(params.get("state") or "")}
        with fake.lock:
            if fake.deny_next_authorize:
                fake.deny_next_authorize = False
                query.update(error="access_denied", error_description="The resource owner "
                             "or authorization server denied the request.")
            else:
                code = secrets.token_urlsafe(16)
                fake.codes[code] = {"client_id": app["client_id"], "redirect_uri": redirect_uri,
                                    "scope": str(params.get("scope") or "read"),
                                    "challenge": params.get("code_challenge")}
                query["code"] = code
        self.send_response(302)
        self.send_header("Location", f"{redirect_uri}?{urlencode(query)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self, params: dict[str, Any]) -> None:
        fake = self.fake
        app = fake.apps.get(str(params.get("client_id")))
        if app is None or params.get("client_secret") != app["client_secret"]:
            return self._send(401, {"error": "invalid_client", "error_description":
                                    "Client authentication failed due to unknown client, no "
                                    "client authentication included, or unsupported "
                                    "authentication method."})
        if params.get("grant_type") != "authorization_code":
            return self._send(400, {"error": "unsupported_grant_type", "error_description":
                                    "The authorization grant type is not supported."})
        with fake.lock:
            grant = fake.codes.pop(str(params.get("code")), None)
        invalid = {"error": "invalid_grant", "error_description": "The provided authorization "
                   "grant is invalid, expired, revoked, does not match the redirection URI "
                   "used in the authorization request, or was issued to another client."}
        if (grant is None or grant["client_id"] != app["client_id"]
                or grant["redirect_uri"] != params.get("redirect_uri")):
            return self._send(400, invalid)
        if grant["challenge"]:
            verifier = str(params.get("code_verifier") or "")
            if pkce_challenge(verifier) != grant["challenge"]:
                return self._send(400, invalid)
        with fake.lock:
            account = next((a for a in fake.accounts.values()
                            if a.username == fake.oauth_username), None)
        if account is None:
            _, token = fake.add_account(fake.oauth_username)
        else:
            token = secrets.token_urlsafe(24)
            with fake.lock:
                account.tokens.add(token)
        return self._send(200, {"access_token": token, "token_type": "Bearer",
                                "scope": grant["scope"], "created_at": 1_700_000_000})

    # -- endpoints -------------------------------------------------------------
    def _instance(self) -> dict[str, Any]:
        return {"domain": "fake.local", "version": "4.4.0", "configuration": {
            "statuses": {"max_characters": self.fake.max_characters,
                         "max_media_attachments": self.fake.max_media,
                         "characters_reserved_per_url": 23},
            "media_attachments": {"description_limit": 1500,
                                  "image_size_limit": 16_777_216}}}

    def _verify(self, account: FakeAccount, *_: Any) -> None:
        with self.fake.lock:
            statuses = sum(1 for s in self.fake.statuses.values()
                           if s["account_id"] == account.id and not s["deleted"])
        self._send(200, {"id": account.id, "username": account.username,
                         "acct": account.username, "followers_count": account.followers,
                         "following_count": account.following, "statuses_count": statuses})

    def _create(self, account: FakeAccount, params: dict[str, Any], *_: Any) -> None:
        fake = self.fake
        key = self.headers.get("Idempotency-Key")
        text = str(params.get("status") or "")
        spoiler = str(params.get("spoiler_text") or "")
        media_ids = [str(m) for m in params.get("media_ids") or []]
        with fake.lock:
            if fake.fail_next_status is not None:
                status_code, fake.fail_next_status = fake.fail_next_status, None
                return self._send(status_code, None, raw=b"<html><body>We're sorry, but "
                                  b"something went wrong.</body></html>", ctype="text/html")
            if key and (account.id, key) in fake.idempotency:
                status = fake.statuses[fake.idempotency[(account.id, key)]]
                return self._send(200, fake.status_entity(status))
            if not text.strip() and not media_ids:
                return self._send(422, {"error": "Validation failed: Text can't be blank"})
            if server_length(text, spoiler) > fake.max_characters:
                return self._send(422, {"error": "Validation failed: Text character limit "
                                                 f"of {fake.max_characters} exceeded"})
            if len(media_ids) > fake.max_media:
                return self._send(422, {"error": "Validation failed: Media attachments "
                                                 "is too long"})
            reply_to = params.get("in_reply_to_id")
            if reply_to is not None:
                parent = fake.statuses.get(str(reply_to))
                if parent is None or parent["deleted"]:
                    return self._send(404, {"error": "Record not found"})
            attachments = []
            for media_id in media_ids:
                media = fake.media.get(media_id)
                if media is None:
                    return self._send(422, {"error": "Validation failed: Media attachments "
                                                     "is invalid"})
                if media["url"] is None:
                    return self._send(422, {"error": "Cannot attach files that have not "
                                                     "finished processing. Try again in a "
                                                     "moment!"})
                attachments.append({k: media[k] for k in ("id", "type", "url", "description")})
            status_id = fake.next_id()
            status = {
                "id": status_id, "created_at": _iso(datetime.now(UTC)),
                "in_reply_to_id": None if reply_to is None else str(reply_to),
                "in_reply_to_account_id": (None if reply_to is None else
                                           fake.statuses[str(reply_to)]["account_id"]),
                "content": render_html(text), "spoiler_text": spoiler,
                "visibility": params.get("visibility", "public"),
                "language": params.get("language"),
                "url": f"{fake.url}/@{account.username}/{status_id}",
                "uri": f"{fake.url}/users/{account.username}/statuses/{status_id}",
                "media_attachments": attachments, "replies_count": 0, "reblogs_count": 0,
                "favourites_count": 0, "text": text, "account_id": account.id,
                "deleted": False, "idempotency_key": key,
            }
            fake.statuses[status_id] = status
            if key:
                fake.idempotency[(account.id, key)] = status_id
            if reply_to is not None:
                fake.statuses[str(reply_to)]["replies_count"] += 1
            if fake.fail_after_create_next > 0:
                fake.fail_after_create_next -= 1
                return self._send(500, None, raw=b"<html><body>We're sorry, but something "
                                  b"went wrong.</body></html>", ctype="text/html")
            return self._send(200, fake.status_entity(status))

    def _get_status(self, account: FakeAccount, _p: Any, _f: Any, status_id: str) -> None:
        with self.fake.lock:
            status = self.fake.statuses.get(status_id)
            if status is None or status["deleted"]:
                return self._send(404, {"error": "Record not found"})
            return self._send(200, self.fake.status_entity(status))

    def _delete_status(self, account: FakeAccount, _p: Any, _f: Any, status_id: str) -> None:
        with self.fake.lock:
            status = self.fake.statuses.get(status_id)
            if status is None or status["deleted"] or status["account_id"] != account.id:
                return self._send(404, {"error": "Record not found"})
            status["deleted"] = True
            entity = self.fake.status_entity(status)
            entity["text"] = status["text"]
            return self._send(200, entity)

    def _upload(self, account: FakeAccount, params: dict[str, Any],
                files: dict[str, Any]) -> None:
        fake = self.fake
        upload = files.get("file")
        if upload is None:
            return self._send(422, {"error": "Validation failed: File can't be blank"})
        with fake.lock:
            media_id = fake.next_id()
            pending = fake.media_processing_polls
            media = {"id": media_id, "type": "image",
                     "url": None if pending else f"{fake.url}/media/{media_id}",
                     "description": params.get("description"), "polls_left": pending,
                     "size": len(upload["bytes"]), "mime": upload["mime"],
                     "filename": upload["filename"]}
            fake.media[media_id] = media
            public = {k: media[k] for k in ("id", "type", "url", "description")}
        return self._send(202 if pending else 200, public)

    def _get_media(self, account: FakeAccount, _p: Any, _f: Any, media_id: str) -> None:
        with self.fake.lock:
            media = self.fake.media.get(media_id)
            if media is None:
                return self._send(404, {"error": "Record not found"})
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                if media["polls_left"] == 0:
                    media["url"] = f"{self.fake.url}/media/{media_id}"
                else:
                    return self._send(206, {k: media[k] for k in ("id", "type", "url",
                                                                  "description")})
            return self._send(200, {k: media[k] for k in ("id", "type", "url", "description")})

    def _timeline(self, account: FakeAccount, params: dict[str, Any], _f: Any,
                  account_id: str) -> None:
        limit = min(int(params.get("limit") or 20), 40)
        with self.fake.lock:
            statuses = [self.fake.status_entity(s) for s in self.fake.statuses.values()
                        if s["account_id"] == account_id and not s["deleted"]]
        statuses.reverse()  # newest first, as Mastodon lists them
        return self._send(200, statuses[:limit])

    def _notifications(self, account: FakeAccount, params: dict[str, Any], *_: Any) -> None:
        """``GET /api/v1/notifications`` (methods/notifications.md): newest first; ``types[]``
        filters, ``max_id`` / ``since_id`` / ``min_id`` bound by id (``min_id`` returns the
        results immediately newer than it), ``limit`` defaults to 40, at most 80."""
        limit = min(int(params.get("limit") or 40), 80)
        types = params.get("types") or params.get("types[]") or []  # query: types[]=…
        types = [types] if isinstance(types, str) else list(types)
        with self.fake.lock:
            notes = [n for n in self.fake.notifications if n["account_id"] == account.id
                     and (not types or n["type"] in types)]
            def num(value: Any) -> int:
                return int(str(value))
            if params.get("max_id"):
                notes = [n for n in notes if num(n["id"]) < num(params["max_id"])]
            if params.get("since_id"):
                notes = [n for n in notes if num(n["id"]) > num(params["since_id"])]
            if params.get("min_id"):
                newer = sorted((n for n in notes if num(n["id"]) > num(params["min_id"])),
                               key=lambda n: num(n["id"]))[:limit]
                page = sorted(newer, key=lambda n: num(n["id"]), reverse=True)
            else:
                page = sorted(notes, key=lambda n: num(n["id"]), reverse=True)[:limit]
            body = [{"id": n["id"], "type": n["type"], "created_at": n["created_at"],
                     "account": self.fake.account_entity(n["from_id"]),
                     "status": self.fake.status_entity(self.fake.statuses[n["status_id"]])}
                    for n in page]
        return self._send(200, body)
