"""``GET /calendar.ics?token=…``: the plan in a phone's calendar, through real HTTP, parsed
back with ``icalendar``; only a read-only token opens it (its URL carries the token)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from icalendar import Calendar

from tests.api.conftest import Api


def _draft_and_schedule(api: Api, token: str) -> None:
    with api.client(token) as client:
        made = client.post("/api/v1/posts", json={
            "name": "launch", "body": "We ship on Monday",
            "targets": [{"account": "bluesky:@shop.example.com"}]})
        assert made.status_code == 201, made.text
        scheduled = client.post("/api/v1/posts/launch/schedule",
                                json={"at": "2031-03-04T09:30:00Z"})
        assert scheduled.status_code == 200, scheduled.text


def test_a_read_only_token_gets_the_plan_as_icalendar(api: Api) -> None:
    _draft_and_schedule(api, api.token("posts:write,posts:publish"))
    feed = httpx.get(f"{api.url}/calendar.ics",
                     params={"token": api.token("posts:read")})
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "ratelimit-remaining" in feed.headers
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert [str(e["SUMMARY"]) for e in events] == ["We ship on Monday (bluesky)"]
    assert events[0].decoded("DTSTART") == datetime(2031, 3, 4, 9, 30, tzinfo=UTC)


def test_a_token_that_can_write_or_no_token_does_not_open_the_feed(api: Api) -> None:
    for params, status in (({"token": api.token("posts:write")}, 403),
                           ({"token": api.token("posts:read,inbox:write")}, 403),
                           ({"token": api.token("analytics:read")}, 403),
                           ({"token": "shp_not-a-token"}, 401),
                           ({}, 422)):
        refused = httpx.get(f"{api.url}/calendar.ics", params=params)
        assert refused.status_code == status, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == status
