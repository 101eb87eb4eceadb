"""Bluesky rules that need no server: record keys, JWT expiry, what ``validate`` refuses."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialhub.platforms.base import AccountInfo, MediaItem, PublishRequest, Tokens
from socialhub.platforms.bluesky.adapter import BlueskyAdapter, jwt_expiry, record_key

# The atproto TID syntax (packages/syntax/src/tid.ts), which the PDS enforces
# for app.bsky.feed.post record keys.
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid_microseconds(tid: str) -> int:
    value = 0
    for ch in tid:
        value = value * 32 + TID_ALPHABET.index(ch)
    return value >> 10


@given(st.text(min_size=1, max_size=80), st.integers(min_value=0, max_value=1000))
def test_record_key_is_a_valid_tid_in_the_past(key: str, index: int) -> None:
    rkey = record_key(key, index)
    assert TID_RE.match(rkey)
    assert record_key(key, index) == rkey
    written = datetime.fromtimestamp(tid_microseconds(rkey) / 1e6, tz=UTC)
    assert datetime(2000, 1, 1, tzinfo=UTC) <= written < datetime(2018, 1, 1, tzinfo=UTC)


@given(st.text(min_size=1, max_size=40))
def test_each_part_of_a_delivery_gets_its_own_record_key(key: str) -> None:
    keys = [record_key(key, index) for index in range(25)]
    assert len(set(keys)) == len(keys)


def test_record_key_is_stable_across_releases() -> None:
    # Changing the derivation would re-publish every unconfirmed post: pin it.
    assert record_key("delivery-42", 0) == record_key("delivery-42", 0)
    assert record_key("delivery-42", 0) != record_key("delivery-43", 0)
    assert record_key("delivery-42", 0) == "35cfuve7dahsw"


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


def test_jwt_expiry_reads_exp_and_tolerates_garbage() -> None:
    assert jwt_expiry(jwt({"exp": 1_800_000_000})) == datetime.fromtimestamp(1_800_000_000, UTC)
    assert jwt_expiry(jwt({"sub": "no exp"})) is None
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.%%%.c") is None
    assert jwt_expiry(None) is None


@pytest.fixture
def adapter() -> BlueskyAdapter:
    account = AccountInfo(account_id=1, platform="bluesky", handle="me.test",
                          external_id="did:plc:example", base_url="http://127.0.0.1:9")
    return BlueskyAdapter(account, Tokens(access_token="x"))


def test_validate_counts_graphemes_and_bytes_per_part(adapter: BlueskyAdapter) -> None:
    family = "👨‍👩‍👧‍👧"  # one grapheme, 25 UTF-8 bytes
    fine = PublishRequest(idempotency_key="k", parts=["a" * 300, family * 119])
    assert adapter.validate(fine) == []
    too_long = PublishRequest(idempotency_key="k", parts=["ok", "a" * 301])
    assert adapter.validate(too_long) == ["part 2: 301 graphemes, over the 300 limit"]
    too_big = PublishRequest(idempotency_key="k", parts=[family * 121])
    assert adapter.validate(too_big) == [
        "part 1: 3025 UTF-8 bytes, over the 3000 byte limit"]


def test_validate_checks_image_count_size_and_alt_text(adapter: BlueskyAdapter,
                                                       tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    small.write_bytes(b"\x89PNG" + b"\0" * 100)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\0" * 2_000_001)
    media = [MediaItem(path=small, alt_text="fine"), MediaItem(path=big, alt_text="big"),
             MediaItem(path=small, alt_text="  "), MediaItem(path=tmp_path / "gone.png",
                                                            alt_text="gone"),
             MediaItem(path=small, alt_text="fifth")]
    problems = adapter.validate(PublishRequest(idempotency_key="k", parts=[""], media=media))
    assert problems == [
        "5 images; Bluesky allows 4",
        f"{big}: 2000001 bytes, over Bluesky's 2000000 byte limit",
        f"{small}: alt text is required",
        f"{tmp_path / 'gone.png'}: file not found",
    ]


def test_validate_refuses_video_and_remote_media(adapter: BlueskyAdapter,
                                                 tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 10)
    media = [MediaItem(path=clip, alt_text="a clip"),
             MediaItem(url="https://example.com/a.png", alt_text="remote")]
    assert adapter.validate(PublishRequest(idempotency_key="k", parts=["x"], media=media)) == [
        f"{clip}: only images are supported (video/mp4)",
        "https://example.com/a.png: images must be local files on Bluesky",
    ]


def test_empty_text_is_fine_when_images_carry_the_post(adapter: BlueskyAdapter,
                                                       tmp_path: Path) -> None:
    image = tmp_path / "only.png"
    image.write_bytes(b"\x89PNG")
    request = PublishRequest(idempotency_key="k", parts=[""],
                             media=[MediaItem(path=image, alt_text="the whole post")])
    assert adapter.validate(request) == []
    assert adapter.validate(PublishRequest(idempotency_key="k", parts=[""])) != []
