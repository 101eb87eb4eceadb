"""What each Meta surface (Threads, Instagram, Facebook Pages) takes as media.

Checked before anything is sent, so a post Meta would refuse is refused here
with the reason (type, size, duration, aspect ratio, a local file where Meta
needs a public URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class MediaRules:
    """What one Meta surface takes; a None bound is not checked."""

    platform: str
    image_mimes: tuple[str, ...]
    video_mimes: tuple[str, ...]
    image_max_bytes: int | None
    video_max_bytes: int | None
    video_min_s: float | None = None
    video_max_s: float | None = None
    min_aspect: float | None = None  # width / height, images
    max_aspect: float | None = None
    needs_url: bool = True  # Meta's crawler fetches the media from a public URL


def media_kind(item: Any) -> str | None:
    """``"image"``, ``"video"`` or None, from the item's mime, file or URL extension."""
    from socialhub.platforms.media_info import mime_for

    mime = item.mime or (mime_for(item.path) if item.path is not None else None) \
        or (mime_for(httpx.URL(item.url).path) if item.url else None)
    if not mime:
        return None
    return "image" if mime.startswith("image/") else "video" if mime.startswith("video/") \
        else None


def media_problems(item: Any, rules: MediaRules) -> list[str]:
    """What to change about one MediaItem before ``rules.platform`` takes it.

    Local files are measured with ``media_info.media_facts`` (size, image
    dimensions, MP4/MOV duration); URL-only media are checked by extension only.
    """
    from socialhub.platforms.media_info import human_size, media_facts, mime_for

    name = item.path.name if item.path is not None else str(item.url)
    problems: list[str] = []
    if rules.needs_url and not item.url:
        problems.append(f"{name} is a local file; {rules.platform} fetches media from a "
                        "public https URL: upload it and give its URL")
    mime = item.mime or (mime_for(item.path) if item.path is not None else None) \
        or (mime_for(httpx.URL(item.url).path) if item.url else None)
    if mime not in (*rules.image_mimes, *rules.video_mimes):
        problems.append(f"{name} is {mime or 'of an unknown type'}; {rules.platform} takes "
                        f"{_kinds(rules)}")
        return problems
    if item.path is None:
        return problems
    try:
        facts = media_facts(item.path)
    except OSError:
        if not item.url:
            problems.append(f"media file {item.path} does not exist")
        return problems
    video = mime in rules.video_mimes
    cap = rules.video_max_bytes if video else rules.image_max_bytes
    if cap is not None and facts.size > cap:
        problems.append(f"{name} is {human_size(facts.size)}; {rules.platform} takes "
                        f"{'videos' if video else 'images'} up to {human_size(cap)}")
    if video and facts.duration_s is not None:
        if rules.video_max_s is not None and facts.duration_s > rules.video_max_s:
            problems.append(f"{name} lasts {facts.duration_s:.0f} s; {rules.platform} takes "
                            f"videos up to {rules.video_max_s:.0f} s")
        if rules.video_min_s is not None and facts.duration_s < rules.video_min_s:
            problems.append(f"{name} lasts {facts.duration_s:.1f} s; {rules.platform} needs "
                            f"at least {rules.video_min_s:.0f} s")
    ratio = facts.aspect_ratio
    if not video and ratio is not None:
        if rules.min_aspect is not None and ratio < rules.min_aspect - 0.005:
            problems.append(f"{name} is {facts.width}×{facts.height}, taller than "
                            f"{rules.platform} takes (aspect ratio ≥ {rules.min_aspect:.2f}): "
                            "crop it")
        if rules.max_aspect is not None and ratio > rules.max_aspect + 0.005:
            problems.append(f"{name} is {facts.width}×{facts.height}, wider than "
                            f"{rules.platform} takes (aspect ratio ≤ {rules.max_aspect:.2f}): "
                            "crop it")
    return problems


def _kinds(rules: MediaRules) -> str:
    short = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "tiff": "TIFF",
             "mp4": "MP4", "quicktime": "MOV"}
    images = "/".join(short.get(m.split("/")[1], m) for m in rules.image_mimes)
    videos = "/".join(short.get(m.split("/")[1], m) for m in rules.video_mimes)
    return f"{images} images" + (f" or {videos} videos" if videos else "")
