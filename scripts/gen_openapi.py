#!/usr/bin/env python3
"""Write the REST API's OpenAPI 3.1 document to docs/openapi.json (``--check``: compare only).

The document comes from the routes themselves (``socialhub.api.app``), so it is
what the daemon serves at ``/openapi.json``; tests/test_generated.py fails when
the checked-in copy drifts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "openapi.json"


def render() -> str:
    """The document as checked in: sorted keys, two-space indent, a final newline."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["SOCIALHUB_HOME"] = home  # a config without the user's settings
        from socialhub.api.app import openapi_document
        from socialhub.services.hub import Hub
        from socialhub.services.settings import load_config

        hub = Hub(load_config(env={"SOCIALHUB_HOME": home}))
        doc = openapi_document(hub)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    """Write (or with ``--check`` compare) docs/openapi.json; 1 when stale."""
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("docs/openapi.json is stale: run python scripts/gen_openapi.py",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
