"""Starting the helper process that reads the calendar's first month.

Standard library only, so ``socialhub tui`` can start the helper a few
milliseconds after launch, before it imports anything else; what the helper
does and answers is in ``first_month``.
"""

from __future__ import annotations

import subprocess
import sys


def start_helper(config_path: str | None) -> subprocess.Popen[bytes] | None:
    """Start ``python -m socialhub.tui.startup.first_month [CONFIG]``; None if it cannot."""
    command = [sys.executable, "-m", "socialhub.tui.startup.first_month"]
    try:
        return subprocess.Popen([*command, *([config_path] if config_path else [])],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError:
        return None
