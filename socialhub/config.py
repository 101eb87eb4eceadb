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
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, create_model
from pydantic import ValidationError as PydanticValidationError

from socialhub.config_file import DEFAULT_ORGANIZATION, read_raw_config
from socialhub.core.limits import MANIFEST_FILE_BYTES, MANIFEST_TOTAL_BYTES
from socialhub.errors import ConfigError
from socialhub.paths import Paths, resolve_paths

MASK = "********"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseConfig(_Section):
    url: str | None = None
    busy_timeout_ms: int = Field(5000, ge=0)
    echo: bool = False


class SecurityConfig(_Section):
    key_file: str | None = None
    use_keyring: bool = True


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "text"] = "auto"


class WebhookConfig(_Section):
    url: str
    events: list[str] = Field(
        default_factory=lambda: ["scheduled", "published", "failed", "dead", "unconfirmed"]
    )
    secret: SecretStr | None = None


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
    webhooks: list[WebhookConfig] = Field(default_factory=list)


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
    search: SearchConfig = Field(default_factory=SearchConfig)
    ai: AIConfig = Field(default_factory=AIConfig)
    inbox: InboxConfig = Field(default_factory=InboxConfig)
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)


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
        raise ConfigError(f"{source}: {key}: {err['msg']}") from None
    return LoadedConfig(settings=settings, paths=paths, file=file, env_overrides=overrides)


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
