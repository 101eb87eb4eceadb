"""The Graph fake's app, scopes and records, shared by its state and its HTTP side.

``CLIENT_ID``/``CLIENT_SECRET`` are the one Meta app the fake knows;
``SCOPES`` the permissions each platform grants; ``RATE_LIMIT_CODE`` the
Graph error code each platform throttles with. ``Tok``, ``Container`` and
``Post`` are what ``FakeMeta`` (tests/fakes/meta.py) keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CLIENT_ID, CLIENT_SECRET = "1234567890", "fake-meta-app-secret"
LONG_LIVED_S = 60 * 86_400
SCOPES = {
    "threads": {"threads_basic", "threads_content_publish", "threads_manage_replies",
                "threads_read_replies", "threads_manage_insights"},
    "instagram": {"instagram_business_basic", "instagram_business_content_publish",
                  "instagram_business_manage_comments", "instagram_business_manage_insights"},
    "facebook": {"pages_show_list", "pages_manage_posts", "pages_read_engagement",
                 "pages_manage_engagement"},
}
#: A profile's own counts as each Graph gives them (Threads: through ``threads_insights``).
PROFILE_COUNTS: dict[str, dict[str, int]] = {
    "threads": {"followers_count": 250},
    "instagram": {"followers_count": 1200, "follows_count": 80, "media_count": 42},
}
RATE_LIMIT_CODE = {"threads": 4, "instagram": 80002, "facebook": 32}


@dataclass
class Tok:
    owner: str  # user id, or page id for a page token
    kind: str  # "code", "short", "long", "page"
    issued: datetime
    expires: datetime | None
    scopes: set[str]
    revoked: bool = False
    api_expired: bool = False


@dataclass
class Container:
    id: str
    owner: str
    params: dict[str, Any]
    polls_left: int
    status: str = "IN_PROGRESS"
    error: str | None = None


@dataclass
class Post:
    id: str
    owner: str
    text: str
    reply_to: str | None
    kind: str  # "post", "reply", "comment"
    media_type: str
    created: datetime
    children: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    link: str | None = None
    deleted: bool = False
    counters: dict[str, int] = field(default_factory=dict)
