"""The Bluesky adapter against the reference PDS (``@atproto/dev-env``) running locally.

Every test talks XRPC to a real PDS on 127.0.0.1 and reads what it stored
back with the PDS's own endpoints (getRecord, listRecords, getBlob).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from socialhub.platforms.base import (
    AccountInfo,
    MediaItem,
    PublishedPart,
    PublishRequest,
    Tokens,
)
from socialhub.platforms.bluesky.adapter import BlueskyAdapter, connect, record_key
from socialhub.platforms.errors import AuthExpiredError, AuthRevokedError, InvalidContentError
from tests.pds_fixture import Pds, PdsAccount

pytestmark = pytest.mark.pds


def make_adapter(server: Pds, account: PdsAccount,
                 on_tokens: Any = None) -> BlueskyAdapter:
    did, tokens = connect(server.url, account.handle, account.password)
    info = AccountInfo(account_id=1, platform="bluesky", handle=account.handle,
                       external_id=did, base_url=server.url)
    return BlueskyAdapter(info, tokens, on_tokens=on_tokens, timeout_s=15)


@pytest.fixture(scope="module")
def alice(pds: Pds) -> Iterator[BlueskyAdapter]:
    """One logged-in session for the module (logging in costs the PDS a password hash)."""
    adapter = make_adapter(pds, pds.accounts["alice"])
    yield adapter
    adapter.close()


def fingerprint(token: str | None) -> str:
    """A token's short hash: assertions compare these so no token reaches test output."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:12]


def token_id(token: str | None) -> str:
    """The short hash of a JWT's ``jti``: the session a token stands for.

    A token re-issued for the same session carries the same ``jti`` but may be
    signed at another second (``iat``/``exp``), so its text can differ.
    """
    payload = (token or "").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return fingerprint(claims["jti"])


def key() -> str:
    return f"delivery-{uuid.uuid4()}"


def get_record(server: Pds, uri: str) -> dict[str, Any]:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    response = httpx.get(f"{server.url}/xrpc/com.atproto.repo.getRecord",
                         params={"repo": did, "collection": collection, "rkey": rkey})
    assert response.status_code == 200, response.text
    value: dict[str, Any] = response.json()["value"]
    return value


def posts_with_text(server: Pds, did: str, text: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/xrpc/com.atproto.repo.listRecords", params={
        "repo": did, "collection": "app.bsky.feed.post", "limit": 100})
    return [r for r in response.json()["records"] if r["value"]["text"] == text]


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def expired_copy(server: Pds, access_jwt: str) -> str:
    """The same access JWT with ``exp`` in the past, signed with the dev PDS's secret."""
    header, payload, _ = access_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iat"], claims["exp"] = int(time.time()) - 7300, int(time.time()) - 100
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signature = hmac.new(server.jwt_secret.encode(), f"{header}.{body}".encode(),
                         hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_pds_start_time_is_reported(pds: Pds) -> None:
    print(f"PDS startup: {pds.startup_s:.2f} s (script says {pds.info['startupMs']} ms)")
    assert pds.url.startswith("http://127.0.0.1:")


def test_login_stores_session_tokens_with_expiry_from_the_jwt(pds: Pds) -> None:
    account = pds.accounts["alice"]
    did, tokens = connect(pds.url, account.handle, account.password)
    now = datetime.now(UTC)
    assert did == account.did == tokens.extra["did"]
    assert tokens.extra["handle"] == account.handle
    assert tokens.access_token and tokens.refresh_token
    assert tokens.expires_at is not None and tokens.refresh_expires_at is not None
    assert now + timedelta(minutes=60) < tokens.expires_at < now + timedelta(hours=3)
    assert tokens.refresh_expires_at > now + timedelta(days=30)


def test_wrong_password_is_auth_revoked_and_never_echoed(pds: Pds) -> None:
    with pytest.raises(AuthRevokedError) as caught:
        connect(pds.url, "alice.test", "wrong-password-1234")
    assert caught.value.status == 401
    assert "wrong-password-1234" not in str(caught.value)


def test_post_facets_point_at_the_right_utf8_bytes(pds: Pds, alice: BlueskyAdapter) -> None:
    text = ("Grüße 👨‍👩‍👧 from @bob.test and @nobody.test: "
            "see https://example.com/ünï?q=1. #Launch2026 ✨")
    parts: list[PublishedPart] = []
    result = alice.publish(PublishRequest(idempotency_key=key(), parts=[text]), parts.append)
    assert [p.remote_id for p in parts] == [result.remote_id]
    record = get_record(pds, result.remote_id)
    raw = text.encode("utf-8")
    seen = {}
    for facet in record["facets"]:
        span = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode("utf-8")
        seen[span] = facet["features"][0]
    assert seen == {
        "@bob.test": {"$type": "app.bsky.richtext.facet#mention",
                      "did": pds.accounts["bob"].did},
        "https://example.com/ünï?q=1": {"$type": "app.bsky.richtext.facet#link",
                                        "uri": "https://example.com/ünï?q=1"},
        "#Launch2026": {"$type": "app.bsky.richtext.facet#tag", "tag": "Launch2026"},
    }  # @nobody.test does not resolve, so it stays plain text


def test_thread_replies_to_its_root_and_previous_part(pds: Pds, alice: BlueskyAdapter) -> None:
    seen: list[PublishedPart] = []
    result = alice.publish(PublishRequest(idempotency_key=key(),
                                          parts=["one/3", "two/3", "three/3"]), seen.append)
    assert [p.index for p in seen] == [0, 1, 2]
    first, second, third = (get_record(pds, p.remote_id) for p in result.parts)
    root = {"uri": result.parts[0].remote_id, "cid": result.parts[0].extra["cid"]}
    assert "reply" not in first
    assert second["reply"] == {"root": root, "parent": root}
    assert third["reply"] == {"root": root, "parent": {
        "uri": result.parts[1].remote_id, "cid": result.parts[1].extra["cid"]}}


def test_thread_resumes_after_the_last_published_part(pds: Pds, alice: BlueskyAdapter) -> None:
    delivery = key()
    head = alice.publish(PublishRequest(idempotency_key=delivery, parts=["resume 1"]),
                         lambda part: None).parts[0]
    seen: list[PublishedPart] = []
    result = alice.publish(PublishRequest(idempotency_key=delivery,
                                          parts=["resume 1", "resume 2"],
                                          already_published=[head]), seen.append)
    assert [p.index for p in seen] == [1]
    assert result.parts[0] == head
    ref = {"uri": head.remote_id, "cid": head.extra["cid"]}
    assert get_record(pds, result.parts[1].remote_id)["reply"] == {"root": ref, "parent": ref}
    assert len(posts_with_text(pds, alice.did, "resume 1")) == 1


def test_image_goes_out_with_its_alt_text(pds: Pds, alice: BlueskyAdapter,
                                          tmp_path: Path) -> None:
    image = tmp_path / "chart.png"
    image.write_bytes(png_bytes())
    result = alice.publish(PublishRequest(
        idempotency_key=key(), parts=["with a picture"],
        media=[MediaItem(path=image, alt_text="A tiny orange chart")]), lambda part: None)
    embed = get_record(pds, result.remote_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [entry] = embed["images"]
    assert entry["alt"] == "A tiny orange chart"
    assert entry["image"]["mimeType"] == "image/png"
    blob = httpx.get(f"{pds.url}/xrpc/com.atproto.sync.getBlob",
                     params={"did": alice.did, "cid": entry["image"]["ref"]["$link"]})
    assert blob.content == image.read_bytes()


def test_image_without_alt_text_is_refused_naming_the_file(alice: BlueskyAdapter,
                                                           tmp_path: Path) -> None:
    image = tmp_path / "no-alt.png"
    image.write_bytes(png_bytes())
    request = PublishRequest(idempotency_key=key(), parts=["no alt"],
                             media=[MediaItem(path=image)])
    with pytest.raises(InvalidContentError, match=r"no-alt\.png: alt text is required"):
        alice.publish(request, lambda part: None)
    assert alice.find_by_idempotency_key(request) is None


def test_repeated_publish_with_the_same_key_makes_no_duplicate(pds: Pds,
                                                               alice: BlueskyAdapter) -> None:
    text = f"exactly once {uuid.uuid4().hex[:8]}"
    request = PublishRequest(idempotency_key=key(), parts=[text, text + " (2)"])
    first = alice.publish(request, lambda part: None)
    again = alice.publish(request, lambda part: None)
    assert again.parts == first.parts
    assert len(posts_with_text(pds, alice.did, text)) == 1
    assert len(posts_with_text(pds, alice.did, text + " (2)")) == 1
    assert first.remote_id.endswith("/" + record_key(request.idempotency_key, 0))


def test_find_by_idempotency_key_finds_what_an_earlier_send_created(
        alice: BlueskyAdapter) -> None:
    request = PublishRequest(idempotency_key=key(), parts=["found a", "found b", "found c"])
    assert alice.find_by_idempotency_key(request) is None
    # An interrupted send: only the first two parts went out.
    partial = alice.publish(PublishRequest(idempotency_key=request.idempotency_key,
                                           parts=request.parts[:2]), lambda part: None)
    assert alice.find_by_idempotency_key(request) == partial.parts


def test_delete_removes_the_post_and_its_metrics(alice: BlueskyAdapter) -> None:
    result = alice.publish(PublishRequest(idempotency_key=key(), parts=["short-lived"]),
                           lambda part: None)
    assert result.remote_id in alice.fetch_metrics([result.remote_id])
    alice.delete(result.remote_id)
    alice.delete(result.remote_id)  # already gone: still fine
    assert alice.fetch_metrics([result.remote_id]) == {}


def test_metrics_without_an_appview_exist_but_hold_no_counts(alice: BlueskyAdapter) -> None:
    result = alice.publish(PublishRequest(idempotency_key=key(), parts=["count me"]),
                           lambda part: None)
    metrics = alice.fetch_metrics([result.remote_id])[result.remote_id]
    assert (metrics.likes, metrics.reposts, metrics.replies, metrics.impressions) == (
        None, None, None, None)
    assert metrics.raw["source"] == "pds"


def test_refresh_rotates_the_refresh_token_and_hands_it_over_first(pds: Pds) -> None:
    account = pds.create_account()
    handed: list[Tokens] = []
    adapter = make_adapter(pds, account, on_tokens=handed.append)
    old = adapter.tokens.refresh_token
    tokens = adapter.refresh()
    assert handed == [tokens] and adapter.tokens is tokens
    assert tokens.refresh_token and fingerprint(tokens.refresh_token) != fingerprint(old)
    adapter.publish(PublishRequest(idempotency_key=key(), parts=["after refresh"]),
                    lambda part: None)
    # The old refresh token is in its 2 h grace period: the PDS answers it with
    # the same rotated session again (the same token id, signed anew), so a lost
    # refresh answer is recoverable.
    grace = BlueskyAdapter(adapter.account, Tokens(refresh_token=old))
    assert token_id(grace.refresh().refresh_token) == token_id(tokens.refresh_token)
    # Logging out revokes the session: refreshing it again is final.
    out = httpx.post(f"{pds.url}/xrpc/com.atproto.server.deleteSession",
                     headers={"Authorization": f"Bearer {tokens.refresh_token}"})
    assert out.status_code == 200
    with pytest.raises(AuthRevokedError):
        adapter.refresh()
    assert len(handed) == 1


def test_expired_access_token_is_auth_expired_and_a_refresh_fixes_it(pds: Pds) -> None:
    adapter = make_adapter(pds, pds.create_account())
    adapter.tokens.access_token = expired_copy(pds, adapter.tokens.access_token or "")
    request = PublishRequest(idempotency_key=key(), parts=["late but fine"])
    with pytest.raises(AuthExpiredError) as caught:
        adapter.publish(request, lambda part: None)
    assert caught.value.code == "ExpiredToken"
    adapter.refresh()
    assert adapter.publish(request, lambda part: None).remote_id


def test_taken_down_account_cannot_refresh(pds: Pds) -> None:
    account = pds.create_account()
    adapter = make_adapter(pds, account)
    response = httpx.post(
        f"{pds.url}/xrpc/com.atproto.admin.updateSubjectStatus",
        auth=("admin", pds.admin_password),
        json={"subject": {"$type": "com.atproto.admin.defs#repoRef", "did": account.did},
              "takedown": {"applied": True, "ref": "test"}})
    assert response.status_code == 200, response.text
    with pytest.raises(AuthRevokedError) as caught:
        adapter.refresh()
    assert caught.value.code == "AccountTakedown"


def test_connect_reads_the_app_password_the_account_manifest_points_at(
        pds: Pds, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = pds.create_account()
    manifest = tmp_path / "accounts.yaml"
    manifest.write_text(
        "apiVersion: socialhub/v1\nkind: Account\n"
        f"metadata: {{name: \"bluesky:@{account.handle}\"}}\n"
        f"spec:\n  base_url: {pds.url}\n"
        "  credentials: {app_password: env:SHOP_BSKY_PASSWORD}\n")
    assert cli("apply", "-f", str(manifest)).exit_code == 0
    monkeypatch.delenv("SOCIALHUB_BLUESKY_APP_PASSWORD", raising=False)
    args = ("accounts", "connect", "bluesky", "--handle", account.handle, "--base-url", pds.url)
    missing = cli(*args)  # the reference names a variable that is not set: said, no prompt
    assert missing.exit_code == 3
    assert missing.stderr.strip() == (f"error: bluesky:@{account.handle} credentials."
                                      "app_password refers to env:SHOP_BSKY_PASSWORD, which is "
                                      "not set")
    monkeypatch.setenv("SHOP_BSKY_PASSWORD", account.password)
    connected = cli(*args, "--json")
    assert connected.exit_code == 0, connected.stderr
    summary = connected.json()
    assert isinstance(summary, dict)
    assert summary["external_id"] == account.did and not summary["created"]
    assert account.password not in connected.stdout + connected.stderr
