"""The X fake's API endpoints, mixed into ``FakeX`` (tests/fakes/x.py).

Tweets: ``/2/users/me``, ``POST /2/tweets`` (weighted length by twitter-text,
reply chains, media ids, 403 on duplicate content), lookup with
``public_metrics`` (a deleted post is a 200 with only ``errors``), delete and
the user timeline (text with t.co links and HTML entities, as X renders it).
Media: ``/2/media/upload`` (simple, and INIT/APPEND/FINALIZE/STATUS with
processing) and ``/2/media/metadata`` (alt text). Errors are RFC 7807 problem
bodies (``problem``). ``FakeX`` holds the state these read and write, and routes
requests to them.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from twitter_text import parse_tweet

from tests.fakes.plumbing import Reply, Request

if TYPE_CHECKING:
    from tests.fakes.x import Grant, XUser

_URL_RE = re.compile(r"https?://[^\s<>\"']+")


def problem(status: int, title: str, detail: str, kind: str = "about:blank",
            **extra: Any) -> dict[str, Any]:
    """An RFC 7807 problem body as X sends it."""
    return {"title": title, "detail": detail, "type": kind, "status": status, **extra}


def _status_problem(status: int) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    return problem(status, phrase, phrase)


class XEndpoints:
    """The tweet and media endpoints; each takes the request and the caller's grant."""

    metrics_field: str
    processing_polls: int
    users: dict[str, XUser]
    tweets: dict[str, dict[str, Any]]
    media: dict[str, dict[str, Any]]
    failures: list[tuple[int, bool]]
    next_id: Callable[..., str]

    def _me(self, request: Request, grant: Grant) -> Reply:
        user = self.users[grant.user_id]
        data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
        if "public_metrics" in request.query.get("user.fields", ""):
            data["public_metrics"] = {"followers_count": user.followers,
                                      "following_count": user.following,
                                      "tweet_count": user.tweets, "listed_count": 2,
                                      "like_count": 80}
        return Reply(200, {"data": data})

    def _failure(self) -> tuple[int, bool] | None:
        return self.failures.pop(0) if self.failures else None

    def _create(self, request: Request, grant: Grant) -> Reply:
        if "tweet.write" not in grant.scopes:
            return Reply(403, problem(403, "Forbidden", "You are not permitted to perform this "
                                      "action.", "https://api.x.com/2/problems/client-forbidden"))
        failure = self._failure()
        if failure and not failure[1]:
            return Reply(failure[0], _status_problem(failure[0]))
        body = request.params
        text = str(body.get("text") or "")
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
        parsed = parse_tweet(text)
        if (not text and not media_ids) or (text and not parsed.valid):
            return Reply(400, {"errors": [{"parameters": {"text": [text[:20]]},
                                           "message": "Your Tweet text is too long."}],
                               "title": "Invalid Request", "detail": "One or more parameters to "
                               "your request was invalid.",
                               "type": "https://api.x.com/2/problems/invalid-request"})
        for tweet in self.tweets.values():
            if (tweet["author"] == grant.user_id and tweet["text"] == text
                    and not tweet["deleted"]):
                return Reply(403, problem(403, "Forbidden", "You are not allowed to create a "
                                          "Tweet with duplicate content."))
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["state"] != "succeeded":
                return Reply(400, problem(400, "Invalid Request", f"Your media IDs are invalid: "
                                          f"{media_id}", "https://api.x.com/2/problems/"
                                          "invalid-request"))
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and reply_to not in self.tweets:
            return Reply(400, problem(400, "Invalid Request", "The replied-to tweet does not "
                                      "exist", "https://api.x.com/2/problems/invalid-request"))
        now = datetime.now(UTC)
        tweet_id = self.next_id(now)
        self.tweets[tweet_id] = {
            "id": tweet_id, "text": text, "author": grant.user_id, "reply_to": reply_to,
            "media_ids": media_ids, "deleted": False, "created": now,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "metrics": {"like_count": 3, "reply_count": 1, self.metrics_field: 2,
                        "quote_count": 0, "bookmark_count": 1, "impression_count": 40},
            "private": {"impression_count": 40, "url_link_clicks": 5,
                        "user_profile_clicks": 2}}
        if failure:
            return Reply(failure[0], _status_problem(failure[0]))
        return Reply(201, {"data": {"id": tweet_id, "text": text,
                                    "edit_history_tweet_ids": [tweet_id]}})

    def render(self, tweet: dict[str, Any]) -> dict[str, Any]:
        """A post as the API returns it: t.co links (with entities), HTML entities, media link."""
        urls: list[dict[str, Any]] = []

        def shorten(match: re.Match[str]) -> str:
            short = f"https://t.co/{secrets.token_hex(5)}"
            urls.append({"url": short, "expanded_url": match.group(0),
                         "display_url": match.group(0).split("://", 1)[1][:25]})
            return short

        text = _URL_RE.sub(shorten, tweet["text"])
        if tweet["media_ids"]:
            short = f"https://t.co/{secrets.token_hex(5)}"
            text += f" {short}"
            urls.append({"url": short, "expanded_url": f"https://x.com/i/{tweet['id']}/photo/1",
                         "display_url": "pic.x.com/abc", "media_key": f"3_{tweet['media_ids'][0]}"})
        data: dict[str, Any] = {"id": tweet["id"], "text": html.escape(text, quote=False),
                                "created_at": tweet["created_at"], "entities": {"urls": urls},
                                "edit_history_tweet_ids": [tweet["id"]]}
        if tweet["reply_to"]:
            data["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
        return data

    def _lookup(self, request: Request, grant: Grant, tweet_id: str) -> Reply:
        tweet = self.tweets.get(tweet_id)
        if tweet is None or tweet["deleted"]:
            return Reply(200, {"errors": [{
                "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tweet_id, "type": "https://api.x.com/2/problems/resource-not-found"}]})
        data = self.render(tweet)
        fields = request.query.get("tweet.fields", "").split(",")
        private = [f for f in ("non_public_metrics", "organic_metrics") if f in fields]
        if private:
            # Only the author's user context, and only for 30 days after posting.
            if tweet["author"] != grant.user_id:
                return Reply(403, problem(403, "Forbidden", "Sorry, you are not authorized "
                                          "to access non_public_metrics on this Tweet."))
            if datetime.now(UTC) - tweet["created"] > timedelta(days=30):
                return Reply(400, problem(400, "Invalid Request", "Sorry, you are not "
                                          "allowed to access non_public_metrics for Tweets "
                                          "created more than 30 days ago.",
                                          "https://api.x.com/2/problems/invalid-request"))
        if "public_metrics" in fields:
            data["public_metrics"] = dict(tweet["metrics"])
        if "non_public_metrics" in private:
            data["non_public_metrics"] = dict(tweet["private"])
        if "organic_metrics" in private:
            data["organic_metrics"] = {
                **{k: tweet["metrics"].get(k, 0) for k in ("like_count", "reply_count")},
                "retweet_count": tweet["metrics"].get(self.metrics_field, 0),
                **tweet["private"]}
        return Reply(200, {"data": data})

    def _delete(self, request: Request, grant: Grant, tweet_id: str) -> Reply:
        tweet = self.tweets.get(tweet_id)
        if tweet is None or tweet["deleted"] or tweet["author"] != grant.user_id:
            return Reply(404, problem(404, "Not Found Error", "Not found",
                                      "https://api.x.com/2/problems/resource-not-found"))
        tweet["deleted"] = True
        return Reply(200, {"data": {"deleted": True}})

    def _timeline(self, request: Request, grant: Grant, user_id: str) -> Reply:
        limit = int(request.query.get("max_results") or 10)
        start = request.query.get("start_time")
        tweets = [self.render(t) for t in reversed(list(self.tweets.values()))
                  if t["author"] == user_id and not t["deleted"]
                  and (start is None or t["created_at"][:19] >= start[:19])]
        body: dict[str, Any] = {"meta": {"result_count": min(len(tweets), limit)}}
        if tweets:
            body["data"] = tweets[:limit]
        return Reply(200, body)

    def _upload(self, request: Request, grant: Grant) -> Reply:
        if "media.write" not in grant.scopes:
            return Reply(403, problem(403, "Forbidden", "You are not permitted to perform this "
                                      "action.", "https://api.x.com/2/problems/client-forbidden"))
        params, command = request.params, request.params.get("command")
        if command is None:  # simple upload: images only
            upload = request.files.get("media")
            if upload is None:
                return Reply(400, problem(400, "Invalid Request", "media is required"))
            if len(upload["bytes"]) > 5_000_000:
                return Reply(400, problem(400, "Invalid Request", "File size exceeds 5242880 "
                                          "bytes.", "https://api.x.com/2/problems/"
                                          "invalid-request"))
            media_id = self.next_id()
            self.media[media_id] = {"state": "succeeded", "bytes": upload["bytes"],
                                    "category": params.get("media_category"), "alt": None}
            return Reply(200, {"data": {"id": media_id, "media_key": f"3_{media_id}",
                                        "size": len(upload["bytes"]),
                                        "expires_after_secs": 86400}})
        if command == "INIT":
            media_id = self.next_id()
            self.media[media_id] = {"state": "init", "bytes": b"", "segments": {},
                                    "total": int(params["total_bytes"]), "alt": None,
                                    "category": params.get("media_category"),
                                    "type": params.get("media_type"), "polls": 0}
            return Reply(200, {"data": {"id": media_id, "media_key": f"7_{media_id}",
                                        "expires_after_secs": 86400}})
        media = self.media.get(str(params.get("media_id")))
        if media is None:
            return Reply(400, problem(400, "Invalid Request", "Invalid media_id"))
        if command == "APPEND":
            media["segments"][int(params["segment_index"])] = request.files["media"]["bytes"]
            return Reply(204)
        if command == "FINALIZE":
            data = b"".join(media["segments"][i] for i in sorted(media["segments"]))
            if len(data) != media["total"]:
                return Reply(400, problem(400, "Invalid Request", "Segments do not add up to "
                                          "provided total file size."))
            media["bytes"], media["polls"] = data, self.processing_polls
            media["state"] = "pending" if self.processing_polls else "succeeded"
            info = ({"processing_info": {"state": "pending", "check_after_secs": 1}}
                    if self.processing_polls else {})
            return Reply(200, {"data": {"id": params["media_id"], "size": len(data),
                                        "expires_after_secs": 86400, **info}})
        return Reply(400, problem(400, "Invalid Request", f"unknown command {command}"))

    def _status(self, request: Request, grant: Grant) -> Reply:
        media = self.media.get(request.query.get("media_id", ""))
        if media is None or request.query.get("command") != "STATUS":
            return Reply(400, problem(400, "Invalid Request", "Invalid media_id"))
        if media["state"] == "pending":
            media["polls"] -= 1
            state = "in_progress" if media["polls"] > 0 else "succeeded"
            media["state"] = "succeeded" if state == "succeeded" else "pending"
        info = {"state": "succeeded" if media["state"] == "succeeded" else "in_progress",
                "check_after_secs": 1, "progress_percent": 100}
        return Reply(200, {"data": {"id": request.query["media_id"], "processing_info": info}})

    def _metadata(self, request: Request, grant: Grant) -> Reply:
        body = request.params
        media = self.media.get(str(body.get("id")))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if media is None or not alt or len(alt) > 1000:
            return Reply(400, problem(400, "Invalid Request", "Invalid media metadata"))
        media["alt"] = alt
        return Reply(200, {"data": {"id": body["id"], "associated_metadata": True}})

    def _mentions(self, request: Request, grant: Grant, user_id: str) -> Reply:
        """``GET /2/users/:id/mentions``: posts by others that @mention the user (a reply
        mentions the author it answers), newest first; ``since_id`` (exclusive),
        ``max_results`` 5-100, ``pagination_token`` from ``meta.next_token``;
        ``expansions=author_id`` adds ``includes.users``."""
        query = request.query
        try:
            limit = int(query.get("max_results") or 10)
        except ValueError:
            limit = 0
        if not 5 <= limit <= 100:
            return Reply(400, problem(400, "Invalid Request", "The `max_results` query "
                                      "parameter value is not between 5 and 100",
                                      "https://api.x.com/2/problems/invalid-request"))
        user = self.users[user_id]
        since = int(query.get("since_id") or 0)

        def mentions(tweet: dict[str, Any]) -> bool:
            parent = self.tweets.get(tweet["reply_to"] or "")
            return (f"@{user.username}".lower() in tweet["text"].lower()
                    or (parent is not None and parent["author"] == user_id))

        found = [t for t in reversed(list(self.tweets.values()))
                 if t["author"] != user_id and not t["deleted"] and int(t["id"]) > since
                 and mentions(t)]
        start = int(query.get("pagination_token") or 0)
        page = found[start:start + limit]
        fields = query.get("tweet.fields", "")
        data = []
        for tweet in page:
            rendered = self.render(tweet)
            if "author_id" in fields:
                rendered["author_id"] = tweet["author"]
            if "conversation_id" in fields:
                root = tweet
                while root["reply_to"] and root["reply_to"] in self.tweets:
                    root = self.tweets[root["reply_to"]]
                rendered["conversation_id"] = root["id"]
            data.append(rendered)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if start + limit < len(found):
            meta["next_token"] = str(start + limit)
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
            if "author_id" in query.get("expansions", ""):
                authors = {t["author"] for t in page}
                body["includes"] = {"users": [
                    {"id": u, "username": self.users[u].username, "name": self.users[u].name}
                    for u in sorted(authors)]}
        return Reply(200, body)
