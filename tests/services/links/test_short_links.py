"""Short links end to end on SQLite and PostgreSQL: a post sent through the sandbox goes out
with a short link, the daemon's HTTP server redirects it on loopback (public even with a
token), counts people and not bots, and the clicks reach `links show` and analytics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from socialhub.daemon.http import HttpServer, create_daemon_app
from socialhub.db.models import LinkClickDaily, ShortLink
from socialhub.db.queries import analytics
from socialhub.services.authoring.campaigns import add_campaign
from socialhub.services.hub import Hub
from socialhub.services.links.redirects import LinkRedirects
from socialhub.services.links.reports import list_links, show_link
from socialhub.services.ops.http_access import HttpAccess
from tests.publishing_kit import (
    connect_account,
    make_engine,
    make_hub,
    now,
    run,
    sandbox_posts,
    schedule,
)

TOKEN = "t" * 32
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0 Safari/537.36")
PREVIEWS = ["facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0", "Mozilla/5.0 (compatible; Discordbot/2.0)",
            "Slackbot-LinkExpanding 1.0", "Bluesky Cardyb/1.1", "curl/8.5.0", ""]


@pytest.fixture
def links_hub(db_home: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """A hub whose config shortens links under a loopback base (http allowed there)."""
    monkeypatch.setenv("SOCIALHUB_LINKS_SHORTEN", "true")
    monkeypatch.setenv("SOCIALHUB_LINKS_SHORT_BASE_URL", "http://127.0.0.1:8765")
    hub = make_hub()
    yield hub
    hub.dispose()


def _send_post(hub: Hub, sandbox: Any, text: str) -> str:
    connect_account(hub, sandbox.url)
    with hub.context("cli") as ctx:
        add_campaign(ctx, "spring")
    delivery_id = schedule(hub, "launch", now(), text=text)
    with hub.transaction() as session:  # the kit's post has no campaign: give it one
        from socialhub.db.models import Campaign, Post

        post = session.scalar(select(Post).where(Post.name == "launch"))
        assert post is not None
        post.campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == "spring"))
    assert run(make_engine(hub), hub, [delivery_id])
    return str(sandbox_posts(sandbox.url)[0]["text"])


@pytest.fixture
def server(links_hub: Hub) -> Iterator[tuple[str, LinkRedirects]]:
    """The daemon's HTTP app with a token (as off loopback) on 127.0.0.1, links counted."""
    links = LinkRedirects(links_hub, flush_interval_s=3600)  # flushed by hand below
    app = create_daemon_app(links_hub.config, lambda: {"status": "ok"}, lambda: {},
                            HttpAccess("127.0.0.1", 0, TOKEN, 1 << 20), links=links)
    http = HttpServer(app, "127.0.0.1", 0)
    url = http.start()
    yield url, links
    http.stop()
    links.close()


def test_a_sent_post_carries_a_short_link_that_redirects_and_counts_people(
        links_hub: Hub, sandbox: Any, server: tuple[str, LinkRedirects]) -> None:
    text = _send_post(links_hub, sandbox, "Spring is here: https://shop.example/p?id=7#top")
    assert text.startswith("Spring is here: http://127.0.0.1:8765/l/")
    code = text.rsplit("/", 1)[1]
    assert len(code) == 8
    url, links = server
    with httpx.Client(base_url=url, follow_redirects=False, timeout=10) as client:
        for _ in range(3):
            hop = client.get(f"/l/{code}", headers={"user-agent": BROWSER})
            assert hop.status_code == 302
            assert hop.headers["location"] == (
                "https://shop.example/p?id=7&utm_source=sandbox&utm_medium=social"
                "&utm_campaign=spring&utm_content=launch-sandbox-demo#top")
        for agent in PREVIEWS:
            assert client.get(f"/l/{code}", headers={"user-agent": agent}).status_code == 302
        assert client.head(f"/l/{code}", headers={"user-agent": BROWSER}).status_code == 302
        prefetch = client.get(f"/l/{code}", headers={"user-agent": BROWSER,
                                                       "sec-purpose": "prefetch"})
        assert prefetch.status_code == 302
        missing = client.get("/l/nope1234", headers={"user-agent": BROWSER})
        assert missing.status_code == 404 and missing.text == "not found\n"
        # Public means /l/<code> and nothing more: the rest still wants the token.
        for path in (f"/l/{code}/x", "/l/", "/metrics.json", "/metrics", "/search?q=a"):
            assert client.get(path).status_code == 401, path
        assert client.post(f"/l/{code}").status_code == 401
        assert client.get("/healthz").json() == {"status": "ok"}
    assert links.pending() == 3 and links.ignored == len(PREVIEWS) + 2
    assert links.flush() == 3
    with links_hub.transaction() as session:
        assert session.scalar(select(func.sum(LinkClickDaily.count))) == 3
        assert session.scalar(select(func.count(ShortLink.id))) == 1
    with links_hub.context("cli") as ctx:
        shown = show_link(ctx, code)
        listed = list_links(ctx, campaign="spring")
        empty = list_links(ctx, campaign="autumn")
        totals = analytics.totals(ctx.session, analytics.Scope(org_id=ctx.org_id))
    assert shown["clicks"] == 3 and shown["by_platform"] == {"sandbox": 3}
    assert [d["clicks"] for d in shown["by_day"]] == [3]
    assert shown["short_url"] == f"http://127.0.0.1:8765/l/{code}"
    assert shown["url"] == "https://shop.example/p?id=7#top"
    assert [r["code"] for r in listed] == [code] and empty == []
    # The variant has short links, so its clicks are the people who followed them.
    assert totals["clicks"] == 3 and totals["clicks_measured"] == 1


def test_sending_again_reuses_the_code_and_the_stored_text_stays_as_written(
        links_hub: Hub, sandbox: Any) -> None:
    from socialhub.db.models import Post
    from socialhub.services.links.shortening import LinkSubject, rendered_parts

    _send_post(links_hub, sandbox, "Read https://a.example/x and https://a.example/x")
    with links_hub.transaction() as session:
        post = session.scalar(select(Post).where(Post.name == "launch"))
        assert post is not None
        variant = post.variants[0]
        assert variant.text == "Read https://a.example/x and https://a.example/x"
        subject = LinkSubject(org_id=post.org_id, post_id=post.id, post=post.name,
                              campaign="spring", campaign_utm=None, variant_id=variant.id,
                              account_id=variant.account_id, platform="sandbox",
                              handle="demo")
        again = rendered_parts(session, links_hub.config.settings, subject, [variant.text])
        codes = {w.rsplit("/", 1)[1] for w in again[0].split() if "/l/" in w}
        assert len(codes) == 1
        assert session.scalar(select(func.count(ShortLink.id))) == 1
