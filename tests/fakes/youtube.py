"""A fake YouTube Data API v3 (plus Google's token endpoint) over real HTTP.

What socialhub uses, as PLATFORMS.md §2.10 and Google's resumable-upload guide
describe it: ``POST /upload/youtube/v3/videos?uploadType=resumable`` opens a
session (``Location``), PUTs carry the bytes (``Content-Range`` to resume,
``bytes */N`` asks for the state: 308 + ``Range``), channels, playlistItems,
commentThreads (insert; list by ``videoId`` or ``allThreadsRelatedToChannelId``,
newest first, ``maxResults``/``pageToken``, ``part=replies`` brings up to five replies),
comments (insert with ``parentId``; list by ``parentId``), videos.list/delete, and
``POST /token`` for refreshes. Quota units are counted as Google counts them
(``units``: list 1, comment insert 50). Errors
use Google's body ``{"error":{"code","message","errors":[{"domain","reason"}]}}``:
401 ``authError``, 403 ``quotaExceeded`` / ``insufficientPermissions``, 400
``invalidTitle``; refreshes fail with ``invalid_grant``. ``cut_next_put(n)``
makes the next PUT keep ``n`` bytes and hang up without answering, as a
dropped connection does.
"""

from __future__ import annotations

import itertools
import json
import secrets
import struct
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from socialhub.platforms.base import AccountInfo, AppCredentials, MediaItem, Tokens
from tests.fakes.consent import Consent
from tests.fakes.controls import StateControls
from tests.fakes.plumbing import LoopbackServer, QuietHandler, form_fields, query_fields

SCOPES = ("https://www.googleapis.com/auth/youtube.upload",
          "https://www.googleapis.com/auth/youtube.force-ssl")
CLIENT_ID = "fake-client.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"


def make_mp4(path: Path, *, duration_s: float = 5.0, payload: int = 2048) -> Path:
    """Write a minimal valid MP4: ``ftyp``, ``moov/mvhd`` (the duration), ``mdat`` padding."""
    ftyp = b"isom" + struct.pack(">I", 512) + b"isomiso2mp41"
    timescale = 1000
    mvhd = (b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale,
                                              int(duration_s * timescale))
            + b"\x00\x01\x00\x00\x01\x00" + b"\x00" * 70 + struct.pack(">I", 2))
    moov_body = _box(b"mvhd", mvhd)
    data = _box(b"ftyp", ftyp) + _box(b"moov", moov_body) + _box(b"mdat", b"\x00" * payload)
    path.write_bytes(data)
    return path


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def google_error(status: int, reason: str, message: str, domain: str = "youtube") -> dict[str, Any]:
    """Google's JSON error body."""
    return {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}


class FakeYouTube(StateControls):
    """A local YouTube with one channel; implements ``tests.fakes.contract.FakePlatform``."""

    ACCESS_PREFIX, REFRESH_PREFIX, SCOPES = "ya29.", "1//", SCOPES

    platform = "youtube"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.channel_id = "UCfake" + secrets.token_hex(8)
        self.hide_subscribers = False
        self.access: dict[str, dict[str, Any]] = {}  # token → {"expired", "scopes"}
        self.refresh_tokens: set[str] = set()
        self.videos: dict[str, dict[str, Any]] = {}
        # top-level comments and replies: id, video_id, text, author, author_channel,
        # published (ISO, seconds), parent (None: top-level)
        self.comments: list[dict[str, Any]] = []
        self.units = 0  # quota units spent, as Google counts them
        self._last_stamp = datetime.now(UTC).replace(microsecond=0)
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.quota_spent = False
        self.upload_limit_reached = False
        self.fail_next_status: int | None = None
        self.fail_after_create = False
        self.rate_limited_next: int | None = None
        self.cut_put_at: int | None = None
        # fail_next(after_create=True) is an outage: the upload-state query fails too,
        # so the adapter cannot learn the outcome. False: only the final PUT fails.
        self.outage_after_create = True
        self.outage_next = False
        self._ids = itertools.count(1)
        self.codes: dict[str, tuple[str, ...]] = {}  # authorization code → granted scopes
        self.consent = Consent(CLIENT_ID, pkce=True)  # Google: S256, base64url
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-youtube-")
        server = LoopbackServer(self, _Handler)
        self._httpd, self.url = server.httpd, server.url  # StateControls.stop shuts _httpd
        server.start()

    # -- FakePlatform -------------------------------------------------------
    def account(self) -> tuple[AccountInfo, Tokens, AppCredentials]:
        access, refresh = self.issue_tokens()
        info = AccountInfo(account_id=1, platform="youtube", handle="@fakechannel",
                           external_id=self.channel_id, base_url=self.url)
        tokens = Tokens(access_token=access, refresh_token=refresh,
                        expires_at=datetime.now(UTC) + timedelta(hours=1), scopes=list(SCOPES))
        return info, tokens, AppCredentials(CLIENT_ID, CLIENT_SECRET)

    def sample_media(self) -> list[MediaItem]:
        path = Path(self._tmp.name) / f"clip{next(self._ids)}.mp4"
        return [MediaItem(path=make_mp4(path), mime="video/mp4")]

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            videos = [{"id": v["id"], "text": v["snippet"]["description"],
                       "title": v["snippet"]["title"], "reply_to": None,
                       "privacy": v["status"]["privacyStatus"], "size": v["size"]}
                      for v in self.videos.values() if not v["deleted"]]
            comments = [{"id": c["id"], "text": c["text"],
                         "reply_to": c.get("parent") or c["video_id"]}
                        for c in self.comments]
            return videos + comments

    def rate_limit_next(self, reset_in_s: int = 60) -> None:
        with self.lock:
            self.rate_limited_next = reset_in_s

    # -- more control ---------------------------------------------------------
    def cut_next_put(self, keep_bytes: int) -> None:
        """The next data PUT stores ``keep_bytes`` bytes, then drops the connection unanswered."""
        with self.lock:
            self.cut_put_at = keep_bytes

    def stamp(self) -> str:
        """A ``publishedAt`` one second after the last (Google's are whole seconds)."""
        with self.lock:
            self._last_stamp = max(datetime.now(UTC).replace(microsecond=0),
                                   self._last_stamp + timedelta(seconds=1))
            return _iso(self._last_stamp)

    def new_comment(self, video_id: str, text: str, *, author: str | None = None,
                    parent: str | None = None) -> dict[str, Any]:
        """Store a comment by ``author`` (a display name; None: the channel itself)."""
        with self.lock:
            comment = {"id": f"Ugz{next(self._ids):06d}", "video_id": video_id, "text": text,
                       "author": author or "@fakechannel",
                       "author_channel": ("UC" + secrets.token_hex(8)) if author
                       else self.channel_id,
                       "published": self.stamp(), "parent": parent}
            self.comments.append(comment)
            video = self.videos.get(video_id)
            if video is not None:
                video["statistics"]["commentCount"] = str(
                    int(video["statistics"]["commentCount"]) + 1)
            return comment

    def comment_as(self, author: str, video_id: str, text: str) -> str:
        """Someone (``author``, a display name such as ``@bob``) comments on a video."""
        return str(self.new_comment(video_id, text, author=author)["id"])

    def reply_as(self, author: str, parent_id: str, text: str) -> str:
        """Someone replies in the thread of the top-level comment ``parent_id``."""
        with self.lock:
            parent = next(c for c in self.comments if c["id"] == parent_id)
        return str(self.new_comment(parent["video_id"], text, author=author,
                                    parent=parent_id)["id"])

    def add_video(self, title: str, published_at: datetime) -> str:
        """An older upload already on the channel (e.g. last year's post with the same title)."""
        with self.lock:
            video = self._new_video({"title": title, "description": title}, {}, b"")
            video["snippet"]["publishedAt"] = _iso(published_at)
            return str(video["id"])

    def _new_video(self, snippet: dict[str, Any], status: dict[str, Any],
                   data: bytes) -> dict[str, Any]:
        video_id = f"vid{next(self._ids):08d}"
        video = {"kind": "youtube#video", "id": video_id,
                 "snippet": {**snippet, "channelId": self.channel_id,
                             "publishedAt": _iso(datetime.now(UTC))},
                 "status": {"uploadStatus": "uploaded",
                            "privacyStatus": status.get("privacyStatus", "public")},
                 "statistics": {"viewCount": "0", "likeCount": "0", "favoriteCount": "0",
                                "commentCount": "0"},
                 "size": len(data), "deleted": False}
        self.videos[video_id] = video
        return video


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(QuietHandler):
    json_type = "application/json; charset=UTF-8"

    @property
    def fake(self) -> FakeYouTube:
        return self.server.fake  # type: ignore[attr-defined]

    def _dispatch(self) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        query = query_fields(self.path)
        raw = self.read_body()[1]
        with fake.lock:
            fake.requests.append({"method": self.command, "path": url.path, "query": query,
                                  "headers": dict(self.headers), "size": len(raw)})
        if url.path == "/token" and self.command == "POST":
            return self._token(form_fields(raw))
        if url.path == "/o/oauth2/v2/auth" and self.command == "GET":
            return self._authorize(query)
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        routes = {
            ("POST", "/upload/youtube/v3/videos"): self._open_session,
            ("PUT", "/upload/youtube/v3/videos"): self._put_bytes,
            ("GET", "/youtube/v3/channels"): self._channels,
            ("GET", "/youtube/v3/playlistItems"): self._playlist,
            ("POST", "/youtube/v3/commentThreads"): self._comment,
            ("GET", "/youtube/v3/commentThreads"): self._comment_list,
            ("POST", "/youtube/v3/comments"): self._reply,
            ("GET", "/youtube/v3/comments"): self._replies,
            ("GET", "/youtube/v3/videos"): self._video_list,
            ("DELETE", "/youtube/v3/videos"): self._delete,
        }
        handler = routes.get((self.command, url.path))
        if handler is None:
            return self.send_json(404, google_error(404, "notFound", "Not Found", "global"))
        # The session URL is its own credential: a resumed PUT needs no bearer.
        if (self.command, url.path) != ("PUT", "/upload/youtube/v3/videos"):
            with fake.lock:
                state = fake.access.get(token)
                if state is None or state["expired"]:
                    return self.send_json(401, google_error(
                        401, "authError", "Request had invalid authentication credentials. "
                        "Expected OAuth 2 access token, login cookie or other valid "
                        "authentication credential.", "global"))
                scopes = state["scopes"]
                if fake.rate_limited_next is not None:
                    reset, fake.rate_limited_next = fake.rate_limited_next, None
                    return self.send_json(429, google_error(
                        429, "rateLimitExceeded", "The request cannot be completed because "
                        "you have exceeded your rate limit."), headers={"Retry-After": str(reset)})
                cost = _COSTS.get((self.command, url.path), 0)
                if cost and fake.quota_spent:
                    return self.send_json(403, google_error(
                        403, "quotaExceeded", "The request cannot be completed because you "
                        "have exceeded your quota."))
                fake.units += cost
            needed = SCOPES[1] if "comment" in url.path.lower() else None
            if needed and needed not in scopes:
                return self.send_json(403, google_error(
                    403, "insufficientPermissions", "Request had insufficient authentication "
                    "scopes.", "global"))
        return handler(query, raw)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    # -- OAuth ------------------------------------------------------------------
    def _authorize(self, query: dict[str, str]) -> None:
        """Google's consent screen, approving at once for the fake's one channel."""
        fake = self.fake
        refused = fake.consent.refuse(query)
        if refused:
            return self.send_json(400, {"error": "invalid_request", "error_description": refused})
        wanted = tuple(s for s in query.get("scope", "").split() if s in SCOPES)
        code = "4/" + secrets.token_urlsafe(16)
        with fake.lock:
            fake.codes[code] = wanted or SCOPES
        return self.redirect(fake.consent.approve(query, code))

    def _token(self, form: dict[str, str]) -> None:
        fake = self.fake
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return self.send_json(401, {"error": "invalid_client",
                                        "error_description": "The OAuth client was not found."})
        if form.get("grant_type") == "authorization_code":
            return self._code_grant(form)
        if form.get("grant_type") != "refresh_token":
            return self.send_json(400, {"error": "unsupported_grant_type"})
        with fake.lock:
            if form.get("refresh_token") not in fake.refresh_tokens:
                return self.send_json(400, {"error": "invalid_grant",
                                            "error_description": "Token has been expired or "
                                                                 "revoked."})
            access = "ya29." + secrets.token_urlsafe(16)
            fake.access[access] = {"expired": False, "scopes": SCOPES}
        # Google keeps the refresh token: the answer carries none.
        return self.send_json(200, {"access_token": access, "expires_in": 3599,
                                    "scope": " ".join(SCOPES), "token_type": "Bearer"})

    def _code_grant(self, form: dict[str, str]) -> None:
        """Code → access + refresh token (``access_type=offline``), PKCE checked."""
        fake = self.fake
        code = form.get("code", "")
        refused = fake.consent.redeem(code, form)
        with fake.lock:
            scopes = fake.codes.pop(code, None)
        if scopes is None or refused:
            return self.send_json(400, {"error": "invalid_grant",
                                        "error_description": refused or "Bad Request"})
        access, refresh = fake.issue_tokens(scopes)
        return self.send_json(200, {"access_token": access, "expires_in": 3599,
                                    "refresh_token": refresh, "scope": " ".join(scopes),
                                    "token_type": "Bearer"})

    # -- uploads ----------------------------------------------------------------
    def _open_session(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        if query.get("uploadType") != "resumable":
            return self.send_json(400, google_error(400, "invalidParameter", "uploadType"))
        with fake.lock:
            if fake.quota_spent:
                return self.send_json(403, google_error(
                    403, "quotaExceeded", 'The request cannot be completed because you have '
                    'exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
                    "youtube.quota"))
            if fake.upload_limit_reached:
                return self.send_json(403, google_error(
                    403, "uploadLimitExceeded", "The user has exceeded the number of videos "
                    "they may upload."))
            if fake.fail_next_status is not None and not fake.fail_after_create:
                status, fake.fail_next_status = fake.fail_next_status, None
                return self.send_json(status, google_error(status, "backendError",
                                                           "Backend Error", "global"))
        body = json.loads(raw or b"{}")
        snippet, privacy = body.get("snippet") or {}, body.get("status") or {}
        title = str(snippet.get("title") or "")
        description = str(snippet.get("description") or "")
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return self.send_json(400, google_error(400, "invalidTitle",
                                                    "The request metadata specifies an invalid "
                                                    "or empty video title."))
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            return self.send_json(400, google_error(400, "invalidDescription",
                                                    "The request metadata specifies an invalid "
                                                    "video description."))
        total = int(self.headers.get("X-Upload-Content-Length") or -1)
        upload_id = secrets.token_urlsafe(12)
        with fake.lock:
            fake.sessions[upload_id] = {"snippet": snippet, "status": privacy, "total": total,
                                        "data": b"", "video": None}
        location = f"{fake.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        return self.send_json(200, headers={"Location": location})

    def _put_bytes(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        with fake.lock:
            session = fake.sessions.get(query.get("upload_id", ""))
            if session is None:
                return self.send_json(404, google_error(404, "notFound", "Upload session not found",
                                                        "global"))
            total = session["total"]
            content_range = self.headers.get("Content-Range")
            if content_range and content_range.startswith("bytes */"):
                if fake.outage_next:
                    fake.outage_next = False
                    return self.send_json(503, google_error(503, "backendError", "Backend Error",
                                                            "global"))
                if session["video"] is not None:
                    return self.send_json(200, _public(session["video"]))
                received = len(session["data"])
                headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
                return self.send_json(308, headers=headers)
            start = 0
            if content_range:
                start = int(content_range.split()[1].split("-")[0])
            if start != len(session["data"]):
                return self.send_json(400, google_error(400, "badContent", "Content-Range does not "
                                                        "continue the upload", "global"))
            if fake.cut_put_at is not None:
                keep, fake.cut_put_at = fake.cut_put_at, None
                session["data"] += raw[:keep]
                self.close_connection = True  # hang up without an answer
                return None
            session["data"] += raw
            if len(session["data"]) < total:
                received = len(session["data"])
                return self.send_json(308, headers={"Range": f"bytes=0-{received - 1}"})
            video = fake._new_video(session["snippet"], session["status"], session["data"])
            session["video"] = video
            if fake.fail_next_status is not None and fake.fail_after_create:
                status, fake.fail_next_status = fake.fail_next_status, None
                fake.outage_next = fake.outage_after_create
                return self.send_json(status, google_error(status, "backendError", "Backend Error",
                                                           "global"))
            return self.send_json(200, _public(video))

    # -- reads and comments -------------------------------------------------------
    def _channels(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        item: dict[str, Any] = {"kind": "youtube#channel", "id": fake.channel_id}
        if "snippet" in query.get("part", ""):
            item["snippet"] = {"title": "Fake Channel", "customUrl": "@fakechannel"}
        if "contentDetails" in query.get("part", ""):
            item["contentDetails"] = {"relatedPlaylists": {"uploads": "UU" + fake.channel_id[2:]}}
        if "statistics" in query.get("part", ""):
            with fake.lock:
                videos = sum(1 for v in fake.videos.values() if not v["deleted"])
            # Counts are strings; subscriberCount is rounded down to 3 significant figures
            # and left out when the channel hides it.
            item["statistics"] = {"viewCount": "91234", "videoCount": str(videos),
                                  "hiddenSubscriberCount": fake.hide_subscribers}
            if not fake.hide_subscribers:
                item["statistics"]["subscriberCount"] = "12300"
        return self.send_json(200, {"kind": "youtube#channelListResponse", "items": [item]})

    def _playlist(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        limit = int(query.get("maxResults") or 5)
        with fake.lock:
            videos = [v for v in fake.videos.values() if not v["deleted"]]
        videos.sort(key=lambda v: v["snippet"]["publishedAt"], reverse=True)
        items = [{"kind": "youtube#playlistItem", "id": "PLI" + v["id"],
                  "snippet": {"title": v["snippet"]["title"],
                              "publishedAt": v["snippet"]["publishedAt"],
                              "resourceId": {"kind": "youtube#video", "videoId": v["id"]}}}
                 for v in videos[:limit]]
        return self.send_json(200, {"kind": "youtube#playlistItemListResponse", "items": items})

    def _comment(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        snippet = json.loads(raw or b"{}").get("snippet") or {}
        video_id = snippet.get("videoId")
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal")
        with fake.lock:
            video = fake.videos.get(str(video_id))
            if video is None or video["deleted"]:
                return self.send_json(404, google_error(404, "videoNotFound", "The video "
                                                        "identified by the videoId parameter "
                                                        "could not be found."))
            if not text:
                return self.send_json(400, google_error(400, "commentTextRequired",
                                                        "The comment must contain text."))
            comment = fake.new_comment(str(video_id), text)
            if fake.fail_next_status is not None:
                status, fake.fail_next_status = fake.fail_next_status, None
                return self.send_json(status, google_error(status, "backendError", "Backend Error",
                                                           "global"))
            return self.send_json(200, _thread(comment))

    def _comment_list(self, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        limit = max(1, min(int(query.get("maxResults") or 20), 100))
        start = int(query.get("pageToken") or 0)
        with fake.lock:
            if query.get("allThreadsRelatedToChannelId"):
                if query["allThreadsRelatedToChannelId"] != fake.channel_id:
                    return self.send_json(200, {"kind": "youtube#commentThreadListResponse",
                                                "items": []})
                tops = [c for c in fake.comments if c["parent"] is None
                        and c["video_id"] in fake.videos
                        and not fake.videos[c["video_id"]]["deleted"]]
            else:
                tops = [c for c in fake.comments
                        if c["parent"] is None and c["video_id"] == query.get("videoId")]
            tops.sort(key=lambda c: (c["published"], c["id"]), reverse=True)  # order=time
            chunk = tops[start:start + limit]
            with_replies = "replies" in query.get("part", "")
            items = [_thread(c, [r for r in fake.comments if r["parent"] == c["id"]]
                             if with_replies else None) for c in chunk]
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse", "items": items,
                                "pageInfo": {"totalResults": len(tops),
                                             "resultsPerPage": limit}}
        if start + limit < len(tops):
            body["nextPageToken"] = str(start + limit)
        return self.send_json(200, body)

    def _reply(self, query: dict[str, str], raw: bytes) -> None:
        """comments.insert: a reply in the thread of a top-level comment (``parentId``)."""
        fake = self.fake
        snippet = json.loads(raw or b"{}").get("snippet") or {}
        text, parent_id = snippet.get("textOriginal"), snippet.get("parentId")
        with fake.lock:
            parent = next((c for c in fake.comments if c["id"] == parent_id), None)
            if parent is None:
                return self.send_json(404, google_error(
                    404, "parentCommentNotFound", "The parent comment could not be found."))
            if parent["parent"] is not None:
                return self.send_json(400, google_error(
                    400, "operationNotSupported", "The parent comment is itself a reply."))
            if not text:
                return self.send_json(400, google_error(400, "commentTextRequired",
                                                        "The comment must contain text."))
            comment = fake.new_comment(parent["video_id"], text, parent=parent["id"])
        return self.send_json(200, _comment(comment))

    def _replies(self, query: dict[str, str], raw: bytes) -> None:
        """comments.list by ``parentId``: a thread's replies."""
        with self.fake.lock:
            items = [_comment(c) for c in self.fake.comments
                     if c["parent"] == query.get("parentId")]
        return self.send_json(200, {"kind": "youtube#commentListResponse", "items": items})

    def _video_list(self, query: dict[str, str], raw: bytes) -> None:
        ids = [i for i in query.get("id", "").split(",") if i]
        with self.fake.lock:
            items = [{"kind": "youtube#video", "id": i,
                      "statistics": dict(self.fake.videos[i]["statistics"])}
                     for i in ids if i in self.fake.videos and not self.fake.videos[i]["deleted"]]
        return self.send_json(200, {"kind": "youtube#videoListResponse", "items": items})

    def _delete(self, query: dict[str, str], raw: bytes) -> None:
        with self.fake.lock:
            video = self.fake.videos.get(query.get("id", ""))
            if video is None or video["deleted"]:
                return self.send_json(404, google_error(404, "videoNotFound", "The video that you "
                                                        "are trying to delete cannot be found."))
            video["deleted"] = True
        return self.send_empty(204)


def _public(video: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in video.items() if k not in ("size", "deleted")}


_COSTS = {("GET", "/youtube/v3/commentThreads"): 1, ("GET", "/youtube/v3/comments"): 1,
          ("POST", "/youtube/v3/commentThreads"): 50, ("POST", "/youtube/v3/comments"): 50}


def _comment(comment: dict[str, Any]) -> dict[str, Any]:
    snippet = {"textOriginal": comment["text"], "textDisplay": comment["text"],
               "authorDisplayName": comment["author"],
               "authorChannelId": {"value": comment["author_channel"]},
               "videoId": comment["video_id"], "publishedAt": comment["published"],
               "updatedAt": comment["published"]}
    if comment.get("parent"):
        snippet["parentId"] = comment["parent"]
    return {"kind": "youtube#comment", "id": comment["id"], "snippet": snippet}


def _thread(comment: dict[str, Any],
            replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    thread: dict[str, Any] = {
        "kind": "youtube#commentThread", "id": comment["id"],
        "snippet": {"videoId": comment["video_id"], "topLevelComment": _comment(comment),
                    "totalReplyCount": len(replies or [])}}
    if replies:
        thread["replies"] = {"comments": [_comment(r) for r in replies[:5]]}
    return thread


def start_fake() -> FakeYouTube:
    """Start a fake YouTube on a free loopback port."""
    return FakeYouTube()
