"""Text as each platform counts it: ``/api/v1/text/measure``, ``/text/split``,
``/hashtags/suggest``.

Pure functions over the text sent, as ``socialhub text`` and ``socialhub hashtags``
call them: they read no record, so any valid token may call them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from socialhub.api.core import Caller, no_nul_bytes
from socialhub.api.problems import problem_responses
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record
from socialhub.services.ai.hashtags import suggest_hashtags
from socialhub.services.authoring.text_rules import (
    measure,
    measure_summary,
    measured_parts,
    rules_for,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

#: The longest text, as for a post's body (``core.limits.TEXT_CHARS``).
_TEXT = 100_000
#: Any valid token may call them; a body over the limit is a 413 before they run.
_OK: dict[int | str, dict[str, Any]] = {200: {"model": Record},
                                        **problem_responses(401, 413, 422, 429)}


class Text(Strict):
    """A text and the network to count it for."""

    text: str = Field(max_length=_TEXT)
    platform: str = Field(min_length=1, max_length=40, examples=["bluesky"])


class Measure(Text):
    """What to measure."""

    limit: int | None = Field(default=None, ge=1, le=1_000_000,
                              description="Override the platform's limit.")
    max_hashtags: int | None = Field(default=None, ge=0, le=1_000)


class Split(Text):
    """What to split into a thread."""

    limit: int | None = Field(default=None, ge=1, le=1_000_000)
    number: bool = Field(default=False, description='Append " 1/3"-style counters.')


class Hashtags(Text):
    """What to suggest hashtags for."""

    count: int | None = Field(default=None, ge=0, le=30)


@router.post("/text/measure", tags=["text"], response_model=None, responses=_OK,
             operation_id="measureText", summary="Measure a text as a platform counts it")
def measure_text(caller: Caller, body: Measure) -> Any:
    """Length, limit, `valid` and the problems (`socialhub text measure`); an invalid
    text is an answer (`valid: false`), not an error."""
    return measure_summary(measure(body.text, body.platform, limit=body.limit,
                                   max_hashtags=body.max_hashtags))


@router.post("/text/split", tags=["text"], response_model=None, responses=_OK,
             operation_id="splitText", summary="Split a text into a thread")
def split_text(caller: Caller, body: Split) -> Any:
    """Parts that each fit the platform's limit, cut at paragraphs, sentences, then
    words (`socialhub text split`)."""
    rules = rules_for(body.platform)
    return {"platform": rules.platform,
            "parts": measured_parts(body.text, body.platform, limit=body.limit,
                                    number=body.number)}


@router.post("/hashtags/suggest", tags=["text"], response_model=None, responses=_OK,
             operation_id="suggestHashtags", summary="Suggest hashtags for a text")
def hashtags(caller: Caller, body: Hashtags) -> Any:
    """From the text's keywords, sized for the platform; offline, no model
    (`socialhub hashtags suggest`)."""
    rules = rules_for(body.platform)
    return {"platform": rules.platform,
            "hashtags": suggest_hashtags(body.text, rules.platform, count=body.count)}
