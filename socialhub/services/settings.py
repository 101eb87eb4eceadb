"""Loading the configuration with one ``platforms.<name>`` section per registered network.

``socialhub.config`` sits below ``platforms/`` and cannot list the networks; this
is where the two meet. The CLI, the TUI, the daemon and the demo load their
settings here, so a network registered in ``platforms/registry.py`` has its config
section (and its ``SOCIALHUB_PLATFORMS_<NAME>_…`` variables) with nothing added
to ``config.py``.
"""

from __future__ import annotations

from pathlib import Path

from socialhub.config import LoadedConfig, Settings, settings_model
from socialhub.config import load_config as _load_config
from socialhub.platforms.registry import config_sections


def settings_type() -> type[Settings]:
    """The settings schema with every registered network's section."""
    return settings_model(config_sections())


def load_config(explicit: str | Path | None = None,
                env: dict[str, str] | None = None) -> LoadedConfig:
    """Load and validate the effective configuration (``socialhub.config.load_config``),
    with a section per registered network.

    Raises:
        ConfigError: the file is unreadable, not YAML, or has unknown or invalid keys
            (``platforms.<name>`` of a network that is not registered is unknown).
    """
    return _load_config(explicit, env, platforms=config_sections())


def save_organization(config: LoadedConfig, name: str) -> Path:
    """Make ``name`` the current organization: ``organization: NAME`` in the config file
    in force (the default one when there is none), the rest of the file kept as it was.
    Returns the file written.

    Raises:
        ConfigError: the file cannot be read or written, or is not a YAML mapping.
    """
    from socialhub.config_file import set_top_level_value

    file = config.file or config.paths.default_config_file
    set_top_level_value(file, "organization", name)
    return file
