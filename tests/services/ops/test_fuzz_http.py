"""Every HTTP route, fuzzed from its own OpenAPI document: never a 500, never a dropped request.

schemathesis generates valid and invalid values for every path, query and
body parameter of the search API (the one the daemon mounts), in-process
over the ASGI transport; no socket is opened. Each operation is bounded by
hypothesis settings so the whole module adds a few seconds to the suite;
the parametrized ids are the operations' names, so xdist workers collect
the same tests. The daemon's own routes have no parameters; one test hits
them with and without the token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from socialhub.daemon.http import create_daemon_app
from socialhub.search.api import create_app
from socialhub.services.ops.http_access import HttpAccess
from socialhub.services.settings import load_config

TOKEN = "fuzz-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def search_app(tmp_path: Path) -> Any:
    config = load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home")})
    app = create_app(config, token=TOKEN, max_body_bytes=4096)
    # Some data, so reads and deletes reach the stores instead of stopping at "empty".
    with TestClient(app) as client:
        for i in range(3):
            client.post("/docs", json={"title": f"doc {i}", "body": "alpha beta"}, headers=AUTH)
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)


schema = schemathesis.pytest.from_fixture("search_app")


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_search_api_input_is_a_server_error(case: Any) -> None:
    response = case.call(headers=AUTH)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text


def test_daemon_routes_answer_with_and_without_the_token(tmp_path: Path) -> None:
    config = load_config(env={"SOCIALHUB_HOME": str(tmp_path / "home")})
    access = HttpAccess("0.0.0.0", 0, TOKEN, 4096)
    app = create_daemon_app(config, lambda: {"status": "ok", "worker": "w"},
                            lambda: {"queue": {"oldest_overdue": {"post": "secret-launch"}}},
                            access)
    with TestClient(app) as client:
        for path in ("/healthz", "/metrics", "/search?q=x", "/openapi.json", "/nowhere"):
            for headers in ({}, AUTH, {"Authorization": "Bearer"},
                            {"Authorization": "Basic " + "A" * 5000}):
                response = client.get(path, headers=headers)
                assert response.status_code < 500, (path, headers, response.text)
                assert TOKEN not in response.text
