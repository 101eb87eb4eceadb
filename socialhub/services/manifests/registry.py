"""The publication registry: ``published.yaml``, what went out where, per post and account.

The daemon's git sync commits it to a branch of the calendar repository after
posts are published (``services.gitsync.writeback``); ``export`` writes it
beside the manifests. ``apply`` reads it: a target the registry says is out
is never sent again — a new database learns it as published, with its remote
id and URL, instead of scheduling it. It is not a manifest: ``read_sources``
leaves files of this name out.

```yaml
# Written by socialhub: what was published, per post and account.
apiVersion: socialhub/v1
kind: PublicationRegistry
published:
  spring-launch:
    bluesky:@shop.example.com:
      remote_id: at://did:plc:…/app.bsky.feed.post/3k…
      url: https://bsky.app/profile/shop.example.com/post/3k…
      at: '2030-03-01T08:00:00+00:00'
```
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from socialhub.errors import ValidationError

REGISTRY_FILE = "published.yaml"
KIND = "PublicationRegistry"

#: post name → account ref → {"remote_id", "url", "at"}
Registry = dict[str, dict[str, dict[str, Any]]]

_HEADER = ("# Written by socialhub: what was published, per post and account.\n"
           "# apply and export read it; a target listed here is never published again.\n")


def load_registry(text: str, where: str) -> Registry:
    """Parse a registry file's text.

    Raises:
        ValidationError: not YAML, or not a ``PublicationRegistry`` document.
    """
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ValidationError(f"{where}: not a publication registry ({exc.__class__.__name__})"
                              ) from None
    if data in (None, {}):
        return {}
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ValidationError(f"{where}: not a publication registry (kind: {KIND})")
    published = data.get("published") or {}
    out: Registry = {}
    if not isinstance(published, dict):
        raise ValidationError(f"{where}: 'published' must map post names to accounts")
    for post, targets in published.items():
        if not isinstance(targets, dict):
            raise ValidationError(f"{where}: post {post!r} must map accounts to entries")
        for account, entry in targets.items():
            if not isinstance(entry, dict):
                raise ValidationError(f"{where}: {post}/{account} must be a mapping")
            out.setdefault(str(post), {})[str(account)] = {
                "remote_id": _text(entry.get("remote_id")), "url": _text(entry.get("url")),
                "at": _text(entry.get("at"))}
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def dump_registry(registry: Registry) -> str:
    """The registry as a ``published.yaml`` text, sorted so diffs stay small."""
    published = {post: {account: {k: v for k, v in entry.items() if v is not None}
                        for account, entry in sorted(targets.items())}
                 for post, targets in sorted(registry.items()) if targets}
    body = yaml.safe_dump({"apiVersion": "socialhub/v1", "kind": KIND,
                           "published": published},
                          sort_keys=False, allow_unicode=True, default_flow_style=False)
    return _HEADER + body


def merge_registries(*registries: Registry) -> Registry:
    """Every entry of every registry; for a post and account listed twice, the first
    one given wins (so merging never loses nor rewrites what is already recorded)."""
    out: Registry = {}
    for registry in registries:
        for post, targets in registry.items():
            for account, entry in targets.items():
                out.setdefault(post, {}).setdefault(account, dict(entry))
    return out


def read_registries(paths: Iterable[Path]) -> Registry:
    """Every ``published.yaml`` under the directories (or named) in ``paths``, merged.

    Raises:
        ValidationError: one of them is not a publication registry.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob(REGISTRY_FILE))
        elif path.name == REGISTRY_FILE and path.is_file():
            found.append(path)
    return merge_registries(*(load_registry(p.read_text(encoding="utf-8"), str(p))
                              for p in found))
