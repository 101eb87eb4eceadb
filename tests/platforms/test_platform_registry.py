"""A platform is declared once: every spec is complete, and every list derives from the registry.

Each registered network has a sub-package with ``spec.py`` and ``adapter.py``, a
unique badge, text rules in ``core.text``, a config section and a docs page; the
lists that used to be written by hand (known platforms, badges, developer-app
platforms, hashtag customs, config sections, help strings) equal what the
registry says, in the same order.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import pytest

from socialhub.platforms.base import PlatformAdapter
from socialhub.platforms.registry import (
    adapter_class,
    platform_names,
    spec_for,
    specs,
    supported_platforms,
)
from socialhub.platforms.spec import ConnectKind, PlatformSpec

V = TypeVar("V")
ROOT = Path(__file__).resolve().parents[2]
PLATFORMS_DIR = ROOT / "socialhub" / "platforms"
SHARED_SUBPACKAGES = {"meta"}  # shared Graph code, not a network: no spec of its own

# The lists as they were written by hand before the registry (issue #11): the
# twelve networks of that day must keep their values and order. A network added
# later needs no edit here (the derived lists must simply cover the registry).
ORDER = ("sandbox", "bluesky", "mastodon", "x", "linkedin", "threads", "instagram",
         "facebook", "reddit", "pinterest", "youtube", "tiktok")
BADGES = {"sandbox": "sb", "bluesky": "bs", "mastodon": "ma", "x": "x ", "linkedin": "li",
          "threads": "th", "instagram": "ig", "facebook": "fb", "reddit": "rd",
          "pinterest": "pi", "youtube": "yt", "tiktok": "tt"}
DEVELOPER_APP = ("x", "linkedin", "threads", "instagram", "facebook", "reddit",
                 "pinterest", "youtube", "tiktok")
HASHTAG_CUSTOM = {"sandbox": 3, "bluesky": 2, "mastodon": 3, "x": 2, "linkedin": 3,
                  "threads": 1, "instagram": 10, "facebook": 2, "reddit": 0, "pinterest": 5,
                  "youtube": 3, "tiktok": 4}
DISPLAY = {"sandbox": "Sandbox", "bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X",
           "linkedin": "LinkedIn", "threads": "Threads", "instagram": "Instagram",
           "facebook": "Facebook", "reddit": "Reddit", "pinterest": "Pinterest",
           "youtube": "YouTube", "tiktok": "TikTok"}

SPECS = specs()


def _first(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if n in ORDER)


def _old(mapping: Mapping[str, V]) -> dict[str, V]:
    return {k: v for k, v in mapping.items() if k in ORDER}


def test_registry_holds_one_spec_per_network_in_order() -> None:
    assert _first(platform_names()) == ORDER
    assert all(isinstance(s, PlatformSpec) for s in SPECS)
    assert len({s.name for s in SPECS}) == len(SPECS)


def test_every_network_subpackage_is_registered_and_has_the_same_shape() -> None:
    subpackages = {p.name for p in PLATFORMS_DIR.iterdir()
                   if p.is_dir() and (p / "__init__.py").exists()}
    assert subpackages - SHARED_SUBPACKAGES == set(platform_names())
    for name in platform_names():
        for part in ("__init__.py", "spec.py", "adapter.py"):
            assert (PLATFORMS_DIR / name / part).is_file(), f"platforms/{name}/{part} is missing"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_spec_is_complete(spec: PlatformSpec) -> None:
    assert spec.name == spec.name.lower() and spec.name.isidentifier()
    assert len(spec.badge) == 2 and spec.badge.strip()
    assert isinstance(spec.connect, ConnectKind)
    cls = spec.adapter_class()
    assert spec.adapter == f"socialhub.platforms.{spec.name}.adapter:{cls.__name__}"
    assert issubclass(spec.adapter_class(), PlatformAdapter)
    assert adapter_class(spec.name) is spec.adapter_class()
    assert spec.name in supported_platforms()
    rules = spec.text_rules
    assert rules.platform == spec.name and rules.limit > 0
    assert spec.display_name and spec.display_name == rules.display_name
    assert spec.hashtag_budget >= 0
    assert (ROOT / spec.docs_page).is_file(), f"{spec.name}: {spec.docs_page} does not exist"
    assert spec_for(spec.name.upper()) is spec


def test_badges_are_unique() -> None:
    badges = [s.badge.strip() for s in SPECS]
    assert len(set(badges)) == len(badges)


def test_every_spec_has_its_config_section() -> None:
    from socialhub.config import PlatformsConfig

    fields = PlatformsConfig.model_fields
    assert tuple(fields) == platform_names(), "config.PlatformsConfig and the registry differ"
    for spec in SPECS:
        assert fields[spec.name].annotation is spec.config_model_class()


def test_text_rules_cover_exactly_the_registered_networks() -> None:
    from socialhub.core.text import DISPLAY_NAMES, PLATFORMS

    assert platform_names() == PLATFORMS
    assert DISPLAY_NAMES == {s.name: s.display_name for s in SPECS} == DISPLAY


def test_hand_lists_equal_what_the_registry_derives() -> None:
    from socialhub.ai.hashtags import recommended_count
    from socialhub.services.accounts.accounts import DEVELOPER_APP_PLATFORMS, KNOWN_PLATFORMS
    from socialhub.services.authoring.board import BADGES as VIEW_BADGES

    assert platform_names() == KNOWN_PLATFORMS and _first(KNOWN_PLATFORMS) == ORDER
    assert {s.name: s.badge for s in SPECS} == VIEW_BADGES and _old(VIEW_BADGES) == BADGES
    assert _first(tuple(VIEW_BADGES)) == ORDER
    assert tuple(s.name for s in SPECS if s.needs_developer_app) == DEVELOPER_APP_PLATFORMS
    assert _first(DEVELOPER_APP_PLATFORMS) == DEVELOPER_APP
    assert _old({s.name: s.hashtag_budget for s in SPECS}) == HASHTAG_CUSTOM
    assert {p: recommended_count(p) for p in ORDER} == {
        p: min(n, 30) if p == "instagram" else n for p, n in HASHTAG_CUSTOM.items()}


def test_connect_kinds_match_what_connect_does() -> None:
    kinds = {s.name: s.connect for s in SPECS}
    assert kinds["sandbox"] is ConnectKind.LOCAL_TOKEN
    assert kinds["bluesky"] is ConnectKind.APP_PASSWORD
    assert kinds["mastodon"] is ConnectKind.OAUTH_INSTANCE
    assert {n for n, k in _old(kinds).items() if k is ConnectKind.OAUTH_APP} == set(DEVELOPER_APP)


def test_help_strings_list_the_registry() -> None:
    from socialhub.cli.text import PLATFORM_HELP

    assert f"Platform: {', '.join(ORDER)}." == PLATFORM_HELP
    from socialhub.services.platform_names import platforms_sentence

    assert platforms_sentence(" or ") == (
        "sandbox, bluesky, mastodon, x, linkedin, threads, instagram, facebook, reddit, "
        "pinterest, youtube or tiktok")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_network_subpackages_do_not_import_each_other() -> None:
    networks = set(platform_names()) | SHARED_SUBPACKAGES
    for name in networks:
        allowed = {name} | ({"meta"} if name in ("facebook", "instagram", "threads") else set())
        for path in (PLATFORMS_DIR / name).rglob("*.py"):
            for module in _imported_modules(path):
                parts = module.split(".")
                if parts[:2] == ["socialhub", "platforms"] and len(parts) > 2:
                    assert parts[2] not in networks - allowed, (
                        f"{path.relative_to(ROOT)} imports {module}")


def test_spec_modules_stay_light() -> None:
    # The registry is read by `--help`: its declaration modules import nothing
    # but the spec type (adapters, httpx, pydantic load only when asked).
    for name in platform_names():
        imported = _imported_modules(PLATFORMS_DIR / name / "spec.py")
        assert imported <= {"socialhub.platforms.spec", "socialhub.platforms.spec.ConnectKind",
                            "socialhub.platforms.spec.PlatformSpec"}, (name, imported)


def test_no_fake_network_inside_platforms() -> None:
    assert not list(PLATFORMS_DIR.rglob("*server*.py"))
    assert importlib.import_module("socialhub.sandbox_network.server").SandboxServer


def test_connect_help_names_the_developer_app_networks() -> None:
    # Kept literal in the docstring (display names live with the text rules, which
    # `--help` must not import); this keeps it equal to the registry.
    import re

    from socialhub.cli.accounts_connect import connect

    doc = " ".join((connect.__doc__ or "").split())
    match = re.search(r"or the keyring\. (.+?) need a developer app", doc)
    assert match, doc
    listed = re.split(r", | and ", match.group(1))
    assert listed == [s.display_name for s in SPECS if s.needs_developer_app]
