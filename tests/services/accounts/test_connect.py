"""``socialhub accounts connect`` end to end: real fakes over HTTP, the test as the browser."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select

from socialhub.platforms.base import Tokens
from socialhub.sandbox_network.server import SandboxServer
from tests.fakes.mastodon import FakeMastodon


class Result(Protocol):
    """``tests.conftest.CLIResult``, with JSON typed for indexing."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any: ...


CLI = Callable[..., Result]


def follow(url: str) -> None:
    """A browser that approves at once: fetch the authorize URL, follow to the loopback."""
    httpx.get(url, follow_redirects=True, timeout=5).raise_for_status()


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    fake = FakeMastodon().start()
    yield fake
    fake.stop()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``webbrowser.open`` replaced by ``follow``; the URLs it was given."""
    opened: list[str] = []

    def open_(url: str) -> bool:
        opened.append(url)
        follow(url)
        return True

    monkeypatch.setattr("webbrowser.open", open_)
    return opened


def stored_credentials() -> list[Any]:
    from socialhub.cli.common import get_hub, reset_state
    from socialhub.db.models import Credential

    try:
        with get_hub().transaction() as s:
            return [(c.access_token_enc, c.refresh_token_enc, c.extra_enc, list(c.scopes))
                    for c in s.scalars(select(Credential))]
    finally:
        reset_state()


def test_sandbox_connects_and_reconnects_to_the_same_account(cli: CLI,
                                                             sandbox: SandboxServer) -> None:
    first = cli("accounts", "connect", "sandbox", "--base-url", sandbox.url, "--handle",
                "shop", "--json")
    assert first.exit_code == 0, first.stderr
    data = first.json()
    assert data["ref"] == "sandbox:@shop" and data["created"] is True
    assert data["connected"] and data["has_refresh_token"]
    again = cli("accounts", "connect", "sandbox", "--base-url", sandbox.url, "--handle", "shop",
                "--json").json()
    assert again["id"] == data["id"] and again["created"] is False
    assert len(cli("accounts", "list", "--json").json()) == 1


def test_mastodon_registers_an_app_then_logs_in_through_the_browser(
        cli: CLI, mastodon: FakeMastodon, browser: list[str]) -> None:
    r = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0",
            "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    host = urlsplit(mastodon.url).netloc
    assert data["ref"] == f"mastodon:@alice@{host}" and data["base_url"] == mastodon.url
    assert data["scopes"] == ["read", "write:statuses", "write:media"]
    assert data["token_expires_at"] is None and data["has_refresh_token"] is False
    [app] = mastodon.apps.values()
    assert query_of(browser[0])["code_challenge_method"] == "S256"
    assert query_of(browser[0])["redirect_uri"] in app["redirect_uris"]
    # The token is stored, encrypted: neither it nor the app's secret is readable at rest.
    [(access, refresh, extra, _)] = stored_credentials()
    token = next(iter(mastodon.accounts[data["external_id"]].tokens))
    assert token.encode() not in access and refresh is None
    assert app["client_secret"].encode() not in extra
    assert token not in r.stdout + r.stderr


def test_mastodon_app_is_registered_once_per_instance_and_redirect(
        cli: CLI, mastodon: FakeMastodon, browser: list[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    first = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", port,
                "--json").json()
    mastodon.oauth_username = "bob"
    second = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", port,
                 "--json").json()
    assert len(mastodon.apps) == 1
    assert query_of(browser[0])["client_id"] == query_of(browser[1])["client_id"]
    assert first["id"] != second["id"] and second["handle"].startswith("bob@")


def test_reconnect_keeps_the_account_id_and_its_posts(cli: CLI, mastodon: FakeMastodon,
                                                      browser: list[str]) -> None:
    first = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0",
                "--json").json()
    made = cli("posts", "create", "-b", "Hello from before the reconnect", "-t", first["ref"])
    assert made.exit_code == 0, made.stderr
    again = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0",
                "--json").json()
    assert again["id"] == first["id"] and again["created"] is False
    posts = cli("posts", "list", "--json").json()
    assert len(posts) == 1


def test_denied_login_is_one_line_and_stores_nothing(cli: CLI, mastodon: FakeMastodon,
                                                     browser: list[str]) -> None:
    mastodon.deny_next_authorize = True
    r = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0")
    assert r.exit_code == 9
    assert "access was denied" in r.stderr and "nothing was stored" in r.stderr
    assert cli("accounts", "list", "--json").json() == []


def test_forged_state_is_refused_and_stores_nothing(cli: CLI, mastodon: FakeMastodon,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def forge(url: str) -> bool:
        follow(url.replace("state=", "state=forged"))
        return True

    monkeypatch.setattr("webbrowser.open", forge)
    r = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0")
    assert r.exit_code == 9 and "state does not match" in r.stderr
    assert cli("accounts", "list", "--json").json() == []


def test_no_answer_times_out_and_stores_nothing(cli: CLI, mastodon: FakeMastodon,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: True)
    r = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--port", "0",
            "--timeout", "0.3")
    assert r.exit_code == 9 and "no answer from the browser within 0.3 s" in r.stderr
    assert cli("accounts", "list", "--json").json() == []


class _Paster:
    """stdin for --no-browser: reads the printed URL, approves, pastes the redirect URL."""

    def readline(self) -> str:
        printed = cast(Any, sys.stderr).getvalue()  # run_cli's captured stderr
        url = re.findall(r"^http\S+/oauth/authorize\S+$", printed, re.MULTILINE)[-1]
        answer = httpx.get(url, follow_redirects=False, timeout=5)
        return answer.headers["Location"] + "\n"


def test_no_browser_prints_the_url_and_accepts_the_pasted_redirect(
        cli: CLI, mastodon: FakeMastodon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: pytest.fail("opened a browser"))
    monkeypatch.setattr(sys, "stdin", _Paster())
    r = cli("accounts", "connect", "mastodon", "--base-url", mastodon.url, "--no-browser",
            "--json")
    assert r.exit_code == 0, r.stderr
    assert "/oauth/authorize?" in r.stderr and "/oauth/authorize" not in r.stdout
    assert r.json()["handle"].startswith("alice@")


def test_client_secret_is_never_a_command_line_option(cli: CLI) -> None:
    r = cli("accounts", "connect", "x", "--client-secret", "s3cret")
    assert r.exit_code == 2


def test_bluesky_password_is_never_an_option(cli: CLI) -> None:
    r = cli("accounts", "connect", "bluesky", "--handle", "a.test", "--app-password", "pw")
    assert r.exit_code == 2


def test_unknown_platform_names_the_known_ones(cli: CLI) -> None:
    r = cli("accounts", "connect", "myspace")
    assert r.exit_code == 4 and "mastodon" in r.stderr


def test_oauth_platform_without_client_id_names_the_setting(cli: CLI) -> None:
    pytest.importorskip("socialhub.platforms.x.adapter")
    r = cli("accounts", "connect", "x", "--port", "0")
    assert r.exit_code == 3 and "platforms.x.client_id" in r.stderr


def test_client_credentials_come_from_config_then_keyring(home: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.services.accounts import connect
    from socialhub.services.settings import load_config

    class Keyring:
        def get_password(self, service: str, user: str) -> str | None:
            return {"x-client-id": "kid", "x-client-secret": "ksecret",
                    "linkedin-client-secret": "lsecret"}.get(user)

    monkeypatch.setattr("socialhub.security.keys.keyring_backend", lambda config: Keyring())
    monkeypatch.setenv("SOCIALHUB_PLATFORMS_LINKEDIN_CLIENT_ID", "cfg-id")
    config = load_config(None)
    x = connect.app_credentials(config, "x")
    linkedin = connect.app_credentials(config, "linkedin")
    assert (linkedin.client_id, linkedin.client_secret) == ("cfg-id", "lsecret")
    # The config (here: the planted env secret of the home fixture) wins over the keyring.
    assert x.client_id == "kid" and x.client_secret != "ksecret"


def test_reconnect_without_refresh_token_keeps_the_valid_one(home: Any) -> None:
    from socialhub.platforms.base import ConnectedProfile
    from socialhub.security.keys import load_keyring, load_master_key
    from socialhub.services.accounts.connect import save_connection
    from socialhub.services.accounts.credentials import load_tokens
    from socialhub.services.hub import Hub
    from socialhub.services.settings import load_config

    config = load_config(None)
    hub = Hub(config)
    key, keys = load_master_key(config), load_keyring(config)
    profile = ConnectedProfile(handle="shop", external_id="42")
    with hub.transaction() as s:
        first, created = save_connection(s, hub.org_id(s), "x", profile, Tokens(
            access_token="a1", refresh_token="r1", scopes=["offline.access"]),
            base_url=None, key=key, keys=keys)
        first_id = first.id
    renamed = ConnectedProfile(handle="shop_new", external_id="42", display_name="Shop")
    with hub.transaction() as s:
        again, created_again = save_connection(s, hub.org_id(s), "x", renamed, Tokens(
            access_token="a2", scopes=["tweet.read"]), base_url=None, key=key, keys=keys)
        tokens = load_tokens(s, again, keys)
        assert (again.id, again.handle, created, created_again) == (first_id, "shop_new",
                                                                    True, False)
    assert tokens is not None
    assert (tokens.access_token, tokens.refresh_token) == ("a2", "r1")
    assert tokens.scopes == ["tweet.read"]
    hub.dispose()


def _x_browser(fake: Any) -> Callable[[str], bool]:
    """Approve through the X fake's consent page, or (if it refuses) as the user would."""
    def open_(url: str) -> bool:
        answer = httpx.get(url, follow_redirects=True, timeout=5)
        if answer.is_success:
            return True  # the fake has its own consent page now
        query = query_of(url)
        user, _ = fake.add_user("shop") if not fake.users else (next(iter(
            fake.users.values())), None)
        code = fake.add_code(user.id, scopes=query["scope"].split())
        httpx.get(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}",
                  timeout=5)
        return True
    return open_


def test_x_reconnect_without_offline_access_keeps_the_refresh_token(
        cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("socialhub.platforms.x.adapter")
    fakes = pytest.importorskip("tests.fakes.x")
    fake = fakes.start_fake()
    try:
        monkeypatch.setenv("SOCIALHUB_PLATFORMS_X_CLIENT_ID", fake.CLIENT_ID)
        monkeypatch.setenv("SOCIALHUB_PLATFORMS_X_CLIENT_SECRET", fake.CLIENT_SECRET)
        monkeypatch.setattr("webbrowser.open", _x_browser(fake))
        first = cli("accounts", "connect", "x", "--base-url", fake.url, "--port", "0",
                    "--timeout", "10", "--json")
        assert first.exit_code == 0, first.stderr
        data = first.json()
        assert data["has_refresh_token"] and "offline.access" in data["scopes"]
        again = cli("accounts", "connect", "x", "--base-url", fake.url, "--port", "0",
                    "--timeout", "10", "--scopes", "tweet.read,tweet.write,users.read",
                    "--json").json()
        assert again["id"] == data["id"] and again["has_refresh_token"] is True
        assert "offline.access" not in again["scopes"]
    finally:
        fake.stop()


OAUTH_FAKES = ("x", "linkedin", "threads", "instagram", "facebook", "reddit", "pinterest",
               "youtube", "tiktok")


@pytest.mark.parametrize("platform", OAUTH_FAKES)
def test_every_oauth_platform_connects_against_its_fake(
        platform: str, cli: CLI, home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from socialhub.platforms.registry import supported_platforms

    module = pytest.importorskip(f"tests.fakes.{platform}")
    if platform not in supported_platforms():
        pytest.skip(f"socialhub/platforms/{platform}/ is not written yet")
    fake = module.start_fake()
    try:
        _, _, app = fake.account()
        consent: list[int] = []

        def open_(url: str) -> bool:
            answer = httpx.get(url, follow_redirects=True, timeout=5)
            consent.append(answer.status_code)
            if answer.status_code >= 400:
                raise RuntimeError("no consent page")  # stop now instead of timing out
            return True

        # A config file, not env vars: numeric app ids (Meta, Pinterest) must stay strings.
        config = home.parent / f"{platform}.yaml"
        config.write_text(json.dumps({"platforms": {platform: {
            "client_id": app.client_id, "client_secret": app.client_secret}}}))
        monkeypatch.setenv("SOCIALHUB_CONFIG", str(config))
        monkeypatch.delenv(f"SOCIALHUB_PLATFORMS_{platform.upper()}_CLIENT_SECRET",
                           raising=False)
        monkeypatch.setattr("webbrowser.open", open_)
        r = cli("accounts", "connect", platform, "--base-url", fake.url, "--port", "0",
                "--timeout", "3", "--json")
        assert not (consent and consent[0] >= 400), \
            f"the {platform} fake refused the consent page (HTTP {consent[0]})"
        assert r.exit_code == 0, r.stderr
        data = r.json()
        assert data["created"] and data["connected"] and data["status"] == "active"
        assert data["scopes"], "scopes are recorded"
    finally:
        fake.stop()


@pytest.mark.parametrize(("platform", "encoding"), [("tiktok", "base64url"),
                                                    ("youtube", "hex"), ("x", "hex")])
def test_a_fake_refuses_a_verifier_that_does_not_match_its_challenge(
        platform: str, encoding: str) -> None:
    """The fakes check PKCE for real, so the connect test above proves the encoding."""
    from dataclasses import replace

    from socialhub.errors import AuthError
    from socialhub.platforms import oauth
    from socialhub.platforms.registry import adapter_class

    module = pytest.importorskip(f"tests.fakes.{platform}")
    fake = module.start_fake()
    try:
        _, _, app = fake.account()
        spec = adapter_class(platform).oauth_spec(fake.url)
        assert spec is not None and spec.pkce
        wrong = replace(spec, pkce_challenge_encoding=encoding)
        with pytest.raises(AuthError, match="refused the login"):
            oauth.run_authorization(wrong, app, platform=platform, port=0, timeout_s=3,
                                    open_browser=follow)
    finally:
        fake.stop()


def test_reddit_token_request_carries_the_unique_user_agent() -> None:
    from socialhub.platforms import oauth
    from socialhub.platforms.reddit.adapter import RedditAdapter
    from tests.fakes.reddit import start_fake

    fake = start_fake()
    try:
        flow = oauth.run_authorization(RedditAdapter.oauth_spec(fake.url), fake.app(),
                                       platform="reddit", port=0, timeout_s=3,
                                       open_browser=follow)
        assert flow.token_response["refresh_token"]
        [token_call] = [r for r in fake.requests if r["path"] == "/api/v1/access_token"]
        assert token_call["user_agent"].startswith(f"python:socialhub.{fake.app().client_id}:v")
    finally:
        fake.stop()


def test_facebook_connect_publishes_as_the_page_named_by_handle(
        cli: CLI, home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tests.fakes import facebook

    fake = facebook.start_fake()
    try:
        _, _, app = fake.account()  # the first user, managing "Shop Page"
        owner = next(iter(fake.users))
        second = fake.next_id()
        fake.pages[second] = {"id": second, "name": "Second Page", "admin": owner}
        config = home.parent / "facebook.yaml"
        config.write_text(json.dumps({"platforms": {"facebook": {
            "client_id": app.client_id, "client_secret": app.client_secret}}}))
        monkeypatch.setenv("SOCIALHUB_CONFIG", str(config))
        monkeypatch.delenv("SOCIALHUB_PLATFORMS_FACEBOOK_CLIENT_SECRET", raising=False)
        monkeypatch.setattr("webbrowser.open", lambda url: bool(
            httpx.get(url, follow_redirects=True, timeout=5)))
        args = ("accounts", "connect", "facebook", "--base-url", fake.url, "--port", "0",
                "--timeout", "3", "--json")
        ambiguous = cli(*args)
        assert ambiguous.exit_code != 0 and "Second Page" in ambiguous.stderr
        r = cli(*args, "--handle", "Second Page")
        assert r.exit_code == 0, r.stderr
        assert r.json()["external_id"] == second
    finally:
        fake.stop()


def test_a_manifest_reference_reads_the_keyring_entry_it_names(
        home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialhub.errors import ConfigError
    from socialhub.security.references import resolve_reference
    from socialhub.services.settings import load_config

    class Keyring:
        def get_password(self, service: str, user: str) -> str | None:
            return {("socialhub", "shop"): "pw-one", ("agency", "shop"): "pw-two"}.get(
                (service, user))

    config = load_config()
    with pytest.raises(ConfigError, match="keyring is off"):  # security.use_keyring: false
        resolve_reference(config, "keyring:shop", what="app_password")
    monkeypatch.setattr("socialhub.security.keys.keyring_backend", lambda config: Keyring())
    assert resolve_reference(config, "keyring:shop", what="app_password") == "pw-one"
    assert resolve_reference(config, "keyring:agency/shop", what="app_password") == "pw-two"
    with pytest.raises(ConfigError, match="keyring:other, which has no entry"):
        resolve_reference(config, "keyring:other", what="app_password")
    with pytest.raises(ConfigError, match="is not a reference") as caught:
        resolve_reference(config, "hunter2", what="app_password")
    assert "hunter2" not in str(caught.value)  # a pasted secret is never echoed
