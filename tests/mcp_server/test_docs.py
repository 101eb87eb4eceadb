"""docs/agents.md lists every tool with the hints the server declares, and every resource."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio

from socialhub.mcp_server.server import Caller, build_server

DOC = Path(__file__).resolve().parents[2] / "docs" / "agents.md"


def _server() -> Any:
    def no_context(_request: Any) -> Any:
        raise AssertionError("listing opens no context")

    return build_server(Caller(open_context=no_context, trusted=lambda _r: False))


def test_the_tool_table_matches_the_server() -> None:
    tools = anyio.run(_server().list_tools)
    served = {t.name: (t.annotations.read_only_hint, t.annotations.destructive_hint,
                       t.annotations.idempotent_hint) for t in tools}
    rows = re.findall(r"^\| `(\w+)` \| [^\n]* \| (true|false) \| (true|false) \| (true|false) \|$",
                      DOC.read_text(), flags=re.MULTILINE)
    documented = {name: tuple(v == "true" for v in hints) for name, *hints in rows}
    assert documented == served


def test_every_resource_is_documented() -> None:
    templates = anyio.run(_server().list_resource_templates)
    text = DOC.read_text()
    assert templates and all(f"`{t.uri_template}`" in text for t in templates)
