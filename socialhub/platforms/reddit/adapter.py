"""The Reddit adapter: subreddit submissions (self and link), follow-up comments, flair.

Facts it relies on (PLATFORMS.md §1b, §2.8): the API lives on
``oauth.reddit.com`` and OAuth on ``www.reddit.com``; every request needs a
unique ``User-Agent: <platform>:<app id>:<version> (by /u/<user>)`` (default
agents are throttled hard); access tokens last an hour and a ``permanent``
refresh token lasts until revoked (HTTP Basic client auth). Throttling and
validation come back as **HTTP 200** with ``json.errors`` triples
``[code, message, field]``, so every write parses the body, not just the status.

A Reddit "thread" is the submission plus follow-up comments: part 2 comments
on the submission (``/api/comment`` with ``thing_id=t3_…``) and each later part
replies to the comment before it, so the chain reads in order whatever the
comment sort; the first comment is a top-level comment on the submission.
Remote ids are fullnames (``t3_…`` submissions, ``t1_…`` comments) because
``/api/info`` and ``/api/del`` take fullnames.

Where to post: ``request.options["subreddit"]``, else the account setting
``subreddit`` (``r/`` prefix optional). The title is ``options["title"]``, else
the first line of the first part (the rest of the part is the body). A link
post takes its URL from ``options["url"]`` or the first media item's URL;
Reddit's own media upload flow is not used (local files are refused).

Reddit has no idempotency key: an unconfirmed send is looked up among the
user's recent submissions (``/user/{name}/submitted``) and comments.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from socialhub import __version__
from socialhub.platforms.base import (
    AccountInfo,
    AppCredentials,
    Capabilities,
    ConnectedProfile,
    InboxPage,
    Metrics,
    OAuthSpec,
    PartCallback,
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    PublishResult,
    Tokens,
    TokensCallback,
    reply_target,
)
from socialhub.platforms.errors import (
    AuthRevokedError,
    InvalidContentError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.http import make_client, raise_for_response, send
from socialhub.platforms.reddit.spec import SPEC
from socialhub.platforms.timestamps import parse_timestamp

API_URL = "https://oauth.reddit.com"
WWW_URL = "https://www.reddit.com"
# privatemessages: the inbox (/message/inbox); accounts connected without it still publish.
SCOPES = ("identity", "submit", "read", "edit", "history", "privatemessages")
COMMENT_LIMIT = 10_000
_SCAN_LIMIT = 100  # listing items per page, Reddit's maximum
# Which scope each endpoint needs, so a 403 insufficient_scope names the missing one.
_SCOPE_FOR = {"/api/submit": "submit", "/api/comment": "submit", "/api/del": "edit",
              "/api/info": "read", "/api/v1/me": "identity", "/user/": "history",
              "/message/": "privatemessages"}
_WAIT_RE = re.compile(r"(\d+)\s*(second|minute|hour)", re.IGNORECASE)


def user_agent(app: AppCredentials, username: str | None) -> str:
    """Reddit's required ``<platform>:<app id>:<version> (by /u/<user>)`` User-Agent."""
    app_id = f"socialhub.{app.client_id}" if app.client_id else "socialhub"
    agent = f"python:{app_id}:v{__version__}"
    return f"{agent} (by /u/{username})" if username else agent


def subreddit_name(value: Any) -> str | None:
    """``r/python``, ``/r/python/`` or ``python`` → ``python`` (None when empty)."""
    if not value:
        return None
    name = str(value).strip().strip("/")
    name = name[2:] if name.lower().startswith("r/") else name
    return name or None


def wait_from_message(message: str, now: datetime | None = None) -> datetime | None:
    """When a ``RATELIMIT`` message ("try again in 7 minutes.") lets us try again."""
    match = _WAIT_RE.search(message)
    if match is None:
        return None
    unit = match.group(2).lower()
    seconds = int(match.group(1)) * {"second": 1, "minute": 60, "hour": 3600}[unit]
    return (now or datetime.now(UTC)) + timedelta(seconds=seconds)


def tokens_from_response(data: dict[str, Any], *, keep_refresh: str | None = None) -> Tokens:
    """Tokens from a Reddit token-endpoint answer (the refresh token is kept when absent)."""
    expires_in = data.get("expires_in")
    scope = str(data.get("scope") or "")
    return Tokens(access_token=str(data["access_token"]),
                  refresh_token=data.get("refresh_token") or keep_refresh,
                  expires_at=(datetime.now(UTC) + timedelta(seconds=float(expires_in))
                              if expires_in else None),
                  scopes=[s for s in re.split(r"[\s,]+", scope) if s])


def _token_error(response: httpx.Response) -> None:
    """Reddit answers a bad code or refresh token with 200 ``{"error": "invalid_grant"}``."""
    if response.status_code in (400, 401, 403):
        raise AuthRevokedError(f"reddit: the token endpoint refused the grant "
                               f"(HTTP {response.status_code})",
                               status=response.status_code, hint="reconnect the account")
    raise_for_response(response, platform="reddit")
    body = response.json()
    if not isinstance(body, dict) or "access_token" not in body:
        code = body.get("error") if isinstance(body, dict) else None
        raise AuthRevokedError(f"reddit: the token endpoint refused the grant ({code})",
                               code=str(code), hint="reconnect the account")


class RedditAdapter(PlatformAdapter):
    """Publishes submissions to a subreddit as one Reddit user."""

    name: ClassVar[str] = "reddit"
    capabilities: ClassVar[Capabilities] = Capabilities(
        threads=True, media=True, alt_text=False, first_comment=True, delete=True,
        metrics=True, refresh=True, idempotency=False, lookup=True, text_only=True)

    def __init__(self, account: AccountInfo, tokens: Tokens, *,
                 on_tokens: TokensCallback | None = None, timeout_s: float = 30.0,
                 app: AppCredentials | None = None) -> None:
        super().__init__(account, tokens, on_tokens=on_tokens, timeout_s=timeout_s, app=app)
        base = account.base_url.rstrip("/") if account.base_url else None
        self._api_url = base or API_URL
        self._www_url = base or WWW_URL
        self.username = account.handle.strip().removeprefix("/").removeprefix("u/")
        self._client = make_client(self._api_url, timeout_s=timeout_s, headers={
            "User-Agent": user_agent(self.app, self.username)})

    # -- OAuth ----------------------------------------------------------------
    @classmethod
    def oauth_spec(cls, base_url: str | None = None) -> OAuthSpec:
        """Reddit's code flow: ``duration=permanent`` for a refresh token, Basic client auth,
        and the unique User-Agent on the token request too (Reddit throttles generic ones;
        ``{client_id}`` is filled in by the OAuth helper)."""
        www = base_url.rstrip("/") if base_url else WWW_URL
        return OAuthSpec(authorize_url=f"{www}/api/v1/authorize",
                         token_url=f"{www}/api/v1/access_token", scopes=SCOPES,
                         pkce=False, client_auth="basic",
                         extra_authorize_params={"duration": "permanent"},
                         token_headers={"User-Agent": user_agent(
                             AppCredentials(client_id="{client_id}"), None)})

    @classmethod
    def finish_connect(cls, token_response: dict[str, Any], *, app: AppCredentials,
                       base_url: str | None = None, timeout_s: float = 30.0
                       ) -> tuple[ConnectedProfile, Tokens]:
        """Read who logged in from ``/api/v1/me``; the handle is the Reddit username."""
        tokens = tokens_from_response(token_response)
        api = base_url.rstrip("/") if base_url else API_URL
        with make_client(api, timeout_s=timeout_s,
                         headers={"User-Agent": user_agent(app, None)}) as client:
            response = send(client, "GET", "/api/v1/me", platform=cls.name,
                            headers={"Authorization": f"Bearer {tokens.access_token}"})
            raise_for_response(response, platform=cls.name)
            me = response.json()
        external = str(me.get("id") or "") or None
        profile = ConnectedProfile(handle=str(me["name"]),
                                   external_id=f"t2_{external}" if external else None,
                                   display_name=str(me["name"]), base_url=base_url)
        return profile, tokens

    def refresh(self) -> Tokens:
        """Get a new hour-long access token; the permanent refresh token stays the same.

        Raises:
            AuthRevokedError: no refresh token, or Reddit refused it (revoked):
                a person must reconnect.
            RetryLaterError: Reddit could not be reached or answered 5xx.
        """
        if not self.tokens.refresh_token:
            raise AuthRevokedError("reddit: no refresh token stored",
                                   hint="reconnect the account (socialhub accounts connect "
                                        "reddit)")
        auth = (self.app.client_id or "", self.app.client_secret or "")
        try:
            response = send(self._client, "POST", f"{self._www_url}/api/v1/access_token",
                            platform=self.name, auth=auth,
                            data={"grant_type": "refresh_token",
                                  "refresh_token": self.tokens.refresh_token})
        except OutcomeUnknownError as exc:
            raise RetryLaterError(exc.message) from None  # the old refresh token still works
        _token_error(response)
        tokens = tokens_from_response(response.json(), keep_refresh=self.tokens.refresh_token)
        if self.on_tokens is not None:
            self.on_tokens(tokens)
        self.tokens = tokens
        return tokens

    # -- helpers ----------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token or ''}"}
        response = send(self._client, method, path, platform=self.name, headers=headers, **kw)
        challenge = response.headers.get("www-authenticate", "")
        if response.status_code == 403 and "insufficient_scope" in challenge:
            scope = next((s for p, s in _SCOPE_FOR.items() if path.startswith(p)), "?")
            raise AuthRevokedError(f"reddit: the token lacks the {scope!r} scope needed for "
                                   f"{path.split('?')[0]}", status=403,
                                   code="insufficient_scope",
                                   hint="reconnect the account to grant it")
        raise_for_response(response, platform=self.name)
        return response

    def _write(self, path: str, data: dict[str, Any], subreddit: str | None) -> dict[str, Any]:
        """POST a form with ``api_type=json`` and raise on any ``json.errors`` in the 200."""
        response = self._call("POST", path, data={**data, "api_type": "json"})
        body = response.json().get("json") or {}
        errors = body.get("errors") or []
        if errors:
            raise _json_error(errors, subreddit)
        return dict(body.get("data") or {})

    def subreddit(self, request: PublishRequest) -> str | None:
        """Where ``request`` goes: ``options["subreddit"]``, else the account's setting."""
        return subreddit_name(request.options.get("subreddit")
                              or self.account.settings.get("subreddit"))

    @staticmethod
    def title_and_body(request: PublishRequest) -> tuple[str, str]:
        """The submission title and body: ``options["title"]``, else the first line."""
        text = request.parts[0] if request.parts else ""
        if request.options.get("title"):
            return str(request.options["title"]).strip(), text.strip()
        first, _, rest = text.strip().partition("\n")
        return first.strip(), rest.strip()

    @staticmethod
    def link_url(request: PublishRequest) -> str | None:
        """The link of a link post: ``options["url"]`` or the first media item's URL."""
        if request.options.get("url"):
            return str(request.options["url"])
        return next((m.url for m in request.media if m.url), None)

    def _comment_texts(self, request: PublishRequest) -> list[str]:
        return list(request.parts[1:]) + ([request.first_comment] if request.first_comment
                                          else [])

    def _absolute(self, permalink: str | None) -> str | None:
        if not permalink:
            return None
        return permalink if permalink.startswith("http") else f"{self._www_url}{permalink}"

    # -- the interface ----------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        """Subreddit set, title 1–300, body ≤40,000, comments ≤10,000, link-only media."""
        from socialhub.core.text import REDDIT_TITLE_LIMIT, measure

        problems: list[str] = []
        if not request.parts:
            return ["nothing to publish: no parts"]
        if reply_target(request) is not None:  # a comment (or message) answering an item
            if len(request.parts) != 1:
                problems.append("a reddit reply is one comment: send one part")
            result = measure(request.parts[0], SPEC.text_rules, limit=COMMENT_LIMIT)
            return problems + [f"reply: {p}" for p in result.problems]
        if self.subreddit(request) is None:
            problems.append("reddit needs a subreddit: set the account setting 'subreddit' "
                            "or the post option subreddit=NAME")
        title, body = self.title_and_body(request)
        if not title:
            problems.append("reddit needs a title: set the option title=… or start the post "
                            "with a line of text")
        elif len(title) > REDDIT_TITLE_LIMIT:
            problems.append(f"title: {len(title)} characters, over the {REDDIT_TITLE_LIMIT} "
                            "limit: shorten the first line or set title=…")
        if body:
            problems.extend(f"body: {p}" for p in measure(body, SPEC.text_rules).problems)
        url = self.link_url(request)
        if url and body:
            problems.append("a reddit link post has no body text: move the text after the "
                            "title into a thread part or a first comment")
        for item in request.media:
            if item.url is None:
                problems.append(f"{item.path}: reddit media must be a URL (posted as a link "
                                "post); uploading files to reddit is not supported")
        if len([m for m in request.media if m.url]) > 1:
            problems.append("a reddit link post takes one URL: keep one media URL")
        for index, text in enumerate(self._comment_texts(request), start=1):
            what = "first comment" if index >= len(request.parts) else f"part {index + 1}"
            result = measure(text, SPEC.text_rules, limit=COMMENT_LIMIT)
            problems.extend(f"{what} (a comment): {p}" for p in result.problems)
        return problems

    def publish(self, request: PublishRequest, on_part: PartCallback) -> PublishResult:
        """Submit the post, then later parts as a comment chain and the first comment.

        A reply (``options["reply_to"]``) is one ``/api/comment`` with ``thing_id`` the
        item answered: a comment (``t1_``), a post (``t3_``) or a message (``t4_``).
        """
        target = reply_target(request)
        if target is not None:
            if request.already_published:
                return PublishResult(parts=list(request.already_published[:1]))
            problems = self.validate(request)
            if problems:
                raise InvalidContentError("reddit: " + "; ".join(problems))
            data = self._write("/api/comment", {"thing_id": target.remote_id,
                                                "text": request.parts[0]},
                               target.extra.get("subreddit"))
            thing = ((data.get("things") or [{}])[0].get("data")) or {}
            part = PublishedPart(index=0, remote_id=str(thing.get("name")),
                                 url=self._absolute(thing.get("permalink")))
            on_part(part)
            return PublishResult(parts=[part])
        done = {p.index: p for p in request.already_published}
        subreddit = self.subreddit(request)
        published: list[PublishedPart] = []
        if 0 in done:
            submission = done[0]
        else:
            if subreddit is None:
                raise InvalidContentError("reddit: no subreddit: set the account setting "
                                          "'subreddit' or the post option subreddit=NAME")
            submission = self._submit(request, subreddit)
            on_part(submission)
        published.append(submission)
        previous = submission
        for offset, text in enumerate(self._comment_texts(request), start=1):
            if offset in done:
                previous = done[offset]
                published.append(previous)
                continue
            is_first_comment = offset >= len(request.parts)
            parent = submission if is_first_comment else previous
            data = self._write("/api/comment", {"thing_id": parent.remote_id,
                                                "text": text}, subreddit)
            things = data.get("things") or [{}]
            comment = things[0].get("data") or {}
            part = PublishedPart(index=offset, remote_id=str(comment.get("name")),
                                 url=self._absolute(comment.get("permalink")),
                                 extra={"first_comment": True} if is_first_comment else {})
            on_part(part)
            published.append(part)
            previous = part
        return PublishResult(parts=published)

    def _submit(self, request: PublishRequest, subreddit: str) -> PublishedPart:
        title, body = self.title_and_body(request)
        form: dict[str, Any] = {"sr": subreddit, "title": title}
        url = self.link_url(request)
        if url:
            form.update(kind="link", url=url)
            if request.options.get("resubmit"):
                form["resubmit"] = "true"
        else:
            form.update(kind="self", text=body)
        for option in ("flair_id", "flair_text"):
            if request.options.get(option):
                form[option] = str(request.options[option])
        for flag in ("nsfw", "spoiler"):
            if request.options.get(flag):
                form[flag] = "true"
        data = self._write("/api/submit", form, subreddit)
        return PublishedPart(index=0, remote_id=str(data["name"]), url=data.get("url"),
                             extra={"subreddit": subreddit})

    def find_by_idempotency_key(self, request: PublishRequest) -> list[PublishedPart] | None:
        """Find an unconfirmed send among the user's recent submissions and comments.

        The submission matches on subreddit, title, and body (or link URL);
        later parts match the user's comments with the same text and parent
        (the previous part; the submission for the first comment). Set
        ``options["not_before"]`` so an older post with the same text (a
        recurring post) is never mistaken for this one.

        A reply is looked up among the user's comments (or sent messages, for a
        ``t4_``) by its parent and text.
        """
        target = reply_target(request)
        if target is not None:
            where = ("/message/sent" if target.remote_id.startswith("t4_")
                     else f"/user/{self.username}/comments")
            hit = next((c for c in self._listing(where)
                        if c.get("parent_id") == target.remote_id
                        and _same(c.get("body"), request.parts[0])), None)
            if hit is None:
                return None
            return [PublishedPart(index=0, remote_id=str(hit["name"]),
                                  url=self._absolute(hit.get("permalink")))]
        subreddit = (self.subreddit(request) or "").lower()
        title, body = self.title_and_body(request)
        url = self.link_url(request)
        not_before = parse_timestamp(request.options.get("not_before"))
        listing = self._listing(f"/user/{self.username}/submitted")
        match = next((s for s in listing  # newest first: an older twin is a past post
                      if str(s.get("subreddit", "")).lower() == subreddit
                      and _same(s.get("title"), title)
                      and (_same(s.get("url"), url) if url else _same(s.get("selftext"), body))
                      and _not_older(s.get("created_utc"), not_before)), None)
        if match is None:
            return None
        found = [PublishedPart(index=0, remote_id=str(match["name"]),
                               url=self._absolute(match.get("permalink")),
                               extra={"subreddit": match.get("subreddit")})]
        texts = self._comment_texts(request)
        if texts:
            comments = [c for c in self._listing(f"/user/{self.username}/comments")
                        if c.get("link_id") == match["name"]]
            comments.sort(key=lambda c: float(c.get("created_utc") or 0))
            for offset, text in enumerate(texts, start=1):
                is_first_comment = offset >= len(request.parts)
                parent = found[0] if is_first_comment else found[-1]
                hit = next((c for c in comments if _same(c.get("body"), text)
                            and c.get("parent_id") == parent.remote_id), None)
                if hit is None:
                    break
                found.append(PublishedPart(
                    index=offset, remote_id=str(hit["name"]),
                    url=self._absolute(hit.get("permalink")),
                    extra={"first_comment": True} if is_first_comment else {}))
        return found

    def fetch_inbox(self, cursor: dict[str, Any], *, limit: int = 100) -> InboxPage:
        """New replies, comments, mentions and messages from ``/message/inbox``
        (see ``reddit.inbox``); needs the ``privatemessages`` scope."""
        from socialhub.platforms.reddit.inbox import fetch_inbox

        return fetch_inbox(self, cursor, limit)

    def _listing(self, path: str) -> list[dict[str, Any]]:
        data = self._call("GET", path, params={"limit": _SCAN_LIMIT, "sort": "new",
                                               "raw_json": 1}).json()
        return [c.get("data") or {} for c in (data.get("data") or {}).get("children") or []]

    def delete(self, remote_id: str) -> None:
        """Delete a submission or comment by fullname (Reddit answers 200 even if gone)."""
        self._call("POST", "/api/del", data={"id": remote_id})

    def fetch_metrics(self, remote_ids: list[str]) -> dict[str, Metrics]:
        """Upvotes (likes), comment count (replies) and score from ``/api/info``.

        Reddit publishes no impressions. Deleted or removed things are left out.
        """
        result: dict[str, Metrics] = {}
        for start in range(0, len(remote_ids), _SCAN_LIMIT):
            batch = remote_ids[start:start + _SCAN_LIMIT]
            data = self._call("GET", "/api/info", params={"id": ",".join(batch),
                                                          "raw_json": 1}).json()
            for child in (data.get("data") or {}).get("children") or []:
                thing = child.get("data") or {}
                if thing.get("removed_by_category") or thing.get("author") == "[deleted]":
                    continue
                result[str(thing.get("name"))] = Metrics(
                    likes=thing.get("ups"), replies=thing.get("num_comments"),
                    raw={k: thing.get(k) for k in ("name", "score", "ups", "upvote_ratio",
                                                   "num_comments")})
        return result

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _json_error(errors: list[Any], subreddit: str | None) -> Exception:
    """Map the first ``[code, message, field]`` of a 200 body to an adapter error."""
    first = errors[0] if isinstance(errors[0], list | tuple) else [str(errors[0]), "", ""]
    code = str(first[0]) if first else "UNKNOWN"
    message = str(first[1]) if len(first) > 1 else ""
    where = f"r/{subreddit}" if subreddit else "the subreddit"
    if code == "RATELIMIT":
        return RateLimitedError(f"reddit: {message}", until=wait_from_message(message),
                                status=200, code=code)
    fixes = {
        "SUBREDDIT_NOTALLOWED": f"{where} does not let this account post: pick another "
                                "subreddit (option subreddit=…) or ask its moderators",
        "SUBREDDIT_NOEXIST": f"{where} does not exist: check the subreddit setting",
        "NO_LINKS": f"{where} takes only text posts: drop the URL (option url / media URL)",
        "NO_SELFS": f"{where} takes only link posts: add a URL (option url=… or a media URL)",
        "ALREADY_SUB": f"that link was already posted to {where}: set the option resubmit=true",
        "SUBMIT_VALIDATION_FLAIR_REQUIRED": f"{where} requires flair: set the option "
                                            "flair_id=…",
        "USER_REQUIRED": "the reddit login is no longer valid: reconnect the account",
    }
    text = f"reddit: {code}: {message}" + (f": {fixes[code]}" if code in fixes else "")
    if code == "USER_REQUIRED":
        return AuthRevokedError(text, status=200, code=code, hint="reconnect the account")
    return InvalidContentError(text, status=200, code=code)


def _same(a: Any, b: Any) -> bool:
    return " ".join(str(a or "").split()) == " ".join(str(b or "").split())


def _not_older(created_utc: Any, not_before: datetime | None) -> bool:
    if not_before is None or created_utc is None:
        return True
    return datetime.fromtimestamp(float(created_utc), tz=UTC) >= not_before.replace(
        microsecond=0) - timedelta(seconds=1)
