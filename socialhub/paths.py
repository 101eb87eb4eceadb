"""Where socialhub keeps its files (XDG base directories).

``SOCIALHUB_HOME`` puts everything under one folder, which the tests, the
demo and containers use to stay out of the user's real directories.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "socialhub"


@dataclass(frozen=True)
class Paths:
    """The directories socialhub reads and writes."""

    config_dir: Path
    data_dir: Path
    state_dir: Path

    @property
    def default_config_file(self) -> Path:
        """The config file used when none is named."""
        return self.config_dir / "config.yaml"

    @property
    def default_database(self) -> Path:
        """The embedded SQLite database file."""
        return self.data_dir / "socialhub.sqlite"

    @property
    def key_file(self) -> Path:
        """The 0600 master-key file used when no better key source exists."""
        return self.data_dir / "master.key"

    @property
    def backups_dir(self) -> Path:
        """Where ``db upgrade`` keeps copies of the SQLite file."""
        return self.data_dir / "backups"


def resolve_paths(env: dict[str, str] | None = None) -> Paths:
    """Return the directories for this environment, honouring SOCIALHUB_HOME and XDG_*."""
    env = dict(os.environ) if env is None else env
    home = env.get("SOCIALHUB_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "state")
    user_home = Path(env.get("HOME") or Path.home())
    config = Path(env.get("XDG_CONFIG_HOME") or user_home / ".config") / APP_NAME
    data = Path(env.get("XDG_DATA_HOME") or user_home / ".local" / "share") / APP_NAME
    state = Path(env.get("XDG_STATE_HOME") or user_home / ".local" / "state") / APP_NAME
    return Paths(config, data, state)
