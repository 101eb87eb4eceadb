"""Hostile and oversized input to `lint`, `apply` and stdin readers (issue #20, #12).

Each test feeds what an attacker or an accident would: an alias bomb, a media
path to a private key, bytes that are not UTF-8, a 50 MB body. Each asserts
one clear located line, exit 4, and nothing written.
"""

from __future__ import annotations

import os
import pty
import select as io_select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from socialhub.db.models import Delivery, Variant
from socialhub.sandbox_network.server import SandboxServer
from tests.conftest import CLIResult
from tests.publishing_kit import (
    connect_account,
    delivery,
    make_engine,
    make_hub,
    now,
    outcomes,
    run,
    sandbox_posts,
    schedule,
)

Cli = Callable[..., CLIResult]

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n" \
      b"-----END OPENSSH PRIVATE KEY-----\n"

ACCOUNT = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "sandbox:@demo"}
"""


def post(media: str, name: str = "launch") -> str:
    return f"""\
apiVersion: socialhub/v1
kind: Post
metadata: {{name: {name}}}
spec:
  body: We ship on Monday.
  targets:
    - account: sandbox:@demo
      media: {media}
"""


def laughs(levels: int) -> str:
    """The "billion laughs": each level is nine aliases of the one before (~300 bytes)."""
    lines = ["apiVersion: socialhub/v1", "kind: Post", "metadata: {name: lol}", "spec:",
             "  body: hi", '  tags: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  x{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def posts_in_db(cli: Cli) -> list[dict[str, Any]]:
    result = cli("posts", "list", "--json", "--all")
    assert result.exit_code == 0, result.stderr
    data: Any = result.json()
    return list(data if isinstance(data, list) else data.get("posts", data.get("items", [])))


@pytest.fixture
def demo_account(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "account.yaml").write_text(ACCOUNT)
    assert cli("apply", "-f", str(tmp_path / "account.yaml")).exit_code == 0


# -- 1. aliases, nesting, tags ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["lint", "apply"])
def test_an_alias_bomb_is_refused_at_once_with_its_file_and_line(
        cli: Cli, tmp_path: Path, command: str) -> None:
    bomb = tmp_path / "lol.yaml"
    bomb.write_text(laughs(9))  # a billion values if built; under 600 bytes
    assert bomb.stat().st_size < 600
    started = time.monotonic()
    result = cli(command, *(["-f"] if command == "apply" else []), str(bomb))
    assert time.monotonic() - started < 5
    assert result.exit_code == 4
    assert f"{bomb}:1:1: the YAML's aliases expand to more than 100,000 values" in \
        result.stdout + result.stderr


def test_self_reference_and_deep_nesting_are_refused_with_a_position(
        cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").write_text("apiVersion: socialhub/v1\nspec: &s {a: *s}\n")
    (tmp_path / "deep.yaml").write_text("spec: " + "[" * 200 + "]" * 200 + "\n")
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{tmp_path / 'loop.yaml'}:2:7: the YAML nests deeper")
               for line in lines), lines
    assert any(line.startswith(f"{tmp_path / 'deep.yaml'}:1:") and "nests deeper than 64"
               in line for line in lines), lines


def test_a_python_object_tag_is_refused_not_constructed(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "tag.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: t}\n"
        "spec: {body: !!python/object/apply:os.system [touch pwned]}\n")
    result = cli("lint", str(tmp_path / "tag.yaml"))
    assert result.exit_code == 4
    assert "unsupported YAML type !!python/object/apply:os.system" in result.stdout
    assert not (Path.cwd() / "pwned").exists()


# -- 2. media paths ----------------------------------------------------------------------------

def test_an_absolute_media_path_outside_the_manifest_folder_is_refused_at_apply(
        cli: Cli, tmp_path: Path, demo_account: None) -> None:
    secret = tmp_path / "secret" / "id_ed25519"
    secret.parent.mkdir()
    secret.write_bytes(KEY)
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "post.yaml").write_text(post(f"[{{path: {secret}}}]"))
    result = cli("apply", "-f", str(folder))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[0] == (
        f"{folder / 'post.yaml'}:8:22: media path '{secret}' is outside the manifest's folder")
    assert posts_in_db(cli) == []


def test_dotdot_symlinks_and_non_media_files_are_refused(
        cli: Cli, tmp_path: Path, demo_account: None) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (tmp_path / "key").write_bytes(KEY)
    (folder / "link.png").symlink_to(tmp_path / "key")
    (folder / "key.png").write_bytes(KEY)  # a private key named like an image
    (folder / "a.yaml").write_text(post("[{path: ../key}]", "a"))
    (folder / "b.yaml").write_text(post("[{path: link.png}, {path: key.png}]", "b"))
    lint = cli("lint", str(folder))
    assert lint.exit_code == 4
    assert "media path '../key' contains '..'" in lint.stdout
    result = cli("apply", "-f", str(folder))
    assert result.exit_code == 4
    err = result.stderr
    assert f"{folder / 'b.yaml'}:8:22: media path 'link.png' is a symlink to a file outside " \
           "the manifest's folder" in err
    assert f"{folder / 'b.yaml'}:8:40: media file 'key.png' is not an image or video" in err
    assert posts_in_db(cli) == []


def test_an_image_is_stored_whole_with_the_type_its_bytes_show(
        cli: Cli, tmp_path: Path, demo_account: None, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "m"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "launch.jpg").write_bytes(PNG)  # the extension lies; the bytes decide
    (folder / "post.yaml").write_text(post("[{path: img/launch.jpg, alt: A box}]"))
    assert cli("apply", "-f", str(folder)).exit_code == 0
    exported = cli("export", "--kind", "Post", "--json")
    data: Any = exported.json()
    assert data[0]["spec"]["targets"][0]["media"] == [
        {"path": str((folder / "img" / "launch.jpg").resolve()), "mime": "image/png",
         "alt": "A box"}]
    # An absolute path elsewhere is allowed once media.root covers it.
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "logo.png").write_bytes(PNG)
    (folder / "post.yaml").write_text(post(f"[{{path: {shared / 'logo.png'}}}]"))
    assert cli("apply", "-f", str(folder)).exit_code == 4
    monkeypatch.setenv("SOCIALHUB_MEDIA_ROOT", str(shared))
    assert cli("apply", "-f", str(folder)).exit_code == 0


# -- 6. stdin that is not UTF-8 ----------------------------------------------------------------

BAD = "apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: a}\nspec: {body: \"caf\udce9\"}\n"


@pytest.mark.parametrize("args", [("lint", "-"), ("apply", "-f", "-")])
def test_manifest_stdin_that_is_not_utf8_is_a_validation_error(
        cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args, input=BAD)  # how Python hands undecodable stdin bytes over
    assert result.exit_code == 4
    assert result.stderr.strip().splitlines()[-1] == "error: stdin: not valid UTF-8 at byte 73"
    assert "unexpected" not in result.stderr


def test_a_body_from_stdin_that_is_not_utf8_is_a_validation_error(
        cli: Cli, demo_account: None) -> None:
    result = cli("posts", "create", "-b", "-", "-t", "sandbox:@demo", input="hi \udcff")
    assert result.exit_code == 4
    assert result.stderr.strip() == "error: stdin: not valid UTF-8 at byte 3"
    assert posts_in_db(cli) == []


def test_real_bytes_on_a_real_stdin_exit_4_not_1(home: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "socialhub", "lint", "-"],
                          input=b"kind: Post\nspec: {body: \"\xff\xfe\"}\n",
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.decode().strip() == "error: stdin: not valid UTF-8 at byte 25"


# -- 7. size limits ------------------------------------------------------------------------------

def test_a_huge_post_body_is_refused_and_nothing_is_stored(cli: Cli, demo_account: None) -> None:
    result = cli("posts", "create", "-b", "-", "-t", "sandbox:@demo", input="a" * 200_000)
    assert result.exit_code == 4
    assert result.stderr.strip() == ("error: the post body is 200,000 characters, over the "
                                     "limit of 100,000")
    assert posts_in_db(cli) == []


def test_a_huge_body_in_a_manifest_is_located(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(
        f"apiVersion: socialhub/v1\nkind: Post\nmetadata: {{name: big}}\n"
        f"spec:\n  body: {'a' * 100_001}\n")
    result = cli("lint", str(tmp_path / "big.yaml"))
    assert result.exit_code == 4
    assert result.stdout.startswith(f"{tmp_path / 'big.yaml'}:5:9: spec.body: String should "
                                    "have at most 100000 characters")


def test_manifest_files_over_the_size_limits_are_refused_before_parsing(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALHUB_LIMITS_MANIFEST_FILE_BYTES", "2048")
    monkeypatch.setenv("SOCIALHUB_LIMITS_MANIFEST_TOTAL_BYTES", "3000")
    folder = tmp_path / "m"
    folder.mkdir()
    big = folder / "big.yaml"
    big.write_text("# " + "x" * 3000 + "\n" + laughs(9))  # never parsed: the size is enough
    result = cli("apply", "-f", str(big))
    assert result.exit_code == 4
    assert result.stderr.strip() == (
        f"error: {big}: file is 3,578 bytes, over the limit of 2,048 bytes "
        "(limits.manifest_file_bytes in the config)")
    big.unlink()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text("# " + "x" * 1800 + "\n")
    total = cli("lint", str(folder))
    assert total.exit_code == 4
    assert "manifests together is 3,606 bytes, over the limit of 3,000 bytes" in total.stderr
    assert cli("lint", "-", input="x" * 3000).exit_code == 4


# -- #12-6 and #12-10: one exit code; a summary and a progress bar for bulk applies ------------

def test_lint_and_apply_exit_4_for_the_same_bad_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: socialhub/v1\nkind: Post\n"
                                       "metadata: {name: Bad Name}\n")
    assert cli("lint", str(tmp_path)).exit_code == 4
    assert cli("apply", "-f", str(tmp_path)).exit_code == 4


def bulk(folder: Path, n: int) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "account.yaml").write_text(ACCOUNT)
    (folder / "posts.yaml").write_text("".join(
        f"---\napiVersion: socialhub/v1\nkind: Post\nmetadata: {{name: p{i}}}\n"
        f"spec:\n  body: Post number {i}\n  targets: [{{account: 'sandbox:@demo'}}]\n"
        for i in range(n)))
    return folder


def test_bulk_apply_prints_counts_per_kind_and_every_record_only_when_verbose(
        cli: Cli, tmp_path: Path) -> None:
    folder = bulk(tmp_path / "m", 150)
    result = cli("apply", "-f", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "account  1 created\npost     150 created\n"
    (folder / "posts.yaml").write_text((folder / "posts.yaml").read_text().replace(
        "Post number 7\n", "Post number seven\n"))
    again = cli("apply", "-f", str(folder), "--verbose")
    assert again.stdout.count("\n") == 151
    assert "post/p7 changed (body, targets[sandbox:@demo])\n" in again.stdout
    assert cli("apply", "-f", str(folder), "--json").json()["summary"] == {
        "created": 0, "changed": 0, "rescheduled": 0, "canceled": 0, "removed": 0, "kept": 0,
        "unchanged": 151}


def run_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run socialhub with stderr on a pseudo-terminal; (exit code, stdout, what the tty saw)."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "socialhub", *args], stdout=subprocess.PIPE,
                            stderr=secondary, stdin=subprocess.DEVNULL, env=env)
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = io_select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=60)
    os.close(main)
    return code, out, seen.decode(errors="replace")


def test_a_progress_bar_shows_on_a_terminal_and_not_in_ci(cli: Cli, tmp_path: Path) -> None:
    folder = bulk(tmp_path / "m", 400)
    assert cli("db", "upgrade").exit_code == 0
    code, out, tty = run_on_a_terminal(["apply", "-f", str(folder), "--dry-run"])
    assert code == 0, tty
    assert "checking manifests" in tty or "planning posts" in tty
    assert out == "account  1 created (dry run)\npost     400 created (dry run)\n"
    piped = subprocess.run([sys.executable, "-m", "socialhub", "apply", "-f", str(folder),
                            "--dry-run"], capture_output=True, timeout=60, check=False)
    assert piped.returncode == 0
    assert b"checking manifests" not in piped.stderr and b"\x1b[" not in piped.stderr


# -- 2. the publishing side refuses too (defence in depth) ------------------------------------

def test_the_daemon_refuses_for_good_to_upload_a_stored_path_that_is_not_media(
        db_home: str, sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "ok.png").write_bytes(PNG)
    (shared / "swapped.png").symlink_to(tmp_path / "id_ed25519")
    (tmp_path / "id_ed25519").write_bytes(KEY)
    monkeypatch.setenv("SOCIALHUB_MEDIA_ROOT", str(shared))
    hub = make_hub()
    try:
        connect_account(hub, sandbox.url)
        due = now()
        ids = {name: schedule(hub, name, due, text=f"post {name}")
               for name in ("key", "swapped", "fine")}
        # Records that never went through apply's check (made before it, or by another route).
        media = {"key": str(tmp_path / "id_ed25519"), "swapped": str(shared / "swapped.png"),
                 "fine": str(shared / "ok.png")}
        with hub.transaction() as session:
            for name, did in ids.items():
                variant_id = session.scalar(select(Delivery.variant_id).where(Delivery.id == did))
                variant = session.get(Variant, variant_id)
                assert variant is not None
                variant.media = [{"path": media[name]}]
        assert run(make_engine(hub), hub, list(ids.values()), ("published", "dead"))
        key, swapped, fine = (delivery(hub, ids[n]) for n in ("key", "swapped", "fine"))
        assert (key.status, outcomes(hub, ids["key"])) == ("dead", ["invalid"])
        assert key.last_error == f"media file {tmp_path / 'id_ed25519'} is outside media.root; " \
            "refusing to upload it"
        assert swapped.status == "dead" and "goes through a symlink" in str(swapped.last_error)
        assert fine.status == "published"
        sent = sandbox_posts(sandbox.url)
        assert [p["text"] for p in sent] == ["post fine"]
        assert [m["mime"] for m in sandbox.world.media.values()] == ["image/png"]
    finally:
        hub.dispose()
