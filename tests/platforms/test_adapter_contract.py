"""One scenario table for every platform adapter, run against each platform's fake.

Each ``tests/fakes/<platform>.py`` with a ``start_fake()`` (the ``FakePlatform``
protocol of ``tests/fakes/contract.py``) is picked up here: a missing fake is
simply not in ``FAKES`` yet, but a present fake that fails is a failure. The
real adapter (from the registry) talks to the fake over real HTTP. Scenarios
that depend on a capability run only where the adapter claims it.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from socialhub.platforms.base import (
    PlatformAdapter,
    PublishedPart,
    PublishRequest,
    Tokens,
)
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.registry import adapter_class, supported_platforms
from tests.fakes.contract import FakePlatform

PLATFORMS = ("sandbox", "mastodon", "x", "linkedin", "threads", "instagram", "facebook",
             "reddit", "pinterest", "youtube", "tiktok")


def _discover() -> list[Any]:
    params = []
    for name in PLATFORMS:
        module_name = f"tests.fakes.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the fake exists but is broken: that is a failure
            continue
        marks = [] if name in supported_platforms() else [
            pytest.mark.skip(reason=f"socialhub/platforms/{name}/ is not written yet")]
        params.append(pytest.param(module.start_fake, id=name, marks=marks))
    return params


FAKES = _discover()
_marker = itertools.count(1)


class Harness:
    """A fake, an adapter on one of its accounts, and what the adapter reported."""

    def __init__(self, fake: FakePlatform) -> None:
        self.fake = fake
        info, tokens, app = fake.account()
        self.cls = adapter_class(fake.platform)
        self.caps = self.cls.capabilities
        self.new_tokens: list[Tokens] = []
        self.parts: list[PublishedPart] = []
        self.adapter: PlatformAdapter = self.cls(info, tokens, on_tokens=self.new_tokens.append,
                                                 timeout_s=5.0, app=app)
        # The fakes finish processing at once; adapters' real poll pauses would only slow us.
        for pause in ("poll_s", "media_poll_s"):
            if isinstance(getattr(self.adapter, pause, None), int | float):
                setattr(self.adapter, pause, 0.01)
        # Platforms that refuse text-only posts get the fake's sample media every time.
        self.base_media = [] if self.caps.text_only else fake.sample_media()
        # A fake may ask for publish options (tests.fakes.contract.ContractOptions).
        options = getattr(fake, "contract_options", None)
        self.options: dict[str, Any] = dict(options()) if callable(options) else {}

    def request(self, *parts: str, **changes: Any) -> PublishRequest:
        key = f"contract-{next(_marker)}"
        changes.setdefault("media", self.base_media)
        changes["options"] = {**self.options, **changes.get("options", {})}
        return PublishRequest(idempotency_key=key, parts=list(parts), **changes)

    def publish(self, request: PublishRequest) -> Any:
        return self.adapter.publish(request, self.parts.append)

    def posts_with(self, marker: str) -> list[dict[str, Any]]:
        return [p for p in self.fake.posts() if marker in str(p.get("text") or "")]


@pytest.fixture(params=FAKES)
def h(request: pytest.FixtureRequest) -> Iterator[Harness]:
    start: Callable[[], FakePlatform] = request.param
    fake = start()
    harness = None
    try:
        harness = Harness(fake)
        yield harness
    finally:
        if harness is not None:
            harness.adapter.close()
        fake.stop()


def _text(label: str) -> str:
    return f"Contract {label} {next(_marker)} from socialhub"


def test_single_post_appears_once_with_its_remote_id(h: Harness) -> None:
    text = _text("single")
    result = h.publish(h.request(text))
    posts = h.posts_with(text)
    assert len(posts) == 1
    assert str(posts[0]["id"]) == result.remote_id
    assert [p.remote_id for p in h.parts] == [result.remote_id]


def test_thread_parts_each_reply_to_the_previous(h: Harness) -> None:
    if not h.caps.threads:
        pytest.skip(f"{h.fake.platform} has no threads")
    texts = [_text("thread one"), _text("thread two"), _text("thread three")]
    result = h.publish(h.request(*texts))
    ids = [p.remote_id for p in result.parts]
    assert len(ids) == 3 and len(set(ids)) == 3
    for index, text in enumerate(texts):
        [post] = h.posts_with(text)
        assert str(post["id"]) == ids[index]
        parent = post.get("reply_to")
        assert (None if parent is None else str(parent)) == (ids[index - 1] if index else None)


def test_media_with_alt_text_is_attached(h: Harness) -> None:
    if not h.caps.media:
        pytest.skip(f"{h.fake.platform} takes no media")
    media = h.fake.sample_media()
    assert media, "a platform with media must give sample media"
    text = _text("media")
    request = h.request(text, media=media)
    assert h.adapter.validate(request) == []
    h.publish(request)
    [post] = h.posts_with(text)
    if "media" in post:
        assert len(post["media"]) == len(media)
        if h.caps.alt_text:
            alts = [m.get("alt") for m in post["media"]]
            assert alts == [m.alt_text for m in media]


def test_expired_token_mid_queue_refreshes_then_succeeds(h: Harness) -> None:
    if not h.caps.refresh:
        pytest.skip(f"{h.fake.platform} tokens are not refreshed")
    first, second = _text("before expiry"), _text("after expiry")
    h.publish(h.request(first))
    old_access = h.adapter.tokens.access_token
    h.fake.expire_access_tokens()
    request = h.request(second)
    with pytest.raises(AuthExpiredError):
        h.publish(request)
    fresh = h.adapter.refresh()
    assert h.new_tokens and h.new_tokens[-1].access_token == fresh.access_token
    assert fresh.access_token and fresh.access_token != old_access
    h.publish(request)
    assert len(h.posts_with(first)) == 1
    assert len(h.posts_with(second)) == 1


def test_revoked_token_stops_for_good(h: Harness) -> None:
    h.fake.revoke()
    text = _text("revoked")
    # Many platforms answer a revoked token exactly like an expired one (a bare
    # 401); the engine then refreshes once, and that refresh must fail for good.
    with pytest.raises((AuthRevokedError, AuthExpiredError)) as caught:
        h.publish(h.request(text))
    if isinstance(caught.value, AuthExpiredError):
        assert h.caps.refresh, "AuthExpiredError from a platform that cannot refresh"
    if h.caps.refresh:
        with pytest.raises(AuthRevokedError):
            h.adapter.refresh()
    assert h.posts_with(text) == []


def test_rate_limit_says_when_to_come_back(h: Harness) -> None:
    h.fake.rate_limit_next(60)
    request = h.request(_text("rate limited"))
    with pytest.raises(RateLimitedError) as caught:
        h.publish(request)
    assert caught.value.until is not None
    assert caught.value.until > datetime.now(UTC)
    h.publish(request)  # the signal was for one call only
    assert len(h.posts_with(request.parts[0])) == 1


def test_server_error_after_create_is_reconciled_without_duplicate(h: Harness) -> None:
    text = _text("5xx after create")
    request = h.request(text)
    h.fake.fail_next(500, after_create=True)
    with pytest.raises((RetryLaterError, OutcomeUnknownError)):
        h.publish(request)
    assert len(h.posts_with(text)) == 1  # the platform did create it
    # What the reconciling engine does: look the send up, resend only what is missing.
    found = h.adapter.find_by_idempotency_key(request) if h.caps.lookup else None
    if h.caps.lookup:
        [post] = h.posts_with(text)
        assert found, "lookup must find what the failed send created"
        assert found[0].remote_id == str(post["id"])
    if not found or len(found) < len(request.parts):
        h.publish(replace(request, already_published=found or []))
    assert len(h.posts_with(text)) == 1, "reconciling made a duplicate"


def test_text_over_the_limit_is_reported_by_validate(h: Harness) -> None:
    from socialhub.platforms.registry import rules_for

    limit = rules_for(h.fake.platform).limit
    fine = h.request(_text("fits"))
    assert h.adapter.validate(fine) == []
    too_long = h.request(("word " * (limit // 5 + 20)).strip())
    problems = h.adapter.validate(too_long)
    assert problems, f"{limit + 100}-character text passed validation"
