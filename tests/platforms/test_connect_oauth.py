"""The OAuth helpers: PKCE, the authorize URL, redirects, the loopback listener, the exchange."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialhub.errors import AuthError, ConfigError
from socialhub.platforms import oauth
from socialhub.platforms.base import AppCredentials, OAuthSpec

SPEC = OAuthSpec(authorize_url="https://example.test/authorize",
                 token_url="https://example.test/token", scopes=("a.read", "a.write"))


def test_s256_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifiers_are_long_unreserved_and_unique() -> None:
    verifiers = {oauth.new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-._~")


def test_authorize_url_carries_pkce_state_scopes_and_extras() -> None:
    spec = OAuthSpec(authorize_url="https://example.test/authorize?x=1",
                     token_url="https://example.test/token", scopes=("a", "b"),
                     scope_separator=",", extra_authorize_params={"duration": "permanent"})
    url = oauth.authorize_url(spec, client_id="cid", redirect_uri=oauth.redirect_uri_for(8765),
                              state="st", code_challenge="ch")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {"x": "1", "response_type": "code", "client_id": "cid",
                     "redirect_uri": "http://127.0.0.1:8765/callback", "scope": "a,b",
                     "state": "st", "code_challenge": "ch", "code_challenge_method": "S256",
                     "duration": "permanent"}


@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="&#=%+"), min_size=1))
def test_pasted_redirect_with_another_state_is_refused(other: str) -> None:
    if other == "good-state":
        return
    with pytest.raises(AuthError, match="state does not match"):
        oauth.parse_redirect(f"http://127.0.0.1:8765/callback?code=c&state={other}",
                             "good-state")


def test_pasted_redirect_yields_the_code_from_a_url_or_a_query() -> None:
    url = "http://127.0.0.1:8765/callback?code=the-code&state=s1"
    assert oauth.parse_redirect(f"  {url}\n", "s1") == "the-code"
    assert oauth.parse_redirect("?code=the-code&state=s1", "s1") == "the-code"


def test_denied_redirect_is_a_one_line_auth_error() -> None:
    with pytest.raises(AuthError) as caught:
        oauth.parse_redirect("http://127.0.0.1:1/callback?error=access_denied&state=s",
                             "s", platform="x")
    assert "x: access was denied" in caught.value.message
    assert "\n" not in caught.value.message


def test_redirect_without_code_is_refused() -> None:
    with pytest.raises(AuthError, match="no authorization code"):
        oauth.parse_redirect("http://127.0.0.1:1/callback?state=s", "s")


def test_listener_returns_the_callback_and_ignores_other_paths() -> None:
    with oauth.LoopbackListener(0) as listener:
        assert listener.redirect_uri == f"http://127.0.0.1:{listener.port}/callback"
        assert httpx.get(f"http://127.0.0.1:{listener.port}/favicon.ico").status_code == 404
        page = httpx.get(f"{listener.redirect_uri}?code=c1&state=s1")
        assert page.status_code == 200 and "close this window" in page.text
        assert listener.wait(2) == {"code": "c1", "state": "s1"}


def test_listener_times_out_with_a_clear_error() -> None:
    with oauth.LoopbackListener(0) as listener, pytest.raises(AuthError) as caught:
        listener.wait(0.2, platform="x")
    assert caught.value.message == "x: no answer from the browser within 0.2 s; nothing " \
                                   "was stored"


def test_listener_on_a_taken_port_says_which_option_to_change() -> None:
    with oauth.LoopbackListener(0) as first, pytest.raises(ConfigError) as caught:
        oauth.LoopbackListener(first.port)
    assert "--port" in (caught.value.hint or "")


class _TokenEndpoint(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = {k: v[-1] for k, v in parse_qs(raw).items()}
        self.server.seen.append({"form": form,  # type: ignore[attr-defined]
                                 "auth": self.headers.get("Authorization"),
                                 "user_agent": self.headers.get("User-Agent")})
        if form.get("code") == "bad":
            status, body = 400, {"error": "invalid_grant", "error_description": "expired code"}
        else:
            status, body = 200, {"access_token": "at-1", "token_type": "bearer",
                                 "scope": "a.read a.write"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def token_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    httpd.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/token", httpd.seen  # type: ignore[attr-defined]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("style", ["basic", "body"])
def test_code_exchange_authenticates_the_client_as_the_spec_says(
        token_server: tuple[str, list[dict[str, Any]]], style: str) -> None:
    url, seen = token_server
    spec = OAuthSpec(authorize_url="http://unused", token_url=url, scopes=(),
                     client_auth=style)
    data = oauth.exchange_code(spec, code="c", redirect_uri="http://127.0.0.1:1/callback",
                               verifier="v" * 43, app=AppCredentials("cid", "csecret"))
    assert data["access_token"] == "at-1"
    [request] = seen
    assert request["form"]["code_verifier"] == "v" * 43
    assert request["form"]["client_id"] == "cid"
    if style == "basic":
        assert request["auth"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
        assert "client_secret" not in request["form"]
    else:
        assert request["auth"] is None and request["form"]["client_secret"] == "csecret"


def test_refused_code_is_an_auth_error_without_secrets(
        token_server: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = token_server
    spec = OAuthSpec(authorize_url="http://unused", token_url=url, scopes=())
    with pytest.raises(AuthError) as caught:
        oauth.exchange_code(spec, code="bad", redirect_uri="r", verifier="v",
                            app=AppCredentials("cid", "csecret"), platform="x")
    assert "invalid_grant" in caught.value.message and "expired code" in caught.value.message
    assert "csecret" not in caught.value.message and "bad" not in caught.value.message


def test_flow_without_client_id_names_the_config_key() -> None:
    with pytest.raises(ConfigError) as caught:
        oauth.run_authorization(SPEC, AppCredentials(), platform="x", port=0)
    assert "platforms.x.client_id" in (caught.value.hint or "")


def test_hex_challenge_is_the_sha256_of_the_verifier_in_hex() -> None:
    # TikTok's desktop Login Kit: SHA-256 of the verifier, lowercase hex (64 characters).
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    hexed = oauth.challenge_for(verifier, "hex")
    assert hexed == base64.urlsafe_b64decode(
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=").hex()
    assert oauth.challenge_for(verifier, "base64url") == oauth.challenge_s256(verifier)
    with pytest.raises(ValueError):
        oauth.challenge_for(verifier, "plain")


def test_authorize_url_names_the_client_id_as_the_spec_says() -> None:
    spec = OAuthSpec(authorize_url="https://example.test/authorize",
                     token_url="https://example.test/token", scopes=("a",),
                     client_id_param="client_key")
    url = oauth.authorize_url(spec, client_id="ck", redirect_uri="http://127.0.0.1:1/callback",
                              state="s", code_challenge="c")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["client_key"] == "ck" and "client_id" not in query


def test_code_exchange_sends_the_spec_client_id_param_and_token_headers(
        token_server: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = token_server
    spec = OAuthSpec(authorize_url="http://unused", token_url=url, scopes=(),
                     client_auth="body", client_id_param="client_key",
                     token_headers={"User-Agent": "python:app.{client_id}:v1"})
    oauth.exchange_code(spec, code="c", redirect_uri="r", verifier="v" * 43,
                        app=AppCredentials("ck", "csecret"))
    [request] = seen
    assert request["form"]["client_key"] == "ck" and "client_id" not in request["form"]
    assert request["user_agent"] == "python:app.ck:v1"


def test_login_callback_port_differs_from_every_local_service_port() -> None:
    from socialhub.config import Settings

    settings = Settings()
    # A running daemon or search server must never block `accounts connect`.
    assert oauth.DEFAULT_PORT not in (settings.daemon.http_port, settings.search.port)
