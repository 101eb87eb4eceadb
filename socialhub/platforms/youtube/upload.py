"""How a video reaches YouTube: which files it takes, and the resumable byte transfer.

Facts it relies on (PLATFORMS.md §2.10): the adapter opens an upload session
(``POST /upload/youtube/v3/videos?uploadType=resumable`` with the metadata; the
session is its ``Location``), then the bytes are PUT there. A PUT that breaks
off is resumed: ``Content-Range: bytes */N`` asks how much arrived (308 with
``Range``) and the rest follows; a session whose upload had in fact finished
answers with the video. Creating the session creates nothing visible, so only
the byte transfer here can leave an unknown outcome.

It lives apart from the adapter because the transfer is a protocol of its own
(offsets, resumes, a session URL that is a capability) that never touches the
video's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from socialhub.platforms.errors import OutcomeUnknownError, RetryLaterError
from socialhub.platforms.http import send
from socialhub.platforms.media_info import human_size, media_facts
from socialhub.platforms.youtube.api import SCOPE_UPLOAD, raise_for_google

MAX_DURATION_S = 12 * 3600  # verified accounts; unverified ones stop at 15 min (not checked)
MAX_SIZE = 256 * 1024**3
_CHUNK = 1024 * 1024
_MAX_RESUMES = 5
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".wmv", ".flv", ".webm", ".mkv",
                     ".3gp", ".mpg", ".mpeg")


def video_problems(path: Path | None, url: str | None, mime: str | None) -> list[str]:
    """What YouTube would refuse about this video: not local, missing, not a video, too big/long."""
    if path is None:
        return [f"{url}: YouTube uploads need a local file, not a URL"]
    if not path.is_file():
        return [f"video file {path} does not exist"]
    try:
        facts = media_facts(path)
    except OSError as exc:
        return [f"cannot read video file {path}: {exc.strerror}"]
    guessed = mime or facts.mime or ""
    if not guessed.startswith("video/") and path.suffix.lower() not in _VIDEO_EXTENSIONS:
        return [f"{path.name} is not a video; YouTube takes MP4, MOV, WebM, AVI and the like"]
    problems = []
    if facts.size > MAX_SIZE:
        problems.append(f"{path.name} is {human_size(facts.size)}; YouTube takes up to 256 GB")
    duration = facts.duration_s
    if duration is not None and duration > MAX_DURATION_S:
        problems.append(f"{path.name} lasts {duration / 3600:.1f} h; YouTube takes up to 12 h")
    return problems


def transfer_video(client: httpx.Client, location: str, path: Path, size: int, mime: str, *,
                   auth: dict[str, str]) -> dict[str, Any]:
    """PUT the file's bytes to the upload session; on a break, ask what arrived and send the rest.

    Args:
        client: the adapter's HTTP client.
        location: the upload session URL.
        path: the video file, ``size`` bytes of ``mime``.
        auth: the headers that authorise the PUTs (empty when the session is on
            another origin than the API: the bearer token never leaves it).

    Returns:
        The video resource YouTube created.

    Raises:
        OutcomeUnknownError: the transfer broke off too often, or how much
            arrived could not be learnt: the video may exist and must be looked up.
        RetryLaterError: the session expired; nothing was created.
        AdapterError: YouTube refused the bytes (``raise_for_google``).
    """
    offset = 0
    for _ in range(_MAX_RESUMES + 1):
        headers = {**auth, "Content-Type": mime, "Content-Length": str(size - offset)}
        if offset:
            headers["Content-Range"] = f"bytes {offset}-{size - 1}/{size}"
        try:
            response = send(client, "PUT", location, platform="youtube",
                            headers=headers, content=_read_from(path, offset))
        except OutcomeUnknownError:
            response = None
        if response is not None and response.status_code in (200, 201):
            return dict(response.json())
        if response is not None and response.status_code < 500:
            raise_for_google(response, scope=SCOPE_UPLOAD)
        # Broken off or a 5xx: the upload may have finished or stopped part way.
        state = upload_state(client, location, size, auth=auth)
        if isinstance(state, dict):
            return state
        offset = state
    raise OutcomeUnknownError(f"youtube: the upload broke off {_MAX_RESUMES + 1} times",
                              hint="the video may exist; it will be looked up")


def upload_state(client: httpx.Client, location: str, size: int, *,
                 auth: dict[str, str]) -> dict[str, Any] | int:
    """The finished video, or the offset to resume from (``bytes */N`` → 308 ``Range``).

    Raises:
        RetryLaterError: the session expired (404): upload again from the start.
        OutcomeUnknownError: any other answer, or none: the video may exist.
    """
    headers = {**auth, "Content-Range": f"bytes */{size}", "Content-Length": "0"}
    try:
        response = send(client, "PUT", location, platform="youtube",
                        headers=headers, content=b"")
    except (OutcomeUnknownError, RetryLaterError) as exc:
        raise OutcomeUnknownError(f"youtube: cannot ask how much of the upload arrived: "
                                  f"{exc.message}",
                                  hint="the video may exist; it will be looked up") from None
    if response.status_code in (200, 201):
        return dict(response.json())
    if response.status_code == 308:
        received = response.headers.get("Range", "")
        return int(received.rsplit("-", 1)[1]) + 1 if "-" in received else 0
    if response.status_code == 404:
        raise RetryLaterError("youtube: the upload session expired; uploading again")
    # Whatever else (a 5xx, a 401): the bytes may all have arrived, so the video
    # may exist; only a look-up can tell, never a blind re-upload.
    raise OutcomeUnknownError(f"youtube: asking how much of the upload arrived answered "
                              f"HTTP {response.status_code}",
                              status=response.status_code,
                              hint="the video may exist; it will be looked up")


def _read_from(path: Path, offset: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(_CHUNK):
            yield chunk
