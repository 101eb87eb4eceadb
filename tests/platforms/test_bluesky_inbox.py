"""Bluesky's inbox and replies against the reference PDS: a second account mentions and
replies; the inbox finds both once (the PDS has no AppView, so the PDS-only mode reads its
repositories), and a reply carries the right root and parent refs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from socialhub.platforms.base import PublishRequest
from socialhub.platforms.bluesky.adapter import BlueskyAdapter
from tests.pds_fixture import Pds
from tests.platforms.test_bluesky_pds import make_adapter

pytestmark = pytest.mark.pds


@pytest.fixture
def pair(pds: Pds) -> Iterator[tuple[BlueskyAdapter, BlueskyAdapter]]:
    """A fresh shop account and a fan on the same PDS, both logged in."""
    shop = make_adapter(pds, pds.create_account())
    fan = make_adapter(pds, pds.create_account())
    yield shop, fan
    shop.close()
    fan.close()


def _record(pds: Pds, uri: str) -> dict[str, object]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    response = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey}, timeout=15)
    response.raise_for_status()
    value: dict[str, object] = response.json()["value"]
    return value


def test_mentions_and_replies_arrive_once_and_a_reply_threads_under_them(
        pds: Pds, pair: tuple[BlueskyAdapter, BlueskyAdapter]) -> None:
    shop, fan = pair
    launch = shop.publish(PublishRequest("launch", ["We launched today"]), lambda p: None)
    answer = fan.publish(PublishRequest("fan-1", ["Congratulations!"], options={
        "reply_to": {"remote_id": launch.remote_id, "cid": launch.parts[0].extra["cid"]}}),
        lambda p: None)
    fan.publish(PublishRequest("fan-2", [f"Have you seen @{shop.account.handle}?"]),
                lambda p: None)
    page = shop.fetch_inbox({}, limit=50)
    kinds = {i.kind: i for i in page.items}
    assert set(kinds) == {"reply", "mention"}
    reply = kinds["reply"]
    assert reply.remote_id == answer.remote_id and reply.text == "Congratulations!"
    assert reply.author_handle == fan.account.handle
    assert reply.parent_id == launch.remote_id and reply.conversation_id == launch.remote_id
    assert page.cursor.get("mode") == "pds"  # the reference PDS has no AppView
    assert shop.fetch_inbox(page.cursor, limit=50).items == []

    # Our answer to the fan's reply: root is our launch post, parent the fan's reply.
    ours = shop.publish(PublishRequest("re-1", ["Thank you!"], options={"reply_to": {
        "remote_id": reply.remote_id, "cid": reply.context["cid"],
        "root_id": reply.context["root_uri"], "root_cid": reply.context["root_cid"]}}),
        lambda p: None)
    refs = _record(pds, ours.remote_id)["reply"]
    assert isinstance(refs, dict)
    assert refs["root"]["uri"] == launch.remote_id
    assert refs["parent"]["uri"] == answer.remote_id
    # The fan sees our answer in their own inbox, as a reply.
    fan_page = fan.fetch_inbox({}, limit=50)
    assert [(i.kind, i.text) for i in fan_page.items] == [("reply", "Thank you!")]
    # Sending it again (a retry) finds the same record, never a second one.
    again = shop.publish(PublishRequest("re-1", ["Thank you!"], options={"reply_to": {
        "remote_id": reply.remote_id, "cid": reply.context["cid"],
        "root_id": reply.context["root_uri"], "root_cid": reply.context["root_cid"]}}),
        lambda p: None)
    assert again.remote_id == ours.remote_id

