"""The import contracts of pyproject's [tool.importlinter] hold (docs/architecture.md).

``scripts/check`` runs ``lint-imports`` too; this test makes a plain pytest run
catch a broken layer, a front end reaching past services, or an import cycle.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
