"""AI suggestions for the editor: texts for every target, or one rewritten.

Nothing is stored but the usage rows; the person decides what to keep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socialhub.errors import ValidationError

if TYPE_CHECKING:
    from socialhub.services.hub import Hub


class GenerationCancelled(Exception):
    """The person cancelled an AI run; the drafts so far are discarded."""


@dataclass(frozen=True)
class Suggestion:
    """One AI text for one target, already valid for its platform (a thread joined back)."""

    target: str
    text: str
    provider: str
    notes: tuple[str, ...] = ()


def _ai_job(hub: Hub, targets: list[str]) -> Any:
    from socialhub.services.accounts.accounts import get_account
    from socialhub.services.ai import generation as gen
    from socialhub.services.ai.voices import default_voice, voice_brief

    with hub.transaction() as session:
        org_id = hub.org_id(session)
        accounts = [get_account(session, org_id, ref) for ref in targets]
        profile = default_voice(session, org_id)
        return gen.Job(org_id, [gen.target_for(a) for a in accounts], voice_brief(profile),
                       profile.name if profile else None, gen.month_spend(session, org_id))


def _suggestion(draft: Any) -> Suggestion:
    from socialhub.ai.fitting import join_thread

    return Suggestion(draft.target, join_thread(list(draft.parts)), draft.provider,
                      tuple(draft.notes))


def suggest_variants(hub: Hub, body: str, targets: list[str], *,
                     on_suggestion: Callable[[Suggestion], None],
                     cancelled: Callable[[], bool],
                     notify: Callable[[str], None]) -> list[Suggestion]:
    """Write the body for every target with the configured AI (offline without a key).

    Nothing is stored but the usage rows (the calls were made, and may have
    cost money): the editor shows the texts and the person decides. Each
    suggestion is handed to ``on_suggestion`` as soon as it is ready;
    ``cancelled()`` is asked between drafts and stops the run.

    Raises:
        GenerationCancelled: ``cancelled()`` turned true.
        ValidationError: empty body or no target.
        BudgetError: the budget is spent, or the provider failed with no fallback.
    """
    # The generation service's runner is reused so fitting, fallback and the budget
    # behave exactly as in `socialhub posts generate`; only the storing differs.
    from socialhub.services.ai import generation as gen

    if not body.strip():
        raise ValidationError("write the idea in the body first, then generate")
    if not targets:
        raise ValidationError("pick at least one target account to generate for")
    job = _ai_job(hub, targets)
    runner = gen.GenerationRunner(hub, job, gen.choose_provider(hub, None, notify), notify)

    def ready(draft: Any) -> None:
        if cancelled():
            raise GenerationCancelled
        on_suggestion(_suggestion(draft))

    try:
        drafts = runner.generate(body.strip(), 1, ready)
    except GenerationCancelled:
        gen.record_usage(hub, job.org_id, runner.usage)
        raise
    gen.record_usage(hub, job.org_id, runner.usage)
    return [_suggestion(d) for d in drafts if d.n == 1]


def suggest_rewrite(hub: Hub, text: str, target: str, instruction: str, *,
                    notify: Callable[[str], None]) -> Suggestion:
    """Rewrite one target's text by ``instruction`` (shorter, formal, casual, emoji…).

    Like :func:`suggest_variants`, only the usage is stored.

    Raises:
        ValidationError: empty text or instruction.
        BudgetError: the budget is spent, or the provider failed with no fallback.
    """
    from socialhub.services.ai import generation as gen

    if not text.strip():
        raise ValidationError("nothing to rewrite: the text is empty")
    if not instruction.strip():
        raise ValidationError("say how to rewrite (shorter, formal, casual, emoji, hashtags…)")
    job = _ai_job(hub, [target])
    runner = gen.GenerationRunner(hub, job, gen.choose_provider(hub, None, notify), notify)
    draft = runner.rewrite(text, job.targets[0], instruction.strip())
    gen.record_usage(hub, job.org_id, runner.usage)
    return _suggestion(draft)
