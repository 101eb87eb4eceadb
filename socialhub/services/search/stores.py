"""Use cases of the local search libraries, for the CLI and the TUI.

Opens the docs and music sidecars where the configuration says they live
(independent of the main database) and runs imports; the stores themselves
live in :mod:`socialhub.search`.
"""

from __future__ import annotations

from pathlib import Path

from socialhub.config import LoadedConfig
from socialhub.search.docs_import import ImportSummary, import_directory
from socialhub.search.docs_store import DocsStore
from socialhub.search.music_import import MusicImportSummary, ProgressFn, WarnFn, import_music
from socialhub.search.music_store import MusicStore


def open_docs(config: LoadedConfig) -> DocsStore:
    """The docs library at ``config.docs_path`` (created on first use)."""
    return DocsStore(config.docs_path,
                     busy_timeout_ms=config.settings.database.busy_timeout_ms)


def open_music(config: LoadedConfig) -> MusicStore:
    """The music library at ``config.music_path`` (created on first use)."""
    return MusicStore(config.music_path,
                      busy_timeout_ms=config.settings.database.busy_timeout_ms)


def import_docs(config: LoadedConfig, directory: Path, *, progress: ProgressFn | None = None,
                warn: WarnFn | None = None) -> ImportSummary:
    """Import (incrementally) the documents under ``directory`` into the docs library."""
    store = open_docs(config)
    try:
        return import_directory(store, directory, progress=progress, warn=warn)
    finally:
        store.close()


def import_tracks(config: LoadedConfig, directory: Path, *, progress: ProgressFn | None = None,
                  warn: WarnFn | None = None) -> MusicImportSummary:
    """Import (incrementally) the audio files under ``directory`` into the music library."""
    store = open_music(config)
    try:
        return import_music(store, directory, progress=progress, warn=warn)
    finally:
        store.close()
