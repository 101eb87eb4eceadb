"""Bluesky's thread context through an AppView: ``getPostThread`` fills the posts above
each reply, bounded in height and in calls per page. The reference PDS has no AppView, so
a fake that follows the lexicons of listNotifications and getPostThread serves them over
real HTTP (the PDS-only path is tested against the PDS in
``tests/services/inbox/test_inbox_bluesky_pds.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialhub.platforms.base import AccountInfo, Tokens
from socialhub.platforms.bluesky import inbox
from socialhub.platforms.bluesky.adapter import BlueskyAdapter
from tests.fakes.bluesky_appview import FakeAppView


@pytest.fixture
def appview() -> Iterator[FakeAppView]:
    server = FakeAppView()
    yield server
    server.stop()


def _on(appview: FakeAppView) -> BlueskyAdapter:
    info = AccountInfo(account_id=1, platform="bluesky", handle=appview.account_handle,
                       external_id=appview.did, base_url=appview.url)
    return BlueskyAdapter(info, Tokens(access_token="access-jwt"), timeout_s=5)


def test_a_reply_to_a_reply_comes_with_the_posts_above_it(appview: FakeAppView) -> None:
    launch = appview.post(appview.account_handle, "We launched today")
    asked = appview.post("bob.test", "Does it work offline?", reply_to=launch)
    ours = appview.post(appview.account_handle, "Yes, fully.", reply_to=asked)
    again = appview.post("carol.test", "Even on mobile?", reply_to=ours)
    adapter = _on(appview)
    try:
        page = adapter.fetch_inbox({}, limit=50)
    finally:
        adapter.close()
    by_uri = {i.remote_id: i for i in page.items}
    assert set(by_uri) == {asked, again}
    thread = by_uri[again].context["thread"]
    assert [(p["uri"], p["author"], p["text"]) for p in thread] == [
        (launch, appview.account_handle, "We launched today"),
        (asked, "bob.test", "Does it work offline?"),
        (ours, appview.account_handle, "Yes, fully.")]
    assert [p["uri"] for p in by_uri[asked].context["thread"]] == [launch]
    calls = appview.calls("GET", "/xrpc/app.bsky.feed.getPostThread")
    assert {(c.query["depth"], c.query["parentHeight"]) for c in calls} == {
        ("0", str(inbox.THREAD_HEIGHT))}


def test_thread_look_ups_are_bounded_and_a_missing_parent_costs_nothing_more(
        appview: FakeAppView) -> None:
    gone = appview.post(appview.account_handle, "soon deleted")
    orphan = appview.post("erin.test", "what did you say?", reply_to=gone)
    appview.delete(gone)
    post = appview.post(appview.account_handle, "Ask me anything")
    chain = post
    for n in range(8):  # a long conversation: only THREAD_HEIGHT parents are kept
        chain = appview.post(appview.account_handle if n % 2 else "bob.test", f"turn {n}",
                             reply_to=chain)
    last = appview.post("carol.test", "and then?", reply_to=chain)
    for n in range(inbox.THREAD_CALLS + 5):
        appview.post("dave.test", f"reply {n}", reply_to=post)
    adapter = _on(appview)
    try:
        page = adapter.fetch_inbox({}, limit=100)
    finally:
        adapter.close()
    calls = appview.calls("GET", "/xrpc/app.bsky.feed.getPostThread")
    assert len(calls) == inbox.THREAD_CALLS
    assert calls[0].query["uri"] == orphan  # oldest first: the orphan was looked up
    by_uri = {i.remote_id: i for i in page.items}
    assert len(by_uri[last].context["thread"]) == inbox.THREAD_HEIGHT
    assert by_uri[last].context["thread"][-1]["uri"] == chain
    assert "thread" not in by_uri[orphan].context  # its parent is gone: nothing to show
    without = [i for i in page.items if i.parent_id and "thread" not in i.context]
    assert without  # beyond the budget: stored without context, never an error
