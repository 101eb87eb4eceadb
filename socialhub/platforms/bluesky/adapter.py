"""The Bluesky adapter: AT Protocol XRPC over plain httpx, against the account's PDS.

Facts it relies on (PLATFORMS.md §2.2): app-password sessions come from
``com.atproto.server.createSession``; ``refreshSession`` takes the refresh JWT
as bearer and returns a *rotated* refresh JWT (the old one keeps a 2 h grace);
an expired access token is HTTP 400 ``ExpiredToken``. Posts are
``app.bsky.feed.post`` records written with ``com.atproto.repo.createRecord``;
facets index UTF-8 bytes, a thread is a chain of replies whose ``root`` is the
first part and whose ``parent`` is the previous one.

Exactly once: each part is written under a record key computed from the
delivery's idempotency key and the part's index (``record_key``). A repeated
key is refused by the PDS (it answers 500, as a duplicate write), so after any
failed write we read the record back with ``getRecord``: if it holds the same
text, the part was already published and we carry on from it. The same
look-up is ``find_by_idempotency_key``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from socialhub.platforms.base import (
    AccountInfo,
    AccountMetrics,
    AppCredentials,
    Capabilities,
    InboxPage,
    MediaItem,
    Metrics,
    PartCallback,
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    PublishResult,
    Tokens,
    TokensCallback,
    reply_target,
)
from socialhub.platforms.bluesky.spec import SPEC
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import error_details, make_client, raise_for_response, send

DEFAULT_PDS = "https://bsky.social"
DEFAULT_WEB = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000  # lexicon app.bsky.embed.images#image maxSize
# On ordinary calls an access token that expired or that the PDS cannot
# verify may be fixed by a refresh; the engine refreshes once, then gives up.
_EXPIRED = ("ExpiredToken", "InvalidToken")
# These mean the account itself is gone or blocked: a person must act.
_REVOKED = ("AccountTakedown", "AccountDeactivated", "RepoTakendown", "RepoDeactivated",
            "AccountNotFound")
_NO_APPVIEW_STATUSES = frozenset({404, 501, 502, 503})
_GET_POSTS_BATCH = 25  # app.bsky.feed.getPosts maxLength of uris

# Record keys: TIDs are 13 characters of base32-sortable over a 63-bit number,
# 53 bits of microseconds since 1970 and 10 bits of clock id (atproto spec).
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z
_TID_SPAN_BITS = 49  # ~17.8 years after 2000: every derived key lies in the past


def record_key(idempotency_key: str, index: int) -> str:
    """The record key (a valid TID) of part ``index`` of the delivery ``idempotency_key``.

    The PDS only accepts TIDs as keys of ``app.bsky.feed.post`` records, so the
    key is TID-shaped: 59 bits of SHA-256 of ``"{key}:{index}"`` become a
    timestamp between 2000 and 2017 plus a 10-bit clock id. Always in the past,
    so nothing treats the post as "from the future"; the record's ``createdAt``
    carries the real time. Two different keys collide with odds of about 2⁻⁵⁹.
    """
    digest = hashlib.sha256(f"{idempotency_key}:{index}".encode()).digest()
    bits = int.from_bytes(digest[:8], "big")
    timestamp = _TID_EPOCH_US + (bits >> 10) % (1 << _TID_SPAN_BITS)
    value = (timestamp << 10) | (bits & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def jwt_expiry(token: str | None) -> datetime | None:
    """The ``exp`` claim of a JWT as an aware UTC datetime (None if absent or unreadable).

    The signature is not checked: the PDS checks it; we only plan refreshes.
    """
    if not token or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (ValueError, KeyError, TypeError):
        return None


def tokens_from_session(session: dict[str, Any]) -> Tokens:
    """Tokens from a createSession/refreshSession answer (did and handle go in ``extra``)."""
    return Tokens(access_token=session["accessJwt"], refresh_token=session["refreshJwt"],
                  expires_at=jwt_expiry(session["accessJwt"]),
                  refresh_expires_at=jwt_expiry(session["refreshJwt"]),
                  extra={"did": session["did"], "handle": session.get("handle")})


def connect(base_url: str, identifier: str, app_password: str, *,
            timeout_s: float = 30.0) -> tuple[str, Tokens]:
    """Log in with an app password; the account's DID and fresh session tokens.

    Raises:
        AuthRevokedError: the PDS refused the identifier or password.
        AdapterError: any other failure, from ``platforms.errors``.
    """
    with make_client(base_url.rstrip("/"), timeout_s=timeout_s) as client:
        response = send(client, "POST", "/xrpc/com.atproto.server.createSession",
                        platform="bluesky",
                        json={"identifier": identifier, "password": app_password})
        _raise_auth_refused(response, f"cannot log in as {identifier}",
                            hint="check the handle and the app password")
        raise_for_response(response, platform="bluesky")
    tokens = tokens_from_session(response.json())
    return str(tokens.extra["did"]), tokens


def _raise_auth_refused(response: httpx.Response, what: str, *, hint: str) -> None:
    # On createSession and refreshSession every refusal is final: a wrong
    # password, or a refresh token that expired, was revoked (400 ExpiredToken
    # "Token has been revoked") or belongs to a taken-down account, cannot be
    # fixed by trying again.
    if response.status_code in (400, 401, 403):
        code, reason = error_details(response)
        raise AuthRevokedError(f"bluesky: {what}: {code or response.status_code}: {reason}",
                               status=response.status_code, code=code, hint=hint)


class BlueskyAdapter(PlatformAdapter):
    """Publishes to one Bluesky account; ``account.base_url`` is its PDS (bsky.social if unset).

    ``account.external_id`` (or ``tokens.extra["did"]``) is the account's DID;
    ``account.settings["web_url"]`` overrides the web app used for post URLs.
    """

    name: ClassVar[str] = "bluesky"
    metrics_ids_per_request: ClassVar[int] = _GET_POSTS_BATCH
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=True, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=True, lookup=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        self._client = make_client((account.base_url or DEFAULT_PDS).rstrip("/"),
                                   timeout_s=timeout_s)
        did = account.external_id or tokens.extra.get("did")
        self._did: str | None = str(did) if did else None
        self._web = str(account.settings.get("web_url") or DEFAULT_WEB).rstrip("/")
        self._has_appview: bool | None = None

    # -- helpers ------------------------------------------------------------
    def _send(self, method: str, nsid: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        headers.update(kw.pop("headers", {}))
        return send(self._client, method, f"/xrpc/{nsid}", platform=self.name,
                    headers=headers, **kw)

    def _call(self, method: str, nsid: str, **kw: Any) -> httpx.Response:
        response = self._send(method, nsid, **kw)
        raise_for_response(response, platform=self.name, expired_codes=_EXPIRED,
                           revoked_codes=_REVOKED)
        return response

    @property
    def did(self) -> str:
        """The account's DID (asked of the PDS once when neither account nor tokens hold it)."""
        if self._did is None:
            self._did = str(self._call("GET", "com.atproto.server.getSession").json()["did"])
        return self._did

    def _part(self, index: int, uri: str, cid: str) -> PublishedPart:
        rkey = uri.rsplit("/", 1)[-1]
        return PublishedPart(index=index, remote_id=uri,
                             url=f"{self._web}/profile/{self.did}/post/{rkey}",
                             extra={"uri": uri, "cid": cid, "rkey": rkey})

    def _get_record(self, rkey: str) -> dict[str, Any] | None:
        response = self._send("GET", "com.atproto.repo.getRecord", params={
            "repo": self.did, "collection": POST_COLLECTION, "rkey": rkey})
        if response.status_code == 400 and error_details(response)[0] == "RecordNotFound":
            return None
        raise_for_response(response, platform=self.name, expired_codes=_EXPIRED,
                           revoked_codes=_REVOKED)
        record: dict[str, Any] = response.json()
        return record

    def _resolve_handle(self, handle: str, cache: dict[str, str | None]) -> str | None:
        if handle not in cache:
            # A public method: no token, so an expired one cannot pass for "no such handle".
            response = send(self._client, "GET", "/xrpc/com.atproto.identity.resolveHandle",
                            platform=self.name, params={"handle": handle})
            cache[handle] = None
            if response.status_code == 200:
                cache[handle] = response.json().get("did")
            elif response.status_code != 400:  # 400: no such handle; anything else is real
                raise_for_response(response, platform=self.name)
        return cache[handle]

    def _facets(self, text: str, cache: dict[str, str | None]) -> list[dict[str, Any]]:
        from socialhub.core.text import bluesky_facets

        facets: list[dict[str, Any]] = []
        for facet in bluesky_facets(text):
            feature = facet["features"][0]
            if "handle" in feature:
                did = self._resolve_handle(feature["handle"], cache)
                if did is None:
                    continue  # an unknown handle stays plain text, as in the Bluesky app
                facet = {**facet, "features": [{"$type": feature["$type"], "did": did}]}
            facets.append(facet)
        return facets

    def _upload(self, item: MediaItem) -> dict[str, Any]:
        assert item.path is not None  # checked by _media_problems
        mime = _mime(item)
        response = self._call("POST", "com.atproto.repo.uploadBlob",
                              content=item.path.read_bytes(), headers={"Content-Type": mime})
        image: dict[str, Any] = {"image": response.json()["blob"], "alt": item.alt_text}
        return image

    def _record(self, request: PublishRequest, index: int, text: str,
                thread: tuple[PublishedPart, PublishedPart] | None,
                cache: dict[str, str | None]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": now}
        facets = self._facets(text, cache)
        if facets:
            record["facets"] = facets
        langs = request.options.get("langs") or request.options.get("language")
        if langs:
            record["langs"] = [langs] if isinstance(langs, str) else list(langs)[:3]
        if thread is not None:
            root, parent = thread
            record["reply"] = {"root": _ref(root), "parent": _ref(parent)}
        if index == 0 and request.media:
            record["embed"] = {"$type": "app.bsky.embed.images",
                               "images": [self._upload(item) for item in request.media]}
        return record

    def _existing(self, index: int, rkey: str, text: str) -> PublishedPart | None:
        found = self._get_record(rkey)
        if found is None:
            return None
        if (found.get("value") or {}).get("text") != text:
            raise InvalidContentError(
                f"bluesky: record key {rkey} (part {index + 1}) already holds a different post",
                hint="the post was edited after it went out; delete it or use a new post")
        return self._part(index, found["uri"], found["cid"])

    def _create(self, request: PublishRequest, index: int, text: str,
                thread: tuple[PublishedPart, PublishedPart] | None,
                cache: dict[str, str | None]) -> PublishedPart:
        rkey = record_key(request.idempotency_key, index)
        if index == 0 and request.media:
            # Skip uploading the images again when the post already exists.
            existing = self._existing(index, rkey, text)
            if existing is not None:
                return existing
        record = self._record(request, index, text, thread, cache)
        try:
            response = self._call("POST", "com.atproto.repo.createRecord", json={
                "repo": self.did, "collection": POST_COLLECTION, "rkey": rkey,
                "record": record})
        except RateLimitedError:
            raise
        except (RetryLaterError, InvalidContentError, OutcomeUnknownError):
            # A repeated key is refused (500) and a timeout leaves us unsure:
            # the record itself says whether this part already went out.
            existing = self._existing(index, rkey, text)
            if existing is None:
                raise
            return existing
        data = response.json()
        return self._part(index, data["uri"], data["cid"])

    # -- the interface ------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """300 graphemes and 3000 UTF-8 bytes per part; ≤4 images, each ≤2 MB with alt text."""
        from socialhub.core.text import measure

        problems: list[str] = []
        if not request.parts:
            problems.append("nothing to publish: no parts")
        for index, text in enumerate(_texts(request)):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            if index == 0 and request.media and not text.strip():
                continue  # the images carry the post
            problems.extend(f"{what}: {p}" for p in measure(text, SPEC.text_rules).problems)
        return problems + _media_problems(request.media)

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Publish each part not yet published as a reply in one thread, then the first comment.

        Raises:
            InvalidContentError: the request breaks a rule (nothing is sent), or
                a record key already holds a different text.
            AdapterError: any other failure, from ``platforms.errors``.
        """
        problems = self.validate(request)
        if problems:
            raise InvalidContentError("bluesky: " + "; ".join(problems))
        done = {p.index: p for p in request.already_published}
        cache: dict[str, str | None] = {}
        published: list[PublishedPart] = []
        answered = _reply_refs(request)
        for index, text in enumerate(_texts(request)):
            part = done.get(index)
            if part is None:
                root = answered[0] if answered else (published[0] if published else None)
                parent = published[-1] if published else (answered[1] if answered else None)
                thread = (root, parent) if root is not None and parent is not None else None
                part = self._create(request, index, text, thread, cache)
                on_part(part)
            published.append(part)
        return PublishResult(parts=published)

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """Mentions, replies and quotes since ``cursor`` (see ``bluesky/inbox.py``)."""
        from socialhub.platforms.bluesky.inbox import fetch_inbox

        return fetch_inbox(self, cursor, limit)

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """The parts already written under this delivery's record keys, in order, up to a gap."""
        found: list[PublishedPart] = []
        for index in range(len(_texts(request))):
            record = self._get_record(record_key(request.idempotency_key, index))
            if record is None:
                break
            found.append(self._part(index, record["uri"], record["cid"]))
        return found or None

    def delete(self, remote_id: str) -> None:
        """Delete the post at the ``at://`` URI ``remote_id`` (an absent one counts as deleted)."""
        repo, collection, rkey = _split_uri(remote_id)
        self._call("POST", "com.atproto.repo.deleteRecord",
                   json={"repo": repo, "collection": collection, "rkey": rkey})

    def refresh(self) -> Tokens:
        """Rotate the session with ``refreshSession``; ``on_tokens`` gets it before anyone else.

        Raises:
            AuthRevokedError: the refresh token expired, was revoked, or the
                account was taken down: a person must log in again.
            RetryLaterError: the PDS could not be reached, or the answer was
                lost (the old refresh token stays valid for 2 h, so a retry is safe).
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("bluesky: no refresh token stored",
                                   hint="log in again with an app password")
        try:
            response = send(self._client, "POST", "/xrpc/com.atproto.server.refreshSession",
                            platform=self.name,
                            headers={"Authorization": f"Bearer {self.tokens.refresh_token}"})
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None
        _raise_auth_refused(response, "the session cannot be refreshed",
                            hint="log in again with an app password")
        raise_for_response(response, platform=self.name)
        tokens = tokens_from_session(response.json())
        if self.on_tokens is not None:
            self.on_tokens(tokens)  # store the rotated refresh JWT before it is ever used
        self.tokens = tokens
        self._did = str(tokens.extra["did"])
        return tokens

    def fetch_account_metrics(self) -> AccountMetrics:
        """Followers, follows and posts from the AppView (``app.bsky.actor.getProfile``).

        A PDS without an AppView behind it cannot count followers: the counts
        are then all None (``raw["source"] == "pds"``), never 0.
        """
        if self._has_appview is not False:
            response = self._send("GET", "app.bsky.actor.getProfile",
                                  params={"actor": self.did})
            if response.status_code not in _NO_APPVIEW_STATUSES:
                raise_for_response(response, platform=self.name, expired_codes=_EXPIRED,
                                   revoked_codes=_REVOKED)
                self._has_appview = True
                return _account_metrics(response.json())
            self._has_appview = False
        return AccountMetrics(raw={"did": self.did, "source": "pds"})

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Likes, reposts, replies, quotes from the AppView (``app.bsky.feed.getPosts``).

        Bluesky has no impressions. A PDS without an AppView behind it answers
        getPosts with 502/501; then each post that still exists gets Metrics
        whose counts are all None (``raw["source"] == "pds"``), and deleted ones
        are left out.
        """
        result: dict[str, Metrics] = {}
        for start in range(0, len(remote_ids), _GET_POSTS_BATCH):
            batch = remote_ids[start:start + _GET_POSTS_BATCH]
            if self._has_appview is not False:
                response = self._send("GET", "app.bsky.feed.getPosts", params={"uris": batch})
                if response.status_code not in _NO_APPVIEW_STATUSES:
                    raise_for_response(response, platform=self.name, expired_codes=_EXPIRED,
                                       revoked_codes=_REVOKED)
                    self._has_appview = True
                    for post in response.json().get("posts", []):
                        result[post["uri"]] = _metrics(post)
                    continue
                self._has_appview = False
            for uri in batch:
                repo, _, rkey = _split_uri(uri)
                record = self._get_record(rkey) if repo == self.did else None
                if record is not None:
                    result[uri] = Metrics(raw={"uri": uri, "cid": record.get("cid"),
                                               "source": "pds"})
        return result

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _texts(request: PublishRequest) -> list[str]:
    return list(request.parts) + ([request.first_comment] if request.first_comment else [])


def _reply_refs(request: PublishRequest) -> tuple[PublishedPart, PublishedPart] | None:
    """(root, parent) of the post a reply answers, as parts ``_ref`` reads; None otherwise.

    A reply's ``root`` is the thread's first post and its ``parent`` the post
    answered (app.bsky.feed.post#replyRef); a reply split into a thread keeps that
    root for every part.
    """
    target = reply_target(request)
    if target is None:
        return None
    cid = target.extra.get("cid")
    if not cid:
        raise InvalidContentError("bluesky: the post to reply to has no cid stored",
                                  hint="sync the inbox again, then reply")
    root_uri = target.root_id or target.remote_id
    root_cid = target.extra.get("root_cid") or cid
    return (PublishedPart(index=-1, remote_id=root_uri, extra={"uri": root_uri,
                                                               "cid": root_cid}),
            PublishedPart(index=-1, remote_id=target.remote_id,
                          extra={"uri": target.remote_id, "cid": cid}))


def _ref(part: PublishedPart) -> dict[str, str]:
    return {"uri": part.extra.get("uri") or part.remote_id, "cid": str(part.extra["cid"])}


def _split_uri(uri: str) -> tuple[str, str, str]:
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
        raise InvalidContentError(f"bluesky: {uri!r} is not an at:// record URI")
    return parts[0], parts[1], parts[2]


def _mime(item: MediaItem) -> str:
    name = item.path.name if item.path else (item.url or "")
    return item.mime or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _media_problems(media: list[MediaItem]) -> list[str]:
    problems: list[str] = []
    if len(media) > MAX_IMAGES:
        problems.append(f"{len(media)} images; Bluesky allows {MAX_IMAGES}")
    for item in media:
        name = str(item.path or item.url)
        if item.path is None:
            problems.append(f"{name}: images must be local files on Bluesky")
            continue
        if not item.alt_text or not item.alt_text.strip():
            problems.append(f"{name}: alt text is required")
        if not _mime(item).startswith("image/"):
            problems.append(f"{name}: only images are supported ({_mime(item)})")
        try:
            size = item.path.stat().st_size
        except OSError:
            problems.append(f"{name}: file not found")
            continue
        if size > MAX_IMAGE_BYTES:
            problems.append(f"{name}: {size} bytes, over Bluesky's {MAX_IMAGE_BYTES} byte limit")
    return problems


def _account_metrics(profile: dict[str, Any]) -> AccountMetrics:
    keys = ("followersCount", "followsCount", "postsCount")
    return AccountMetrics(followers=profile.get("followersCount"),
                          following=profile.get("followsCount"),
                          posts=profile.get("postsCount"),
                          raw={"did": profile.get("did"), **{k: profile.get(k) for k in keys}})


def _metrics(post: dict[str, Any]) -> Metrics:
    keys = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")
    return Metrics(likes=post.get("likeCount"), reposts=post.get("repostCount"),
                   replies=post.get("replyCount"), quotes=post.get("quoteCount"),
                   saves=post.get("bookmarkCount"),
                   raw={"uri": post.get("uri"), **{k: post.get(k) for k in keys}})
