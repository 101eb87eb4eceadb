"""`socialhub export` writes manifests that apply back to exactly the same state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CLIResult, make_ctx, new_pg_database

Cli = Callable[..., CLIResult]

MANIFESTS = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
spec:
  display_name: The Shop
  base_url: https://pds.example.com
  settings: {language: en}
  credentials: {app_password: "keyring:socialhub/shop"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "mastodon:@shop@social.example"}
spec: {settings: {max_characters: 1000}}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "x:@shop"}
---
apiVersion: socialhub/v1
kind: VoiceProfile
metadata: {name: friendly}
spec:
  default: true
  description: Warm and plain.
  tone: [warm, direct]
  formality: 3
  emoji_use: rare
  phrases_use: [thanks]
  phrases_avoid: [synergy]
  samples: ["We made a thing!"]
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
spec: {description: Spring sale, status: active, starts_on: 2030-03-01, ends_on: 2030-04-30,
       budget: "1500.5", currency: eur}
---
apiVersion: socialhub/v1
kind: Slot
spec: {account: "bluesky:@shop.example.com", day: wed, time: "17:45", zone: America/New_York}
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: spring-launch, campaign: spring}
spec:
  body: |
    We ship on Monday.
    Come and see: https://shop.example.com/spring
  voice: friendly
  tags: [launch, "2030"]
  paid: true
  targets:
    - account: bluesky:@shop.example.com
      media: [{path: img/launch.png, alt: A box with a bow}]
      first_comment: Link in the first comment
      at: 2030-03-01T09:00:00 Europe/Berlin
    - account: mastodon:@shop@social.example
      text: "Mastodon gets its own words: 'yes', no, ~, 09:30"
      options: {visibility: unlisted, sensitive: false}
      at: 2030-03-01T10:00+02:00
    - account: x:@shop
      thread: ["Part one of a thread", "Part two, with an emoji 🎉"]
---
apiVersion: socialhub/v1
kind: Post
metadata: {name: idea}
spec:
  body: "An idea, no target yet"
"""


#: The smallest PNG: a 1x1 image (its bytes, not its name, make it a PNG).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def launch_image(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The image the manifests attach, next to them; media.root lets exports elsewhere use it."""
    image = tmp_path / "img" / "launch.png"
    image.parent.mkdir()
    image.write_bytes(PNG)
    monkeypatch.setenv("SOCIALHUB_MEDIA_ROOT", str(tmp_path))
    return image


@pytest.fixture
def fresh_url(db_home: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second empty, migrated database of the same kind as ``db_home``."""
    if db_home.startswith("sqlite"):
        from socialhub.db.engine import make_engine
        from socialhub.db.migrate import upgrade

        url = f"sqlite:///{tmp_path / 'second.sqlite'}"
        engine = make_engine(url)
        upgrade(engine, backup=False)
        engine.dispose()
        return url
    return new_pg_database(request.getfixturevalue("pg_cluster"))


def actions(result: CLIResult) -> list[str]:
    data: Any = result.json()
    return [c["action"] for c in data["changes"]]


def test_export_applies_to_a_fresh_database_and_exports_identically(
        dbcli: Cli, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        launch_image: Path) -> None:
    (tmp_path / "in.yaml").write_text(MANIFESTS)
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    # Records made from the command line export too.
    made = dbcli("posts", "create", "-b", "Made on the command line", "-t", "x:@shop",
                 "--at", "2030-05-05 12:00 Asia/Tokyo", "--name", "from-cli", "--tag", "cli")
    assert made.exit_code == 0, made.stderr
    first = tmp_path / "first"
    assert dbcli("export", "-o", str(first)).exit_code == 0
    assert sorted(p.name for p in first.iterdir()) == [
        "accounts.yaml", "campaigns.yaml", "posts.yaml", "slots.yaml", "voices.yaml"]
    everything = "".join(p.read_text() for p in sorted(first.iterdir()))
    assert "keyring:socialhub/shop" in everything

    monkeypatch.setenv("SOCIALHUB_DATABASE_URL", fresh_url)
    applied = dbcli("apply", "-f", str(first), "--json")
    assert applied.exit_code == 0, applied.stderr
    assert set(actions(applied)) == {"created"}
    second = tmp_path / "second"
    assert dbcli("export", "-o", str(second)).exit_code == 0
    for path in sorted(first.iterdir()):
        assert (second / path.name).read_text() == path.read_text(), path.name
    assert set(actions(dbcli("apply", "-f", str(first), "--json"))) == {"unchanged"}


def test_apply_export_apply_changes_nothing(dbcli: Cli, tmp_path: Path,
                                           launch_image: Path) -> None:
    (tmp_path / "in.yaml").write_text(MANIFESTS)
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    exported = dbcli("export")
    assert exported.exit_code == 0
    (tmp_path / "out.yaml").write_text(exported.stdout)
    again = dbcli("apply", "-f", str(tmp_path / "out.yaml"), "--json")
    assert again.exit_code == 0, again.stderr
    assert set(actions(again)) == {"unchanged"}
    assert len(actions(again)) == 8
    # And the original files still match what is stored.
    assert set(actions(dbcli("apply", "-f", str(tmp_path / "in.yaml"), "--json"))) == {
        "unchanged"}


def test_export_of_one_kind_and_as_json(dbcli: Cli, tmp_path: Path,
                                        launch_image: Path) -> None:
    (tmp_path / "in.yaml").write_text(MANIFESTS)
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    only = dbcli("export", "--kind", "campaigns", "--json")
    assert only.exit_code == 0
    assert only.json() == [{
        "apiVersion": "socialhub/v1", "kind": "Campaign", "metadata": {"name": "spring"},
        "spec": {"description": "Spring sale", "status": "active", "starts_on": "2030-03-01",
                 "ends_on": "2030-04-30", "budget": "1500.50", "currency": "EUR"}}]
    assert dbcli("export", "--kind", "tweets").exit_code == 4


# -- property: whatever is applied, its export applies back as "unchanged" -------------------

_words = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)
                  | st.sampled_from(["yes", "~", "09:30", "2030-01-01", "# x", ": ", "\n", "'"]),
                  max_size=4).map(lambda parts: "".join(parts) + ".")
_name = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_refs = ["bluesky:@shop.example.com", "mastodon:@shop@social.example", "sandbox:@demo"]


@st.composite
def manifest_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    campaigns = draw(st.lists(_name, unique=True, max_size=2))
    docs: list[dict[str, Any]] = [
        {"apiVersion": "socialhub/v1", "kind": "Campaign", "metadata": {"name": c},
         "spec": {"description": draw(_words),
                  "status": draw(st.sampled_from(["planned", "paused"])),
                  "budget": draw(st.none() | st.decimals(0, 10**6, places=2).map(str))}}
        for c in campaigns]
    for name in draw(st.lists(_name, unique=True, min_size=1, max_size=3)):
        targets = []
        for ref in draw(st.lists(st.sampled_from(_refs), unique=True, max_size=3)):
            t: dict[str, Any] = {"account": ref}
            if draw(st.booleans()):
                t["text"] = draw(_words)
            if draw(st.booleans()):
                t["at"] = draw(st.sampled_from([
                    "2030-12-01T09:00 Europe/Berlin", "2031-01-01 00:00 UTC",
                    "2030-07-04T18:30:15 America/New_York", "2030-05-05T12:00+09:00"]))
            targets.append(t)
        metadata: dict[str, Any] = {"name": name}
        in_campaign: bool = draw(st.booleans())
        if campaigns and in_campaign:
            metadata["campaign"] = draw(st.sampled_from(campaigns))
        docs.append({"apiVersion": "socialhub/v1", "kind": "Post", "metadata": metadata,
                     "spec": {"body": draw(_words), "tags": draw(st.lists(_words, max_size=2)),
                              "targets": targets}})
    return docs


@pytest.fixture(scope="module")
def property_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A SQLite database with three accounts; each example runs in a rolled-back transaction."""
    from socialhub.db.engine import make_engine, make_session_factory
    from socialhub.db.migrate import upgrade
    from socialhub.db.models import Account, Organization

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.sqlite'}")
    upgrade(engine, backup=False)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        org = Organization(name="default")
        s.add(org)
        s.flush()
        for ref in _refs:
            platform, handle = ref.split(":@")
            s.add(Account(org_id=org.id, platform=platform, handle=handle, settings={}))
    yield factory, org.id
    engine.dispose()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(docs=manifest_sets())
def test_exported_manifests_parse_back_to_the_applied_state(
        property_db: Any, docs: list[dict[str, Any]]) -> None:
    from socialhub.services.manifests.apply import apply_manifests
    from socialhub.services.manifests.documents import dump_documents, parse_manifests
    from socialhub.services.manifests.export import export_manifests

    factory, org_id = property_db
    now = datetime(2026, 1, 1, tzinfo=UTC)
    session = factory()
    ctx = make_ctx(session, org_id)
    try:
        manifests, issues = parse_manifests([("gen.yaml", dump_documents(docs))])
        assert issues == []
        apply_manifests(ctx, manifests, now=now)
        exported = export_manifests(ctx)
        text = dump_documents(d for kind in exported.values() for d in kind)
        again, issues = parse_manifests([("export.yaml", text)])
        assert issues == []
        changes = apply_manifests(ctx, again, now=now, dry_run=True)
        assert {c.action for c in changes} == {"unchanged"}
        assert export_manifests(ctx) == exported
    finally:
        session.rollback()
        session.close()


def test_export_into_the_same_directory_never_leaves_deleted_records(
        dbcli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(
        "apiVersion: socialhub/v1\nkind: Account\nmetadata: {name: 'sandbox:@demo'}\n---\n"
        "apiVersion: socialhub/v1\nkind: Post\nmetadata: {name: only}\n"
        "spec: {body: hello, targets: [{account: 'sandbox:@demo'}]}\n")
    assert dbcli("apply", "-f", str(tmp_path / "in.yaml")).exit_code == 0
    out = tmp_path / "out"
    assert dbcli("export", "-o", str(out)).exit_code == 0
    assert "name: only" in (out / "posts.yaml").read_text()
    assert dbcli("posts", "remove", "only").exit_code == 0
    assert dbcli("export", "-o", str(out)).exit_code == 0
    assert (out / "posts.yaml").read_text() == ""
    assert set(actions(dbcli("apply", "-f", str(out), "--json"))) == {"unchanged"}
