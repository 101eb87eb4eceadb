"""``posts generate --brief CAMPAIGN``: a draft written from a campaign's brief.

The brief (``spec.brief`` of the Campaign manifest) says what to write about
(topic, key messages), for whom (audience, regions), how (tone, the voice it
names, else the organization's default), where (platforms, unless targets are
given) and what not to do (constraints); ``paid`` marks the draft paid, so the
disclosure rules of the content policies hold it. Anthropic gets the whole brief
as data; the offline engine writes from its topic and key messages, the same
text every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialhub.ai.base import Draft
from socialhub.core.policy import Permission
from socialhub.errors import ValidationError
from socialhub.services.ai.generation import AS_CLI, Acting, Notify, generate_post
from socialhub.services.authoring.posts import find_campaign
from socialhub.services.hub import Hub


def brief_idea(brief: dict[str, Any]) -> str:
    """What the post is about, from a brief: its topic, then its key messages."""
    parts = [str(brief.get("topic", "")).strip().rstrip(".")]
    parts += [str(m).strip().rstrip(".") for m in brief.get("key_messages", []) if str(m).strip()]
    return ". ".join(p for p in parts if p) + "."


def campaign_brief(hub: Hub, campaign: str, acting: Acting = AS_CLI) -> dict[str, Any]:
    """The campaign's brief as stored (the actor needs ``campaigns.read``).

    Raises:
        NotFoundError: no such campaign.
        ValidationError: the campaign has no brief.
    """
    with acting.reading(hub, Permission.CAMPAIGNS_READ) as ctx:
        found = find_campaign(ctx.session, ctx.org_id, campaign)
        assert found is not None  # a name was given
        brief = dict(found.brief or {})
    if not brief:
        raise ValidationError(f"campaign {campaign} has no brief",
                              hint="give it spec.brief (topic, audience, key_messages…) in its "
                                   "manifest and apply it; see docs/campaigns.md")
    return brief


def generate_from_brief(hub: Hub, campaign: str, *, idea: str | None = None,
                        targets: list[str] | None = None, platforms: list[str] | None = None,
                        voice: str | None = None, variants: int = 1,
                        provider: str | None = None, name: str | None = None,
                        on_draft: Callable[[Draft], None] | None = None,
                        notify: Notify = lambda _m: None,
                        acting: Acting = AS_CLI) -> dict[str, Any]:
    """Write a draft post of ``campaign`` from its brief (``generate_post``'s result).

    ``idea`` narrows the brief to one post (default: the brief's topic and key
    messages); without ``targets`` or ``platforms`` the brief's platforms are used;
    without ``voice`` the brief's voice, else the organization's default.

    Raises:
        NotFoundError: unknown campaign, account or voice.
        ValidationError: no brief, or nowhere to write for.
    """
    brief = campaign_brief(hub, campaign, acting)
    if not targets and not platforms:
        platforms = list(brief.get("platforms") or [])
        if not platforms:
            raise ValidationError(f"the brief of campaign {campaign} names no platforms",
                                  hint="give --targets or --platforms, or platforms: in the brief")
    return generate_post(hub, idea=(idea or "").strip() or brief_idea(brief), targets=targets,
                         platforms=platforms, voice=voice or brief.get("voice"),
                         variants=variants, campaign=campaign, provider=provider, name=name,
                         paid=bool(brief.get("paid")), on_draft=on_draft, notify=notify,
                         brief=brief, acting=acting)
