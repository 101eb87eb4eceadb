"""The search HTTP API, in-process (TestClient) and as a real uvicorn server process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from socialhub.search.api import create_app
from socialhub.services.settings import load_config
from tests.search.test_music_files import write_audio

TOKEN = "test-search-token-not-a-secret"


def _client(home: Path, **env: str) -> TestClient:
    config = load_config(env={"SOCIALHUB_HOME": str(home), **env})
    return TestClient(create_app(config))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path / "home") as c:
        yield c


def test_error_shape_is_the_same_for_every_kind_of_error(client: TestClient) -> None:
    """Pinned: clients parse exactly this shape; changing it breaks them."""
    bad = client.get("/search", params={"q": "NEAR(", "mode": "raw"})
    assert bad.status_code == 400
    body = bad.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == "bad_query"
    assert body["error"]["message"].startswith("malformed search query: fts5: syntax error")
    assert body["error"]["detail"]["query"] == "NEAR("
    for resp, status, code in [
        (client.get("/docs/999"), 404, "not_found"),
        (client.get("/nowhere"), 404, "not_found"),
        (client.post("/docs", json={"body": "x"}), 422, "invalid_request"),
        (client.get("/search"), 422, "invalid_request"),
        (client.get("/search", params={"q": "x", "limit": 0}), 422, "invalid_request"),
        (client.put("/docs/1"), 405, "method_not_allowed"),
        (client.get("/music/search", params={"q": "colour:red"}), 400, "bad_query"),
    ]:
        assert resp.status_code == status, resp.text
        assert set(resp.json()) == {"error"} and set(resp.json()["error"]) == {
            "code", "message", "detail"}
        assert resp.json()["error"]["code"] == code


def test_missing_fields_are_named_in_the_422(client: TestClient) -> None:
    resp = client.post("/docs", json={"title": "t"})
    assert resp.status_code == 422
    assert resp.json()["error"]["message"] == "missing field 'body'"
    assert resp.json()["error"]["detail"][0]["field"] == "body"
    assert client.get("/search").json()["error"]["message"] == "missing field 'q'"


def test_posted_docs_are_searchable_fetchable_and_deletable(client: TestClient) -> None:
    created = client.post("/docs", json={"title": "Launch day", "body": "We ship on Monday.",
                                         "tags": ["launch"]})
    assert created.status_code == 201
    doc = created.json()
    assert doc["tags"] == ["launch"] and doc["id"] > 0
    found = client.get("/search", params={"q": "monday"}).json()
    assert [r["id"] for r in found["results"]] == [doc["id"]]
    assert found["results"][0]["snippet"] == "We ship on <mark>Monday</mark>."
    assert client.get(f"/docs/{doc['id']}").json()["body"] == "We ship on Monday."
    assert client.delete(f"/docs/{doc['id']}").status_code == 204
    assert client.get(f"/docs/{doc['id']}").status_code == 404
    assert client.get("/search", params={"q": "monday"}).json()["results"] == []


def test_pagination_is_stable_across_pages(client: TestClient) -> None:
    for i in range(12):
        client.post("/docs", json={"title": f"note {i}", "body": "same words here"})
    ids: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get("/search", params={"q": "same", "limit": 5, "offset": offset}).json()
        ids += [r["id"] for r in page["results"]]
        offset = page["next_offset"]
    assert len(ids) == len(set(ids)) == 12


def test_music_routes_search_and_show_tracks(tmp_path: Path) -> None:
    from socialhub.search.music_import import import_music
    from socialhub.search.music_store import MusicStore

    home = tmp_path / "home"
    write_audio(tmp_path / "m" / "a.flac", 100, title="Deep Groove", artist="Bass Unit",
                genre="House", bpm=124, date="2001")
    store = MusicStore(load_config(env={"SOCIALHUB_HOME": str(home)}).music_path)
    import_music(store, tmp_path / "m")
    store.close()
    with _client(home) as c:
        page = c.get("/music/search", params={"q": "genre:house bpm:120..130"}).json()
        (track,) = page["results"]
        shown = c.get(f"/music/track/{track['id']}").json()
        assert (shown["title"], shown["bpm"], shown["year"]) == ("Deep Groove", 124, 2001)
        assert c.get("/music/track/77").json()["error"]["code"] == "not_found"


def test_a_token_is_required_when_configured(tmp_path: Path) -> None:
    with _client(tmp_path / "home", SOCIALHUB_SEARCH_TOKEN=TOKEN) as c:
        denied = c.get("/search", params={"q": "x"})
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "unauthorized"
        assert denied.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in denied.text
        wrong = c.get("/search", params={"q": "x"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = c.get("/search", params={"q": "x"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200  # monitors need no token
        assert c.post("/docs", json={"title": "t", "body": "b"}).status_code == 401


def test_openapi_lists_every_route_and_the_error_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= {"/search", "/docs", "/docs/{doc_id}", "/music/search",
                                  "/music/track/{track_id}", "/healthz"}
    assert "ErrorOut" in spec["components"]["schemas"]
    assert "400" in spec["paths"]["/search"]["get"]["responses"]


def _home_with_a_corrupted_docs_sidecar(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    path = load_config(env={"SOCIALHUB_HOME": str(home)}).docs_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    return home


def test_a_corrupted_sidecar_is_a_503_naming_the_file(tmp_path: Path) -> None:
    with _client(_home_with_a_corrupted_docs_sidecar(tmp_path)) as c:
        resp = c.get("/search", params={"q": "x"})
        assert resp.status_code == 503
        assert resp.json()["error"]["code"] == "database_unavailable"
        assert "docs.sqlite is corrupted" in resp.json()["error"]["message"]
        assert c.get("/music/search", params={"q": ""}).status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    env.update(SOCIALHUB_HOME=str(tmp_path / "home"), SOCIALHUB_SEARCH_TOKEN=TOKEN)
    proc = subprocess.Popen([sys.executable, "-m", "socialhub", "search", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {proc.communicate()[1]}")
        time.sleep(0.1)
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert TOKEN not in stderr


def test_real_server_serves_writes_and_searches_over_http(server: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server, headers=auth, timeout=5) as http:
        created = http.post("/docs", json={"title": "Brand voice", "body": "Warm and direct."})
        assert created.status_code == 201
        hits = http.get("/search", params={"q": "warm"}).json()["results"]
        assert [h["title"] for h in hits] == ["Brand voice"]
        bad = http.get("/search", params={"q": '"open', "mode": "raw"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_query"
        assert http.get("/openapi.json").json()["info"]["title"] == "socialhub local search"
    assert httpx.get(f"{server}/search", params={"q": "warm"}).status_code == 401


# GET /search has a fast path (socialhub.search.api._FastSearch) beside the FastAPI route:
# every request must get the same answer whichever of the two serves it.
_SEARCHES = [
    {"q": "monday"}, {"q": "monday ship", "limit": "1"}, {"q": "same", "limit": "2", "offset": "1"},
    {"q": '"ship on"', "mode": "raw"}, {"q": "shi*", "mode": "raw"}, {"q": "NEAR(", "mode": "raw"},
    {"q": '"open', "mode": "raw"}, {"q": ""}, {"q": "café"}, {"q": "x", "limit": "0"},
    {"q": "x", "limit": "020"}, {"q": "x", "limit": "201"}, {"q": "x", "offset": "-1"},
    {"q": "x", "mode": "RAW"}, {"q": "x" * 1001}, {"limit": "5"}, {"q": "x", "other": "1"},
]


def _answers(client: TestClient, **headers: str) -> list[tuple[int, str, bytes]]:
    out = []
    for params in _SEARCHES:
        resp = client.get("/search", params=params, headers=headers)
        out.append((resp.status_code, resp.headers["content-type"], resp.content))
    return out


def test_the_search_fast_path_answers_exactly_as_the_fastapi_route(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.search import api

    taken: list[bool] = []
    real = api._plain_search_args

    def counting(query_string: bytes) -> dict[str, object] | None:
        args = real(query_string)
        taken.append(args is not None)
        return args

    monkeypatch.setattr(api, "_plain_search_args", counting)
    with _client(tmp_path / "home") as c:
        c.post("/docs", json={"title": "Launch", "body": "We ship on Monday. Café.",
                              "tags": ["a"]})
        for i in range(3):
            c.post("/docs", json={"title": f"note {i}", "body": "same words"})
        fast = _answers(c)
        assert sum(taken) == 10  # the valid ones, the bad FTS5 queries among them
        monkeypatch.setattr(api, "_plain_search_args", lambda query_string: None)
        assert _answers(c) == fast
    # limit=020 is declined by the fast path and accepted by FastAPI: the slow path answers it.
    assert [status for status, _, _ in fast] == [200] * 5 + [400, 400, 200, 200, 422, 200] \
        + [422] * 5 + [200]


def test_the_search_fast_path_keeps_the_token_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.search import api

    with _client(tmp_path / "home", SOCIALHUB_SEARCH_TOKEN=TOKEN) as c:
        variants = [{}, {"Authorization": f"Bearer {TOKEN}"},
                    {"Authorization": f"bearer {TOKEN}"},
                    {"Authorization": f"Bearer  {TOKEN} "}, {"Authorization": "Bearer nope"}]
        fast = [_answers(c, **h) for h in variants]
        monkeypatch.setattr(api, "_plain_search_args", lambda query_string: None)
        assert [_answers(c, **h) for h in variants] == fast
    assert {status for status, _, _ in fast[0]} == {401}
    assert {status for status, _, _ in fast[-1]} == {401}
    assert fast[1][0][0] == fast[2][0][0] == fast[3][0][0] == 200


def test_the_search_fast_path_reports_a_corrupted_sidecar_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.search import api

    with _client(_home_with_a_corrupted_docs_sidecar(tmp_path)) as c:
        fast = c.get("/search", params={"q": "x"})
        monkeypatch.setattr(api, "_plain_search_args", lambda query_string: None)
        slow = c.get("/search", params={"q": "x"})
    assert fast.status_code == slow.status_code == 503
    assert fast.content == slow.content
    assert fast.headers["content-type"] == slow.headers["content-type"]


def test_plain_search_args_only_takes_what_fastapi_accepts_unchanged() -> None:
    from socialhub.search.api import _plain_search_args as parse

    assert parse(b"q=a+b&limit=5&offset=0&mode=raw&x=1") == {
        "q": "a b", "limit": 5, "offset": 0, "mode": "raw"}
    assert parse(b"q=") == {"q": "", "limit": 20, "offset": 0, "mode": "plain"}
    assert parse(b"q=caf%C3%A9")["q"] == "café"  # type: ignore[index]
    for declined in (b"", b"limit=5", b"q=a&q=b", b"q=a&limit=05", b"q=a&limit=+5",
                     b"q=a&limit=%205", b"q=a&limit=0", b"q=a&limit=201", b"q=a&offset=-1",
                     b"q=a&offset=1000001", b"q=a&mode=Raw", b"q=a&limit=%D9%A5",
                     b"q=" + b"x" * 1001):
        assert parse(declined) is None, declined
