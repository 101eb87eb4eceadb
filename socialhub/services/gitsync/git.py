"""The ``git`` binary, run as a subprocess, on a local cache of one repository.

Why the binary and not a library: it is what people already configure (SSH
keys and agents, credential helpers, proxies, ``gpg``/SSH signing and
``verify-commit`` with their allowed signers), and every transport works the
same as on the command line. dulwich, the maintained pure-Python option,
verifies only GPG signatures and ignores the user's git configuration for
credentials. Everything here is a handful of plumbing commands.

The cache (under the data directory) is a bare repository per URL and branch;
nothing is ever checked out in it. A token given by reference is passed in
the environment as an ``http.extraHeader`` (``GIT_CONFIG_*`` variables), never
on the command line, so it shows in no process list and no error message.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

from socialhub.errors import GitError

TIMEOUT_S = 120


def cache_key(url: str, branch: str) -> str:
    """A short stable name for one repository and branch's cache folder."""
    return hashlib.sha256(f"{url}\n{branch}".encode()).hexdigest()[:16]


def token_environment(token: str | None) -> dict[str, str]:
    """The environment that gives git ``token`` (``user:token`` or a bare token,
    sent as ``x-access-token:token``) as HTTP basic auth, without the command line."""
    if not token:
        return {}
    userpass = token if ":" in token else f"x-access-token:{token}"
    header = "Authorization: Basic " + base64.b64encode(userpass.encode()).decode()
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": header}


class Repository:
    """A bare repository caching one remote branch: fetch, verify, read, commit, push."""

    def __init__(self, git_dir: Path, url: str, *, token: str | None = None) -> None:
        self.git_dir, self.url = git_dir, url
        self.env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
                    "GIT_ASKPASS": "", "SSH_ASKPASS": "", **token_environment(token)}
        self.env.pop("GIT_DIR", None)
        self.env.pop("GIT_WORK_TREE", None)

    def call(self, *args: str, input: bytes | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``git --git-dir=CACHE ARGS`` and return how it ended, whatever the exit code.

        Raises:
            GitError: git timed out or is not installed.
        """
        try:
            return subprocess.run(["git", f"--git-dir={self.git_dir}", *args], input=input,
                                  capture_output=True, timeout=TIMEOUT_S,
                                  env={**self.env, **(env or {})}, check=False)
        except FileNotFoundError:
            raise GitError("git is not installed (sync needs the git command)") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took longer than {TIMEOUT_S} s") from None

    def run(self, *args: str, input: bytes | None = None,
            env: dict[str, str] | None = None) -> bytes:
        """Run ``git --git-dir=CACHE ARGS``; its stdout.

        Raises:
            GitError: git failed (its last error line, with the command), timed out,
                or is not installed.
        """
        done = self.call(*args, input=input, env=env)
        if done.returncode != 0:
            lines = [x for x in done.stderr.decode(errors="replace").splitlines() if x.strip()]
            detail = lines[-1].strip() if lines else f"exit code {done.returncode}"
            raise GitError(f"git {args[0]} failed: {detail}")
        return done.stdout

    def ensure(self) -> None:
        """Create the bare cache repository if it does not exist yet."""
        if not (self.git_dir / "HEAD").exists():
            self.git_dir.mkdir(parents=True, exist_ok=True)
            self.run("init", "--bare", "--quiet")

    def fetch(self, branch: str) -> str:
        """Fetch ``branch`` from the remote (a force-push simply replaces it); its commit id.

        Raises:
            GitError: the remote is unreachable, refuses, or has no such branch.
        """
        self.ensure()
        self.run("fetch", "--quiet", "--force", "--no-tags", self.url,
                 f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        return self.rev(f"refs/remotes/origin/{branch}")

    def fetch_optional(self, branch: str) -> str | None:
        """Fetch ``branch`` if the remote has it; its commit id, or None when it does not."""
        self.ensure()
        listed = self.run("ls-remote", "--heads", self.url, f"refs/heads/{branch}").strip()
        if not listed:
            return None
        return self.fetch(branch)

    def rev(self, ref: str) -> str:
        """The commit id ``ref`` names."""
        return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()

    def verify(self, commit: str) -> None:
        """Check the commit's signature with the user's git configuration (gpg or SSH
        allowed signers).

        Raises:
            GitError: the commit is unsigned, or its signature is not trusted.
        """
        try:
            self.run("verify-commit", commit)
        except GitError as exc:
            raise GitError(f"commit {commit[:12]} has no trusted signature "
                           f"({exc.message.removeprefix('git verify-commit failed: ')})"
                           ) from None

    def show(self, commit: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``commit``, or None when it has no such file."""
        try:
            return self.run("show", f"{commit}:{path}")
        except GitError:
            return None

    def extract(self, commit: str, path: str, dest: Path) -> Path:
        """Write the regular files under ``path`` at ``commit`` into ``dest`` (replaced);
        the folder in ``dest`` that corresponds to ``path``.

        Symbolic links and anything else that is not a plain file or folder are left
        out, so nothing from the repository can point outside ``dest``.

        Raises:
            GitError: ``path`` is not in the commit's tree.
        """
        spec = [] if path in ("", ".") else ["--", path]
        data = self.run("archive", "--format=tar", commit, *spec)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts:
                    continue
                target = dest.joinpath(*name.parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is not None:
                        target.write_bytes(source.read())
        return dest if path in ("", ".") else dest.joinpath(*PurePosixPath(path).parts)

    def commit_file(self, parent: str | None, path: str, content: bytes, *, message: str,
                    author: tuple[str, str]) -> str:
        """A new commit: ``parent``'s tree (or an empty one) with ``path`` set to
        ``content``; its id. Nothing is checked out; the commit is not on any branch yet."""
        blob = self.run("hash-object", "-w", "--stdin", input=content).decode().strip()
        index = self.git_dir / "socialhub-registry.index"
        index.unlink(missing_ok=True)
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            if parent is not None:
                self.run("read-tree", parent, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.run("write-tree", env=env).decode().strip()
        finally:
            index.unlink(missing_ok=True)
        name, email = author
        who = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
        args = ["commit-tree", tree, "-m", message]
        if parent is not None:
            args += ["-p", parent]
        return self.run(*args, env=who).decode().strip()

    def push(self, commit: str, branch: str) -> bool:
        """Push ``commit`` to ``branch`` without forcing; False when the remote moved on
        (a non-fast-forward: fetch, merge and try again).

        Raises:
            GitError: the push failed for any other reason.
        """
        done = self.call("push", "--porcelain", self.url, f"{commit}:refs/heads/{branch}")
        if done.returncode == 0:
            return True
        report = done.stdout.decode(errors="replace")
        if "[rejected]" in report or ("[remote rejected]" in report and "lock" in report):
            return False
        lines = [x for x in done.stderr.decode(errors="replace").splitlines() if x.strip()]
        raise GitError(f"git push failed: {lines[-1].strip() if lines else report.strip()}")
