"""Where socialhub keeps its files (XDG base directories, via platformdirs).

``SOCIALHUB_HOME`` puts everything under one folder, which the tests, the
demo and containers use to stay out of the user's real directories.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    """Return the directories for ``env`` (default: this process's environment).

    ``SOCIALHUB_HOME`` puts everything under one folder. Otherwise the
    platform's user directories come from ``platformdirs``: on Linux the XDG
    base directories (``$XDG_CONFIG_HOME``, ``$XDG_DATA_HOME``,
    ``$XDG_STATE_HOME`` when set to absolute paths, else ``~/.config``,
    ``~/.local/share`` and ``~/.local/state``), each with ``socialhub`` appended;
    on macOS and Windows their native locations.
    """
    env = os.environ if env is None else env
    home = env.get("SOCIALHUB_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "state")
    with _process_environment(env):
        import platformdirs  # deferred: only needed when SOCIALHUB_HOME is not set

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return Paths(dirs.user_config_path, dirs.user_data_path, dirs.user_state_path)


#: The variables platformdirs reads to place user directories.
_DIR_VARIABLES = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
_ENVIRON_LOCK = threading.Lock()


@contextmanager
def _process_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Let platformdirs, which reads ``os.environ``, see ``env``'s directory variables.

    Nothing changes when ``env`` agrees with the process (every real run); a
    different mapping (tests, a config loaded for another home) is applied for
    the duration of the call, under a lock, and undone.
    """
    wanted = {k: env.get(k) for k in _DIR_VARIABLES}
    if all(os.environ.get(k) == v for k, v in wanted.items()):
        yield
        return
    with _ENVIRON_LOCK:
        saved = {k: os.environ.get(k) for k in _DIR_VARIABLES}
        try:
            _apply(wanted)
            yield
        finally:
            _apply(saved)


def _apply(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
