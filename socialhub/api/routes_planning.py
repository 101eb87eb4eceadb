"""Campaign, slot and voice writes: ``/api/v1/campaigns``, ``/slots``, ``/voices``.

Each route calls the use case the matching CLI command calls (``campaigns add``,
``slots add/remove``, ``voices add/show/edit/remove/train``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from socialhub.api.core import Caller, no_nul_bytes, operation, read, write
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record, Records
from socialhub.services.ai.voices import (
    add_voice,
    edit_voice,
    remove_voice,
    show_voice,
    train_voice,
    voice_summary,
)
from socialhub.services.analytics.best_times import suggest_slots
from socialhub.services.authoring.campaigns import (
    add_campaign,
    campaign_summary,
    parse_budget,
    parse_date,
)
from socialhub.services.authoring.slots import add_slot, remove_slot, slot_summary
from socialhub.services.clock import display_zone
from socialhub.services.context import Ctx

router = APIRouter(prefix="/api/v1", dependencies=[Depends(no_nul_bytes)])

_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NAME = Annotated[str, Path(min_length=1, max_length=200)]
_PHRASES = Field(default=None, max_length=100)
_Phrase = Annotated[str, Field(max_length=500)]


def _route(method: str, path: str, op: str, summary: str, tag: str, status: int = 200,
           model: type = Record) -> Any:
    return operation(router, method, path, op, summary, tag, model, status=status)


class CampaignCreate(Strict):
    """A new campaign."""

    name: str = Field(min_length=1, max_length=200, examples=["spring"])
    description: str | None = Field(default=None, max_length=2_000)
    status: Literal["planned", "active", "paused", "completed", "archived"] = "planned"
    starts: str | None = Field(default=None, max_length=10, examples=["2026-03-01"])
    ends: str | None = Field(default=None, max_length=10, examples=["2026-04-30"])
    budget: str | None = Field(default=None, max_length=40, examples=["900.00"])
    currency: str | None = Field(default=None, min_length=3, max_length=3, examples=["EUR"])


class SlotsCreate(Strict):
    """A slot for every day × time pair."""

    account: str = Field(min_length=1, max_length=300, examples=["bluesky:@shop.example.com"])
    days: list[Annotated[str, Field(max_length=20)]] = Field(min_length=1, max_length=7,
                                                             examples=[["mon", "wed"]])
    times: list[Annotated[str, Field(max_length=10)]] = Field(min_length=1, max_length=48,
                                                              examples=[["09:00"]])
    zone: str | None = Field(default=None, max_length=100,
                             description="IANA zone (default: the configured one).")


class SuggestBody(Strict):
    """Add the suggested slots the account does not have yet."""

    account: str = Field(min_length=1, max_length=300)
    count: int = Field(default=3, ge=1, le=7, description="One slot per weekday, at most 7.")
    zone: str | None = Field(default=None, max_length=100)
    since: str | None = Field(default=None, max_length=100,
                              description="First day of history to learn from (26w).")
    min_posts: int = Field(default=3, ge=1, le=10_000)


class VoiceCreate(Strict):
    """A voice profile from declared characteristics (and optional sample posts)."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2_000)
    tone: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None,
                                                                    max_length=20)
    formality: int | None = Field(default=None, ge=1, le=10)
    emoji: str | None = Field(default=None, max_length=20)
    use: list[_Phrase] | None = _PHRASES
    avoid: list[_Phrase] | None = _PHRASES
    samples: list[Annotated[str, Field(max_length=10_000)]] | None = Field(default=None,
                                                                          max_length=200)
    default: bool = False


class VoicePatch(Strict):
    """Changes to a voice; fields left out stay as they are (``tone`` replaces the list)."""

    rename: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2_000)
    tone: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None,
                                                                    max_length=20)
    formality: int | None = Field(default=None, ge=1, le=10)
    emoji: str | None = Field(default=None, max_length=20)
    use: list[_Phrase] | None = _PHRASES
    avoid: list[_Phrase] | None = _PHRASES
    no_use: list[_Phrase] | None = _PHRASES
    no_avoid: list[_Phrase] | None = _PHRASES
    default: bool | None = None


class VoiceTraining(Strict):
    """Sample posts to learn from (the profile is created when missing)."""

    samples: list[Annotated[str, Field(min_length=1, max_length=10_000)]] = Field(
        min_length=1, max_length=1_000)
    append: bool = Field(default=False, description="Add to the samples learned before.")


@_route("POST", "/campaigns", "createCampaign", "Create a campaign", "campaigns", 201)
def create_campaign(request: Request, caller: Caller, body: CampaignCreate) -> JSONResponse:
    """A new campaign (`socialhub campaigns add`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        made = add_campaign(ctx, body.name, description=body.description,
                            status=body.status, starts_on=parse_date(body.starts, "starts"),
                            ends_on=parse_date(body.ends, "ends"),
                            budget=parse_budget(body.budget), currency=body.currency)
        return campaign_summary(ctx.session, made)
    return write(request, caller, run, body=body, status=201)


@_route("POST", "/slots", "createSlots", "Add weekly slots", "slots", 201, Records)
def create_slots(request: Request, caller: Caller, body: SlotsCreate) -> JSONResponse:
    """A slot for every day × time pair, all or none (`socialhub slots add`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        zone = body.zone or display_zone(ctx.settings)
        return {"items": [slot_summary(add_slot(ctx, body.account, weekday=d, time=t,
                                                zone=zone))
                          for d in body.days for t in body.times]}
    return write(request, caller, run, body=body, status=201)


@_route("GET", "/slots/suggestions", "suggestSlots", "Suggest slots at the best hours",
        "slots")
def suggestions(request: Request, caller: Caller,
                account: Annotated[str, Query(min_length=1, max_length=300)],
                count: Annotated[int, Query(ge=1, le=7)] = 3,
                zone: Annotated[str | None, Query(max_length=100)] = None,
                since: Annotated[str | None, Query(max_length=100)] = None,
                min_posts: Annotated[int, Query(ge=1, le=10_000)] = 3) -> Any:
    """The account's best hours from its own history, as slots; adds nothing
    (`socialhub slots suggest`; needs analytics:read and slots:read)."""
    return read(request, caller, lambda ctx: suggest_slots(
        ctx, account, count=count, zone=zone, since=since, min_posts=min_posts))


@_route("POST", "/slots/suggestions", "applySlotSuggestions",
        "Add the suggested slots", "slots")
def apply_suggestions(request: Request, caller: Caller, body: SuggestBody) -> JSONResponse:
    """`socialhub slots suggest --apply` (needs analytics:read and slots:write)."""
    return write(request, caller, lambda ctx: suggest_slots(
        ctx, body.account, count=body.count, zone=body.zone, since=body.since,
        min_posts=body.min_posts, apply=True), body=body)


@_route("DELETE", "/slots/{slot_id}", "deleteSlot", "Remove a slot", "slots")
def delete_slot(request: Request, caller: Caller, slot_id: _ID) -> JSONResponse:
    """`socialhub slots remove`."""
    def run(ctx: Ctx) -> dict[str, Any]:
        remove_slot(ctx, slot_id)
        return {"id": slot_id, "removed": True}
    return write(request, caller, run)


@_route("GET", "/voices/{name}", "getVoice", "Show a voice profile", "voices")
def get_voice(request: Request, caller: Caller, name: _NAME) -> Any:
    """Declared traits, learned statistics and samples (`socialhub voices show`)."""
    return read(request, caller, lambda ctx: show_voice(ctx, name))


@_route("POST", "/voices", "createVoice", "Add a voice profile", "voices", 201)
def create_voice(request: Request, caller: Caller, body: VoiceCreate) -> JSONResponse:
    """`socialhub voices add`."""
    return write(request, caller, lambda ctx: voice_summary(add_voice(
        ctx, body.name, description=body.description, tone=body.tone,
        formality=body.formality, emoji_use=body.emoji, phrases_use=body.use,
        phrases_avoid=body.avoid, samples=body.samples, default=body.default)),
        body=body, status=201)


@_route("PATCH", "/voices/{name}", "updateVoice", "Change a voice profile", "voices")
def update_voice(request: Request, caller: Caller, name: _NAME,
                 body: VoicePatch) -> JSONResponse:
    """`socialhub voices edit`."""
    return write(request, caller, lambda ctx: voice_summary(edit_voice(
        ctx, name, rename=body.rename, description=body.description, tone=body.tone,
        formality=body.formality, emoji_use=body.emoji, add_use=body.use,
        add_avoid=body.avoid, drop_use=body.no_use, drop_avoid=body.no_avoid,
        default=body.default)), body=body)


@_route("DELETE", "/voices/{name}", "deleteVoice", "Remove a voice profile", "voices")
def delete_voice(request: Request, caller: Caller, name: _NAME) -> JSONResponse:
    """Posts written with it keep their text (`socialhub voices remove`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        remove_voice(ctx, name)
        return {"name": name, "removed": True}
    return write(request, caller, run)


@_route("POST", "/voices/{name}/train", "trainVoice", "Train a voice on sample posts",
        "voices")
def train(request: Request, caller: Caller, name: _NAME, body: VoiceTraining) -> JSONResponse:
    """Learn statistics from sample posts (`socialhub voices train`)."""
    def run(ctx: Ctx) -> dict[str, Any]:
        voice, created = train_voice(ctx, name, body.samples, append=body.append)
        return {**voice_summary(voice, full=True), "created": created}
    return write(request, caller, run, body=body)
