"""Effective configuration: file, then environment, with validation.

The file is found at ``--config``, then ``$SOCIALHUB_CONFIG``, then the XDG
config dir. Every key can be overridden by an environment variable made of
``SOCIALHUB_`` and the key's path in upper case joined by ``_``
(``database.url`` → ``SOCIALHUB_DATABASE_URL``,
``platforms.x.client_id`` → ``SOCIALHUB_PLATFORMS_X_CLIENT_ID``).

The ``platforms`` section has one sub-section per network, and config sits below
``platforms/``: it cannot list the networks. ``load_config`` takes them from its
caller (each network's name and the model of its section) and validates with
``settings_model(platforms)``; ``socialhub.services.settings.load_config``
passes the platform registry's.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    create_model,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from socialhub.config_file import DEFAULT_ORGANIZATION, env_var_for, read_raw_config
from socialhub.core.limits import MANIFEST_FILE_BYTES, MANIFEST_TOTAL_BYTES
from socialhub.core.links import DEFAULT_UTM, short_base_problem, template_errors
from socialhub.errors import ConfigError
from socialhub.paths import Paths, resolve_paths

MASK = "********"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseConfig(_Section):
    url: str | None = None
    busy_timeout_ms: int = Field(5000, ge=0)
    echo: bool = False
    #: Folder of pg_dump/pg_restore for `db backup|restore` (None: PATH, then
    #: /usr/lib/postgresql/*/bin, newest first).
    pg_bin: str | None = None


class SecurityConfig(_Section):
    key_file: str | None = None
    use_keyring: bool = True


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "text"] = "auto"


#: The short webhook names of the first releases, each standing for one bus event
#: (``services/webhooks``' ``BUS_EVENTS``); still accepted in ``daemon.webhooks[].events``.
LEGACY_WEBHOOK_EVENTS = (
    "scheduled", "published", "failed", "dead", "unconfirmed", "needs_reauth", "digest",
    "sync_failed", "submitted", "approved", "changes_requested", "commented", "alert")


class WebhookConfig(_Section):
    """One webhook endpoint (``daemon.webhooks[]``); docs/webhooks.md.

    ``events`` lists bus event names (``post.approved``), prefixes (``inbox.*``),
    ``*`` (every event), or the short names of the first releases (``published``).
    ``secret`` is a literal or a reference (``env:VAR``, ``keyring:NAME``).
    """

    url: str
    #: What ``webhooks list|test|log`` call the endpoint (default: the URL's host:port).
    name: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    events: list[str] = Field(
        default_factory=lambda: ["scheduled", "published", "failed", "dead", "unconfirmed"]
    )
    secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        for name in value:
            if name == "*" or name in LEGACY_WEBHOOK_EVENTS:
                continue
            if "." not in name or not all(part for part in name.removesuffix(".*").split(".")):
                raise ValueError(
                    f"unknown event {name!r}: give a bus event (post.approved), a prefix "
                    f"(inbox.*), * or one of {', '.join(LEGACY_WEBHOOK_EVENTS)}")
        return value

    def endpoint_name(self) -> str:
        """The name the CLI and the delivery log use: ``name``, else the URL's host:port."""
        from urllib.parse import urlsplit

        if self.name:
            return self.name
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


#: Default cap on an HTTP request body (1 MiB); see docs/security.md.
DEFAULT_MAX_BODY_BYTES = 1_048_576


class DaemonConfig(_Section):
    http_host: str = "127.0.0.1"
    http_port: int = Field(8765, ge=0, le=65535)
    # A literal (best from $SOCIALHUB_DAEMON_HTTP_TOKEN) or a reference: env:VAR, keyring:NAME.
    http_token: SecretStr | None = None
    http_max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, le=1 << 30)
    poll_interval_s: float = Field(5.0, gt=0)
    lease_seconds: int = Field(120, ge=5)
    max_attempts: int = Field(8, ge=1)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_max_s: float = Field(900.0, gt=0)
    concurrency_per_platform: int = Field(8, ge=1)
    concurrency_per_account: int = Field(2, ge=1)
    request_timeout_s: float = Field(30.0, gt=0)
    refresh_window_minutes: int = Field(15, ge=1)
    metrics_enabled: bool = True
    digest_hour: int = Field(8, ge=0, le=23)
    #: How often the workflow rules job looks for what its triggers saw (docs/rules.md).
    rules_interval_s: float = Field(30.0, ge=1)
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    # A webhook send that fails is tried again after base * 2^(attempt-1) seconds (at most
    # max), up to webhook_max_attempts sends in all; then it is dead (docs/webhooks.md).
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_backoff_base_s: float = Field(30.0, gt=0)
    webhook_backoff_max_s: float = Field(3600.0, gt=0)
    webhook_timeout_s: float = Field(5.0, gt=0, le=60)

    @field_validator("webhooks")
    @classmethod
    def _unique_names(cls, value: list[WebhookConfig]) -> list[WebhookConfig]:
        seen: set[str] = set()
        for hook in value:
            name = hook.endpoint_name()
            if name in seen:
                raise ValueError(f"two webhooks are called {name!r}: give each a distinct "
                                 "name (daemon.webhooks[].name)")
            seen.add(name)
        return value


class ApiConfig(_Section):
    """The REST API the daemon serves under ``/api/v1`` (docs/api.md)."""

    enabled: bool = True
    # Off loopback the API needs TLS (both paths) or insecure_behind_proxy (a TLS proxy
    # in front of it on the same host); `daemon run --insecure-behind-proxy` sets it.
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_behind_proxy: bool = False
    rate_limit_per_minute: int = Field(600, ge=1, le=1_000_000)
    max_page_size: int = Field(200, ge=1, le=1000)


class InboxConfig(_Section):
    """The inbox: how often the daemon syncs, how much a sync reads, who analyses."""

    enabled: bool = True
    poll_interval_s: float = Field(300.0, ge=10)
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(10, ge=1, le=1000)
    analyser: Literal["offline", "anthropic"] = "offline"


class SearchConfig(_Section):
    docs_path: str | None = None
    music_path: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(8766, ge=0, le=65535)
    token: SecretStr | None = None
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, le=1 << 30)


class AIConfig(_Section):
    provider: Literal["auto", "anthropic", "offline"] = "auto"
    model: str = "claude-sonnet-4-6"
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.7, ge=0, le=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(60.0, gt=0)
    fallback_to_offline: bool = True
    monthly_budget_usd: float | None = Field(None, ge=0)


class PlatformAppConfig(_Section):
    """One network's ``platforms.<name>`` section: its app credentials and API base.

    A network whose section needs more keys names a subclass as its spec's
    ``config_model``.
    """

    # Meta and Pinterest app ids are numbers; keep them as the strings OAuth sends.
    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              coerce_numbers_to_str=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    base_url: str | None = None


class PlatformsConfig(_Section):
    """The ``platforms`` section: one ``PlatformAppConfig`` per network, as attributes.

    This base has no networks (config cannot list them); ``settings_model`` adds one
    field per network its caller names, so ``settings.platforms.x`` is X's section.
    """

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> PlatformAppConfig: ...

    def section(self, platform: str) -> PlatformAppConfig | None:
        """The section of ``platform``, or None when the settings have none for it."""
        if platform not in type(self).model_fields:
            return None
        found: PlatformAppConfig = getattr(self, platform)
        return found


#: What ``load_config`` is told of the networks: each name, and the model of its section.
PlatformSections = Mapping[str, type[PlatformAppConfig]]


class LimitsConfig(_Section):
    """Input size limits (docs/security.md); the defaults live in core/limits.py."""

    manifest_file_bytes: int = Field(MANIFEST_FILE_BYTES, ge=1024, le=1 << 30)
    manifest_total_bytes: int = Field(MANIFEST_TOTAL_BYTES, ge=1024, le=1 << 34)


class MediaConfig(_Section):
    """Where media files named by manifests may live, besides the manifest's own folder."""

    root: str | None = None


class GitSyncConfig(_Section):
    """``sync.git``: the repository the daemon (and ``socialhub sync git run``) applies."""

    url: str
    branch: str = "main"
    path: str = "."
    interval: int = Field(300, ge=10)
    require_signed: bool = False
    credentials: str | None = None
    source: str | None = None
    registry_branch: str = "socialhub-published"
    author: str = "socialhub <socialhub@localhost>"

    @field_validator("url")
    @classmethod
    def _no_password_in_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        if "://" in value and urlsplit(value).password:
            raise ValueError("the URL holds a password; give the token by reference in "
                             "sync.git.credentials (env:VAR or keyring:NAME)")
        return value

    @field_validator("credentials")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("env:", "keyring:")):
            raise ValueError("must be a reference (env:VAR or keyring:NAME), never the "
                             "token itself")
        return value

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if value.startswith("/") or ".." in parts:
            raise ValueError("must be a folder inside the repository (relative, no '..')")
        return value


class SyncConfig(_Section):
    git: GitSyncConfig | None = None


class AnalyticsConfig(_Section):
    """How metrics are collected (see docs/analytics.md, "Collection schedule")."""

    # A post is measured hourly while younger than this many days, daily after.
    hourly_days: int = Field(7, ge=0, le=365)
    # ...and no more once it is this many days old.
    max_age_days: int = Field(90, ge=1, le=3650)
    # At most this many API requests per network in one collection run.
    requests_per_run: int = Field(200, ge=1, le=100_000)


class AlertEmailConfig(_Section):
    """Where alert and digest mail goes (SMTP); off while ``host`` or ``to`` is empty."""

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    # Upgrade the connection with STARTTLS before logging in (most port-587 servers).
    starttls: bool = True
    user: str | None = None
    # A literal (best from $SOCIALHUB_ALERTS_EMAIL_PASSWORD) or env:VAR / keyring:NAME.
    password: SecretStr | None = None
    sender: str = "socialhub@localhost"
    to: list[str] = Field(default_factory=list)
    timeout_s: float = Field(10.0, gt=0)


class AlertsConfig(_Section):
    """Which alerts the daemon raises (see docs/analytics.md, "Alerts and the daily digest")."""

    enabled: bool = True
    # A post passing each of these like counts raises one alert per count.
    milestone_likes: list[int] = Field(default_factory=lambda: [100, 1000, 10000])
    # A post (a day old or more) earning under this % of its account's median interactions
    # over the trailing baseline_days raises an alert; 0 turns the rule off.
    drop_percent: int = Field(25, ge=0, le=100)
    baseline_days: int = Field(28, ge=7, le=365)
    # ...when the account has at least this many posts in the baseline.
    baseline_min_posts: int = Field(5, ge=1)
    publish_failure: bool = True
    needs_reauth: bool = True
    # A daemon job not run for this many minutes raises an alert; 0 turns the rule off.
    stale_scheduler_minutes: int = Field(30, ge=0)
    # Send each alert to the daemon.webhooks that subscribe to the "alert" event, and by
    # email (when alerts.email is set); the daily digest goes by email too.
    email: AlertEmailConfig = Field(default_factory=AlertEmailConfig)


class McpConfig(_Section):
    """The MCP server for AI agents (``socialhub mcp serve``; see docs/agents.md)."""

    # Posts an agent drafts over stdio stay plain drafts instead of going to review
    # (pending_approval). Off: a person approves everything an agent writes.
    trust_drafts: bool = False
    # The API tokens whose agents' drafts over the daemon's /mcp stay plain drafts:
    # "ORGANIZATION/TOKEN-NAME", or "TOKEN-NAME" in the configured organization.
    trusted_tokens: list[Annotated[str, Field(min_length=1, max_length=401)]] = Field(
        default_factory=list, max_length=100)


class LinksConfig(_Section):
    """Links in posts: UTM tags and first-party short links (see docs/campaigns.md, "Links")."""

    # Query parameters added to every http(s) link of a post in a campaign; a campaign's
    # manifest may set its own (spec.utm). Placeholders: {platform} {campaign} {variant}
    # {account} {post}. An empty mapping turns tagging off.
    utm: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UTM))
    # Replace links by https://<short_base_url>/l/<code>, served and counted by the daemon.
    shorten: bool = False
    # The public base URL the daemon's /l/<code> is reachable at (https; plain http only
    # on loopback, for testing).
    short_base_url: str | None = None

    @field_validator("utm")
    @classmethod
    def _template(cls, value: dict[str, str]) -> dict[str, str]:
        problems = template_errors(value)
        if problems:
            raise ValueError(problems[0][1])
        return value

    @field_validator("short_base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = short_base_problem(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _shorten_needs_base(self) -> LinksConfig:
        if self.shorten and not self.short_base_url:
            raise ValueError("links.shorten needs links.short_base_url (the daemon's public "
                             "https address)")
        return self


class Settings(_Section):
    """The whole configuration; see config.example.yaml for every key.

    ``Settings()`` has no network sections; ``settings_model`` gives the schema
    with them, which ``load_config`` validates with.
    """

    organization: str = DEFAULT_ORGANIZATION
    timezone: str | None = None
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    ai: AIConfig = Field(default_factory=AIConfig)
    inbox: InboxConfig = Field(default_factory=InboxConfig)
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)
    links: LinksConfig = Field(default_factory=LinksConfig)


class LoadedConfig(BaseModel):
    """Settings plus where they came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    paths: Paths
    file: Path | None
    env_overrides: list[str]

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL in force (the embedded SQLite file by default)."""
        return self.settings.database.url or f"sqlite:///{self.paths.default_database}"

    @property
    def docs_path(self) -> Path:
        """The docs search sidecar file."""
        s = self.settings.search.docs_path
        return Path(s).expanduser() if s else self.paths.data_dir / "docs.sqlite"

    @property
    def music_path(self) -> Path:
        """The music search sidecar file."""
        s = self.settings.search.music_path
        return Path(s).expanduser() if s else self.paths.data_dir / "music.sqlite"


def _leaf_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_leaf_paths(ann, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


@functools.cache
def _settings_model(sections: tuple[tuple[str, type[PlatformAppConfig]], ...]) -> type[Settings]:
    fields: dict[str, Any] = {name: (model, Field(default_factory=model))
                              for name, model in sections}
    platforms = create_model("PlatformsConfig", __base__=PlatformsConfig,
                             __module__=__name__, **fields)
    return create_model("Settings", __base__=Settings, __module__=__name__,
                        platforms=(platforms, Field(default_factory=platforms)))


def settings_model(platforms: PlatformSections) -> type[Settings]:
    """The settings schema with a ``platforms.<name>`` section per network in ``platforms``.

    The sections come in the order given; the same networks give the same class.
    """
    return _settings_model(tuple(platforms.items()))


def load_config(
    explicit: str | Path | None = None, env: dict[str, str] | None = None, *,
    platforms: PlatformSections,
) -> LoadedConfig:
    """Load and validate the effective configuration.

    Args:
        explicit: The ``--config`` file, if given.
        env: The environment (default: ``os.environ``).
        platforms: Each network's name and the model of its ``platforms.<name>``
            section (``platforms.registry.config_sections()``; the app loads through
            ``services.settings.load_config``, which passes them).

    Raises:
        ConfigError: the file is unreadable, not YAML, or has unknown or invalid keys
            (a network not in ``platforms`` is an unknown key).
    """
    env = dict(os.environ) if env is None else env
    paths = resolve_paths(env)
    model = settings_model(platforms)
    file, data, overrides = read_raw_config(explicit, env, paths, _leaf_paths(model))
    try:
        settings = model.model_validate(data)
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        source = str(file) if file else "environment"
        if file is not None and env_var_for(tuple(str(p) for p in err["loc"])) not in env:
            source = _where(file, err["loc"])
        raise ConfigError(f"{source}: {key}: {err['msg']}") from None
    return LoadedConfig(settings=settings, paths=paths, file=file, env_overrides=overrides)


def _where(file: Path, loc: tuple[int | str, ...]) -> str:
    """``file:line`` of the key at ``loc`` (its nearest parent when absent), else ``file``."""
    from socialhub.core.yaml_locate import load_located

    try:
        docs = load_located(file.read_text(encoding="utf-8"))
        position = docs[0].position(tuple(loc), key=True) if docs else None
    except Exception:  # the file was read once already; a position is a nicety
        return str(file)
    return f"{file}:{position.line}" if position else str(file)


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return {k: _mask(getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    return value


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Return the settings as plain data with every secret replaced by a mask."""
    result = _mask(settings)
    url = result["database"]["url"]
    if url and "@" in url and "://" in url:
        # postgresql+psycopg://user:password@host/db → hide the password
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":" + MASK
        result["database"]["url"] = f"{scheme}://{creds}@{host}"
    return dict(result)
