"""The daemon's ``evergreen`` job, as the runner calls it: it requeues what is due as the
daemon (whose role may) and wakes the publish job only when it queued something."""

from __future__ import annotations

from socialhub.daemon import jobs
from socialhub.services.accounts.accounts import add_account
from socialhub.services.authoring.evergreen import add_evergreen
from socialhub.services.authoring.posts import TargetSpec, create_post
from socialhub.services.authoring.slots import add_slot
from socialhub.services.hub import Hub


def test_the_job_requeues_due_evergreen_posts_and_wakes_the_publisher(hub: Hub) -> None:
    woken: list[bool] = []
    assert jobs.experiments_and_evergreen(hub, lambda: woken.append(True)) == {
        "winners": 0, "requeued": 0, "no_slot": 0}
    assert woken == []
    with hub.context("cli") as ctx:
        add_account(ctx, platform="sandbox", handle="shop")
        add_slot(ctx, "sandbox:@shop", weekday="tue", time="10:00", zone="UTC")
        create_post(ctx, name="faq", body="Read the FAQ.",
                    targets=[TargetSpec(account="sandbox:@shop")])
        add_evergreen(ctx, "faq", cooldown_days=7)
    assert jobs.experiments_and_evergreen(hub, lambda: woken.append(True))["requeued"] == 1
    assert woken == [True]
    # Queued once: the next run finds it waiting.
    assert jobs.experiments_and_evergreen(hub, lambda: woken.append(True))["requeued"] == 0
