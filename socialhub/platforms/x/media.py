"""What X takes as media, and how a file is uploaded to it (API v2).

Facts it relies on (PLATFORMS.md §1a, §2.1): a post carries up to 4 images, or
1 GIF, or 1 video, each within X's size, dimension and duration limits, with
alt text up to 1000 characters. Files go up through ``POST /2/media/upload``:
one multipart call for an image, INIT/APPEND/FINALIZE for video and GIF, then
``STATUS`` polling while X processes it (bounded); alt text is set through
``POST /2/media/metadata``.

It lives apart from the adapter because the upload is a protocol of its own
that only yields media ids; the adapter hands in its authorised call, so the
token and the error mapping stay in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from socialhub.platforms.base import MediaItem
from socialhub.platforms.errors import InvalidContentError, RetryLaterError
from socialhub.platforms.media_info import human_size, media_facts
from socialhub.platforms.x.api import response_json

#: X's media rules (PLATFORMS.md §1a): ≤4 images, or 1 GIF, or 1 video.
IMAGE_MAX_BYTES = 5_000_000
GIF_MAX_BYTES = 15_000_000
VIDEO_MAX_BYTES = 512_000_000
VIDEO_SECONDS = (0.5, 140.0)
IMAGE_MAX_SIDE = 8192
ALT_TEXT_MAX = 1000
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
_VIDEO_TYPES = ("video/mp4", "video/quicktime")

#: The adapter's authorised call to a media endpoint: ``call(method, path, **httpx_kwargs)``.
MediaCall = Callable[..., httpx.Response]


def x_media_problems(media: list[MediaItem]) -> list[str]:
    """What X would refuse about these attachments, each saying what to change."""
    problems: list[str] = []
    kinds: list[str] = []
    for item in media:
        if item.path is None:
            problems.append(f"{item.url}: X needs a local file; download it first")
            continue
        name = item.path.name
        try:
            facts = media_facts(item.path)
        except OSError:
            problems.append(f"media file {item.path} does not exist or cannot be read")
            continue
        mime = item.mime or facts.mime
        if mime == "image/gif":
            kinds.append("gif")
            if facts.size > GIF_MAX_BYTES:
                problems.append(f"{name} is {human_size(facts.size)}; X takes GIFs up to "
                                f"{human_size(GIF_MAX_BYTES)}")
        elif mime in _IMAGE_TYPES:
            kinds.append("image")
            if facts.size > IMAGE_MAX_BYTES:
                problems.append(f"{name} is {human_size(facts.size)}; X takes images up to "
                                f"{human_size(IMAGE_MAX_BYTES)}")
            if facts.width and facts.height and max(facts.width, facts.height) > IMAGE_MAX_SIDE:
                problems.append(f"{name} is {facts.width}x{facts.height}; X takes images up "
                                f"to {IMAGE_MAX_SIDE}x{IMAGE_MAX_SIDE}: resize it")
        elif mime in _VIDEO_TYPES:
            kinds.append("video")
            if facts.size > VIDEO_MAX_BYTES:
                problems.append(f"{name} is {human_size(facts.size)}; X takes videos up to "
                                f"{human_size(VIDEO_MAX_BYTES)}")
            low, high = VIDEO_SECONDS
            if facts.duration_s is not None and not low <= facts.duration_s <= high:
                problems.append(f"{name} lasts {facts.duration_s:.1f} s; X takes videos of "
                                f"{low}–{high:.0f} s: trim it")
        else:
            problems.append(f"{name} ({mime or 'unknown type'}) is not a type X takes: use "
                            "JPEG, PNG, WebP, GIF or MP4")
        if item.alt_text and len(item.alt_text) > ALT_TEXT_MAX:
            problems.append(f"alt text of {name} is {len(item.alt_text)} characters; X takes "
                            f"up to {ALT_TEXT_MAX}")
    if len(media) > 4:
        problems.append(f"{len(media)} media; X takes up to 4 images per post")
    elif ("gif" in kinds or "video" in kinds) and len(media) > 1:
        problems.append("a GIF or video must be the only attachment on X: post the others "
                        "separately")
    return problems


def upload_media(call: MediaCall, item: MediaItem, *, chunk_bytes: int, poll_s: float,
                 timeout_s: float) -> str:
    """Upload one file (simple for images, chunked for video and GIF), then its alt text.

    Args:
        call: the adapter's authorised call for media endpoints; it raises for
            error answers.
        item: the attachment; it must be a local file.
        chunk_bytes: the APPEND segment size (X takes up to 5 MB).
        poll_s: the floor under X's ``check_after_secs`` between STATUS polls.
        timeout_s: the HTTP timeout; processing may take at least a minute.

    Returns:
        The media id to attach to a post.

    Raises:
        InvalidContentError: the file cannot be read, or X refused it while processing.
        RetryLaterError: X answered without a media id, or is still processing.
    """
    if item.path is None:
        raise InvalidContentError("x: media must be a local file, not a URL")
    try:
        facts = media_facts(item.path)
        data = item.path.read_bytes()
    except OSError as exc:
        raise InvalidContentError(
            f"x: cannot read media file {item.path}: {exc.strerror}") from None
    mime = item.mime or facts.mime or "application/octet-stream"
    if mime.startswith("image/") and mime != "image/gif":
        response = call("POST", "/2/media/upload",
                        data={"media_category": "tweet_image", "media_type": mime},
                        files={"media": (item.path.name, data, mime)})
        media_id = _media_id(response)
    else:
        media_id = _upload_chunked(call, data, mime, chunk_bytes=chunk_bytes, poll_s=poll_s,
                                   timeout_s=timeout_s)
    if item.alt_text:
        call("POST", "/2/media/metadata", json={
            "id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}})
    return media_id


def _upload_chunked(call: MediaCall, data: bytes, mime: str, *, chunk_bytes: int,
                    poll_s: float, timeout_s: float) -> str:
    category = "tweet_gif" if mime == "image/gif" else "tweet_video"
    media_id = _media_id(call("POST", "/2/media/upload", data={
        "command": "INIT", "media_type": mime, "total_bytes": str(len(data)),
        "media_category": category}))
    for segment, start in enumerate(range(0, len(data), chunk_bytes)):
        call("POST", "/2/media/upload",
             data={"command": "APPEND", "media_id": media_id, "segment_index": str(segment)},
             files={"media": ("chunk", data[start:start + chunk_bytes],
                              "application/octet-stream")})
    response = call("POST", "/2/media/upload", data={"command": "FINALIZE", "media_id": media_id})
    info = ((response_json(response) or {}).get("data") or {}).get("processing_info")
    deadline = time.monotonic() + max(timeout_s, 60.0)
    while info and info.get("state") in ("pending", "in_progress"):
        if time.monotonic() > deadline:
            raise RetryLaterError(f"x: media {media_id} still processing")
        time.sleep(max(poll_s, 0.0) * max(1, int(info.get("check_after_secs") or 1)))
        response = call("GET", "/2/media/upload",
                        params={"command": "STATUS", "media_id": media_id})
        info = ((response_json(response) or {}).get("data") or {}).get("processing_info")
    if info and info.get("state") == "failed":
        error = info.get("error") or {}
        raise InvalidContentError(f"x: the media was refused while processing: "
                                  f"{error.get('message') or error.get('name') or 'failed'}")
    return media_id


def _media_id(response: httpx.Response) -> str:
    data = (response_json(response) or {}).get("data") or {}
    media_id = data.get("id") or data.get("media_id_string")
    if not media_id:
        raise RetryLaterError("x: the media upload answered without a media id")
    return str(media_id)
