"""Previews for review: each planned post as each platform would show it.

``preview_manifests`` plans the manifests exactly as ``apply`` would (the same
planner) and describes every post target: its text or thread parts with the
length the platform counts against its limit, the first comment, media with
alt text, the links a platform turns into a card, and the schedule in the
zone the author wrote. ``render_preview`` turns that into Markdown (for a
pull-request comment) or a standalone HTML page, from the Jinja2 templates in
``templates/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any, Literal

from socialhub.core.manifests import Issue, Manifest
from socialhub.core.media_policy import MediaPolicy
from socialhub.core.policy import Permission
from socialhub.core.text_entities import find_urls
from socialhub.db.queries.campaigns import campaign_named
from socialhub.services.authoring.text_rules import DISPLAY_NAMES
from socialhub.services.context import Ctx, use_case
from socialhub.services.links.style import sent_text
from socialhub.services.manifests.apply import Owner, plan_with_targets
from socialhub.services.manifests.posts import TargetState, lengths
from socialhub.services.manifests.registry import Registry

Format = Literal["markdown", "html"]
FORMATS: tuple[str, ...] = ("markdown", "html")


@use_case(Permission.MANIFESTS_EXPORT)
def preview_manifests(ctx: Ctx, manifests: Sequence[Manifest], *, now: datetime,
                      issues: Sequence[Issue] = (), media: MediaPolicy | None = None,
                      owner: Owner | None = None, prune: bool = False,
                      published: Registry | None = None,
                      changed_only: bool = False) -> dict[str, Any]:
    """Every post of the plan as its platforms would show it, and what the plan cancels.

    Returns ``{"posts": [...], "pruned": [...], "summary": {action: count}}``; each
    post has its ``action`` (as ``diff`` says) and one entry per target. With
    ``changed_only`` unchanged posts are left out. Reads only.

    Raises:
        ManifestError: the manifests have problems (as ``apply`` would report them).
    """
    changes, targets = plan_with_targets(ctx, manifests, now=now, issues=issues, media=media,
                                         owner=owner, prune=prune, published=published)
    by_name = {c.name: c for c in changes if c.kind == "Post"}
    # Campaigns of this set first (their template is what apply will store), then the
    # database's.
    campaigns: dict[str, Any] = {c.name: SimpleNamespace(utm=c.model.spec.utm)
                                 for c in manifests if c.kind == "Campaign"}
    posts = []
    for name, (m, states) in sorted(targets.items()):
        change = by_name.get(name)
        action = change.action if change else "unchanged"
        if changed_only and action == "unchanged":
            continue
        spec = m.model.spec
        posts.append({
            "name": name, "action": action, "file": m.file,
            "fields": list(change.fields) if change else [],
            "campaign": m.model.metadata.campaign, "tags": list(spec.tags),
            "targets": [_target(ref, account.platform, account, st,
                                _sent(ctx, m, account, campaigns))
                        for ref, (_i, account, st) in states.items()]})
    pruned = [c.as_dict() for c in changes
              if c.kind == "Post" and c.action in ("canceled", "kept")]
    summary: dict[str, int] = {}
    for c in changes:
        summary[c.action] = summary.get(c.action, 0) + 1
    return {"posts": posts, "pruned": pruned, "summary": summary}


def _sent(ctx: Ctx, m: Manifest, account: Any, campaigns: dict[str, Any]
          ) -> Callable[[str], str]:
    """How a target's text reads once its links are tagged or shortened (for its lengths)."""
    name = m.model.metadata.campaign
    if name and name not in campaigns:
        campaigns[name] = campaign_named(ctx.session, ctx.org_id, name)
    campaign = campaigns.get(name or "")
    return sent_text(ctx.settings, campaign=name, post=m.name, platform=account.platform,
                     handle=account.handle,
                     campaign_utm=campaign.utm if campaign is not None else None)


def _target(ref: str, platform: str, account: Any, st: TargetState,
            sent: Callable[[str], str] | None = None) -> dict[str, Any]:
    parts = [str(p) for p in st.thread] if st.thread else [st.text]
    measured = lengths(account, parts, sent)
    return {
        "account": ref, "platform": platform,
        "platform_name": DISPLAY_NAMES.get(platform, platform),
        "parts": [{**m, "text": text} for text, m in zip(parts, measured, strict=True)],
        "first_comment": st.first_comment,
        "media": [{"source": item.get("path") or item.get("url") or "",
                   "alt": item.get("alt_text") or item.get("alt") or "",
                   "mime": item.get("mime") or ""} for item in st.media],
        "links": [u.text for p in parts for u in find_urls(p, with_scheme_only=True)],
        "schedule": _schedule(st),
    }


def _schedule(st: TargetState) -> str | None:
    """``Mon 2030-03-04 09:00 Europe/Berlin``: the time as the author wrote it, in their zone."""
    if st.when is None:
        return None
    local = st.when.local
    return f"{local:%a} {local:%Y-%m-%d %H:%M} {st.when.zone}"


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("socialhub.services.manifests", "templates"),
                       autoescape=select_autoescape(["html.j2"]), trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)


def render_preview(preview: dict[str, Any], fmt: Format) -> str:
    """The preview as Markdown (a pull-request comment) or a standalone HTML page.

    HTML escapes every text from the manifests; Markdown shows post texts in code
    blocks, so nothing in a post can change the comment around it.
    """
    name = "preview.md.j2" if fmt == "markdown" else "preview.html.j2"
    return str(_environment().get_template(name).render(
        posts=preview["posts"], pruned=preview["pruned"], summary=preview["summary"],
        fence=_fence))


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)
