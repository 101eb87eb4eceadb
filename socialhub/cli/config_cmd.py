"""``socialhub config``: the effective configuration and where files live."""

from __future__ import annotations

import typer

from socialhub.cli.common import JsonOption, emit_json, get_config, out

app = typer.Typer(help="Show the effective configuration and file locations.",
                  no_args_is_help=True)


@app.command("show")
def show(json_: JsonOption = False) -> None:
    """Print the effective configuration, secrets masked (YAML or --json)."""
    from socialhub.config import masked_settings

    cfg = get_config()
    data = masked_settings(cfg.settings)
    if json_:
        emit_json(data)
        return
    import yaml

    out().print(f"# file: {cfg.file or '(none: defaults)'}", markup=False)
    if cfg.env_overrides:
        out().print(f"# overridden by: {', '.join(cfg.env_overrides)}", markup=False)
    out().print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip(), markup=False)


@app.command("path")
def path(json_: JsonOption = False) -> None:
    """Print where socialhub reads and writes its files."""
    cfg = get_config()
    data = {
        "config_file": str(cfg.file) if cfg.file else None,
        "default_config_file": str(cfg.paths.default_config_file),
        "config_dir": str(cfg.paths.config_dir),
        "data_dir": str(cfg.paths.data_dir),
        "state_dir": str(cfg.paths.state_dir),
        "database_url": _safe_url(cfg.database_url),
        "docs_index": str(cfg.docs_path),
        "music_index": str(cfg.music_path),
        "backups_dir": str(cfg.paths.backups_dir),
    }
    if json_:
        emit_json(data)
        return
    for key, value in data.items():
        out().print(f"{key:>20}: {value or '-'}", markup=False)


def _safe_url(url: str) -> str:
    from socialhub.config import Settings, masked_settings

    return str(masked_settings(Settings.model_validate({"database": {"url": url}}))
               ["database"]["url"])
