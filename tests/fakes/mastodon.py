"""A fake Mastodon instance over real HTTP, following the documented API and error bodies.

Only what socialhub uses, as PLATFORMS.md §2.3 describes it: instance limits,
statuses (length by the server's counting rule, ``Idempotency-Key`` dedupe,
``in_reply_to_id``), media v2 with 202 processing, verify_credentials, the
account timeline, revoked tokens (401 ``The access token is invalid``) and
429s with ``X-RateLimit-*`` headers whose reset is an ISO-8601 timestamp. Its
counting rule is written here independently of ``socialhub.core.text`` so the
adapter's validation is checked against something it does not share code with.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import html
import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import regex

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
_MENTION_RE = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\w.-]+\w)?",
                         re.IGNORECASE)


def server_length(text: str, spoiler_text: str = "") -> int:
    """Mastodon's StatusLengthValidator: URLs with a scheme = 23, ``@u@domain`` = ``@u``."""
    if text.strip():
        text = _URL_RE.sub("x" * 23, text)
        text = _MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    else:
        text = ""
    return len(regex.findall(r"\X", spoiler_text + text))


def render_html(text: str) -> str:
    """Status ``content`` the way Mastodon renders it: paragraphs, <br />, split link spans."""
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, rest = url.split("://", 1)
        shown, hidden = rest[:30], rest[30:]
        return (f'<a href="{url}" rel="nofollow noopener" target="_blank">'
                f'<span class="invisible">{scheme}://</span><span class="ellipsis">{shown}'
                f'</span><span class="invisible">{hidden}</span></a>')

    paragraphs = []
    for para in re.split(r"\n{2,}", text.strip()):
        escaped = html.escape(para, quote=False)
        paragraphs.append(_URL_RE.sub(link, escaped).replace("\n", "<br />"))
    return "".join(f"<p>{p}</p>" for p in paragraphs)


@dataclass
class FakeAccount:
    id: str
    username: str
    tokens: set[str] = field(default_factory=set)


class FakeMastodon:
    """A local Mastodon: ``start()`` it, ``add_account()``, point an adapter at ``url``."""

    def __init__(self, *, max_characters: int = 500, max_media: int = 4,
                 media_processing_polls: int = 0) -> None:
        self.max_characters = max_characters
        self.max_media = max_media
        self.media_processing_polls = media_processing_polls
        self.accounts: dict[str, FakeAccount] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.idempotency: dict[tuple[str, str], str] = {}
        self.rate_limited_next = 0
        self.rate_limit_reset_s: int | None = None  # None: the next whole minute + 5 min
        self.fail_after_create_next = 0
        self.fail_next_status: int | None = None  # the next status POST fails before creating
        # OAuth: registered apps, pending codes; /oauth/authorize logs in as oauth_username.
        self.apps: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.oauth_username = "alice"
        self.deny_next_authorize = False
        self.lock = threading.RLock()
        self._ids = itertools.count(109_000_000_000_000_001)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------
    def start(self) -> FakeMastodon:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add_account(self, username: str) -> tuple[str, str]:
        """Create an account; returns (account id, access token)."""
        with self.lock:
            account = FakeAccount(str(next(self._ids)), username)
            token = secrets.token_urlsafe(24)
            account.tokens.add(token)
            self.accounts[account.id] = account
            return account.id, token

    def revoke(self, token: str) -> None:
        """Revoke a token, as ``POST /oauth/revoke`` or the user's settings page would."""
        with self.lock:
            for account in self.accounts.values():
                account.tokens.discard(token)

    def status_texts(self) -> list[str]:
        """The source text of every live status, oldest first."""
        with self.lock:
            return [s["text"] for s in self.statuses.values() if not s["deleted"]]

    def next_id(self) -> str:
        return str(next(self._ids))

    def account_for(self, token: str | None) -> FakeAccount | None:
        with self.lock:
            return next((a for a in self.accounts.values() if token in a.tokens), None)

    def status_entity(self, status: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts[status["account_id"]]
        public = {k: v for k, v in status.items()
                  if k not in ("text", "account_id", "deleted", "idempotency_key")}
        public["account"] = {"id": account.id, "username": account.username,
                             "acct": account.username}
        return public


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeMastodon:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any, *, raw: bytes | None = None,
              ctype: str = "application/json") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        reset = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
        if status == 429 and self.fake.rate_limit_reset_s is not None:
            reset = datetime.now(UTC) + timedelta(seconds=self.fake.rate_limit_reset_s)
        self.send_header("X-RateLimit-Limit", "300")
        self.send_header("X-RateLimit-Remaining", "0" if status == 429 else "299")
        self.send_header("X-RateLimit-Reset", _iso(reset))
        self.end_headers()
        self.wfile.write(data)

    def _params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(params, files) from JSON, form or multipart bodies, plus the query string."""
        url = urlsplit(self.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
        files: dict[str, Any] = {}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if raw and ctype.startswith("application/json"):
            params.update(json.loads(raw))
        elif raw and ctype.startswith("application/x-www-form-urlencoded"):
            for key, values in parse_qs(raw.decode()).items():
                params[key.removesuffix("[]")] = values if key.endswith("[]") else values[-1]
        elif raw and ctype.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
            for part in message.iter_parts():
                name = str(part.get_param("name", header="content-disposition"))
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                if part.get_filename():
                    files[name] = {"filename": part.get_filename(), "bytes": payload,
                                   "mime": part.get_content_type()}
                else:
                    params[name] = payload.decode()
        return params, files

    def _dispatch(self) -> None:
        fake = self.fake
        path = urlsplit(self.path).path
        params, files = self._params()
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
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if digest.rstrip(b"=").decode() != grant["challenge"]:
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
        self._send(200, {"id": account.id, "username": account.username,
                         "acct": account.username})

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


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny RGB PNG (so header readers and uploads see a real image)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class MastodonFake:
    """``FakePlatform`` (tests/fakes/contract.py) over a running ``FakeMastodon``."""

    platform = "mastodon"

    def __init__(self) -> None:
        import tempfile
        from pathlib import Path

        self.server = FakeMastodon().start()
        self.url = self.server.url
        self._dir = Path(tempfile.mkdtemp(prefix="fake-mastodon-"))

    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        account_id, token = self.server.add_account(f"user{len(self.server.accounts) + 1}")
        username = self.server.accounts[account_id].username
        info = AccountInfo(account_id=1, platform="mastodon", handle=f"{username}@fake.local",
                           external_id=account_id, base_url=self.url)
        return info, Tokens(access_token=token, scopes=["read", "write"]), AppCredentials()

    def sample_media(self) -> list[MediaItem]:
        path = self._dir / "photo.png"
        path.write_bytes(tiny_png())
        return [MediaItem(path=path, mime="image/png", alt_text="A red square")]

    def posts(self) -> list[dict[str, Any]]:
        with self.server.lock:
            return [{"id": s["id"], "text": s["text"], "reply_to": s["in_reply_to_id"],
                     "media": [{"id": m["id"], "alt": m["description"]}
                               for m in s["media_attachments"]]}
                    for s in self.server.statuses.values() if not s["deleted"]]

    def fail_next(self, status: int, *, after_create: bool = False) -> None:
        with self.server.lock:
            if after_create:
                self.server.fail_after_create_next += 1
            else:
                self.server.fail_next_status = status

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.server.lock:
            self.server.rate_limited_next += 1
            self.server.rate_limit_reset_s = reset_in_s

    def expire_access_tokens(self) -> None:
        """Mastodon tokens never expire (no refresh grant): nothing to do."""

    def revoke(self) -> None:
        with self.server.lock:
            for account in self.server.accounts.values():
                account.tokens.clear()

    def stop(self) -> None:
        import shutil

        self.server.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def start_fake() -> MastodonFake:
    """A running fake Mastodon behind the shared ``FakePlatform`` protocol."""
    return MastodonFake()
