"""AI content: generate, adapt, rewrite and score posts; record usage; enforce the budget.

The database is read in one short transaction, the provider is called with
no transaction open (a slow model must not hold SQLite's write lock), and the
post, its variants and the usage rows are written together in a second one:
nothing is half-stored. When the call fails, only the usage rows are kept (the
calls were made and may have cost money).

Every draft is made valid for its platform before anyone sees it: an
over-length draft is re-asked once, then split into a thread where the
platform has threads, else trimmed at a sentence boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from socialhub.ai import select_provider
from socialhub.ai.base import Draft, Provider, ProviderError, Target, Usage, UsageLog, VoiceBrief
from socialhub.ai.fitting import fit_text, join_thread
from socialhub.ai.hashtags import recommended_count
from socialhub.ai.offline import OfflineProvider, compose
from socialhub.ai.scoring import score_variant
from socialhub.config import AIConfig
from socialhub.core.policy import Permission
from socialhub.db.models import Account, AIUsage, Post, VoiceProfile
from socialhub.db.queries.ai_usage import spend_since, usage_by_model
from socialhub.db.queries.posts import post_id_named
from socialhub.errors import AuthError, BudgetError, ConflictError, ValidationError
from socialhub.services.accounts.accounts import get_account, list_accounts
from socialhub.services.ai.voices import default_voice, get_voice, voice_brief
from socialhub.services.authoring.posts import (
    TargetSpec,
    check_name,
    create_post,
    find_campaign,
    get_post,
    set_target,
)
from socialhub.services.authoring.text_rules import measure, rules_for
from socialhub.services.authoring.variants import platform_limit
from socialhub.services.context import Channel, Ctx, Principal, check, use_case
from socialhub.services.hub import Hub

MAX_VARIANTS = 5
Notify = Callable[[str], None]


@dataclass
class Job:
    """Everything one generation needs, read from the database up front."""

    org_id: int
    targets: list[Target]
    voice: VoiceBrief | None
    voice_name: str | None
    spent_usd: float
    notes: list[str] = field(default_factory=list)


def month_start(now: datetime | None = None) -> datetime:
    """Midnight UTC on the first day of the current month."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_spend(session: Session, org_id: int, now: datetime | None = None) -> float:
    """US dollars spent on AI calls by the organization this calendar month (UTC)."""
    return spend_since(session, org_id, month_start(now))


def target_for(account: Account) -> Target:
    """The provider's view of an account: its platform's counter and limit."""
    rules = rules_for(account.platform)
    return Target(ref=account.ref, rules=rules, limit=platform_limit(account) or rules.limit,
                  hashtags=recommended_count(rules))


def _accounts(session: Session, org_id: int, targets: list[str] | None,
              platforms: list[str] | None) -> list[Account]:
    if bool(targets) == bool(platforms):
        raise ValidationError("give the targets as --targets ACCOUNT,… or --platforms P,… "
                              "(one of the two)")
    if targets:
        accounts = [get_account(session, org_id, ref.strip()) for ref in targets if ref.strip()]
    else:
        accounts = []
        for platform in platforms or []:
            rules = rules_for(platform.strip().lower())
            found = list_accounts(session, org_id, rules.platform)
            if not found:
                raise ValidationError(
                    f"no {rules.platform} account to write for",
                    hint=f"add one with `socialhub accounts add {rules.platform}:@handle` "
                         "or name accounts with --targets")
            accounts.extend(found)
    unique = list({a.id: a for a in accounts}.values())  # same object per id, first order
    if not unique:
        raise ValidationError("no targets given")
    return unique


def _voice(session: Session, org_id: int, name: str | None) -> VoiceProfile | None:
    return get_voice(session, org_id, name) if name else default_voice(session, org_id)


def choose_provider(hub: Hub, override: str | None, notify: Notify) -> Provider:
    """The provider to use (config, or ``override``), telling ``notify`` when it falls back."""
    provider, note = select_provider(hub.config.settings.ai, override)
    if note:
        notify(note)
    return provider


def _store_usage(session: Session, org_id: int, calls: list[Usage]) -> None:
    for u in calls:
        session.add(AIUsage(org_id=org_id, provider=u.provider, model=u.model, task=u.task,
                            input_tokens=u.input_tokens, output_tokens=u.output_tokens,
                            cost_usd=u.cost_usd, latency_ms=u.latency_ms, ok=u.ok))


def record_usage(hub: Hub | None, org_id: int, usage: UsageLog) -> None:
    """Record an operation's provider calls (tokens, cost) in their own transaction
    (nothing without a hub: the caller stores them)."""
    if usage.calls and hub is not None:
        with hub.transaction() as session:
            _store_usage(session, org_id, usage.calls)


@dataclass(frozen=True)
class Acting:
    """Whom a generation acts as, and what its writing transaction keeps besides.

    The CLI acts as the local member (the default); the API acts as a token's
    ``principal`` and passes ``keep`` to store its idempotent answer in the same
    transaction as the post.
    """

    channel: Channel = "cli"
    principal: Principal | None = None
    keep: Callable[[Ctx, dict[str, Any]], None] | None = None

    @contextmanager
    def reading(self, hub: Hub, *needs: Permission) -> Iterator[Ctx]:
        """A transaction as the actor, after checking it holds ``needs``."""
        with hub.context(self.channel, principal=self.principal) as ctx:
            for permission in needs:
                check(ctx, permission)
            yield ctx

    @contextmanager
    def writing(self, hub: Hub, session: Session) -> Iterator[Ctx]:
        """The actor's ``Ctx`` inside the writing transaction ``session``."""
        with hub.context(self.channel, session=session, principal=self.principal) as ctx:
            yield ctx

    def kept(self, ctx: Ctx, result: dict[str, Any]) -> dict[str, Any]:
        """``result``, after handing it to ``keep`` (inside the writing transaction)."""
        if self.keep is not None:
            self.keep(ctx, result)
        return result


#: The local member through the CLI.
AS_CLI = Acting()


class GenerationRunner:
    """One operation's provider calls: fitting, repair, fallback and usage."""

    def __init__(self, hub: Hub | None, job: Job, provider: Provider, notify: Notify, *,
                 ai: AIConfig | None = None) -> None:
        """``hub`` None: the caller stores the usage rows in its own transaction (``ai``
        then gives the settings)."""
        self.hub, self.job, self.provider, self.notify = hub, job, provider, notify
        if ai is None:
            assert hub is not None
            ai = hub.config.settings.ai
        self.fallback = ai.fallback_to_offline
        self.usage = UsageLog(budget_usd=ai.monthly_budget_usd if provider.name != "offline"
                              else None, spent_usd=job.spent_usd)
        self.by_ref = {t.ref: t for t in job.targets}

    @contextmanager
    def saving(self) -> Iterator[Session]:
        """The writing transaction; if it fails, the usage rows are still kept."""
        assert self.hub is not None
        try:
            with self.hub.transaction() as session:
                yield session
                _store_usage(session, self.job.org_id, self.usage.calls)
        except BaseException:
            record_usage(self.hub, self.job.org_id, self.usage)
            raise

    def fit(self, draft: Draft) -> Draft:
        """Make ``draft`` valid for its target: re-ask once, then split or trim."""
        target = self.by_ref[draft.target]
        if draft.thread or measure(draft.text, target.platform, limit=target.limit).valid:
            return draft
        m = measure(draft.text, target.platform, limit=target.limit)
        text = draft.text
        if m.length > m.limit and draft.provider != "offline":
            try:
                text = self.provider.shorten(text, target, self.job.voice, m.length,
                                             usage=self.usage)
                draft.notes.append(f"re-asked for a text within {m.limit} {m.unit}")
            except ProviderError as exc:
                draft.notes.append(f"could not re-ask ({exc.message})")
        final, thread, how = fit_text(text, target.rules, limit=target.limit,
                                      allow_thread=target.supports_threads)
        if how:
            draft.notes.append(f"{'split into a thread' if how == 'split' else how} "
                               f"to fit {target.platform}")
        draft.text, draft.thread = final, thread
        if not all(measure(p, target.platform, limit=target.limit).valid for p in draft.parts):
            # Text the rules cannot repair (say, a character the platform refuses).
            fresh = compose(draft.text or " ", target, self.job.voice, draft.n)
            draft.text, draft.thread = fresh.text, fresh.thread
            draft.notes.append("replaced by the offline engine's draft")
        return draft

    def fallback_or_raise(self, exc: ProviderError | AuthError) -> None:
        if not self.fallback or self.provider.name == "offline":
            record_usage(self.hub, self.job.org_id, self.usage)
            raise exc
        note = f"{exc.message}; falling back to the offline engine (ai.fallback_to_offline)"
        self.job.notes.append(note)
        self.notify(note)

    def generate(self, idea: str, variants: int,
                 on_draft: Callable[[Draft], None] | None,
                 brief: dict[str, Any] | None = None) -> list[Draft]:
        done: dict[tuple[str, int], Draft] = {}

        def ready(draft: Draft) -> None:
            if (draft.target, draft.n) in done:
                return
            done[(draft.target, draft.n)] = self.fit(draft)
            if on_draft:
                on_draft(draft)

        try:
            self.provider.generate(idea, self.job.targets, self.job.voice, variants=variants,
                                   usage=self.usage, on_draft=ready, brief=brief)
        except (ProviderError, AuthError) as exc:
            self.fallback_or_raise(exc)
            OfflineProvider().generate(idea, self.job.targets, self.job.voice,
                                       variants=variants, usage=self.usage, on_draft=ready,
                                       brief=brief)
        except BudgetError:
            record_usage(self.hub, self.job.org_id, self.usage)
            raise
        order = [t.ref for t in self.job.targets]
        return sorted(done.values(), key=lambda d: (d.n, order.index(d.target)))

    def rewrite(self, text: str, target: Target, instruction: str) -> Draft:
        try:
            draft = self.provider.rewrite(text, target, self.job.voice, instruction,
                                          usage=self.usage)
        except (ProviderError, AuthError) as exc:
            self.fallback_or_raise(exc)
            draft = OfflineProvider().rewrite(text, target, self.job.voice, instruction,
                                              usage=self.usage)
        except BudgetError:
            record_usage(self.hub, self.job.org_id, self.usage)
            raise
        for note in draft.notes:
            self.notify(note)
        return self.fit(draft)


def _spec(draft: Draft, alternatives: list[Draft], provider: str, model: str,
          keep: Any | None = None) -> TargetSpec:
    options = dict(getattr(keep, "options", None) or {})
    options["generated"] = {"provider": provider, "model": model}
    options["alternatives"] = [{"n": a.n, "text": a.text, "thread": a.thread}
                               for a in alternatives]
    return TargetSpec(account=draft.target, text=draft.text, thread=draft.thread or None,
                      media=list(getattr(keep, "media", None) or []),
                      first_comment=getattr(keep, "first_comment", None), options=options)


def _draft_data(draft: Draft, platform: str) -> dict[str, Any]:
    return {"target": draft.target, "platform": platform, "n": draft.n, "text": draft.text,
            "thread": draft.thread, "provider": draft.provider, "notes": draft.notes}


def _result(post: Post, drafts: list[Draft], job: Job, runner: GenerationRunner) -> dict[str, Any]:
    return {
        "post": post.name, "id": post.id, "status": post.status, "voice": job.voice_name,
        "provider": runner.provider.name, "notes": job.notes,
        "variants": [_draft_data(d, runner.by_ref[d.target].platform) for d in drafts],
        "usage": {"calls": len(runner.usage.calls),
                  "input_tokens": sum(u.input_tokens for u in runner.usage.calls),
                  "output_tokens": sum(u.output_tokens for u in runner.usage.calls),
                  "cost_usd": round(sum(u.cost_usd for u in runner.usage.calls), 6)},
    }


def _check_variants(variants: int) -> None:
    if not 1 <= variants <= MAX_VARIANTS:
        raise ValidationError(f"--variants must be 1 to {MAX_VARIANTS}, not {variants}")


def generate_post(hub: Hub, *, idea: str, targets: list[str] | None = None,
                  platforms: list[str] | None = None, voice: str | None = None,
                  variants: int = 1, campaign: str | None = None, provider: str | None = None,
                  name: str | None = None, tags: list[str] | None = None, paid: bool = False,
                  on_draft: Callable[[Draft], None] | None = None,
                  notify: Notify = lambda _m: None,
                  brief: dict[str, Any] | None = None,
                  acting: Acting = AS_CLI) -> dict[str, Any]:
    """Write an idea for every target and store it as ONE draft post.

    The first variant of each target becomes the variant's text; further
    variants are kept in ``options["alternatives"]``. ``on_draft`` sees each
    draft (already valid) as soon as it is ready; ``notify`` gets diagnostics;
    ``brief`` is the campaign's brief the provider writes within. ``acting`` says
    whom it acts as (the actor needs ``ai.generate`` and ``posts.write``); the
    model is called outside any database transaction.

    Raises:
        PermissionDeniedError: the actor may not generate or write posts.
        ValidationError: empty idea, no targets, a platform with no account.
        NotFoundError: unknown account, voice or campaign.
        BudgetError: budget spent, or the provider failed with no fallback allowed.
    """
    if not idea or not idea.strip():
        raise ValidationError("the idea is empty: say what the post is about with --idea")
    _check_variants(variants)
    with acting.reading(hub, Permission.AI_GENERATE, Permission.POSTS_WRITE) as ctx:
        session, org_id = ctx.session, ctx.org_id
        accounts = _accounts(session, org_id, targets, platforms)
        find_campaign(session, org_id, campaign)
        if name is not None:
            check_name(name)
            if post_id_named(session, org_id, name):
                raise ConflictError(f"a post named {name!r} exists already")
        profile = _voice(session, org_id, voice)
        job = Job(org_id, [target_for(a) for a in accounts], voice_brief(profile),
                  profile.name if profile else None, month_spend(session, org_id))
    if profile is not None and not (profile.statistics or profile.samples):
        notify(f"voice {profile.name!r} has no sample posts: using its declared "
               "characteristics only (train it with `socialhub voices train`)")
    runner = GenerationRunner(hub, job, choose_provider(hub, provider, notify), notify)
    drafts = runner.generate(idea.strip(), variants, on_draft, brief)
    with runner.saving() as session:
        specs = [_spec(d, [a for a in drafts if a.target == d.target and a.n > 1],
                       runner.provider.name, runner.provider.model)
                 for d in drafts if d.n == 1]
        with acting.writing(hub, session) as ctx:
            post = create_post(ctx, body=idea.strip(), targets=specs, name=name,
                               campaign=campaign, voice=job.voice_name, tags=tags, paid=paid)
            return acting.kept(ctx, _result(post, drafts, job, runner))


@use_case(Permission.AI_GENERATE)
def write_targets(ctx: Ctx, idea: str, accounts: list[str]) -> list[TargetSpec]:
    """The variants the configured AI writes from ``idea`` for ``accounts`` (refs),
    each made valid for its network, inside the caller's transaction: what a
    workflow rule's ``draft`` with ``ai: true`` creates a post from. The usage rows
    are stored in the same transaction; the offline engine stands in as
    ``ai.fallback_to_offline`` allows.

    Raises:
        ValidationError: an empty idea or no accounts.
        NotFoundError: an unknown account.
        BudgetError: the budget is spent, or the provider failed with no fallback.
    """
    if not idea.strip():
        raise ValidationError("the idea is empty")
    session = ctx.session
    found = _accounts(session, ctx.org_id, accounts, None)
    profile = _voice(session, ctx.org_id, None)
    job = Job(ctx.org_id, [target_for(a) for a in found], voice_brief(profile),
              profile.name if profile else None, month_spend(session, ctx.org_id))
    provider, _note = select_provider(ctx.settings.ai, None)
    runner = GenerationRunner(None, job, provider, lambda _m: None, ai=ctx.settings.ai)
    try:
        drafts = runner.generate(idea.strip(), 1, None)
    finally:
        _store_usage(session, ctx.org_id, runner.usage.calls)
    return [_spec(d, [], runner.provider.name, runner.provider.model) for d in drafts]


def adapt_post(hub: Hub, ref: str, *, targets: list[str] | None = None,
               provider: str | None = None, variants: int = 1,
               on_draft: Callable[[Draft], None] | None = None,
               notify: Notify = lambda _m: None,
               acting: Acting = AS_CLI) -> dict[str, Any]:
    """Re-derive variants from the post's body for ``targets`` (default: its current targets).

    Existing variants for those accounts are replaced (schedule, media and
    first comment kept); new accounts are added as targets. The actor needs
    ``ai.generate`` and ``posts.write``.
    """
    _check_variants(variants)
    with acting.reading(hub, Permission.AI_GENERATE, Permission.POSTS_WRITE) as ctx:
        session, org_id = ctx.session, ctx.org_id
        post = get_post(session, org_id, ref)
        _refuse_if_final(post)
        if not post.body.strip():
            raise ValidationError(f"post {post.name} has no body to adapt from",
                                  hint="give it one with `socialhub posts edit --body`")
        refs = targets or [v.account.ref for v in post.variants]
        if not refs:
            raise ValidationError(f"post {post.name} has no targets; name some with --targets")
        accounts = _accounts(session, org_id, refs, None)
        profile = post.voice or default_voice(session, org_id)
        job = Job(org_id, [target_for(a) for a in accounts], voice_brief(profile),
                  profile.name if profile else None, month_spend(session, org_id))
        body, post_id = post.body, post.id
    runner = GenerationRunner(hub, job, choose_provider(hub, provider, notify), notify)
    drafts = runner.generate(body, variants, on_draft)
    with runner.saving() as session, acting.writing(hub, session) as ctx:
        check(ctx, Permission.POSTS_WRITE)
        post = get_post(session, org_id, str(post_id))
        _refuse_if_final(post)
        existing = {v.account.ref: v for v in post.variants}
        for d in (d for d in drafts if d.n == 1):
            alts = [a for a in drafts if a.target == d.target and a.n > 1]
            set_target(session, org_id, post, _spec(d, alts, runner.provider.name,
                                                    runner.provider.model,
                                                    existing.get(d.target)))
        session.flush()
        return acting.kept(ctx, _result(post, drafts, job, runner))


def _refuse_if_final(post: Post) -> None:
    if post.status in ("published", "publishing", "partially_published", "canceled"):
        raise ConflictError(f"post {post.name} is {post.status} and can no longer be changed")


def rewrite_variant(hub: Hub, ref: str, *, target: str, instruction: str,
                    provider: str | None = None,
                    notify: Notify = lambda _m: None,
                    acting: Acting = AS_CLI) -> dict[str, Any]:
    """Rewrite one target's variant by an instruction and store the (valid) result.

    The actor needs ``ai.generate`` and ``posts.write``.
    """
    if not instruction.strip():
        raise ValidationError("the instruction is empty: say how to rewrite with --instruction")
    with acting.reading(hub, Permission.AI_GENERATE, Permission.POSTS_WRITE) as ctx:
        session, org_id = ctx.session, ctx.org_id
        post = get_post(session, org_id, ref)
        _refuse_if_final(post)
        account = get_account(session, org_id, target)
        variant = next((v for v in post.variants if v.account_id == account.id), None)
        if variant is None:
            raise ValidationError(f"post {post.name} has no target {account.ref}",
                                  hint="add it with `socialhub posts adapt --targets`")
        profile = post.voice or default_voice(session, org_id)
        job = Job(org_id, [target_for(account)], voice_brief(profile),
                  profile.name if profile else None, month_spend(session, org_id))
        text, post_id = join_thread(variant.parts), post.id
    runner = GenerationRunner(hub, job, choose_provider(hub, provider, notify), notify)
    draft = runner.rewrite(text, job.targets[0], instruction.strip())
    with runner.saving() as session, acting.writing(hub, session) as ctx:
        check(ctx, Permission.POSTS_WRITE)
        post = get_post(session, org_id, str(post_id))
        _refuse_if_final(post)
        keep = next(v for v in post.variants if v.account_id == account.id)
        spec = _spec(draft, [], runner.provider.name, runner.provider.model, keep)
        spec.options["alternatives"] = list((keep.options or {}).get("alternatives", []))
        set_target(session, org_id, post, spec)
        session.flush()
        return acting.kept(ctx, _result(post, [draft], job, runner))


@use_case(Permission.AI_GENERATE)
def score_post(ctx: Ctx, ref: str) -> dict[str, Any]:
    """Score every variant of a post (and its stored alternatives). No provider is called."""
    session, org_id = ctx.session, ctx.org_id
    post = get_post(session, org_id, ref)
    profile = post.voice or default_voice(session, org_id)
    voice = voice_brief(profile)
    rows: list[dict[str, Any]] = []
    for v in post.variants:
        limit = platform_limit(v.account)
        candidates = [(1, v.parts)] + [
            (int(a.get("n", i + 2)), list(a.get("thread") or [a.get("text", "")]))
            for i, a in enumerate((v.options or {}).get("alternatives", []))]
        for n, parts in candidates:
            score = score_variant(parts, rules_for(v.account.platform), limit=limit,
                                  voice=voice.as_dict() if voice else None, paid=post.paid)
            rows.append({"target": v.account.ref, "platform": v.account.platform, "n": n,
                         "stored": n == 1, "text": "\n\n".join(parts), **score})
    return {"post": post.name, "id": post.id, "voice": profile.name if profile else None,
            "paid": post.paid, "variants": rows}


def usage_since(text: str | None) -> datetime | None:
    """``ai usage --since``: a date (or date and time) read in UTC; None when not given.

    Raises:
        ValidationError: not a date like 2026-01-31.
    """
    if not text:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"since {text!r} is not a date like 2026-01-31") from None
    return start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)


@use_case(Permission.AI_USAGE_READ)
def usage_report(ctx: Ctx, *, since: datetime | None = None,
                 budget_usd: float | None = None) -> dict[str, Any]:
    """AI calls since ``since`` (default: this month), totals and per provider/model."""
    session, org_id = ctx.session, ctx.org_id
    start = since or month_start()
    rows = [{"provider": p, "model": m, "calls": int(n), "input_tokens": int(i or 0),
             "output_tokens": int(o or 0), "cost_usd": round(float(c or 0), 6),
             "avg_latency_ms": round(float(lat or 0)), "failed": int(f or 0)}
            for p, m, n, i, o, c, lat, f in usage_by_model(session, org_id, start)]
    spent = month_spend(session, org_id)
    return {
        "since": start, "calls": sum(r["calls"] for r in rows),
        "input_tokens": sum(r["input_tokens"] for r in rows),
        "output_tokens": sum(r["output_tokens"] for r in rows),
        "cost_usd": round(sum(r["cost_usd"] for r in rows), 6), "by_model": rows,
        "month_spend_usd": round(spent, 6), "monthly_budget_usd": budget_usd,
        "budget_left_usd": None if budget_usd is None else round(max(0.0, budget_usd - spent), 6),
    }
