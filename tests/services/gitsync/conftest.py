"""A real bare git repository on disk, a clone the tests commit and push from, and a
config whose ``sync.git`` points at it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from socialhub.services.events import Event, Scope, subscribe, unsubscribe

GIT_ENV = {"GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "tess@example.com",
           "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "tess@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` as the test author; its stdout."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return done.stdout.strip()


class Remote:
    """A bare repository (``url``) and a working clone that commits and pushes to it."""

    def __init__(self, root: Path) -> None:
        self.url = str(root / "calendar.git")
        self.work = root / "work"
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "--bare", "--quiet", "-b", "main", self.url)
        git(root, "clone", "--quiet", self.url, str(self.work))
        git(self.work, "checkout", "--quiet", "-b", "main")

    def commit(self, files: Mapping[str, str | None], message: str = "change",
               *, push: bool = True) -> str:
        """Write (or, for None, delete) ``files`` under the clone, commit, push; the id."""
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "-m", message)
        if push:
            git(self.work, "push", "--quiet", "origin", "HEAD:main")
        return git(self.work, "rev-parse", "HEAD")

    def force_push(self, reset_to: str, files: Mapping[str, str | None]) -> str:
        """Rewrite history: reset to ``reset_to``, commit ``files``, force-push; the id."""
        git(self.work, "reset", "--quiet", "--hard", reset_to)
        commit = self.commit(files, "rewritten", push=False)
        git(self.work, "push", "--quiet", "--force", "origin", "HEAD:main")
        return commit


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Remote:
    """An empty bare repository with a clone to commit from."""
    for key, value in GIT_ENV.items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)
    return Remote(tmp_path / "git")


def write_config(path: Path, url: str, **more: Any) -> Path:
    """A config file syncing ``url``'s main branch, folder ``calendar``."""
    lines = [f"  git:\n    url: {url!r}\n    branch: main\n    path: calendar\n"]
    lines += [f"    {k}: {v!r}\n" for k, v in more.items()]
    path.write_text("sync:\n" + "".join(lines))
    return path


@pytest.fixture
def synced(db_home: str, remote: Remote, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Remote:
    """The remote, with the config of the test home syncing it."""
    monkeypatch.setenv("SOCIALHUB_CONFIG", str(write_config(tmp_path / "config.yaml",
                                                            remote.url)))
    return remote


@pytest.fixture
def alerts() -> Iterator[list[Event]]:
    """Every ``sync.failed`` event delivered (after commit) while the test runs."""
    seen: list[Event] = []

    def handler(event: Event, scope: Scope) -> None:
        del scope
        seen.append(event)
    sub = subscribe("sync.failed", handler)
    yield seen
    unsubscribe(sub)
