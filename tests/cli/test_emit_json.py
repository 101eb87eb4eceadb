"""``emit_json``: orjson's output means what ``json.dumps`` wrote before it, and is the
same text on a terminal."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from socialhub.cli.common import _json_default, emit_json

DATA: list[Any] = [{
    "name": "post-1", "body": "Grüße 😀 \"quoted\"\n", "tags": [], "options": {},
    "paid": False, "voice": None, "count": 3, "ratio": 0.25,
    "at": datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
    "micro": datetime(2026, 12, 6, 9, 30, 0, 1234, tzinfo=UTC),
    "naive": datetime(2026, 12, 6, 9, 30), "day": date(2026, 12, 6),
    "money": Decimal("1.50"), "path": Path("/tmp/x"),
    "targets": [{"delivery": None, "thread": ["a", "b"]}],
}]


class _Out(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _emit(data: Any, *, tty: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    out = _Out(tty)
    monkeypatch.setattr("sys.stdout", out)
    emit_json(data)
    return out.getvalue()


def _stdlib(data: Any, indent: int | None) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=indent) + "\n"


def test_terminal_output_is_the_standard_librarys_text(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _emit(DATA, tty=True, monkeypatch=monkeypatch) == _stdlib(DATA, 2)


def test_piped_output_is_one_line_meaning_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _emit(DATA, tty=False, monkeypatch=monkeypatch)
    assert text.endswith("\n") and text.count("\n") == 1  # one line: the body's \n escaped
    assert json.loads(text) == json.loads(_stdlib(DATA, None))
    assert '"at":"2026-12-06T09:30:00+00:00"' in text
    assert list(json.loads(text)[0]) == list(DATA[0])  # key order kept


@pytest.mark.parametrize("data", [{"big": 2**70}, {1: "int key"}])
def test_what_orjson_refuses_is_written_as_before(data: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert _emit(data, tty=False, monkeypatch=monkeypatch) == _stdlib(data, None)


def test_what_cannot_be_serialised_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError):
        _emit({"a": {1, 2}}, tty=False, monkeypatch=monkeypatch)
