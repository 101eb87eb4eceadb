"""OAuth 2.0 authorization-code flow with PKCE and a one-shot loopback redirect.

Everything a ``socialhub accounts connect`` needs besides the platform's own
specifics (which live in each adapter's ``oauth_spec``/``finish_connect``):
PKCE S256 verifier and challenge (RFC 7636), the ``state`` value, the
authorize URL, the code → token exchange, a one-shot listener on
``http://127.0.0.1:PORT/callback`` and the parser for a redirect URL pasted
on a headless machine. The browser is a callable the caller injects
(``webbrowser.open`` in the CLI; tests pass a function that fetches the URL
from a fake platform, which approves at once and redirects to the listener).

Errors are one line and never contain a code, token, verifier or secret.
"""

from __future__ import annotations

import base64
import hashlib
import html
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from socialhub.errors import AuthError, ConfigError, PlatformError
from socialhub.platforms.base import AppCredentials, OAuthSpec
from socialhub.security.tls import verify_context

DEFAULT_PORT = 8767  # not 8765: the daemon's HTTP API listens there
CALLBACK_PATH = "/callback"
DEFAULT_TIMEOUT_S = 300.0

Notify = Callable[[str], None]
OpenBrowser = Callable[[str], Any]


def new_verifier() -> str:
    """A PKCE code verifier: 64 random bytes as 86 URL-safe characters (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(64)


def challenge_s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_for(verifier: str, encoding: str = "base64url") -> str:
    """The S256 challenge in the encoding the platform expects.

    ``"base64url"`` is RFC 7636's; ``"hex"`` is lowercase hex SHA-256, which
    TikTok's desktop Login Kit wants instead.

    Raises:
        ValueError: an encoding no platform uses.
    """
    if encoding == "base64url":
        return challenge_s256(verifier)
    if encoding == "hex":
        return hashlib.sha256(verifier.encode("ascii")).hexdigest()
    raise ValueError(f"unknown PKCE challenge encoding {encoding!r}")


def new_state() -> str:
    """An unguessable ``state`` value binding the redirect to this flow (CSRF defence)."""
    return secrets.token_urlsafe(24)


def redirect_uri_for(port: int) -> str:
    """The loopback redirect URI registered with the platform for ``port``."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def authorize_url(spec: OAuthSpec, *, client_id: str, redirect_uri: str, state: str,
                  code_challenge: str | None = None,
                  scopes: tuple[str, ...] | list[str] | None = None) -> str:
    """The URL the user opens to approve access (with PKCE when the spec asks for it).

    The client id goes under ``spec.client_id_param`` (TikTok: ``client_key``).
    """
    params: dict[str, str] = {
        "response_type": "code", spec.client_id_param: client_id,
        "redirect_uri": redirect_uri,
        "scope": spec.scope_separator.join(scopes if scopes is not None else spec.scopes),
        "state": state,
    }
    if spec.pkce and code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    params.update(spec.extra_authorize_params)
    separator = "&" if urlsplit(spec.authorize_url).query else "?"
    return f"{spec.authorize_url}{separator}{urlencode(params)}"


def parse_redirect(url: str, expected_state: str, *, platform: str = "the platform") -> str:
    """The authorization code from a redirect URL (or its query string), after checks.

    Raises:
        AuthError: the user denied access, the ``state`` does not match this
            flow, or the URL carries no code.
    """
    text = url.strip()
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return _code_from(params, expected_state, platform)


def _code_from(params: dict[str, str], expected_state: str, platform: str) -> str:
    error = params.get("error")
    if error:
        # error_description comes from the platform and never holds our secrets.
        reason = params.get("error_description") or error
        if error == "access_denied":
            raise AuthError(f"{platform}: access was denied at the authorization page "
                            f"({_short(reason)}); nothing was stored",
                            hint="run the command again and approve the request")
        raise AuthError(f"{platform}: authorization failed: {error}: {_short(reason)}; "
                        "nothing was stored")
    if not secrets.compare_digest(params.get("state", ""), expected_state):
        raise AuthError(f"{platform}: the redirect's state does not match this login "
                        "(stale or forged redirect); nothing was stored",
                        hint="start again and use the newest authorization URL")
    code = params.get("code")
    if not code:
        raise AuthError(f"{platform}: the redirect carries no authorization code; "
                        "nothing was stored", hint="paste the whole URL the browser ended on")
    return code


def _short(text: str) -> str:
    return " ".join(text.split())[:200]


# -- the loopback listener ---------------------------------------------------------------

_PAGE = ("<!doctype html><meta charset=utf-8><title>socialhub</title>"
         "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{body}</p>")


class _Server(HTTPServer):
    results: queue.Queue[dict[str, str]]


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the query string carries the code: never log requests

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH:
            self._page(404, "Not found", "This address only receives the login redirect.")
            return
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if params.get("error"):
            self._page(200, "Access not granted",
                       f"The platform said: {html.escape(params['error'])}. "
                       "You can close this window.")
        else:
            self._page(200, "Connected", "socialhub received the authorization. "
                       "You can close this window and return to the terminal.")
        self.server.results.put(params)

    def _page(self, status: int, title: str, body: str) -> None:
        data = _PAGE.format(title=title, body=body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


class LoopbackListener:
    """A one-shot HTTP listener on 127.0.0.1 that waits for ``/callback``.

    Port 0 picks a free port (fine for platforms that register the redirect
    per connection, like Mastodon; others need the fixed port registered
    with the developer app).

    Raises:
        ConfigError: the port is taken.
    """

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        try:
            self._httpd = _Server(("127.0.0.1", port), _CallbackHandler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port} for the login redirect: "
                              f"{exc.strerror or exc}",
                              hint="pick another port with --port (and register that "
                                   "redirect URI with the app)") from None
        self._httpd.results = queue.Queue()
        self.port = int(self._httpd.server_address[1])
        self.redirect_uri = redirect_uri_for(self.port)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="oauth-callback", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float, *, platform: str = "the platform") -> dict[str, str]:
        """The query parameters of the first ``/callback`` request.

        Raises:
            AuthError: nothing arrived within ``timeout_s`` seconds.
        """
        try:
            return self._httpd.results.get(timeout=timeout_s)
        except queue.Empty:
            raise AuthError(f"{platform}: no answer from the browser within "
                            f"{timeout_s:g} s; nothing was stored",
                            hint="run the command again (--timeout to wait longer, "
                                 "--no-browser to paste the redirect URL)") from None

    def close(self) -> None:
        """Stop listening."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the token exchange ------------------------------------------------------------------


def exchange_code(spec: OAuthSpec, *, code: str, redirect_uri: str, verifier: str | None,
                  app: AppCredentials, platform: str = "the platform",
                  timeout_s: float = 30.0) -> dict[str, Any]:
    """Trade an authorization code for the token endpoint's JSON answer.

    The client authenticates with HTTP Basic (``client_auth="basic"``, the
    client id is also sent in the body, as public-client platforms require) or
    with ``client_id``/``client_secret`` form fields (``"body"``); the client id's
    form field is ``spec.client_id_param``. ``spec.token_headers`` are sent too
    (Reddit's unique User-Agent); ``{client_id}`` in a header value is replaced
    by the app's client id (never the secret).

    Raises:
        AuthError: the endpoint refused the code or the client.
        PlatformError: the endpoint could not be reached or answered nonsense.
    """
    form: dict[str, str] = {"grant_type": "authorization_code", "code": code,
                            "redirect_uri": redirect_uri,
                            spec.client_id_param: app.client_id or ""}
    if spec.pkce and verifier:
        form["code_verifier"] = verifier
    auth: httpx.BasicAuth | None = None
    if app.client_secret:
        if spec.client_auth == "basic":
            auth = httpx.BasicAuth(app.client_id or "", app.client_secret)
        else:
            form["client_secret"] = app.client_secret
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, auth=auth,
                          verify=verify_context()) as client:
            response = client.post(spec.token_url, data=form,
                                   headers=_token_headers(spec, app))
    except httpx.HTTPError as exc:
        raise PlatformError(f"{platform}: cannot reach the token endpoint "
                            f"{spec.token_url}: {type(exc).__name__}") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, dict):
        error, reason = _error_of(data)
        message = f"{platform}: the token endpoint refused the login (HTTP " \
                  f"{response.status_code}{': ' + error if error else ''}" \
                  f"{': ' + _short(reason) if reason else ''}); nothing was stored"
        if response.status_code in (400, 401, 403):
            raise AuthError(message, hint="check the app's client id/secret and redirect "
                                          "URI, then run the command again")
        raise PlatformError(message)
    if not data.get("access_token"):
        raise PlatformError(f"{platform}: the token endpoint answered without an access "
                            "token; nothing was stored")
    return data


def _token_headers(spec: OAuthSpec, app: AppCredentials) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    for name, value in spec.token_headers.items():
        headers[name] = value.replace("{client_id}", app.client_id or "")
    return headers


def _error_of(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if isinstance(error, dict):  # Graph-style {"error": {"message": …}}
        return str(error.get("type") or error.get("code") or "error"), error.get("message")
    description = data.get("error_description") or data.get("message")
    return (str(error) if error else None), (str(description) if description else None)


# -- the whole flow ------------------------------------------------------------------------


@dataclass
class FlowResult:
    """What the authorization flow produced (the token answer is secret: never log it)."""

    token_response: dict[str, Any] = field(repr=False)
    redirect_uri: str
    scopes: list[str]


def run_authorization(spec: OAuthSpec, app: AppCredentials, *, platform: str,
                      port: int = DEFAULT_PORT, timeout_s: float = DEFAULT_TIMEOUT_S,
                      scopes: list[str] | None = None,
                      open_browser: OpenBrowser | None = None, no_browser: bool = False,
                      read_redirect: Callable[[], str] | None = None,
                      notify: Notify | None = None,
                      listener: LoopbackListener | None = None,
                      http_timeout_s: float = 30.0) -> FlowResult:
    """Run the authorization-code flow to the token answer.

    With a browser: start the loopback listener, open the authorize URL with
    ``open_browser`` and wait up to ``timeout_s`` for the redirect. With
    ``no_browser``: show the URL through ``notify`` and read the pasted
    redirect URL with ``read_redirect``. ``listener`` lets a caller that had
    to know the redirect URI beforehand (Mastodon's app registration) pass
    the listener it already started.

    Raises:
        ConfigError: no client id, or the port is taken.
        AuthError: denied, state mismatch, timeout, or the code was refused.
        PlatformError: the token endpoint failed.
    """
    if not app.client_id:
        raise ConfigError(f"{platform}: no OAuth client id configured",
                          hint=f"set platforms.{platform}.client_id in the config "
                               f"(or SOCIALHUB_PLATFORMS_{platform.upper()}_CLIENT_ID)")
    say = notify or (lambda _m: None)
    chosen = list(scopes) if scopes else list(spec.scopes)
    verifier = new_verifier() if spec.pkce else None
    state = new_state()
    challenge = challenge_for(verifier, spec.pkce_challenge_encoding) if verifier else None
    if no_browser:
        if listener is not None:
            listener.close()
        redirect_uri = redirect_uri_for(port or DEFAULT_PORT)
        url = authorize_url(spec, client_id=app.client_id, redirect_uri=redirect_uri,
                            state=state, code_challenge=challenge, scopes=chosen)
        say(f"Open this URL in a browser, approve, then paste the address the browser "
            f"ends on (it starts with {redirect_uri}):\n{url}")
        if read_redirect is None:
            raise ConfigError("--no-browser needs a way to read the pasted redirect URL")
        code = parse_redirect(read_redirect(), state, platform=platform)
    else:
        own = listener is None
        active = listener or LoopbackListener(port)
        try:
            redirect_uri = active.redirect_uri
            url = authorize_url(spec, client_id=app.client_id, redirect_uri=redirect_uri,
                                state=state, code_challenge=challenge, scopes=chosen)
            say(f"Opening the browser to authorize socialhub on {platform}; if it does not "
                f"open, visit:\n{url}")
            if open_browser is not None:
                open_browser(url)
            params = active.wait(timeout_s, platform=platform)
        finally:
            if own:
                active.close()
        code = _code_from(params, state, platform)
    data = exchange_code(spec, code=code, redirect_uri=redirect_uri, verifier=verifier,
                         app=app, platform=platform, timeout_s=http_timeout_s)
    granted = data.get("scope")
    if isinstance(granted, str) and granted.strip():
        sep = spec.scope_separator if spec.scope_separator.strip() else None
        chosen = [s.strip() for s in granted.split(sep) if s.strip()]
    elif isinstance(granted, list):
        chosen = [str(s) for s in granted]
    return FlowResult(token_response=data, redirect_uri=redirect_uri, scopes=chosen)
