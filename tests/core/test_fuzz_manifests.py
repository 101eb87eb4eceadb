"""Fuzzing the manifest loader: whatever bytes arrive, only a socialhub error comes out.

The inputs mix what a hostile or careless author writes: anchors and aliases
(bombs included), tags (``!!python/object`` and unknown ones), deep nesting,
byte-order marks, UTF-16, invalid bytes and huge scalars. Each example must
end in manifests and issues or one ``SocialhubError`` — never another
exception — within a time and memory bound. Bounded to a few seconds in all.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialhub.core.limits import MANIFEST_FILE_BYTES, check_size, decode_utf8
from socialhub.errors import SocialhubError
from socialhub.services.manifests.documents import check_text_lengths, parse_manifests

VALID = """\
apiVersion: socialhub/v1
kind: Post
metadata: {name: fuzz}
spec:
  body: We ship on Monday.
  targets:
    - account: bluesky:@shop.example.com
      at: 2030-03-01T09:00:00 Europe/Berlin
      media: [{path: img/launch.png, alt: A box}]
"""

TAGS = ["!!python/object/apply:os.system ['true']", "!!python/name:os.system",
        "!!python/object:socialhub.errors.SocialhubError {message: x}", "!custom value",
        "!!set {a, b}", "!!omap [{a: 1}]", "!!binary aGk=", "!!int abc", "!!float nope",
        "!!bool maybe", "!!null x", "!!timestamp yesterday", "!!str 5", "!!map {a: 1}",
        "!!seq [1]", "!<tag:example.com,2000:x> y", "!!int 0x1F", "!!float .inf"]

_scalar = st.one_of(
    st.sampled_from(["", "~", "yes", "09:30", "2030-01-01", "1e9999", "-.inf", "0o17",
                     "'quoted'", '"dq\\u00e9"', "|\n  block", "@x", "`x", "%TAG", "\t"]),
    st.text(max_size=20),
    st.integers(0, 200_000).map(lambda n: "h" * n),  # huge scalars, up to 200 kB
    st.sampled_from(TAGS),
)


@st.composite
def alias_bomb(draw: st.DrawFn) -> str:
    levels, width = draw(st.integers(1, 12)), draw(st.integers(2, 12))
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines)


@st.composite
def nesting(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 3000))
    if draw(st.booleans()):
        return "spec: " + "[" * depth + "]" * depth
    return "spec: " + "{a: " * depth + "b" + "}" * depth


@st.composite
def anchors(draw: st.DrawFn) -> str:
    return draw(st.sampled_from([
        "spec: &s {a: *s}", "a: &x [*x]", "a: *undefined", "a: &x 1\nb: &x 2\nc: *x",
        "<<: {a: 1}", "a: {<<: *m}", "? [complex, key]\n: v", "&a a: b", "a: &a\nb: *a",
        "targets: &t [{account: 'x:@shop'}]\nmore: *t",
    ]))


@st.composite
def documents(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(
        st.just(VALID), alias_bomb(), nesting(), anchors(),
        _scalar.map(lambda s: f"spec: {{body: {s}}}"),
        _scalar.map(lambda s: f"apiVersion: socialhub/v1\nkind: Post\nmetadata: {{name: {s}}}"),
        st.text(max_size=60)), min_size=1, max_size=4))
    return draw(st.sampled_from(["\n---\n", "\n", "\n...\n"])).join(pieces)


@st.composite
def encoded(draw: st.DrawFn) -> bytes:
    text = draw(documents())
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32",
                                "latin-1", "broken"]))
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    if how == "broken":
        data = text.encode("utf-8", "surrogatepass")
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\0"])) \
            + data[at:]
    return text.encode(how, "surrogatepass")


def load(data: bytes) -> None:
    """What ``apply``/``lint`` do with one file's bytes before the database."""
    check_size("fuzz.yaml", len(data), MANIFEST_FILE_BYTES)
    text = decode_utf8(data, "fuzz.yaml")
    manifests, issues = parse_manifests([("fuzz.yaml", text)])
    issues += check_text_lengths(manifests)
    for issue in issues:
        assert issue.line >= 1 and issue.column >= 1 and issue.message, issue


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Imports, zone data and caches load once, outside the per-input bounds."""
    load(VALID.encode())


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=encoded())
def test_the_loader_raises_only_socialhub_errors_in_bounded_time_and_memory(data: bytes) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        load(data)
    except SocialhubError as exc:
        assert str(exc) and "\n" not in str(exc)
    finally:
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 3.0, f"{elapsed:.1f} s for {len(data)} bytes"
    assert peak < 150_000_000, f"{peak / 1e6:.0f} MB for {len(data)} bytes"
