"""The LinkedIn adapter over real HTTP against a fake that follows the Posts API contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.platforms.base import AccountInfo, MediaItem, PublishedPart, PublishRequest, Tokens
from socialhub.platforms.errors import (
    AuthExpiredError,
    AuthRevokedError,
    InvalidContentError,
    RateLimitedError,
    RetryLaterError,
)
from socialhub.platforms.linkedin.adapter import LinkedInAdapter, escape_little, unescape_little
from tests.fakes.linkedin import FakeLinkedIn, render_little
from tests.fakes.linkedin import start_fake as start_fake  # the `fake` fixture's (conftest.py)
from tests.fakes.x import PNG_1x1


def make_adapter(fake: FakeLinkedIn, *, settings: dict[str, Any] | None = None,
                 scopes: list[str] | None = None, with_refresh: bool = False,
                 saved: list[Tokens] | None = None) -> tuple[LinkedInAdapter, str]:
    member, tokens = fake.add_member("Jane Doe", scopes=scopes, with_refresh=with_refresh)
    tokens.expires_at = datetime.now(UTC) + timedelta(days=60)
    info = AccountInfo(account_id=1, platform="linkedin", handle=member.email,
                       external_id=member.id, base_url=fake.url, settings=settings or {})
    app = fake.account()[2]
    adapter = LinkedInAdapter(info, tokens, timeout_s=5, app=app,
                              on_tokens=saved.append if saved is not None else None)
    return adapter, member.id


def adapter_for(fake: FakeLinkedIn) -> LinkedInAdapter:
    """The ``adapter`` fixture's adapter: a new member with the default scopes."""
    return make_adapter(fake)[0]


def request(*parts: str, **kw: Any) -> PublishRequest:
    return PublishRequest(idempotency_key="d-1", parts=list(parts), **kw)


TRICKY = "Launch (beta) [v2] at 10 > 9 * 2 ~ a_b | {x} <y> me@shop.example \\o/ #Launch #2026"


def test_unescaped_reserved_characters_truncate_a_post_on_the_fake(fake: FakeLinkedIn) -> None:
    assert render_little("We ship (finally) today") == "We ship "


def test_escaping_keeps_the_whole_post_and_its_hashtags(fake: FakeLinkedIn,
                                                        adapter: LinkedInAdapter) -> None:
    seen: list[PublishedPart] = []
    result = adapter.publish(request(TRICKY), seen.append)
    post = fake.posts()[0]
    assert post["shown"] == TRICKY  # nothing cut
    assert "#Launch #2026" in post["commentary"]  # hashtags left as hashtags, unescaped
    assert "\\(beta\\)" in post["commentary"] and "\\_" in post["commentary"]
    assert seen == result.parts and result.remote_id == post["id"]
    assert result.url == f"https://www.linkedin.com/feed/update/{post['id']}/"


def test_mentions_stay_mentions() -> None:
    text = "Thanks @[Acme Corp](urn:li:organization:2414183)!"
    assert escape_little(text) == text
    assert render_little(escape_little(text)) == "Thanks Acme Corp!"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab #_@()[]{}<>|*~\\x1")), max_size=40))
def test_escaped_text_is_never_truncated_and_reads_back_the_same(text: str) -> None:
    escaped = escape_little(text)
    assert render_little(escaped) == text
    assert unescape_little(escaped) == text


def test_an_organization_author_needs_w_organization_social(fake: FakeLinkedIn) -> None:
    adapter, _ = make_adapter(fake, settings={"organization": "2414183"})
    with pytest.raises(AuthRevokedError, match="w_organization_social"):
        adapter.publish(request("hello"), lambda p: None)
    granted, member2 = make_adapter(fake, settings={"organization": "2414183"}, scopes=[
        "openid", "w_member_social", "w_organization_social"])
    fake.admin_of[member2] = {"2414183"}
    granted.publish(request("hello from the page"), lambda p: None)
    assert fake.posts()[0]["author"] == "urn:li:organization:2414183"


def test_a_member_post_is_authored_by_the_person(fake: FakeLinkedIn) -> None:
    adapter, member_id = make_adapter(fake)
    adapter.publish(request("hi"), lambda p: None)
    assert fake.posts()[0]["author"] == f"urn:li:person:{member_id}"
    request_headers = fake.calls("POST", "/rest/posts")[0].headers
    assert request_headers["x-restli-protocol-version"] == "2.0.0"
    assert len(request_headers["linkedin-version"]) == 6


def test_images_are_uploaded_and_attached_with_alt_text(fake: FakeLinkedIn,
                                                        adapter: LinkedInAdapter,
                                                        tmp_path: Path) -> None:
    one = tmp_path / "a.png"
    one.write_bytes(PNG_1x1)
    adapter.publish(request("one image", media=[MediaItem(path=one, alt_text="a dot")]),
                    lambda p: None)
    adapter.publish(request("two images", media=[MediaItem(path=one, alt_text="first"),
                                                 MediaItem(path=one, alt_text="second")]),
                    lambda p: None)
    single, multi = fake.posts()
    assert single["images"][0]["altText"] == "a dot"
    assert fake.images[single["images"][0]["id"]]["bytes"] == PNG_1x1
    assert [i["altText"] for i in multi["images"]] == ["first", "second"]


def test_a_first_comment_is_a_social_action_comment(fake: FakeLinkedIn,
                                                    adapter: LinkedInAdapter) -> None:
    result = adapter.publish(request("post", first_comment="Details (link) below"),
                             lambda p: None)
    assert fake.comments == [{"on": result.remote_id, "actor": adapter.author,
                              "text": "Details (link) below"}]
    assert result.parts[1].extra == {"first_comment": True}
    assert adapter.fetch_metrics([result.remote_id])[result.remote_id].replies == 1


def test_threads_are_refused_before_sending(fake: FakeLinkedIn,
                                            adapter: LinkedInAdapter) -> None:
    problems = adapter.validate(request("one", "two"))
    assert problems == ["LinkedIn has no threads: this variant has 2 parts; join them into "
                        "one post"]
    with pytest.raises(InvalidContentError):
        adapter.publish(request("one", "two"), lambda p: None)
    assert fake.posts() == []


def test_validate_names_the_file_and_the_limit(adapter: LinkedInAdapter, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0\0\0\x08ftyp")
    assert adapter.validate(request("x" * 3001)) == [
        "post: 3001 UTF-16 code units, over the 3000 limit"]
    assert adapter.validate(request("ok", media=[MediaItem(path=clip)])) == [
        "clip.mp4 (video/mp4): socialhub posts JPEG, PNG or GIF images to LinkedIn; video and "
        "documents are not supported yet"]
    assert adapter.validate(request("ok", first_comment="c" * 1300)) == [
        "first comment is 1300 characters; LinkedIn takes up to 1250"]
    assert adapter.validate(request("fine #ok")) == []


def test_without_a_refresh_grant_an_expired_token_asks_to_reconnect(
        fake: FakeLinkedIn, adapter: LinkedInAdapter) -> None:
    assert adapter.account_capabilities().refresh is False
    assert LinkedInAdapter.capabilities.refresh is True  # the class default is untouched
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(request("hi"), lambda p: None)
    with pytest.raises(AuthRevokedError, match="reconnect before") as caught:
        adapter.refresh()
    assert caught.value.hint == "socialhub accounts connect linkedin"


def test_where_granted_the_refresh_token_renews_access_and_keeps_its_window(
        fake: FakeLinkedIn) -> None:
    saved: list[Tokens] = []
    adapter, _ = make_adapter(fake, with_refresh=True, saved=saved)
    assert adapter.account_capabilities().refresh is True
    fake.expire_access_tokens()
    with pytest.raises(AuthExpiredError):
        adapter.publish(request("queued"), lambda p: None)
    new = adapter.refresh()
    assert saved == [new] and new.refresh_expires_at is not None
    assert new.expires_at is not None and new.expires_at - datetime.now(UTC) > timedelta(days=59)
    adapter.publish(request("queued"), lambda p: None)
    assert [p["shown"] for p in fake.posts()] == ["queued"]


def test_a_revoked_token_stops_at_once(fake: FakeLinkedIn, adapter: LinkedInAdapter) -> None:
    fake.revoke()
    with pytest.raises(AuthRevokedError, match="revoked"):
        adapter.publish(request("hi"), lambda p: None)


def test_a_spent_daily_quota_waits_for_midnight_utc(fake: FakeLinkedIn,
                                                    adapter: LinkedInAdapter) -> None:
    fake.rate_limit_next()
    with pytest.raises(RateLimitedError) as caught:
        adapter.publish(request("hi"), lambda p: None)
    until = caught.value.until
    assert until is not None and (until.hour, until.minute) == (0, 0)
    assert timedelta(0) < until - datetime.now(UTC) <= timedelta(days=1)


def test_a_5xx_after_the_post_was_created_is_reconciled_without_a_duplicate(
        fake: FakeLinkedIn, adapter: LinkedInAdapter) -> None:
    fake.fail_next(500, after_create=True)
    req = request("Big news (really) #launch", first_comment="more",
                  options={"not_before": datetime.now(UTC) - timedelta(seconds=5)})
    with pytest.raises(RetryLaterError):
        adapter.publish(req, lambda p: None)
    found = adapter.find_by_idempotency_key(req)
    assert found is not None and found[0].remote_id == fake.posts()[0]["id"]
    adapter.publish(PublishRequest(idempotency_key="d-1", parts=req.parts,
                                   first_comment=req.first_comment, options=req.options,
                                   already_published=found), lambda p: None)
    assert len(fake.posts()) == 1 and len(fake.comments) == 1


def test_delete_removes_the_post_and_tolerates_a_second_delete(fake: FakeLinkedIn,
                                                               adapter: LinkedInAdapter) -> None:
    urn = adapter.publish(request("bye"), lambda p: None).remote_id
    adapter.delete(urn)
    adapter.delete(urn)
    assert fake.posts() == []


def test_connecting_reads_the_member_from_userinfo(fake: FakeLinkedIn) -> None:
    member, _ = fake.add_member("Sam Lee")
    spec = LinkedInAdapter.oauth_spec(fake.url)
    assert spec.token_url == f"{fake.url}/oauth/v2/accessToken" and spec.client_auth == "body"
    answer = httpx.post(spec.token_url, data={
        "grant_type": "authorization_code", "code": fake.add_code(member.id),
        "client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET}).json()
    profile, tokens = LinkedInAdapter.finish_connect(answer, app=fake.account()[2],
                                                     base_url=fake.url)
    assert (profile.handle, profile.external_id, profile.display_name) == (
        "sam@example.com", member.id, "Sam Lee")
    assert tokens.refresh_token is None and "w_member_social" in tokens.scopes
    assert tokens.expires_at is not None
    assert tokens.expires_at - datetime.now(UTC) > timedelta(days=59)
    assert LinkedInAdapter.oauth_spec().authorize_url == (
        "https://www.linkedin.com/oauth/v2/authorization")
