"""Redaction: secret-shaped text, registered secrets, and real log records."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.logs import JsonFormatter
from socialhub.security.redact import (
    MASK,
    RedactingFilter,
    clear_registered_secrets,
    redact,
    register_secret,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjOmFiYyJ9.c2lnbmF0dXJlLXZhbHVl"


pytestmark = pytest.mark.usefixtures("fresh_secret_registry")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcDEF123456789", "abcDEF123456789"),
        ('curl -H "authorization: Basic dXNlcjpwYXNzd29yZA=="', "dXNlcjpwYXNzd29yZA=="),
        ("retrying with bearer tok_live_0123456789", "tok_live_0123456789"),
        (f"session {JWT} expired", JWT),
        ("ANTHROPIC key sk-ant-api03-AbC_dEf-123456789", "sk-ant-api03-AbC_dEf-123456789"),
        ("openai sk-proj-abcdefghijklmnopqrstuvwx1234", "sk-proj-abcdefghijklmnopqrstuvwx1234"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
        ("GET /cb?state=1&access_token=at-98765&x=1", "at-98765"),
        ("grant_type=refresh_token&refresh_token=rt-abcdef", "rt-abcdef"),
        ("client_secret=cs.12345&client_id=app", "cs.12345"),
        ("login password=hunter22 ok", "hunter22"),
        ('{"accessJwt": "aaa.bbb.ccc", "did": "did:plc:x"}', "aaa.bbb.ccc"),
        ('{"refreshJwt":"r\\"quoted\\"r"}', 'r\\"quoted\\"r'),
        ('{"access_token": "zzz-111", "token_type": "bearer"}', "zzz-111"),
        ('{"refresh_token": "yyy-222"}', "yyy-222"),
        ('{"password": "correct horse battery"}', "correct horse battery"),
        ("{'password': 'pw in a repr'}", "pw in a repr"),
        ("Tokens(access_token='abc123', scopes=[])", "abc123"),
    ],
)
def test_secret_shaped_values_are_masked(text: str, secret: str) -> None:
    result = redact(text)
    assert secret not in result
    assert MASK in result


@pytest.mark.parametrize(
    "text",
    [
        "published post 42 to bluesky:@shop.example.com",
        "the token refreshed fine; basic functionality works",
        "a bearer of good news",
        "scheduled 2026-12-01T09:00:00+01:00 (Europe/Berlin)",
        '{"did": "did:plc:abc", "handle": "a.bsky.social"}',
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_masked_json_stays_json() -> None:
    text = json.dumps({"accessJwt": JWT, "refreshJwt": "r" * 20, "handle": "a.b"})
    assert json.loads(redact(text)) == {"accessJwt": MASK, "refreshJwt": MASK, "handle": "a.b"}


def test_registered_secret_is_masked_anywhere() -> None:
    register_secret("plain-looking-value-42")
    assert redact("got plain-looking-value-42, and again:plain-looking-value-42!") == (
        f"got {MASK}, and again:{MASK}!")


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    register_secret(None)
    register_secret("")
    assert redact("abc abc") == "abc abc"


# The one exclusion: a value made only of mask text cannot be masked away (nor is it a secret).
secrets_st = st.text(min_size=8, max_size=40).filter(
    lambda s: s not in MASK * (len(s) // len(MASK) + 2))


@settings(max_examples=300, deadline=None)
@given(secret=secrets_st, before=st.text(max_size=60), after=st.text(max_size=60))
def test_a_registered_secret_never_survives_redaction(secret: str, before: str,
                                                      after: str) -> None:
    clear_registered_secrets()
    register_secret(secret)
    assert secret not in redact(before + secret + after)


@settings(max_examples=200, deadline=None)
@given(secrets=st.lists(secrets_st, min_size=1, max_size=4),
       parts=st.lists(st.text(max_size=20), min_size=1, max_size=6), data=st.data())
def test_several_registered_secrets_never_survive(secrets: list[str], parts: list[str],
                                                   data: st.DataObject) -> None:
    clear_registered_secrets()
    for s in secrets:
        register_secret(s)
    pieces = []
    for part in parts:
        pieces.append(part)
        pieces.append(data.draw(st.sampled_from(secrets)))
    result = redact("".join(pieces))
    for s in secrets:
        assert s not in result


@settings(max_examples=300, deadline=None)
@given(secret=st.text(alphabet="[]REDACTx", min_size=8, max_size=24), before=st.text(
    alphabet="[]REDACTx", max_size=30), after=st.text(alphabet="[]REDACTx", max_size=30))
def test_secrets_made_of_mask_characters_never_survive(secret: str, before: str,
                                                       after: str) -> None:
    clear_registered_secrets()
    register_secret(secret)
    if secret in MASK * (len(secret) // len(MASK) + 2):
        return  # refused at registration, by design
    assert secret not in redact(before + secret + after)


def test_secret_that_joins_with_the_mask_is_still_masked() -> None:
    # Masking "]abcdefg" once leaves "[REDACTED]abcdefg", which contains it again.
    register_secret("]abcdefg")
    assert "]abcdefg" not in redact("x]abcdefgabcdefg")


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"socialhub.test.redact.{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


class _Session:
    def __str__(self) -> str:
        return "Session(token=Bearer hidden-in-str-9999)"


def test_filter_redacts_message_args_extras_and_tracebacks() -> None:
    register_secret("planted-secret-value-777")
    logger, stream = _logger(logging.Formatter("%(message)s %(account)s"))
    logger.info("refreshing %s with %s", "acct", "planted-secret-value-777",
                extra={"account": "x?access_token=planted-secret-value-777"})
    logger.warning("session: %s", _Session(), extra={"account": "-"})
    try:
        raise RuntimeError("server said: {'refresh_token': 'planted-secret-value-777'}")
    except RuntimeError:
        logger.exception("refresh failed for %s", "acct", extra={"account": "-"})
    output = stream.getvalue()
    assert "planted-secret-value-777" not in output
    assert "hidden-in-str-9999" not in output
    assert "refreshing acct with [REDACTED]" in output
    assert "RuntimeError" in output and "Traceback" in output


def test_filter_redacts_json_log_lines() -> None:
    register_secret("planted-secret-value-888")
    logger, stream = _logger(JsonFormatter())
    logger.error("call failed: %s", f"Authorization: Bearer {JWT}",
                 extra={"request": {"headers": ["planted-secret-value-888"]}})
    line = json.loads(stream.getvalue())
    assert JWT not in stream.getvalue() and "planted-secret-value-888" not in stream.getvalue()
    assert line["message"] == "call failed: Authorization: Bearer [REDACTED]"
    assert line["request"] == {"headers": [MASK]}


def test_filter_keeps_records_with_a_broken_format_string() -> None:
    register_secret("planted-secret-value-999")
    logger, stream = _logger(logging.Formatter("%(message)s"))
    logger.info("two %s %s", "planted-secret-value-999")
    assert "planted-secret-value-999" not in stream.getvalue()
    assert "two" in stream.getvalue()


def test_fields_named_like_secrets_are_masked_at_any_depth() -> None:
    from socialhub.security.redact import MASK, redact_fields

    change: dict[str, Any] = {"access_token": {"before": "a" * 20, "after": "b" * 20},
              "config": {"after": {"client_secret": "s3cr3t", "Password": "pw",
                                   "refresh_token_enc": "x", "handle": "@me"}},
              "list": [{"api_key": "k"}], "none_token": None, "body": "hello"}
    masked = redact_fields(change)
    assert masked["access_token"] == MASK
    assert masked["config"]["after"] == {"client_secret": MASK, "Password": MASK,
                                         "refresh_token_enc": MASK, "handle": "@me"}
    assert masked["list"] == [{"api_key": MASK}]
    assert masked["none_token"] is None and masked["body"] == "hello"
    register_secret("registered-secret-value")
    assert redact_fields({"note": "a registered-secret-value b"}) == {"note": f"a {MASK} b"}
    assert change["access_token"]["before"] == "a" * 20  # the input is left alone
