"""``/api/v1/posts``' AI routes: generate (from an idea or a campaign's brief), adapt,
rewrite, translate and score.

Each calls the service the matching ``socialhub posts`` command calls, acting as the
token's member (needs the ``ai:generate`` and ``posts:write`` scopes). The model is
called outside any database transaction; ``Idempotency-Key`` is honoured and a replay
never calls the model again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from socialhub.api.core import Caller, no_nul_bytes, read, state_of, write_slowly
from socialhub.api.problems import READS, WRITES, ApiProblem, problem_responses
from socialhub.api.routes_posts import Strict
from socialhub.api.routes_reads import Record
from socialhub.services.ai.briefs import generate_from_brief
from socialhub.services.ai.generation import (
    Acting,
    adapt_post,
    generate_post,
    rewrite_variant,
    score_post,
)
from socialhub.services.ai.translation import translate_post
from socialhub.services.context import Ctx

router = APIRouter(prefix="/api/v1/posts", tags=["ai"], dependencies=[Depends(no_nul_bytes)])

#: A model call may also meet a spent budget, a failing provider or no model at all.
_WRITES = {**WRITES, **problem_responses(402, 502, 503)}
_REF = Annotated[str, Field(min_length=1, max_length=200)]
_ACCOUNTS = Field(default=None, max_length=50, description="Account refs (platform:@handle).")
_PROVIDER = Field(default=None, max_length=40, examples=["offline", "anthropic"],
                  description="Override ai.provider for this call.")
_VARIANTS = Field(default=1, ge=1, le=10, description="Drafts per target; the first is the "
                  "target's text, the rest are kept as alternatives.")
Keep = Callable[[Ctx, Any], None]


class GenerateBody(Strict):
    """An idea, or a campaign's brief (``brief``), to write as one draft post."""

    idea: str | None = Field(default=None, max_length=10_000,
                             description="What the post is about; with brief, its angle.")
    brief: str | None = Field(default=None, min_length=1, max_length=200,
                              description="Write from this campaign's brief; the draft "
                                          "joins the campaign.")
    targets: list[Annotated[str, Field(max_length=300)]] | None = _ACCOUNTS
    platforms: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=20, description="Every account on these networks.")
    voice: str | None = Field(default=None, max_length=200)
    variants: int = _VARIANTS
    campaign: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    provider: str | None = _PROVIDER


class AdaptBody(Strict):
    """Re-derive variants from the post's body (default: for its current targets)."""

    targets: list[Annotated[str, Field(max_length=300)]] | None = _ACCOUNTS
    variants: int = _VARIANTS
    provider: str | None = _PROVIDER


class RewriteBody(Strict):
    """Rewrite one target's variant by an instruction."""

    target: str = Field(min_length=1, max_length=300)
    instruction: str = Field(min_length=1, max_length=2_000,
                             examples=["shorter and more formal"])
    provider: str | None = _PROVIDER


class TranslateBody(Strict):
    """Languages (BCP 47) to translate the post into: one new draft post each."""

    to: list[Annotated[str, Field(min_length=1, max_length=35)]] = Field(
        min_length=1, max_length=20, examples=[["de", "fr-CA"]])
    provider: str | None = _PROVIDER


def _acting(caller: Caller, keep: Keep) -> Acting:
    return Acting(channel="api", principal=caller, keep=keep)


def _step(path: str, op: str, summary: str, status: int = 200) -> Any:
    return router.post(path, response_model=None, status_code=status,
                       responses={status: {"model": Record}, **_WRITES},
                       summary=summary, operation_id=op)


@_step("/generate", "generatePost", "Write a draft post with AI", status=201)
def generate(request: Request, caller: Caller, body: GenerateBody) -> JSONResponse:
    """An idea or a campaign's brief, written for every target as one draft post
    (`socialhub posts generate`)."""
    if body.brief is None and not (body.idea or "").strip():
        raise ApiProblem(422, "invalid", "say what the post is about with idea, or write "
                         "from a campaign's brief with brief")
    if body.brief is not None and body.campaign is not None:
        raise ApiProblem(422, "invalid", "give brief or campaign, not both "
                         "(a draft from a brief joins its campaign)")

    def run(keep: Keep) -> dict[str, Any]:
        acting = _acting(caller, keep)
        if body.brief is not None:
            return generate_from_brief(
                state_of(request).hub, body.brief, idea=body.idea, targets=body.targets,
                platforms=body.platforms, voice=body.voice, variants=body.variants,
                provider=body.provider, name=body.name, acting=acting)
        return generate_post(state_of(request).hub, idea=body.idea or "", targets=body.targets,
                             platforms=body.platforms, voice=body.voice,
                             variants=body.variants, campaign=body.campaign,
                             provider=body.provider, name=body.name, acting=acting)
    return write_slowly(request, caller, run, body=body, status=201)


@_step("/{ref}/adapt", "adaptPost", "Re-derive a post's variants with AI")
def adapt(request: Request, caller: Caller, ref: _REF, body: AdaptBody) -> JSONResponse:
    """Variants written from the post's body replace those targets' texts; new accounts
    become targets (`socialhub posts adapt`)."""
    return write_slowly(request, caller, lambda keep: adapt_post(
        state_of(request).hub, ref, targets=body.targets, variants=body.variants,
        provider=body.provider, acting=_acting(caller, keep)), body=body)


@_step("/{ref}/rewrite", "rewriteVariant", "Rewrite one variant with AI")
def rewrite(request: Request, caller: Caller, ref: _REF, body: RewriteBody) -> JSONResponse:
    """One target's text, rewritten by an instruction (`socialhub posts rewrite`)."""
    return write_slowly(request, caller, lambda keep: rewrite_variant(
        state_of(request).hub, ref, target=body.target, instruction=body.instruction,
        provider=body.provider, acting=_acting(caller, keep)), body=body)


@_step("/{ref}/translate", "translatePost", "Translate a post with AI", status=201)
def translate(request: Request, caller: Caller, ref: _REF, body: TranslateBody) -> JSONResponse:
    """One new draft post per language, POST.LANG (`socialhub posts translate`); needs a
    language model (offline it is a 503 and writes nothing)."""
    return write_slowly(request, caller, lambda keep: translate_post(
        state_of(request).hub, ref, to=body.to, provider=body.provider,
        acting=_acting(caller, keep)), body=body, status=201)


@router.get("/{ref}/score", response_model=None, responses={200: {"model": Record}, **READS},
            summary="Score a post's variants", operation_id="scorePost")
def score(request: Request, caller: Caller,
          ref: Annotated[str, Path(min_length=1, max_length=200)]) -> Any:
    """Validity, voice fit, readability and risks of every variant and stored
    alternative; no model is called (`socialhub posts score`, needs ai:generate)."""
    return read(request, caller, lambda ctx: score_post(ctx, ref))
