"""Connect (or reconnect) a social account: run the login, then save it with its tokens.

One entry point, ``connect_account``, for every platform:

* OAuth platforms run ``platforms.oauth.run_authorization`` against the
  adapter's ``oauth_spec`` and hand the token answer to its ``finish_connect``;
* Mastodon first registers an app on the instance (``POST /api/v1/apps``),
  cached per instance inside the encrypted credential of any account there;
* Bluesky logs in with a handle and an app password;
* the sandbox hands out tokens for a handle.

The network work happens before any transaction, and the account is saved in
one transaction afterwards, so a denied, mismatched or timed-out login stores
nothing. Reconnecting finds the account by its platform id (else its handle)
and keeps its id, posts and history, and a still-valid refresh token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from socialhub.core.policy import Permission
from socialhub.db.models import Account
from socialhub.db.queries import accounts as queries
from socialhub.errors import ConflictError, ValidationError
from socialhub.platforms import oauth
from socialhub.platforms.base import AppCredentials, ConnectedProfile, OAuthSpec, Tokens
from socialhub.services.accounts.accounts import ACCOUNT_FIELDS, KNOWN_PLATFORMS, account_summary
from socialhub.services.audit import changes, record_event, snapshot
from socialhub.services.context import Channel, Ctx, Principal, check, use_case

if TYPE_CHECKING:
    from socialhub.config import LoadedConfig
    from socialhub.services.hub import Hub

log = logging.getLogger(__name__)

BLUESKY_DEFAULT_PDS = "https://bsky.social"
MASTODON_SCOPES = ("read", "write:statuses", "write:media")
APP_NAME = "socialhub"
APP_WEBSITE = "https://github.com/socialhub/socialhub"


@dataclass
class ConnectOptions:
    """How to connect; ``open_browser``/``read_redirect``/``notify`` are the front end's I/O."""

    base_url: str | None = None
    handle: str | None = None
    scopes: list[str] | None = None
    port: int = oauth.DEFAULT_PORT
    timeout_s: float = oauth.DEFAULT_TIMEOUT_S
    no_browser: bool = False
    open_browser: oauth.OpenBrowser | None = None
    read_redirect: Callable[[], str] | None = None
    notify: oauth.Notify | None = None
    app_password: str | None = field(default=None, repr=False)  # Bluesky only
    http_timeout_s: float = 30.0


def app_credentials(config: LoadedConfig, platform: str) -> AppCredentials:
    """The platform's OAuth client: config (or its env vars) first, then the OS keyring.

    The keyring entries are service ``socialhub``, users ``<platform>-client-id``
    and ``<platform>-client-secret``. Nothing comes from the command line.
    """
    section = config.settings.platforms.section(platform)
    client_id = section.client_id if section is not None else None
    secret = (section.client_secret.get_secret_value()
              if section is not None and section.client_secret else None)
    if client_id is None or secret is None:
        from socialhub.security.keys import KEYRING_SERVICE, keyring_backend

        backend = keyring_backend(config)
        if backend is not None:
            try:
                client_id = client_id or backend.get_password(KEYRING_SERVICE,
                                                               f"{platform}-client-id")
                secret = secret or backend.get_password(KEYRING_SERVICE,
                                                        f"{platform}-client-secret")
            except Exception as exc:  # a locked keyring must not hide the config's values
                log.warning("cannot read the OS keyring (%s)", type(exc).__name__)
    return AppCredentials(client_id=client_id, client_secret=secret)


def stored_app_password(hub: Hub, handle: str) -> str | None:
    """The Bluesky app password an Account manifest points at (``credentials.app_password``).

    None when the account is unknown or names no such reference.

    Raises:
        ConfigError: the reference names a variable or keyring entry that is missing.
    """
    from socialhub.security.references import resolve_reference

    with hub.transaction() as session:
        settings = queries.account_settings(session, hub.org_id(session), "bluesky",
                                            handle.lstrip("@"))
    ref = ((settings or {}).get("credential_refs") or {}).get("app_password")
    if not ref:
        return None
    return resolve_reference(hub.config, str(ref),
                             what=f"bluesky:@{handle.lstrip('@')} credentials.app_password")


def connect_account(hub: Hub, platform: str, options: ConnectOptions, *,
                    channel: Channel = "cli", principal: Principal | None = None,
                    keep: Callable[[Ctx, dict[str, Any]], None] | None = None
                    ) -> dict[str, Any]:
    """Log in to ``platform`` and create or update the account; its summary (no secrets).

    The account is saved by :func:`save_connected_account` as the member acting
    through ``channel`` (an API token's ``principal``), who needs ``accounts.manage``:
    checked before the login too, so a refused member never reaches the platform.
    ``keep`` gets the summary inside the saving transaction (the API's idempotent
    answer).

    Returns:
        ``account_summary`` plus ``created`` (False: reconnected) and
        ``has_refresh_token``.

    Raises:
        PermissionDeniedError: the member may not manage accounts.
        ValidationError: unknown platform or a missing handle/URL/password.
        ConfigError: no OAuth client configured, or the port is taken.
        AuthError: denied, state mismatch, timeout, or credentials refused.
        PlatformError: the platform failed.
        SecurityError: the master key is unavailable.
    """
    from socialhub.security.keys import load_keyring, load_master_key

    platform = platform.strip().lower()
    with hub.context(channel, principal=principal) as ctx:
        check(ctx, Permission.ACCOUNTS_MANAGE)
    if platform not in KNOWN_PLATFORMS:
        raise ValidationError(f"unknown platform {platform!r} "
                              f"(known: {', '.join(KNOWN_PLATFORMS)})")
    section = hub.config.settings.platforms.section(platform)
    base_url = _clean_url(options.base_url or (section.base_url if section else None))
    # Everything checkable here is checked before a key or record is created...
    check_connect_locally(hub.config, platform, base_url, options)
    # ...and the key is loaded before the login, so a bad key fails before the browser opens.
    key, keys = load_master_key(hub.config), load_keyring(hub.config)
    if platform == "sandbox":
        profile, tokens = _connect_sandbox(base_url, options)
    elif platform == "bluesky":
        profile, tokens = _connect_bluesky(base_url, options)
    elif platform == "mastodon":
        profile, tokens = _connect_mastodon(hub, base_url, options)
    else:
        profile, tokens = _connect_oauth(hub.config, platform, base_url, options)
    with hub.context(channel, principal=principal) as ctx:
        summary = save_connected_account(ctx, platform, profile, tokens,
                                         base_url=profile.base_url or base_url, key=key,
                                         keys=keys)
        if keep is not None:
            keep(ctx, summary)
    log.info("%s account %s", "connected" if summary["created"] else "reconnected",
             summary["ref"])
    return summary


@use_case(Permission.ACCOUNTS_MANAGE)
def save_connected_account(ctx: Ctx, platform: str, profile: ConnectedProfile,
                           tokens: Tokens, *, base_url: str | None, key: Any,
                           keys: Any = None) -> dict[str, Any]:
    """Save a login's account and tokens in the context's organization (``save_connection``);
    ``account_summary`` plus ``created`` and ``has_refresh_token``, never a token.

    Raises:
        ConflictError: the profile's new handle belongs to another account.
    """
    account, created = save_connection(ctx.session, ctx.org_id, platform, profile, tokens,
                                       base_url=base_url, key=key, keys=keys)
    summary = account_summary(account)
    summary["created"] = created
    summary["has_refresh_token"] = (account.credential is not None
                                    and account.credential.refresh_token_enc is not None)
    return summary


def check_connect_locally(config: LoadedConfig, platform: str, base_url: str | None,
                          options: ConnectOptions) -> None:
    """Refuse a connect that cannot work, before any key, record or browser: a missing
    OAuth client id, instance URL, handle or app password, or a taken redirect port.

    Raises:
        ConfigError: an OAuth platform without a client id (says which key to set and
            which page explains the developer app), or the redirect port is taken.
        ValidationError: a missing ``--base-url``, ``--handle`` or app password.
    """
    from socialhub.errors import ConfigError
    from socialhub.services.accounts.accounts import DEVELOPER_APP_PLATFORMS, developer_app_doc

    if platform == "mastodon" and not base_url:
        raise ValidationError("mastodon: which instance? pass --base-url "
                              "(e.g. --base-url https://mastodon.social)")
    if platform == "sandbox" and not base_url:
        raise ValidationError("sandbox: which sandbox? pass --base-url "
                              "(see `socialhub sandbox serve`)")
    if platform == "bluesky":
        if not options.handle:
            raise ValidationError("bluesky: pass --handle (e.g. --handle shop.example.com)")
        if not options.app_password:
            raise ValidationError("bluesky: no app password given",
                                  hint="type it at the prompt or set "
                                       "SOCIALHUB_BLUESKY_APP_PASSWORD")
    if platform in DEVELOPER_APP_PLATFORMS and not app_credentials(config, platform).client_id:
        raise ConfigError(
            f"{platform}: no OAuth client id configured; {platform} needs a developer app "
            f"(how to register one: {developer_app_doc(platform)})",
            hint=f"set platforms.{platform}.client_id and client_secret in the config, or "
                 f"SOCIALHUB_PLATFORMS_{platform.upper()}_CLIENT_ID and _CLIENT_SECRET; "
                 "nothing was created")
    if (platform in (*DEVELOPER_APP_PLATFORMS, "mastodon") and not options.no_browser
            and options.port):
        oauth.LoopbackListener(options.port).close()  # the redirect port is free


def save_connection(session: Session, org_id: int, platform: str, profile: ConnectedProfile,
                    tokens: Tokens, *, base_url: str | None, key: Any,
                    keys: Any = None) -> tuple[Account, bool]:
    """Create or update the account behind ``profile`` and store ``tokens`` encrypted.

    The account is found by platform id, else by handle, so a reconnect keeps
    its id and history; a ``None`` refresh token keeps a still-valid stored one
    (``credentials.store_tokens``). The account becomes ``active``.

    Raises:
        ConflictError: the profile's new handle belongs to another account.
    """
    from socialhub.services.accounts.credentials import store_tokens

    handle = profile.handle.strip().lstrip("@")
    if not handle:
        raise ValidationError(f"{platform}: the platform returned no handle for this login")
    account = None
    if profile.external_id:
        account = queries.account_by_external_id(session, org_id, platform,
                                                 profile.external_id)
    by_handle = queries.account_by_handle(session, org_id, platform, handle)
    if account is None:
        account = by_handle
    elif by_handle is not None and by_handle.id != account.id:
        raise ConflictError(f"{platform}:@{handle} is already another account (id "
                            f"{by_handle.id})", hint="remove one of them first")
    created = account is None
    before = {} if account is None else {**snapshot(account, ACCOUNT_FIELDS), "scopes": None}
    if account is None:
        account = Account(org_id=org_id, platform=platform, handle=handle, settings={})
        session.add(account)
    account.handle = handle
    account.display_name = profile.display_name or account.display_name
    account.external_id = profile.external_id or account.external_id
    account.base_url = base_url or account.base_url
    if profile.settings:
        account.settings = {**(account.settings or {}), **profile.settings}
    account.status = "active"
    account.status_reason = None
    if not created:
        # Written even when it reads "active" already: the UPDATE locks the row, so a
        # daemon flagging the old token now either waits and sees the new one, or
        # committed first and is overwritten here (TokenManager.mark_needs_reauth).
        flag_modified(account, "status")
        flag_modified(account, "status_reason")
    session.flush()
    store_tokens(session, account, tokens, key, keys=keys)
    record_event(session, org_id, "create" if created else "reconnect", "Account",
                 record_id=account.id, name=account.ref,
                 change=changes(before, {**snapshot(account, ACCOUNT_FIELDS),
                                         "scopes": sorted(tokens.scopes)}))
    session.flush()
    return account, created


def connection_details(account: Account) -> dict[str, Any]:
    """What ``accounts show`` adds about the connection: token state and what it can do."""
    from socialhub.platforms.registry import adapter_class

    cred = account.credential
    try:
        caps = adapter_class(account.platform).capabilities
        can = [name for name, value in vars(caps).items() if value is True]
    except ValidationError:
        can = []
    return {
        "token_status": cred.status if cred else None,
        "token_expires_at": cred.expires_at if cred else None,
        "has_refresh_token": bool(cred and cred.refresh_token_enc is not None),
        "refresh_expires_at": cred.refresh_expires_at if cred else None,
        "scopes": list(cred.scopes or []) if cred else [],
        "can": can,
    }


# -- per platform ----------------------------------------------------------------------------


def _clean_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip().rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValidationError(f"{url!r} is not an http(s) URL", hint="e.g. https://mastodon.social")
    return url


def _connect_sandbox(base_url: str | None,
                     options: ConnectOptions) -> tuple[ConnectedProfile, Tokens]:
    from socialhub.platforms.sandbox import adapter as sandbox

    if not base_url:
        raise ValidationError("sandbox: which sandbox? pass --base-url "
                              "(see `socialhub sandbox serve`)")
    handle = (options.handle or "me").lstrip("@")
    external_id, tokens = sandbox.connect(base_url, handle, timeout_s=options.http_timeout_s)
    return ConnectedProfile(handle=handle, external_id=external_id, base_url=base_url), tokens


def _connect_bluesky(base_url: str | None,
                     options: ConnectOptions) -> tuple[ConnectedProfile, Tokens]:
    from socialhub.platforms.bluesky import adapter as bluesky

    if not options.handle:
        raise ValidationError("bluesky: pass --handle (e.g. --handle shop.example.com)")
    if not options.app_password:
        raise ValidationError("bluesky: no app password given",
                              hint="type it at the prompt or set SOCIALHUB_BLUESKY_APP_PASSWORD")
    handle = options.handle.lstrip("@")
    did, tokens = bluesky.connect(base_url or BLUESKY_DEFAULT_PDS, handle, options.app_password,
                                  timeout_s=options.http_timeout_s)
    return ConnectedProfile(handle=str(tokens.extra.get("handle") or handle), external_id=did,
                            base_url=base_url), tokens


def _connect_oauth(config: LoadedConfig, platform: str, base_url: str | None,
                   options: ConnectOptions) -> tuple[ConnectedProfile, Tokens]:
    from socialhub.platforms.registry import adapter_class

    cls = adapter_class(platform)
    spec = cls.oauth_spec(base_url)
    if spec is None:
        raise ValidationError(f"{platform} does not connect through OAuth")
    app = app_credentials(config, platform)
    flow = _run(spec, app, platform, options)
    answer = dict(flow.token_response)
    if options.handle:
        # Which of the user's Pages to publish as (Facebook); other platforms ignore it.
        answer.setdefault("page", options.handle.lstrip("@"))
    profile, tokens = cls.finish_connect(answer, app=app, base_url=base_url,
                                         timeout_s=options.http_timeout_s)
    if not tokens.scopes:
        tokens.scopes = list(flow.scopes)
    return profile, tokens


def _run(spec: OAuthSpec, app: AppCredentials, platform: str, options: ConnectOptions, *,
         listener: oauth.LoopbackListener | None = None) -> oauth.FlowResult:
    return oauth.run_authorization(
        spec, app, platform=platform, port=options.port, timeout_s=options.timeout_s,
        scopes=options.scopes, open_browser=options.open_browser,
        no_browser=options.no_browser, read_redirect=options.read_redirect,
        notify=options.notify, listener=listener, http_timeout_s=options.http_timeout_s)


# -- Mastodon: an app per instance, then OAuth ------------------------------------------------


def mastodon_spec(instance: str) -> OAuthSpec:
    """The OAuth flow on one Mastodon instance (PKCE S256 from 4.3; client secret in the body)."""
    from socialhub.platforms.mastodon.adapter import MastodonAdapter

    spec = MastodonAdapter.oauth_spec(instance)
    return spec or OAuthSpec(authorize_url=f"{instance}/oauth/authorize",
                             token_url=f"{instance}/oauth/token", scopes=MASTODON_SCOPES,
                             client_auth="body")


def _connect_mastodon(hub: Hub, instance: str | None,
                      options: ConnectOptions) -> tuple[ConnectedProfile, Tokens]:
    if not instance:
        raise ValidationError("mastodon: which instance? pass --base-url "
                              "(e.g. --base-url https://mastodon.social)")
    spec = mastodon_spec(instance)
    scopes = tuple(options.scopes or spec.scopes)
    listener = None if options.no_browser else oauth.LoopbackListener(options.port)
    try:
        redirect_uri = (listener.redirect_uri if listener is not None
                        else oauth.redirect_uri_for(options.port or oauth.DEFAULT_PORT))
        configured = app_credentials(hub.config, "mastodon")
        if configured.client_id:  # one app for one instance, set up by hand
            app = configured
        else:
            app = (_cached_mastodon_app(hub, instance, redirect_uri)
                   or register_mastodon_app(instance, redirect_uri, scopes,
                                            timeout_s=options.http_timeout_s))
        flow = _run(spec, app, "mastodon", options, listener=listener)
    finally:
        if listener is not None:
            listener.close()
    profile, tokens = _mastodon_profile(spec, flow, instance, options.http_timeout_s)
    tokens.extra.update({"client_id": app.client_id, "client_secret": app.client_secret,
                         "redirect_uri": redirect_uri})
    return profile, tokens


def register_mastodon_app(instance: str, redirect_uri: str, scopes: tuple[str, ...], *,
                          timeout_s: float = 30.0) -> AppCredentials:
    """Register socialhub as an app on ``instance`` (``POST /api/v1/apps``); its client.

    Raises:
        PlatformError: the instance refused or could not be reached.
    """
    import httpx

    from socialhub.errors import PlatformError
    from socialhub.security.tls import verify_context

    body = {"client_name": APP_NAME, "redirect_uris": redirect_uri,
            "scopes": " ".join(scopes), "website": APP_WEBSITE}
    try:
        response = httpx.post(f"{instance}/api/v1/apps", data=body, timeout=timeout_s,
                              verify=verify_context())
        data = response.json() if response.status_code < 400 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise PlatformError(f"mastodon: cannot register socialhub on {instance}: "
                            f"{type(exc).__name__}") from None
    if not isinstance(data, dict) or not data.get("client_id"):
        raise PlatformError(f"mastodon: {instance} refused to register socialhub "
                            f"(HTTP {response.status_code})")
    return AppCredentials(client_id=str(data["client_id"]),
                          client_secret=str(data.get("client_secret") or "") or None)


def _cached_mastodon_app(hub: Hub, instance: str, redirect_uri: str) -> AppCredentials | None:
    """An app registered earlier on ``instance`` for ``redirect_uri``, from any account there."""
    from socialhub.security.keys import load_keyring
    from socialhub.services.accounts.credentials import load_tokens

    keys = load_keyring(hub.config)
    with hub.transaction() as session:
        accounts = queries.accounts_on_instance(session, hub.org_id(session), "mastodon",
                                                instance)
        for account in accounts:
            stored = load_tokens(session, account, keys)
            extra = stored.extra if stored is not None else {}
            if extra.get("client_id") and extra.get("redirect_uri") == redirect_uri:
                return AppCredentials(client_id=str(extra["client_id"]),
                                      client_secret=extra.get("client_secret"))
    return None


def _mastodon_profile(spec: OAuthSpec, flow: oauth.FlowResult, instance: str,
                      timeout_s: float) -> tuple[ConnectedProfile, Tokens]:
    from socialhub.platforms.mastodon.adapter import MastodonAdapter

    try:
        return MastodonAdapter.finish_connect(flow.token_response, app=AppCredentials(),
                                              base_url=instance, timeout_s=timeout_s)
    except NotImplementedError:
        pass
    from socialhub.platforms.http import make_client, raise_for_response, send

    token = str(flow.token_response["access_token"])
    with make_client(instance, timeout_s=timeout_s) as client:
        response = send(client, "GET", "/api/v1/accounts/verify_credentials",
                        platform="mastodon", headers={"Authorization": f"Bearer {token}"})
        raise_for_response(response, platform="mastodon", expired_codes=())
    me = response.json()
    host = urlsplit(instance).netloc
    profile = ConnectedProfile(handle=f"{me['username']}@{host}", external_id=str(me["id"]),
                               display_name=me.get("display_name") or None, base_url=instance)
    # Mastodon tokens never expire and there is no refresh grant.
    return profile, Tokens(access_token=token, scopes=list(flow.scopes))

