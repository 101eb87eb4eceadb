"""A fake TikTok Content Posting API (and its OAuth token endpoint) over real HTTP.

What socialhub uses, as PLATFORMS.md §2.11 describes it: ``creator_info``,
``video/init`` (``FILE_UPLOAD`` with the documented chunk rules, or
``PULL_FROM_URL``), chunk PUTs with ``Content-Range`` (206, then 201),
``content/init`` for photos, ``status/fetch`` moving from
``PROCESSING_UPLOAD`` to ``PUBLISH_COMPLETE`` (or ``FAILED`` with a
``fail_reason``), ``video/list`` (public videos only), ``video/query``,
``user/info`` and ``POST /v2/oauth/token/`` with **rotating** refresh tokens.
Every answer is ``{"data":{…},"error":{"code","message","log_id"}}``; init
endpoints allow 6 calls a minute per token.
"""

from __future__ import annotations

import itertools
import json
import secrets
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.controls import StateControls
from tests.fakes.plumbing import LoopbackServer, QuietHandler, form_fields, query_fields
from tests.fakes.youtube import make_mp4

CLIENT_KEY = "awfakeclientkey"
CLIENT_SECRET = "fake-tiktok-secret"
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish",
          "video.list")
MB = 1024 * 1024
_INIT_PATHS = ("/v2/post/publish/video/init/", "/v2/post/publish/content/init/")


def utf16_units(text: str) -> int:
    """JavaScript's ``str.length``, written here independently of socialhub.core."""
    return len(text.encode("utf-16-le")) // 2


class FakeTikTok(StateControls):
    """A local TikTok for one creator; implements ``tests.fakes.contract.FakePlatform``."""

    ACCESS_PREFIX, REFRESH_PREFIX, SCOPES = "act.", "rft.", SCOPES

    platform = "tiktok"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.open_id = "-000" + secrets.token_hex(8)
        self.username = "fakecreator"
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: set[str] = set()
        self.privacy_options = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
        self.max_duration_s = 300
        self.stitch_disabled = True
        self.audited = True
        self.verified_prefix = "https://media.example.com/"
        self.processing_polls = 1
        self.fail_reason: str | None = None
        self.publishes: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.init_calls: dict[str, list[float]] = {}
        self.fail_next_status: int | None = None
        self.fail_after_create = False
        self.rate_limited_next = False
        # fail_next(after_create=True) is an outage: the next status fetch fails too.
        self.outage_after_create = True
        self.outage_next = False
        self._ids = itertools.count(7_300_000_000_000_000_001)
        self.codes: dict[str, tuple[str, ...]] = {}  # authorization code → granted scopes
        # Login Kit for desktop: client_key, and a PKCE challenge that is SHA-256 in hex.
        self.consent = Consent(CLIENT_KEY, client_id_param="client_key", pkce=True,
                               encoding="hex")
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-tiktok-")
        server = LoopbackServer(self, _Handler)
        self._httpd, self.url = server.httpd, server.url  # StateControls.stop shuts _httpd
        server.start()

    # -- FakePlatform -------------------------------------------------------
    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        access, refresh = self.issue_tokens()
        info = AccountInfo(account_id=1, platform="tiktok", handle=f"@{self.username}",
                           external_id=self.open_id, base_url=self.url)
        tokens = Tokens(access_token=access, refresh_token=refresh,
                        expires_at=datetime.now(UTC) + timedelta(hours=24), scopes=list(SCOPES))
        return info, tokens, AppCredentials(CLIENT_KEY, CLIENT_SECRET)

    def sample_media(self) -> list[MediaItem]:
        path = Path(self._tmp.name) / f"clip{next(self._ids)}.mp4"
        return [MediaItem(path=make_mp4(path, duration_s=8), mime="video/mp4")]

    def contract_options(self) -> dict[str, Any]:
        """Public posts for the shared scenarios: ``video/list`` shows only public videos,
        so only they can be looked up (private posts: ``test_tiktok_adapter.py``)."""
        return {"privacy_level": "PUBLIC_TO_EVERYONE"}

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"id": p["post_id"] or p["publish_id"], "publish_id": p["publish_id"],
                     "text": p["post_info"].get("description", p["post_info"].get("title", ""))
                     if p["media_type"] == "PHOTO" else p["post_info"].get("title", ""),
                     "reply_to": None, "privacy": p["post_info"].get("privacy_level"),
                     "size": len(p["data"]), "media_type": p["media_type"]}
                    for p in self.publishes.values() if p["status"] == "PUBLISH_COMPLETE"]

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.lock:
            self.rate_limited_next = True


def _ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id()}}


def _err(code: str, message: str) -> dict[str, Any]:
    return {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id()}}


def _log_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


class _Handler(QuietHandler):
    _qs: dict[str, str]
    _scopes: tuple[str, ...]

    @property
    def fake(self) -> FakeTikTok:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any) -> None:
        """``body`` as JSON; ``None`` too: the chunk PUTs' 206 and 201 carry ``null``."""
        self.send_bytes(status, json.dumps(body).encode())

    def _dispatch(self) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        raw = self.read_body()[1]
        with fake.lock:
            fake.requests.append({"method": self.command, "path": url.path,
                                  "headers": dict(self.headers), "size": len(raw),
                                  "body": raw if len(raw) < 10_000 else b""})
        if url.path == "/v2/oauth/token/" and self.command == "POST":
            return self._token(form_fields(raw))
        if url.path == "/v2/auth/authorize/" and self.command == "GET":
            return self._authorize(query_fields(self.path))
        if url.path == "/upload/" and self.command == "PUT":
            return self._chunk(query_fields(self.path), raw)
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        with fake.lock:
            state = fake.access.get(token)
            if state is None or state["expired"]:
                return self._send(401, _err("access_token_invalid", "The access token is "
                                            "invalid or not found in the request."))
            if fake.rate_limited_next:
                fake.rate_limited_next = False
                return self._send(429, _err("rate_limit_exceeded", "API rate limit was "
                                            "exceeded, please try again later."))
            if url.path in _INIT_PATHS:
                now = time.monotonic()
                recent = [t for t in fake.init_calls.get(token, []) if now - t < 60]
                if len(recent) >= 6:
                    return self._send(429, _err("rate_limit_exceeded", "API rate limit was "
                                                "exceeded, please try again later."))
                fake.init_calls[token] = [*recent, now]
        needed = {"/v2/user/info/": "user.info.basic", "/v2/video/list/": "video.list",
                  "/v2/video/query/": "video.list"}.get(url.path, "video.publish")
        if needed not in state["scopes"]:
            return self._send(403, _err("scope_not_authorized", "The user did not authorize "
                                        "the scope required for completing this request."))
        self._qs, self._scopes = query_fields(self.path), tuple(state["scopes"])
        body = json.loads(raw) if raw else {}
        routes = {
            ("GET", "/v2/user/info/"): self._user,
            ("POST", "/v2/post/publish/creator_info/query/"): self._creator,
            ("POST", "/v2/post/publish/video/init/"): self._video_init,
            ("POST", "/v2/post/publish/content/init/"): self._photo_init,
            ("POST", "/v2/post/publish/status/fetch/"): self._status,
            ("POST", "/v2/video/list/"): self._list,
            ("POST", "/v2/video/query/"): self._query,
        }
        handler = routes.get((self.command, url.path))
        if handler is None:
            return self._send(404, _err("invalid_params", "unknown endpoint"))
        return handler(body)

    do_GET = do_POST = do_PUT = _dispatch

    def _authorize(self, query: dict[str, str]) -> None:
        """TikTok's consent page, approving at once for the fake's one creator."""
        fake = self.fake
        refused = fake.consent.refuse(query)
        if refused:
            return self._send(400, {"error": "invalid_request", "error_description": refused,
                                    "log_id": _log_id()})
        wanted = tuple(s for s in query.get("scope", "").split(",") if s in SCOPES)
        code = secrets.token_urlsafe(24)
        with fake.lock:
            fake.codes[code] = wanted or SCOPES
        return self.redirect(fake.consent.approve(query, code))

    def _token(self, form: dict[str, str]) -> None:
        fake = self.fake
        if (form.get("client_key"), form.get("client_secret")) != (CLIENT_KEY, CLIENT_SECRET):
            return self._send(401, {"error": "invalid_client",
                                    "error_description": "Client key or secret is incorrect.",
                                    "log_id": _log_id()})
        if form.get("grant_type") == "authorization_code":
            return self._code_grant(form)
        with fake.lock:
            old = form.get("refresh_token")
            if form.get("grant_type") != "refresh_token" or old not in fake.refresh_tokens:
                return self._send(400, {"error": "invalid_grant",
                                        "error_description": "Refresh token is invalid or "
                                                             "expired.", "log_id": _log_id()})
            fake.refresh_tokens.discard(str(old))  # rotation: the old one is dead now
        access, refresh = fake.issue_tokens()
        return self._send(200, {"access_token": access, "expires_in": 86400,
                                "open_id": fake.open_id, "refresh_expires_in": 31536000,
                                "refresh_token": refresh, "scope": ",".join(SCOPES),
                                "token_type": "Bearer"})

    def _code_grant(self, form: dict[str, str]) -> None:
        """Code → a rotating token pair; the desktop flow's hex PKCE verifier is checked."""
        fake = self.fake
        code = form.get("code", "")
        refused = fake.consent.redeem(code, form)
        with fake.lock:
            scopes = fake.codes.pop(code, None)
        if scopes is None or refused:
            return self._send(400, {"error": "invalid_grant",
                                    "error_description": refused or "Authorization code is "
                                    "invalid or expired.", "log_id": _log_id()})
        access, refresh = fake.issue_tokens(scopes)
        return self._send(200, {"access_token": access, "expires_in": 86400,
                                "open_id": fake.open_id, "refresh_expires_in": 31536000,
                                "refresh_token": refresh, "scope": ",".join(scopes),
                                "token_type": "Bearer"})

    def _user(self, body: dict[str, Any]) -> None:
        fake = self.fake
        known = {"open_id": fake.open_id, "display_name": "Fake Creator",
                 "username": fake.username, "follower_count": 5400, "following_count": 12,
                 "likes_count": 88000, "video_count": 37}
        stats = {"follower_count", "following_count", "likes_count", "video_count"}
        wanted = [f for f in self._qs.get("fields", "").split(",") if f in known]
        if stats & set(wanted) and "user.info.stats" not in self._scopes:
            return self._send(403, _err("scope_not_authorized", "The user did not authorize "
                                        "the scope required for completing this request."))
        return self._send(200, _ok({"user": {f: known[f] for f in wanted}
                                    or {k: known[k] for k in ("open_id", "display_name",
                                                              "username")}}))

    def _creator(self, body: dict[str, Any]) -> None:
        fake = self.fake
        return self._send(200, _ok({
            "creator_avatar_url": "https://p16.example/avatar.jpeg",
            "creator_username": fake.username, "creator_nickname": "Fake Creator",
            "privacy_level_options": list(fake.privacy_options), "comment_disabled": False,
            "duet_disabled": False, "stitch_disabled": fake.stitch_disabled,
            "max_video_post_duration_sec": fake.max_duration_s}))

    def _check_post_info(self, info: dict[str, Any], *, photo: bool) -> str | None:
        fake = self.fake
        privacy = info.get("privacy_level")
        if privacy not in fake.privacy_options:
            return "privacy_level_option_mismatch"
        if not fake.audited and privacy != "SELF_ONLY":
            return "unaudited_client_can_only_post_to_private_accounts"
        if photo and (utf16_units(str(info.get("title") or "")) > 90
                      or utf16_units(str(info.get("description") or "")) > 4000):
            return "invalid_params"
        if not photo and utf16_units(str(info.get("title") or "")) > 2200:
            return "invalid_params"
        return None

    def _refuse(self, code: str) -> None:
        status = 403 if code.startswith("unaudited") or code == "url_ownership_unverified" else 400
        return self._send(status, _err(code, f"The request failed: {code}."))

    def _new_publish(self, media_type: str, info: dict[str, Any], source: dict[str, Any],
                     status: str) -> dict[str, Any]:
        fake = self.fake
        publish_id = f"v_pub_{'file' if source['source'] == 'FILE_UPLOAD' else 'url'}~v2-1." \
                     f"{next(fake._ids)}"
        publish = {"publish_id": publish_id, "media_type": media_type, "post_info": info,
                   "source": source, "status": status, "data": b"", "polls": 0,
                   "post_id": None, "created": int(time.time())}
        fake.publishes[publish_id] = publish
        return publish

    def _pre_create_failure(self) -> bool:
        fake = self.fake
        if fake.fail_next_status is not None and not fake.fail_after_create:
            status, fake.fail_next_status = fake.fail_next_status, None
            self._send(status, _err("internal_error", "Something went wrong. Please try "
                                    "again later."))
            return True
        return False

    def _video_init(self, body: dict[str, Any]) -> None:
        fake = self.fake
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        with fake.lock:
            if self._pre_create_failure():
                return None
            refused = self._check_post_info(info, photo=False)
            if refused:
                return self._refuse(refused)
            if source.get("source") == "PULL_FROM_URL":
                if not str(source.get("video_url", "")).startswith(fake.verified_prefix):
                    return self._refuse("url_ownership_unverified")
                publish = self._new_publish("VIDEO", info, source, "PROCESSING_DOWNLOAD")
                publish["data"] = b"pulled"
                if fake.fail_next_status is not None:  # after create
                    status, fake.fail_next_status = fake.fail_next_status, None
                    return self._send(status, _err("internal_error", "Something went wrong."))
                return self._send(200, _ok({"publish_id": publish["publish_id"]}))
            size, chunk, count = (int(source.get(k) or 0) for k in
                                  ("video_size", "chunk_size", "total_chunk_count"))
            if not valid_chunk_plan(size, chunk, count):
                return self._send(400, _err("invalid_params", "The chunk size or total chunk "
                                            "count is invalid."))
            publish = self._new_publish("VIDEO", info, source, "PROCESSING_UPLOAD")
            upload_id = secrets.token_hex(8)
            publish["upload_id"] = upload_id
        upload_url = f"{fake.url}/upload/?upload_id={upload_id}&upload_token={secrets.token_hex(8)}"
        return self._send(200, _ok({"publish_id": publish["publish_id"],
                                    "upload_url": upload_url}))

    def _photo_init(self, body: dict[str, Any]) -> None:
        fake = self.fake
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        with fake.lock:
            if self._pre_create_failure():
                return None
            if body.get("media_type") != "PHOTO" or source.get("source") != "PULL_FROM_URL":
                return self._send(400, _err("invalid_params", "media_type/source"))
            refused = self._check_post_info(info, photo=True)
            if refused:
                return self._refuse(refused)
            images = source.get("photo_images") or []
            if not 1 <= len(images) <= 35 or not all(
                    str(u).startswith(fake.verified_prefix) for u in images):
                return self._refuse("url_ownership_unverified" if images else "invalid_params")
            publish = self._new_publish("PHOTO", info, source, "PROCESSING_DOWNLOAD")
            publish["data"] = b"x" * len(images)
        return self._send(200, _ok({"publish_id": publish["publish_id"]}))

    def _chunk(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        with fake.lock:
            publish = next((p for p in fake.publishes.values()
                            if p.get("upload_id") == query.get("upload_id")), None)
            if publish is None:
                return self._send(404, _err("invalid_params", "upload not found"))
            rng = (self.headers.get("Content-Range") or "").removeprefix("bytes ")
            span, _, total = rng.partition("/")
            first, _, last = span.partition("-")
            source = publish["source"]
            start, end = int(first or -1), int(last or -1)
            if (int(total or -1) != source["video_size"] or start != len(publish["data"])
                    or end - start + 1 != len(raw)):
                return self._send(400, _err("invalid_params", "Content-Range mismatch"))
            publish["data"] += raw
            if len(publish["data"]) < source["video_size"]:
                return self._send(206, None)
            publish["status"] = "PROCESSING_UPLOAD"
            publish["uploaded"] = True
            if fake.fail_next_status is not None and fake.fail_after_create:
                status, fake.fail_next_status = fake.fail_next_status, None
                fake.outage_next = fake.outage_after_create
                if fake.outage_next:  # TikTok goes on to publish it while we cannot ask
                    publish["status"] = "PUBLISH_COMPLETE"
                    if publish["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE":
                        publish["post_id"] = str(next(fake._ids))
                return self._send(status, _err("internal_error", "Something went wrong."))
        return self._send(201, None)

    def _status(self, body: dict[str, Any]) -> None:
        fake = self.fake
        with fake.lock:
            if fake.outage_next:
                fake.outage_next = False
                return self._send(503, _err("internal_error", "Something went wrong."))
            publish = fake.publishes.get(str(body.get("publish_id")))
            if publish is None:
                return self._send(400, _err("invalid_publish_id", "publish_id not found"))
            ready = publish.get("uploaded") or publish["source"]["source"] == "PULL_FROM_URL"
            if ready and publish["status"].startswith("PROCESSING"):
                publish["polls"] += 1
                if publish["polls"] > fake.processing_polls:
                    if fake.fail_reason:
                        publish["status"] = "FAILED"
                    else:
                        publish["status"] = "PUBLISH_COMPLETE"
                        if publish["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE":
                            publish["post_id"] = str(next(fake._ids))
            data: dict[str, Any] = {"status": publish["status"],
                                    "uploaded_bytes": len(publish["data"]),
                                    "publicaly_available_post_id":
                                        [int(publish["post_id"])] if publish["post_id"] else []}
            if publish["status"] == "FAILED":
                data["fail_reason"] = fake.fail_reason
        return self._send(200, _ok(data))

    def _list(self, body: dict[str, Any]) -> None:
        with self.fake.lock:
            videos = [{"id": p["post_id"], "title": p["post_info"].get("title", ""),
                       "create_time": p["created"],
                       "share_url": f"https://www.tiktok.com/@{self.fake.username}/video/"
                                    f"{p['post_id']}"}
                      for p in self.fake.publishes.values() if p["post_id"]]
        videos.reverse()
        limit = int(body.get("max_count") or 10)
        return self._send(200, _ok({"videos": videos[:limit], "cursor": 0, "has_more": False}))

    def _query(self, body: dict[str, Any]) -> None:
        wanted = set((body.get("filters") or {}).get("video_ids") or [])
        with self.fake.lock:
            videos = [{"id": p["post_id"], "view_count": 0, "like_count": 0,
                       "comment_count": 0, "share_count": 0, **p.get("stats", {})}
                      for p in self.fake.publishes.values() if p["post_id"] in wanted]
        return self._send(200, _ok({"videos": videos}))


def valid_chunk_plan(size: int, chunk: int, count: int) -> bool:
    """TikTok's documented FILE_UPLOAD rules."""
    if size <= 0 or chunk <= 0 or not 1 <= count <= 1000:
        return False
    if size < 5 * MB:
        return chunk == size and count == 1
    if count == 1:
        return chunk <= size <= 128 * MB and chunk >= 5 * MB
    last = size - chunk * (count - 1)
    return 5 * MB <= chunk <= 64 * MB and count == size // chunk and last <= 128 * MB


def start_fake() -> FakeTikTok:
    """Start a fake TikTok on a free loopback port."""
    return FakeTikTok()
