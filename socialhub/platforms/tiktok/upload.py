"""How a video reaches TikTok: file checks, the chunk plan, chunked PUTs, status polling.

Facts it relies on (PLATFORMS.md §2.11): a ``FILE_UPLOAD`` is initialised with
a chunk plan that follows TikTok's rules, its chunks are PUT in order with
``Content-Range`` to an upload URL that carries its own token, and after a
failure ``status/fetch`` says how many bytes arrived (``uploaded_bytes``).
Once the last chunk is in, TikTok publishes on its own: ``status/fetch`` is
polled until ``PUBLISH_COMPLETE`` or ``FAILED``.

It lives apart from the adapter because byte offsets, resumes and the bounded
wait are a protocol of their own that never touches the post's settings; the
adapter hands in how to fetch a status, so its token stays the adapter's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from socialhub.platforms.base import MediaItem
from socialhub.platforms.errors import InvalidContentError, OutcomeUnknownError, RetryLaterError
from socialhub.platforms.http import send
from socialhub.platforms.media_info import human_size, media_facts
from socialhub.platforms.tiktok.api import answer_data

MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
DEFAULT_CHUNK = 10 * MB
MAX_VIDEO_SIZE = 4 * 1024 * MB
MIN_DURATION_S, MAX_DURATION_S = 3, 600
_CHUNK_READ = MB

#: Fetches ``status/fetch`` for a publish id (the adapter's authorised call).
StatusFetcher = Callable[[str], dict[str, Any]]


def chunk_plan(size: int, preferred: int = DEFAULT_CHUNK) -> tuple[int, int]:
    """``(chunk_size, total_chunk_count)`` for a ``FILE_UPLOAD`` of ``size`` bytes.

    TikTok's rules: under 5 MB (or up to one full chunk) goes whole; otherwise
    chunks of 5–64 MB, ``total_chunk_count = size // chunk_size`` and the last
    chunk carries the remainder (at most 128 MB); at most 1000 chunks.
    """
    if size <= 0:
        raise InvalidContentError("tiktok: the video file is empty")
    preferred = max(MIN_CHUNK, min(MAX_CHUNK, preferred))
    if size < MIN_CHUNK or size <= preferred:
        return size, 1
    chunk = preferred
    while size // chunk > MAX_CHUNKS and chunk < MAX_CHUNK:
        chunk = min(MAX_CHUNK, chunk * 2)
    return chunk, size // chunk


def video_problems(item: MediaItem) -> list[str]:
    """What TikTok would refuse about a local video (type, size, 3 s–10 min); URLs: nothing."""
    if item.path is None:
        return []  # PULL_FROM_URL: TikTok checks it (the domain must be verified)
    try:
        facts = media_facts(item.path)
    except OSError:
        return [f"video file {item.path} does not exist or cannot be read"]
    name, problems = item.path.name, []
    if facts.mime not in (None, "video/mp4", "video/quicktime", "video/webm"):
        problems.append(f"{name} is {facts.mime}; TikTok takes MP4, MOV or WebM")
    if facts.size > MAX_VIDEO_SIZE:
        problems.append(f"{name} is {human_size(facts.size)}; TikTok takes up to 4 GB")
    if facts.duration_s is not None and not MIN_DURATION_S <= facts.duration_s <= MAX_DURATION_S:
        problems.append(f"{name} lasts {facts.duration_s:.1f} s; TikTok takes 3 s to 10 min "
                        "(the creator's own limit is checked when posting)")
    return problems


def upload_chunks(client: httpx.Client, upload_url: str, publish_id: str, path: Path,
                  size: int, chunk: int, count: int, *, fetch_status: StatusFetcher) -> None:
    """PUT each chunk in order; after a failure, resume from ``uploaded_bytes``.

    Raises:
        RetryLaterError: a chunk failed four times, or the status could not be
            read before the last chunk (the video is incomplete: no post yet).
        OutcomeUnknownError: the last chunk's outcome could not be learnt: the
            post may exist and must be looked up.
        AdapterError: TikTok refused a chunk (``answer_data``).
    """
    index, failures = 0, 0
    while index < count:
        start = index * chunk
        end = size if index == count - 1 else start + chunk
        headers = {"Content-Type": "video/mp4", "Content-Length": str(end - start),
                   "Content-Range": f"bytes {start}-{end - 1}/{size}"}
        # The upload URL carries its own token: the bearer never goes to it.
        try:
            response = send(client, "PUT", upload_url, platform="tiktok",
                            headers=headers, content=_read_range(path, start, end))
            ok = response.status_code in (200, 201, 206)
            if not ok and response.status_code < 500:
                answer_data(response, scope="video.publish")
        except (OutcomeUnknownError, RetryLaterError):
            ok = False
        if ok:
            index += 1
            continue
        failures += 1
        if failures > 3:
            raise RetryLaterError(f"tiktok: chunk {index + 1}/{count} failed 4 times")
        try:
            uploaded = int(fetch_status(publish_id).get("uploaded_bytes") or 0)
        except RetryLaterError as exc:
            if index < count - 1:
                raise  # the video is incomplete: nothing can be published yet
            # The last chunk may have arrived, and then TikTok publishes on its own.
            raise OutcomeUnknownError(
                f"tiktok: the last chunk's outcome is unknown: {exc.message}",
                hint="the post may exist; it will be looked up") from None
        if uploaded >= size:
            return
        index = min(uploaded // chunk, count - 1)


def wait_until_published(fetch_status: StatusFetcher, publish_id: str, *, poll_s: float,
                         timeout_s: float) -> dict[str, Any]:
    """Poll ``status/fetch`` until the post is published; return that status.

    The first wait is ``poll_s``, doubling up to 15 s; a status that cannot be
    read counts as still processing.

    Raises:
        InvalidContentError: TikTok says the post ``FAILED`` (with its reason).
        OutcomeUnknownError: still processing after ``timeout_s``: it may appear.
    """
    deadline = time.monotonic() + timeout_s
    pause = poll_s
    while True:
        try:
            status = fetch_status(publish_id)
        except RetryLaterError:
            status = {}
        state = status.get("status")
        if state == "PUBLISH_COMPLETE":
            return status
        if state == "FAILED":
            reason = status.get("fail_reason") or "unknown reason"
            raise InvalidContentError(f"tiktok: the post failed: {reason}", code=str(reason))
        if time.monotonic() + pause > deadline:
            raise OutcomeUnknownError(
                f"tiktok: still {state or 'processing'} after "
                f"{timeout_s:.0f} s (publish_id {publish_id})",
                hint="it may still appear; it will be looked up")
        time.sleep(pause)
        pause = min(pause * 2, 15.0)


def _read_range(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        left = end - start
        while left > 0 and (block := fh.read(min(_CHUNK_READ, left))):
            left -= len(block)
            yield block
