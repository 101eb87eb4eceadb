"""The README's "Campaigns" walkthrough works, command by command, as a reader runs it.

Like the tour test, this reads the section from README.md, writes its manifest to the
file it names, and runs each command as a real subprocess of the installed
`socialhub` on a fresh data directory (SQLite): the sandbox network and the daemon in
the background, as the README starts them (on free ports instead of the defaults), the
rest one by one. Where the README tells the reader to open a short link, the test opens
it with a browser's user agent, through the daemon's real HTTP.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from tests.test_readme_tour import ROOT, _environment

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def campaign_section(readme: str) -> tuple[dict[str, str], list[str]]:
    """The section's files (a ```yaml block whose first line is `# NAME`) and its shell
    commands, comments cut, blank lines dropped."""
    start = readme.index("## Campaigns")
    section = readme[start:readme.index("\n## ", start + 1)]
    files = {}
    for block in re.findall(r"```yaml\n(.*?)```", section, re.S):
        first = block.splitlines()[0]
        if first.startswith("# "):
            files[first[2:].strip()] = block
    sh = re.search(r"```sh\n(.*?)```", section, re.S)
    assert sh, "the Campaigns section has no ```sh block"
    commands = [re.sub(r"\s{2,}#.*$", "", line).strip() for line in sh.group(1).splitlines()]
    return files, [c for c in commands if c]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}: {log.read_text()}")


class Walkthrough:
    """Runs the section's commands in one data directory; keeps what each printed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = _environment(tmp, None)
        self.sandbox_port, self.daemon_port = _free_port(), _free_port()
        self.env["SOCIALHUB_DAEMON_HTTP_PORT"] = str(self.daemon_port)
        self.background: list[subprocess.Popen[str]] = []
        self.results: list[tuple[str, subprocess.CompletedProcess[str]]] = []

    def localise(self, command: str) -> str:
        """The command on this test's ports instead of the defaults the README uses."""
        command = command.replace("127.0.0.1:8780", f"127.0.0.1:{self.sandbox_port}")
        command = command.replace("127.0.0.1:8765", f"127.0.0.1:{self.daemon_port}")
        if command.startswith("socialhub sandbox serve"):
            command = command.replace("serve", f"serve --port {self.sandbox_port}", 1)
        return command

    def start(self, command: str) -> None:
        """A `… &` line: started in the background, and waited for until it listens."""
        log = self.tmp / f"background-{len(self.background)}.log"
        with log.open("w") as stderr:
            proc = subprocess.Popen(["bash", "-c", f"exec {command.removesuffix('&')}"],
                                    cwd=self.tmp, env=self.env, text=True,
                                    stdout=subprocess.DEVNULL, stderr=stderr,
                                    start_new_session=True)
        self.background.append(proc)
        daemon = command.startswith("socialhub daemon run")
        _wait_for_port(self.daemon_port if daemon else self.sandbox_port, proc,
                       self.tmp / "daemon.log" if daemon else log)

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """One foreground command; it must exit 0."""
        result = subprocess.run(["bash", "-c", command], cwd=self.tmp, env=self.env,
                                text=True, capture_output=True, timeout=120)
        assert result.returncode == 0, (
            f"`{command}` exited {result.returncode}\nstdout: {result.stdout}\n"
            f"stderr: {result.stderr}")
        self.results.append((command, result))
        return result

    def stop(self) -> None:
        """Stop the background processes (SIGTERM: the daemon flushes its clicks)."""
        for proc in reversed(self.background):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung process
                proc.kill()

    def output(self, prefix: str) -> subprocess.CompletedProcess[str]:
        """The result of the first command that starts with ``prefix``."""
        found = [r for c, r in self.results if c.startswith(prefix)]
        assert found, f"the README's Campaigns section no longer runs `{prefix}`"
        return found[0]


@pytest.fixture
def walkthrough(tmp_path: Path) -> Iterator[Walkthrough]:
    run = Walkthrough(tmp_path)
    yield run
    run.stop()


def _clicks(run: Walkthrough, post: str) -> int:
    rows = json.loads(run.run("socialhub links list --campaign spring --json").stdout)
    return sum(r["clicks"] for r in rows if r["post"] == post)


def test_the_readme_campaign_walkthrough_plans_tests_and_reports_a_campaign(
        walkthrough: Walkthrough, tmp_path: Path) -> None:
    files, commands = campaign_section((ROOT / "README.md").read_text())
    assert "spring.yaml" in files
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    for command in map(walkthrough.localise, commands):
        if command.startswith("export "):
            for pair in command.removeprefix("export ").split():
                key, value = pair.split("=", 1)
                walkthrough.env[key] = value
        elif command.endswith("&"):
            walkthrough.start(command)
        else:
            walkthrough.run(command)
        if command.startswith("socialhub links list"):
            # "open a short link": a person's browser follows the winning arm's link.
            rows = json.loads(walkthrough.run(
                "socialhub links list --campaign spring --json").stdout)
            short = next(r for r in rows if r["post"] == "spring-hook.question")
            assert short["short_url"] == f"http://127.0.0.1:{walkthrough.daemon_port}" \
                                         f"/l/{short['code']}"
            assert short["target"] == ("https://shop.example.com/spring?utm_source=sandbox"
                                       "&utm_medium=social&utm_campaign=spring-2027")
            answer = httpx.get(short["short_url"], headers={"User-Agent": BROWSER})
            assert answer.status_code == 302 and answer.headers["location"] == short["target"]
            deadline = time.monotonic() + 10  # the daemon writes clicks every second
            while _clicks(walkthrough, "spring-hook.question") < 1 \
                    and time.monotonic() < deadline:
                time.sleep(0.3)
            assert _clicks(walkthrough, "spring-hook.question") == 1
            assert _clicks(walkthrough, "spring-hook.statement") == 0
            listed = walkthrough.run("socialhub links list --campaign spring").stdout
            assert re.search(rf"{re.escape(short['short_url'])}\s+1 click\s+sandbox\s+"
                             r"spring-hook\.question", listed), listed

    # The brief's draft: in the campaign, a draft, on both sandbox accounts.
    generated = walkthrough.output("socialhub posts generate --brief spring")
    assert "created draft post spring-launch" in generated.stderr
    draft = json.loads(walkthrough.run("socialhub posts show spring-launch --json").stdout)
    assert draft["status"] == "draft" and draft["campaign"] == "spring", draft
    assert "Forty signed pieces" in generated.stdout

    # lint: the policy's finding, with the file, line and column of the text.
    lint = walkthrough.output("socialhub export -o spring/")
    assert re.search(r"spring/posts\.yaml:\d+:\d+: warning: paid post without a disclosure "
                     r"\(brand-safety/disclosure\)", lint.stdout), lint.stdout + lint.stderr
    assert re.search(r"spring/experiments\.yaml:\d+:\d+: warning: paid post without a "
                     r"disclosure", lint.stdout), lint.stdout  # the arms, too

    # The experiment reached a winner on the sandbox.
    status = walkthrough.output("socialhub experiments status spring-hook").stdout
    assert status.strip().splitlines()[-1].startswith("winner: question"), status

    # The report: a PDF that names the campaign, its clicks and its verdict.
    pdf = tmp_path / "spring.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Campaign spring" in text
    assert "Clicks and CTR" in text and "winner: question" in text
    assert "brand-safety/discl" in text  # the policy findings, on the campaign's posts
