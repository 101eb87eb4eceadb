"""Who may reach the local HTTP APIs: the loopback rule and the bearer token.

Both HTTP front ends (the daemon's server and ``socialhub search serve``) ask
this module, before they bind, which token guards them; it refuses an
address other machines can reach unless a token is configured. The token is
registered with the log redactor the moment it is read, so it never reaches
a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from socialhub.config import LoadedConfig
from socialhub.core.links import is_loopback as is_loopback  # re-exported: front ends ask here
from socialhub.errors import ConfigError
from socialhub.security.redact import register_secret

#: A token shorter than this is refused off loopback (guessable over the network).
MIN_TOKEN_LENGTH = 16
_REFERENCE_SCHEMES = ("env:", "keyring:")


@dataclass(frozen=True)
class HttpAccess:
    """What guards one HTTP server: its bind address, token and body size cap."""

    host: str
    port: int
    token: str | None = field(repr=False)
    max_body_bytes: int
    #: The certificate and key to serve TLS with (both or neither).
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def loopback(self) -> bool:
        """True when only this machine can connect."""
        return is_loopback(self.host)


def resolve_token(config: LoadedConfig, value: SecretStr | None, *, key: str) -> str | None:
    """The token configured at ``key``, with ``env:``/``keyring:`` references resolved.

    An empty value means no token. The token is registered with the log redactor.

    Raises:
        ConfigError: a reference names a missing variable or keyring entry.
    """
    raw = value.get_secret_value().strip() if value is not None else ""
    if not raw:
        return None
    if raw.startswith(_REFERENCE_SCHEMES):
        from socialhub.security.references import resolve_reference

        raw = resolve_reference(config, raw, what=key).strip()
    register_secret(raw)
    return raw or None


def check_bind(host: str, token: str | None, *, host_key: str, token_key: str,
               env_var: str) -> None:
    """Refuse to serve a non-loopback address without a strong enough token.

    Raises:
        ConfigError: ``host`` is reachable from the network and no token (or a
            token shorter than :data:`MIN_TOKEN_LENGTH`) is configured.
    """
    if is_loopback(host):
        return
    if token is None:
        raise ConfigError(
            f"refusing to serve HTTP on {host} without a token: anyone who can reach it "
            f"could read and change your data",
            hint=f"set {token_key} (env:VAR or keyring:NAME) or ${env_var}, "
                 f"or set {host_key} to 127.0.0.1")
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"{token_key} is too short to serve HTTP on {host}",
                          hint=f"use at least {MIN_TOKEN_LENGTH} random characters, "
                               "e.g. `openssl rand -hex 24`")


def daemon_access(config: LoadedConfig) -> HttpAccess:
    """The daemon's HTTP access: ``daemon.http_*``, checked for a safe bind.

    Raises:
        ConfigError: see :func:`check_bind` and :func:`resolve_token`.
    """
    opts = config.settings.daemon
    token = resolve_token(config, opts.http_token, key="daemon.http_token")
    check_bind(opts.http_host, token, host_key="daemon.http_host",
               token_key="daemon.http_token", env_var="SOCIALHUB_DAEMON_HTTP_TOKEN")
    cert, key = check_tls(config, opts.http_host)
    return HttpAccess(opts.http_host, opts.http_port, token, opts.http_max_body_bytes,
                      tls_cert=cert, tls_key=key)


def check_tls(config: LoadedConfig, host: str) -> tuple[str | None, str | None]:
    """The TLS certificate and key to serve with, checked for the REST API's rule.

    On loopback TLS is optional. Elsewhere, with the API enabled, its bearer tokens
    must not cross the network in clear: ``api.tls_cert`` and ``api.tls_key`` are
    required, unless ``api.insecure_behind_proxy`` says a TLS proxy on this host
    fronts the daemon (``daemon run --insecure-behind-proxy``).

    Raises:
        ConfigError: only one of the two paths is set, a file is missing, or the
            address is reachable from the network with neither TLS nor the proxy flag.
    """
    from pathlib import Path

    api = config.settings.api
    cert, key = api.tls_cert or None, api.tls_key or None
    if (cert is None) != (key is None):
        raise ConfigError("api.tls_cert and api.tls_key go together: set both or neither")
    for path, name in ((cert, "api.tls_cert"), (key, "api.tls_key")):
        if path is not None and not Path(path).expanduser().is_file():
            raise ConfigError(f"{name}: no file at {path}")
    if (cert is None and api.enabled and not api.insecure_behind_proxy
            and not is_loopback(host)):
        raise ConfigError(
            f"refusing to serve the REST API on {host} without TLS: its tokens would "
            "cross the network in clear",
            hint="set api.tls_cert and api.tls_key, or run behind a TLS proxy with "
                 "`socialhub daemon run --insecure-behind-proxy`, or set api.enabled: false")
    return (str(Path(cert).expanduser()) if cert else None,
            str(Path(key).expanduser()) if key else None)


def search_access(config: LoadedConfig, *, host: str | None = None, port: int | None = None,
                  token: str | None = None) -> HttpAccess:
    """``search serve``'s HTTP access: ``search.*``, overridden by command-line values.

    Raises:
        ConfigError: see :func:`check_bind` and :func:`resolve_token`.
    """
    opts = config.settings.search
    bind_host = host or opts.host
    if token is not None:
        register_secret(token)
        resolved: str | None = token or None
    else:
        resolved = resolve_token(config, opts.token, key="search.token")
    check_bind(bind_host, resolved, host_key="search.host (--host)",
               token_key="search.token", env_var="SOCIALHUB_SEARCH_TOKEN")
    return HttpAccess(bind_host, opts.port if port is None else port, resolved,
                      opts.max_body_bytes)
