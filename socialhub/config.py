"""Effective configuration: file, then environment, with validation.

The file is found at ``--config``, then ``$SOCIALHUB_CONFIG``, then the XDG
config dir. Every key can be overridden by an environment variable made of
``SOCIALHUB_`` and the key's path in upper case joined by ``_``
(``database.url`` → ``SOCIALHUB_DATABASE_URL``,
``platforms.x.client_id`` → ``SOCIALHUB_PLATFORMS_X_CLIENT_ID``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
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
    # Meta and Pinterest app ids are numbers; keep them as the strings OAuth sends.
    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              coerce_numbers_to_str=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    base_url: str | None = None


class PlatformsConfig(_Section):
    sandbox: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    bluesky: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    mastodon: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    x: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    linkedin: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    threads: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    instagram: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    facebook: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    reddit: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    pinterest: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    youtube: PlatformAppConfig = Field(default_factory=PlatformAppConfig)
    tiktok: PlatformAppConfig = Field(default_factory=PlatformAppConfig)


class LimitsConfig(_Section):
    """Input size limits (docs/security.md); the defaults live in core/limits.py."""

    manifest_file_bytes: int = Field(MANIFEST_FILE_BYTES, ge=1024, le=1 << 30)
    manifest_total_bytes: int = Field(MANIFEST_TOTAL_BYTES, ge=1024, le=1 << 34)


class MediaConfig(_Section):
    """Where media files named by manifests may live, besides the manifest's own folder."""

    root: str | None = None


class Settings(_Section):
    """The whole configuration; see config.example.yaml for every key."""

    organization: str = DEFAULT_ORGANIZATION
    timezone: str | None = None
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    ai: AIConfig = Field(default_factory=AIConfig)
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


def load_config(
    explicit: str | Path | None = None, env: dict[str, str] | None = None
) -> LoadedConfig:
    """Load and validate the effective configuration.

    Raises:
        ConfigError: the file is unreadable, not YAML, or has unknown or invalid keys.
    """
    env = dict(os.environ) if env is None else env
    paths = resolve_paths(env)
    file, data, overrides = read_raw_config(explicit, env, paths, _leaf_paths(Settings))
    try:
        settings = Settings.model_validate(data)
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
