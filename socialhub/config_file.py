"""Finding and reading the configuration before it is validated: file, then environment.

Standard library and PyYAML only. ``socialhub.config`` validates what this
reads against the settings schema; the TUI's first paint reads the few keys
it needs from here without loading the schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from socialhub.errors import ConfigError
from socialhub.paths import Paths

ENV_PREFIX = "SOCIALHUB_"
#: The organization used when the config names none.
DEFAULT_ORGANIZATION = "default"


def env_var_for(path: tuple[str, ...]) -> str:
    """Return the environment variable that overrides the key at ``path``."""
    return ENV_PREFIX + "_".join(p.upper() for p in path)


def _parse_env_value(raw: str) -> Any:
    # YAML parsing turns "8", "true", "[a, b]" into the types the schema expects.
    try:
        return yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        return raw


def find_config_file(explicit: str | Path | None, env: dict[str, str], paths: Paths) -> Path | None:
    """Return the config file to read, or None when there is none.

    Raises:
        ConfigError: the file named by ``--config`` or ``$SOCIALHUB_CONFIG`` does not exist.
    """
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        return p
    env_file = env.get("SOCIALHUB_CONFIG")
    if env_file:
        p = Path(env_file).expanduser()
        if not p.is_file():
            raise ConfigError(f"config file not found: {p} (from $SOCIALHUB_CONFIG)")
        return p
    default = paths.default_config_file
    return default if default.is_file() else None


def read_config_file(file: Path) -> dict[str, Any]:
    """The mapping in a YAML config file (empty for an empty file).

    Raises:
        ConfigError: the file is unreadable, not YAML, or not a mapping at the top.
    """
    try:
        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else str(file)
        raise ConfigError(f"{where}: not valid YAML") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of keys")
    return loaded


def apply_env_overrides(data: dict[str, Any], keys: Iterable[tuple[str, ...]],
                        env: dict[str, str]) -> list[str]:
    """Set each key in ``keys`` that has a ``SOCIALHUB_…`` variable in ``env``; return those.

    Values are read as YAML scalars or lists (``8``, ``true``, ``[a, b]``).
    """
    overrides: list[str] = []
    for path in keys:
        var = env_var_for(path)
        if var in env:
            node = data
            for part in path[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[path[-1]] = _parse_env_value(env[var])
            overrides.append(var)
    return overrides


def read_raw_config(explicit: str | Path | None, env: dict[str, str], paths: Paths,
                    keys: Iterable[tuple[str, ...]]
                    ) -> tuple[Path | None, dict[str, Any], list[str]]:
    """The config file in force, its mapping with ``keys``' overrides applied, and those overrides.

    Raises:
        ConfigError: a named file is missing, or the file is unreadable or not a YAML mapping.
    """
    file = find_config_file(explicit, env, paths)
    data = read_config_file(file) if file is not None else {}
    return file, data, apply_env_overrides(data, keys, env)


_TOP_LEVEL_KEY = r"^{key}:[^\n]*$"


def set_top_level_value(file: Path, key: str, value: str) -> None:
    """Set the top-level scalar ``key: value`` in the YAML config ``file``, keeping the
    rest of the file (comments, order) as it is; the file is created when missing.

    Raises:
        ConfigError: the file cannot be read or written, or is not a YAML mapping.
    """
    import re

    text = file.read_text(encoding="utf-8") if file.is_file() else ""
    if text.strip():
        read_config_file(file)  # refuse to touch a file that is not a YAML mapping
    line = f"{key}: {yaml.safe_dump(value, default_style=None).splitlines()[0]}"
    pattern = re.compile(_TOP_LEVEL_KEY.format(key=re.escape(key)), re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: line, text, count=1)
    else:
        text = (text if not text or text.endswith("\n") else text + "\n") + line + "\n"
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write config file {file}: {exc.strerror}") from None
