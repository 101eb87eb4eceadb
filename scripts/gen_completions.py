"""Write shell completion scripts into completions/, one per named shell.

Run `python scripts/gen_completions.py`; tests/test_generated.py fails when they drift.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The shells we ship, each named explicitly with the file it goes to.
SHELLS = {
    "bash": ROOT / "completions" / "socialhub.bash",
    "zsh": ROOT / "completions" / "_socialhub",
    "fish": ROOT / "completions" / "socialhub.fish",
}


def render(shell: str) -> str:
    """The completion script for ``shell``, produced by the CLI itself."""
    env = {**os.environ, "_SOCIALHUB_COMPLETE": f"source_{shell}"}
    result = subprocess.run([sys.executable, "-m", "socialhub"], env=env, capture_output=True,
                            text=True, check=False)
    if not result.stdout.strip():
        raise SystemExit(f"no completion script for {shell}: {result.stderr.strip()}")
    return result.stdout


def main() -> int:
    """Write every script, or with --check exit 1 when any differs."""
    stale = []
    for shell, path in SHELLS.items():
        text = render(shell)
        if "--check" in sys.argv:
            if not path.exists() or path.read_text() != text:
                stale.append(shell)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"stale completions: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
