"""The inbox end to end on Bluesky against the reference PDS: a second account mentions and
replies; ``inbox sync`` stores both, and a reply from the inbox goes out through the delivery
engine exactly once, threaded under the fan's reply (root: our post)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from socialhub.db.models import InboxItem
from socialhub.platforms.base import PublishRequest
from socialhub.platforms.bluesky.adapter import connect
from socialhub.services.hub import Hub
from socialhub.services.inbox.reply import reply_to_item
from socialhub.services.inbox.sync import run_sync
from tests.pds_fixture import Pds
from tests.platforms.test_bluesky_pds import make_adapter
from tests.publishing_kit import delivery, make_engine, run

pytestmark = pytest.mark.pds


def _connect(hub: Hub, pds: Pds, handle: str, password: str) -> int:
    from socialhub.security.keys import load_master_key
    from socialhub.services.accounts import credentials
    from socialhub.services.accounts.accounts import add_account

    did, tokens = connect(pds.url, handle, password)
    with hub.context("cli") as ctx:
        account = add_account(ctx, platform="bluesky", handle=handle, external_id=did,
                              base_url=pds.url)
        credentials.store_tokens(ctx.session, account, credentials.Tokens(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at, extra=tokens.extra), load_master_key(hub.config))
        return account.id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sync_then_reply_through_the_engine(hub: Hub, pds: Pds) -> None:
    shop_login, fan_login = pds.create_account(), pds.create_account()
    shop = make_adapter(pds, shop_login)
    fan = make_adapter(pds, fan_login)
    try:
        launch = shop.publish(PublishRequest("launch-e2e", ["Doors open at nine"]),
                              lambda p: None)
        fan_reply = fan.publish(PublishRequest("fan-e2e", ["See you there!"], options={
            "reply_to": {"remote_id": launch.remote_id, "cid": launch.parts[0].extra["cid"]}}),
            lambda p: None)
        fan.publish(PublishRequest("fan-e2e-2", [f"Going to @{shop_login.handle} tonight"]),
                    lambda p: None)
    finally:
        fan.close()
        shop.close()
    account = _connect(hub, pds, shop_login.handle, shop_login.password)
    [report] = run_sync(hub, [account])
    assert (report.new, report.error) == (2, None)
    assert run_sync(hub, [account])[0].new == 0
    with hub.transaction() as session:
        item = session.scalars(select(InboxItem).where(InboxItem.kind == "reply")).one()
        assert item.remote_id == fan_reply.remote_id and item.text == "See you there!"
        item_id = item.id
    with hub.context("cli") as ctx:
        d_id = reply_to_item(ctx, item_id, "See you!")["delivery_id"]
    assert run(make_engine(hub), hub, [d_id], timeout=60)
    uri = delivery(hub, d_id).remote_id
    assert uri is not None
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    record = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params={
        "repo": repo, "collection": collection, "rkey": rkey}, timeout=15).json()["value"]
    assert record["reply"]["root"]["uri"] == launch.remote_id
    assert record["reply"]["parent"]["uri"] == fan_reply.remote_id
    listed = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params={
        "repo": repo, "collection": collection}, timeout=15).json()["records"]
    assert [r["value"]["text"] for r in listed].count("See you!") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_reply_to_a_reply_comes_with_its_thread_and_show_prints_it_whole(
        hub: Hub, pds: Pds) -> None:
    from socialhub.services.inbox.items import show_item

    shop_login, fan_login, other_login = (pds.create_account() for _ in range(3))
    shop, fan, other = (make_adapter(pds, a) for a in (shop_login, fan_login, other_login))
    try:
        launch = shop.publish(PublishRequest("launch-t", ["Doors open at nine"]),
                              lambda p: None)
        asked = fan.publish(PublishRequest("fan-t", ["Is it free?"], options={
            "reply_to": {"remote_id": launch.remote_id, "cid": launch.parts[0].extra["cid"]}}),
            lambda p: None)
        # A second account answers the fan's reply: it does not reply to our post, but
        # its thread (our launch, the fan's question) is what makes it readable.
        other.publish(PublishRequest("other-t", [f"@{shop_login.handle} yes, it is free"],
                                     options={"reply_to": {
                                         "remote_id": asked.remote_id,
                                         "cid": asked.parts[0].extra["cid"],
                                         "root_id": launch.remote_id,
                                         "root_cid": launch.parts[0].extra["cid"]}}),
                      lambda p: None)
    finally:
        for adapter in (shop, fan, other):
            adapter.close()
    account = _connect(hub, pds, shop_login.handle, shop_login.password)
    [report] = run_sync(hub, [account])
    assert (report.new, report.error) == (2, None)
    with hub.transaction() as session:
        answer = session.scalars(select(InboxItem).where(
            InboxItem.author_handle == other_login.handle)).one()
        assert answer.kind == "mention" and answer.parent_id == asked.remote_id
        thread = answer.context["thread"]
        assert [(p["uri"], p["author"], p["text"]) for p in thread] == [
            (launch.remote_id, shop_login.handle, "Doors open at nine"),
            (asked.remote_id, fan_login.handle, "Is it free?")]
        answer_id = answer.id
    with hub.context("cli") as ctx:
        shown = show_item(ctx, answer_id)
    convo = [(e["role"], e["author"], e["text"]) for e in shown["conversation"]]
    # Our launch (from the thread context), the fan's question (a stored item), the answer.
    assert convo == [("us", shop_login.handle, "Doors open at nine"),
                     ("them", fan_login.handle, "Is it free?"),
                     ("them", other_login.handle, f"@{shop_login.handle} yes, it is free")]
    assert run_sync(hub, [account])[0].new == 0
