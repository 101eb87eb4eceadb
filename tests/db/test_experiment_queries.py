"""The experiment reads on SQLite and PostgreSQL: an arm counts its post's published
deliveries that have impressions, and a read stays inside its organization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from socialhub.db import models as m
from socialhub.db.queries import experiments as queries
from socialhub.db.queries.analytics import Scope, click_through
from socialhub.services.hub import Hub

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
_keys = count()


def _delivery(s: Any, variant: m.Variant, status: str, **metrics: int | None) -> None:
    d = m.Delivery(variant_id=variant.id, account_id=variant.account_id, due_at=NOW,
                   next_attempt_at=NOW, status=status, idempotency_key=f"k{next(_keys)}",
                   published_at=NOW if status == "published" else None)
    s.add(d)
    s.flush()
    if metrics:
        s.add(m.MetricLatest(delivery_id=d.id, first_captured_at=NOW, captured_at=NOW,
                             **metrics))


def _org(s: Any, name: str) -> tuple[int, list[m.Variant]]:
    org = m.Organization(name=name)
    s.add(org)
    s.flush()
    variants = []
    for handle in ("a", "b"):
        account = m.Account(org_id=org.id, platform="sandbox", handle=f"{name}-{handle}")
        post = m.Post(org_id=org.id, name=f"hook.{handle}", body="x")
        s.add_all([account, post])
        s.flush()
        variant = m.Variant(post_id=post.id, account_id=account.id, text="x")
        s.add(variant)
        s.flush()
        variants.append(variant)
    exp = m.Experiment(org_id=org.id, name="hook", metric="ctr", split="accounts",
                       min_sample=10, confidence=0.95)
    exp.arms = [m.ExperimentArm(name=h, post_id=v.post_id, position=i)
                for i, (h, v) in enumerate(zip("ab", variants, strict=True))]
    s.add(exp)
    s.flush()
    return org.id, variants


def test_an_arm_counts_published_deliveries_with_impressions_only(hub: Hub) -> None:
    with hub.transaction() as s:
        org, (va, _vb) = _org(s, "one")
        other, (wa, _wb) = _org(s, "two")
        _delivery(s, va, "published", impressions=100, likes=10, clicks=5, replies=2)
        _delivery(s, va, "published", impressions=50, likes=1, clicks=None)
        _delivery(s, va, "published", impressions=0, likes=3, clicks=3)  # no reach: not rated
        _delivery(s, va, "published")  # not captured yet
        _delivery(s, va, "scheduled", impressions=999, clicks=999)  # cannot have any
        _delivery(s, wa, "published", impressions=7, clicks=7)
        exps = queries.experiments_in_order(s, org)
        assert [e.name for e in exps] == ["hook"]
        arms = {a.name: a.id for a in exps[0].arms}
        counted = queries.arm_counts(s, arms.values())
        assert counted[arms["a"]] == {
            "published": 4, "measured": 2, "impressions": 150, "likes": 11, "clicks": 5,
            "interactions": 18, "accounts": ["sandbox:@one-a"]}
        assert counted[arms["b"]] == {"published": 0, "measured": 0, "impressions": 0,
                                      "likes": 0, "clicks": 0, "interactions": 0,
                                      "accounts": []}
        theirs = queries.experiment_named(s, other, "hook")
        assert theirs is not None and theirs.arms[0].post.org_id == other
        assert queries.arm_post_ids(s, org) == {va.post_id, _vb.post_id}


def test_click_through_counts_only_posts_with_a_clicks_count(hub: Hub) -> None:
    with hub.transaction() as s:
        org, (va, vb) = _org(s, "one")
        _delivery(s, va, "published", impressions=200, clicks=10)
        _delivery(s, vb, "published", impressions=800, clicks=None)  # no clicks given
        rows = click_through(s, Scope(org_id=org, since=NOW - timedelta(days=1),
                                      until=NOW + timedelta(days=1)))
        assert rows == [{"key": "sandbox", "posts": 1, "clicks": 10, "impressions": 200,
                         "ctr": 0.05}]
