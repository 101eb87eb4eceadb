"""Configuration: lookup order, environment overrides, masking, and the example file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from socialhub.config import _leaf_paths
from socialhub.errors import ConfigError
from socialhub.services.settings import load_config, settings_type
from tests.conftest import CLIResult

ROOT = Path(__file__).resolve().parents[2]


def _yaml_paths(data: object, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(data, dict):
        out: set[tuple[str, ...]] = set()
        for key, value in data.items():
            sub = _yaml_paths(value, (*prefix, key))
            out |= sub or {(*prefix, key)}
        return out
    return {prefix}


def test_example_config_loads_and_documents_every_key() -> None:
    example = ROOT / "config.example.yaml"
    loaded = load_config(example, env={"SOCIALHUB_HOME": "/nonexistent"})
    assert loaded.settings == settings_type()()  # the example shows the defaults
    leaves = set(_leaf_paths(settings_type()))
    # A key whose value is a mapping (links.utm) is one setting, however many keys it shows.
    documented = {next((p[:i] for i in range(1, len(p) + 1) if p[:i] in leaves), p)
                  for p in _yaml_paths(yaml.safe_load(example.read_text()))}
    assert leaves == documented


def test_lookup_order_is_flag_then_env_then_xdg(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg" / "socialhub"
    xdg.mkdir(parents=True)
    (xdg / "config.yaml").write_text("organization: from-xdg\n")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("organization: from-env\n")
    flag = tmp_path / "flag.yaml"
    flag.write_text("organization: from-flag\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    assert load_config(None, env=env).settings.organization == "from-xdg"
    env["SOCIALHUB_CONFIG"] = str(env_file)
    assert load_config(None, env=env).settings.organization == "from-env"
    assert load_config(flag, env=env).settings.organization == "from-flag"


def test_environment_overrides_nested_keys_with_types(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("daemon:\n  http_port: 9000\n")
    loaded = load_config(cfg, env={"SOCIALHUB_HOME": str(tmp_path),
                                   "SOCIALHUB_DAEMON_HTTP_PORT": "9100",
                                   "SOCIALHUB_DATABASE_URL": "sqlite:///x.db",
                                   "SOCIALHUB_PLATFORMS_X_CLIENT_ID": "abc"})
    assert loaded.settings.daemon.http_port == 9100
    assert loaded.database_url == "sqlite:///x.db"
    assert loaded.settings.platforms.x.client_id == "abc"


@pytest.mark.parametrize(("text", "message"), [
    ("daemon: [1, 2\n", ":1:"),
    ("nonsense_key: 1\n", "nonsense_key"),
    ("daemon:\n  http_port: seventy\n", "daemon.http_port"),
])
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={"SOCIALHUB_HOME": str(tmp_path)})
    assert message in str(info.value)
    assert str(cfg) in str(info.value)


def test_config_show_masks_secrets(cli: Callable[..., CLIResult],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_AI_API_KEY", "sk-ant-planted-secret-123")
    monkeypatch.setenv("SOCIALHUB_DATABASE_URL",
                       "postgresql+psycopg://bob:hunter2-planted@127.0.0.1:1/db")
    r = cli("config", "show", "--json")
    assert r.exit_code == 0
    assert "planted" not in r.stdout and "hunter2" not in r.stdout
    data = r.json()
    assert data["ai"]["api_key"] == "********"
    assert data["database"]["url"] == "postgresql+psycopg://bob:********@127.0.0.1:1/db"
    human = cli("config", "show")
    assert "planted" not in human.stdout and "SOCIALHUB_AI_API_KEY" in human.stdout


def test_config_path_lists_the_files(cli: Callable[..., CLIResult], home: Path) -> None:
    data = cli("config", "path", "--json").json()
    assert data["data_dir"] == str(home / "data")
    assert data["database_url"] == f"sqlite:///{home / 'data' / 'socialhub.sqlite'}"


def test_missing_config_file_exits_with_config_code(cli: Callable[..., CLIResult]) -> None:
    r = cli("--config", "/nonexistent/socialhub.yaml", "accounts", "list")
    assert r.exit_code == 3
    assert r.stderr == "error: config file not found: /nonexistent/socialhub.yaml\n"


def test_numeric_app_ids_from_the_environment_stay_strings(tmp_path: Path) -> None:
    loaded = load_config(None, env={"SOCIALHUB_HOME": str(tmp_path),
                                    "SOCIALHUB_PLATFORMS_FACEBOOK_CLIENT_ID": "1234567890"})
    assert loaded.settings.platforms.facebook.client_id == "1234567890"
