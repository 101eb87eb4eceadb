"""The cursors of ``services.paging``: opaque, tied to their list, and checked on the
way in (a cursor of another list, a changed or a malformed one is one clear error)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from socialhub.errors import ValidationError
from socialhub.services.paging import (
    AUDIT,
    CAMPAIGNS,
    INBOX,
    POSTS,
    Keyset,
    Page,
    Window,
    keyed_page,
)


def b64(doc: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("keyset", "key"), [
    (POSTS, (datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC), 42)),
    (POSTS, (None, 7)),
    (INBOX, (datetime(2026, 1, 1, tzinfo=UTC), 2**40)),
    (CAMPAIGNS, (date(2026, 3, 1), "spring – ünïcode \"quoted\"", 3)),
    (CAMPAIGNS, (None, "x" * 200, 3)),
    (AUDIT, (9,)),
])
def test_a_cursor_gives_back_its_key(keyset: Keyset, key: tuple[object, ...]) -> None:
    cursor = keyset.encode(key)
    assert keyset.decode(cursor) == key
    assert cursor.replace("-", "").replace("_", "").isalnum()  # safe in a URL and a shell
    assert len(cursor) < 1000


def test_a_time_comes_back_in_utc_whatever_zone_it_was_written_in() -> None:
    berlin = datetime(2026, 12, 7, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    at, _ = POSTS.decode(POSTS.encode((berlin, 1))) or (None, None)
    assert at == berlin and at is not None and at.tzinfo == UTC


def test_no_cursor_is_the_first_page() -> None:
    assert POSTS.decode(None) is None and POSTS.decode("") is None


@pytest.mark.parametrize("cursor", [
    "!!", "not base64 at all ☃", "eyJv", b64({"o": 50}),  # the offset cursors of before
    b64([1, 2]), b64({"l": "posts", "k": [None, 1]}),  # no checksum
    b64({"l": "posts", "k": [None, 1], "c": "0" * 12}),  # a wrong one
    b64({"l": "posts", "k": [None, 1], "c": "x", "more": 1}),
    "x" * 3000,
])
def test_a_malformed_or_changed_cursor_is_one_line(cursor: str) -> None:
    with pytest.raises(ValidationError) as err:
        POSTS.decode(cursor)
    assert str(err.value) == "--cursor: not a cursor this list gave out (malformed or changed)"


def test_changing_the_key_inside_a_cursor_is_noticed() -> None:
    doc = json.loads(base64.urlsafe_b64decode(AUDIT.encode((10,)) + "=="))
    doc["k"] = [11]
    with pytest.raises(ValidationError, match="malformed or changed"):
        AUDIT.decode(b64(doc))


def test_a_cursor_of_another_list_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="a cursor of another list, not of posts"):
        POSTS.decode(INBOX.encode((datetime(2026, 1, 1, tzinfo=UTC), 1)))
    with pytest.raises(ValidationError, match=r"^cursor: "):
        AUDIT.decode(POSTS.encode((None, 1)), option="cursor")


@pytest.mark.parametrize("key", [(None,), ("7",), (True,), (1.5,), (2**64,)])
def test_a_key_of_the_wrong_kind_is_refused_even_with_a_good_checksum(
        key: tuple[object, ...]) -> None:
    from socialhub.services.paging import _checksum

    values = list(key)
    forged = b64({"l": "audit", "k": values, "c": _checksum("audit", values)})
    with pytest.raises(ValidationError):
        AUDIT.decode(forged)


def test_a_keyed_page_gives_the_cursor_of_its_last_row_only_when_more_came_back() -> None:
    rows = [(i, f"r{i}") for i in range(4)]
    full = keyed_page(rows, Window(3), AUDIT, lambda r: (r[0],), lambda s: [r[1] for r in s],
                      10)
    assert full.items == ["r0", "r1", "r2"] and AUDIT.decode(full.next_cursor) == (2,)
    assert full.note("rows") == f"showing 3 of 10 rows — next page: --cursor {full.next_cursor} " \
        "(or --all)"
    last = keyed_page(rows[:3], Window(3, 0, (9,)), AUDIT, lambda r: (r[0],),
                      lambda s: [r[1] for r in s], 10)
    assert last.next_cursor is None and last.note("rows") == "showing 3 of 10 rows — the last page"
    every = keyed_page(rows, Window(None), AUDIT, lambda r: (r[0],), lambda s: s, 4)
    assert every.next_cursor is None and every.note("rows") is None
    assert Page([], 0).note("rows") is None


def test_a_list_name_that_is_not_text_is_malformed_not_another_list() -> None:
    with pytest.raises(ValidationError, match="malformed or changed"):
        AUDIT.decode(b64({"l": ["audit"], "k": [1], "c": "x"}))
