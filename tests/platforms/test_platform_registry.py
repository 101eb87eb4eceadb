"""A platform is declared once: every spec is complete, and every list derives from the registry.

Each registered network has a sub-package with ``spec.py`` and ``adapter.py``, a
unique badge, its text rules and config model in its spec, and a docs page; the
lists that used to be written by hand (known platforms, badges, display names,
text rules, developer-app platforms, hashtag customs, config sections, help
strings, the lists in the docs) equal what the registry says, in the same order.
And a network added as a sub-package plus one registry line shows up in all of
them with nothing else edited (``test_a_new_network_needs_only_its_subpackage_…``).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from socialhub.platforms.base import PlatformAdapter
from socialhub.platforms.registry import (
    adapter_class,
    platform_names,
    platform_rules,
    rules_for,
    spec_for,
    specs,
    supported_platforms,
)
from socialhub.platforms.spec import ConnectKind, PlatformRules, PlatformSpec

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
    assert isinstance(rules, PlatformRules)
    assert rules.platform == spec.name and rules.limit > 0
    assert rules_for(spec.name) is rules is platform_rules()[spec.name]
    assert spec.display_name and spec.display_name == rules.display_name
    assert spec.hashtag_budget >= 0
    assert (ROOT / spec.docs_page).is_file(), f"{spec.name}: {spec.docs_page} does not exist"
    assert spec_for(spec.name.upper()) is spec


def test_badges_are_unique() -> None:
    badges = [s.badge.strip() for s in SPECS]
    assert len(set(badges)) == len(badges)


def test_every_spec_has_its_config_section() -> None:
    from socialhub.config import PlatformAppConfig, PlatformsConfig
    from socialhub.services.settings import settings_type

    sections = settings_type().model_fields["platforms"].annotation
    assert isinstance(sections, type) and issubclass(sections, PlatformsConfig)
    fields = sections.model_fields
    assert tuple(fields) == platform_names(), "the settings' platforms and the registry differ"
    for spec in SPECS:
        assert fields[spec.name].annotation is spec.config_model_class()
        assert issubclass(spec.config_model_class(), PlatformAppConfig)
    # config.py lists no network: its own platforms section has no fields.
    assert PlatformsConfig.model_fields == {}


def test_text_rules_cover_exactly_the_registered_networks() -> None:
    from socialhub.services.authoring.text_rules import DISPLAY_NAMES, PLATFORMS

    assert platform_names() == PLATFORMS
    assert {s.name: s.display_name for s in SPECS} == DISPLAY_NAMES
    assert _old(DISPLAY_NAMES) == DISPLAY and _first(tuple(DISPLAY_NAMES)) == ORDER


def test_platform_rules_are_a_frozen_keyword_only_value() -> None:
    def make(**changes: Any) -> PlatformRules:
        values: dict[str, Any] = {"platform": "x", "display_name": "X", "limit": 280,
                                  "unit": "weighted", **changes}
        return PlatformRules(**values)

    rules = make()
    assert rules == make() and hash(rules) == hash(make()) and rules != make(limit=281)
    assert (rules.supports_threads, rules.max_media, rules.hashtag_budget, rules.refuses) == (
        False, None, 3, None)
    assert repr(rules).startswith("PlatformRules(platform='x', display_name='X', limit=280")
    with pytest.raises(AttributeError):
        rules.limit = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        PlatformRules("x", "X", 280, "weighted")  # type: ignore[call-arg]


def test_every_rule_names_an_algorithm_core_has() -> None:
    from socialhub.core import text_measure

    for spec in SPECS:
        rules = spec.text_rules
        assert rules.unit in text_measure.UNITS, spec.name
        assert rules.counter is None or rules.counter in text_measure.COUNTERS, spec.name
        assert rules.refuses is None or rules.refuses in text_measure.REFUSED_CHARACTER_CHECKS


def test_no_table_of_networks_is_left_below_the_registry() -> None:
    # Core and ai take a network's rules from their callers, config its section models.
    from socialhub.core import text, text_measure, text_split

    for module in (text, text_measure, text_split):
        for gone in ("rules_for", "PLATFORMS", "DISPLAY_NAMES", "_RULES"):
            assert not hasattr(module, gone), f"{module.__name__}.{gone}"


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
    assert {p: recommended_count(rules_for(p)) for p in ORDER} == {
        p: min(n, 30) if p == "instagram" else n for p, n in HASHTAG_CUSTOM.items()}


def test_connect_kinds_match_what_connect_does() -> None:
    kinds = {s.name: s.connect for s in SPECS}
    assert kinds["sandbox"] is ConnectKind.LOCAL_TOKEN
    assert kinds["bluesky"] is ConnectKind.APP_PASSWORD
    assert kinds["mastodon"] is ConnectKind.OAUTH_INSTANCE
    assert {n for n, k in _old(kinds).items() if k is ConnectKind.OAUTH_APP} == set(DEVELOPER_APP)


def test_help_strings_list_the_registry() -> None:
    from socialhub.cli.text import PLATFORM_HELP

    assert f"Platform: {', '.join(platform_names())}." == PLATFORM_HELP
    assert _first(platform_names()) == ORDER
    from socialhub.services.platform_names import developer_app_sentence, platforms_sentence

    names = platform_names()
    assert platforms_sentence(" or ") == ", ".join(names[:-1]) + " or " + names[-1]
    assert platforms_sentence(" or ").startswith(
        "sandbox, bluesky, mastodon, x, linkedin, threads, instagram, facebook, reddit, "
        "pinterest, youtube")
    apps = [s.display_name for s in SPECS if s.needs_developer_app]
    assert developer_app_sentence() == ", ".join(apps[:-1]) + " and " + apps[-1]


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
                            "socialhub.platforms.spec.InboxCapabilities",
                            "socialhub.platforms.spec.PlatformRules",
                            "socialhub.platforms.spec.PlatformSpec"}, (name, imported)


def test_a_declared_inbox_has_an_adapter_that_reads_it() -> None:
    # The inbox's capability flags live in the spec; an adapter that declares an inbox
    # must implement fetch_inbox, and one that does not must not pretend to.
    from socialhub.platforms.base import PlatformAdapter
    from socialhub.platforms.registry import specs

    for spec in specs():
        reads = spec.adapter_class().fetch_inbox is not PlatformAdapter.fetch_inbox
        assert reads == spec.inbox.any, spec.name
    assert {s.name for s in specs() if s.inbox.any} == {"sandbox", "bluesky", "mastodon", "x"}


def test_no_fake_network_inside_platforms() -> None:
    assert not list(PLATFORMS_DIR.rglob("*server*.py"))
    assert importlib.import_module("socialhub.sandbox_network.server").SandboxServer


def test_connect_help_names_the_developer_app_networks() -> None:
    # The help is filled from the registry when it is read (not when the CLI loads).
    import re

    from typer.testing import CliRunner

    from socialhub.cli.main import app

    result = CliRunner().invoke(app, ["accounts", "connect", "--help"],
                                env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    doc = " ".join(result.output.split())
    match = re.search(r"or the keyring\. (.+?) need a developer app", doc)
    assert match, doc
    listed = re.split(r", | and ", match.group(1))
    assert listed == [s.display_name for s in SPECS if s.needs_developer_app]


# --- a network added with nothing but its sub-package and one registry line ----------------

_NEW_SPEC = '''
"""Zebra's declaration: a throwaway network made by tests/test_platform_registry.py."""

from socialhub.platforms.spec import ConnectKind, PlatformRules, PlatformSpec

SPEC = PlatformSpec(
    name="zebra",
    badge="zb",
    connect=ConnectKind.OAUTH_APP,
    adapter="socialhub.platforms.zebra.adapter:ZebraAdapter",
    docs_page="docs/platforms/zebra.md",
    text_rules=PlatformRules(
        platform="zebra", display_name="Zebra", limit=42, unit="utf16", max_hashtags=2,
        hashtag_budget=1, refuses="angle-brackets",
    ),
    config_model="socialhub.platforms.zebra.config:ZebraConfig",
)
'''
_NEW_CONFIG = '''
from socialhub.config import PlatformAppConfig


class ZebraConfig(PlatformAppConfig):
    region: str = "eu"
'''
_NEW_ADAPTER = '''
from socialhub.platforms.base import Capabilities, PlatformAdapter


class ZebraAdapter(PlatformAdapter):
    name = "zebra"
    capabilities = Capabilities()
'''
_NEW_POST = '''apiVersion: socialhub/v1
kind: Post
metadata: {name: stripes}
spec:
  body: "Black and white and read all over, every single day of the week, twice."
  targets:
    - account: Zebra:@herd
'''

# Runs in a fresh interpreter: the network's sub-package sits in a temporary folder on
# socialhub.platforms' path, and "the one registry line" is appended to _NETWORKS before
# anything reads the registry. Nothing else is changed; the script reports what every
# list, rule, config section, command and generated doc made of it.
_PROBE = '''
import contextlib, importlib.util, io, json, sys
from pathlib import Path

import socialhub.platforms
socialhub.platforms.__path__.append(sys.argv[1])
from socialhub.platforms import registry
registry._NETWORKS = (*registry._NETWORKS, "zebra")

tmp, root = Path(sys.argv[2]), Path(sys.argv[3])
facts = {}

from socialhub.services.accounts.accounts import DEVELOPER_APP_PLATFORMS, KNOWN_PLATFORMS
from socialhub.services.authoring.board import BADGES
from socialhub.services.authoring import text_rules
from socialhub.services.ai.hashtags import suggest_hashtags
from socialhub.ai.hashtags import recommended_count
facts["known"] = list(KNOWN_PLATFORMS)
facts["developer_app"] = list(DEVELOPER_APP_PLATFORMS)
facts["badge"] = BADGES.get("zebra")
facts["display_name"] = text_rules.DISPLAY_NAMES.get("zebra")
facts["measure_platforms"] = list(text_rules.PLATFORMS)
m = text_rules.measure("<b> " + "\\U0001F993" * 20, "zebra")
facts["measure"] = [m.platform, m.length, m.limit, m.unit, list(m.problems)]
facts["split"] = text_rules.split_thread("stripes " * 12, "zebra")
facts["recommended_hashtags"] = recommended_count(text_rules.rules_for("zebra"))
facts["suggested"] = suggest_hashtags(
    "Zebra stripes confuse biting flies; researchers in Kenya painted cattle with stripes.",
    "zebra")

from socialhub.errors import ConfigError
from socialhub.services.settings import load_config
env = {"SOCIALHUB_HOME": str(tmp / "home"), "SOCIALHUB_PLATFORMS_ZEBRA_CLIENT_SECRET": "s3"}
good = tmp / "good.yaml"
good.write_text("platforms:\\n  zebra: {client_id: 12345, region: us}\\n")
section = load_config(good, env=env).settings.platforms.zebra
facts["config"] = [section.client_id, section.region, section.client_secret.get_secret_value()]
facts["config_default"] = load_config(None, env=env).settings.platforms.zebra.region
for name, text in (("bad.yaml", "platforms:\\n  zebra: {nope: 1}\\n"),
                   ("unknown.yaml", "platforms:\\n  zorro: {}\\n")):
    path = tmp / name
    path.write_text(text)
    try:
        load_config(path, env=env)
    except ConfigError as exc:
        facts[name] = str(exc).replace(str(path), name)

from socialhub.services.manifests.documents import check_text_lengths, parse_manifests
manifests, issues = parse_manifests([("post.yaml", sys.argv[4])])
facts["manifest_refs"] = [t.account for t in manifests[0].model.spec.targets]
facts["manifest_issues"] = [str(i) for i in issues + check_text_lengths(manifests)]

from socialhub.cli.common import reset_state
from socialhub.cli.main import main

def run(*args):
    reset_state()
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return [code, out.getvalue(), err.getvalue()]

facts["text_measure"] = run("text", "measure", "--platform", "Zebra", "--json", "hello")
facts["text_help"] = run("text", "measure", "--help")
facts["connect_help"] = run("accounts", "connect", "--help")
facts["connect"] = run("accounts", "connect", "zebra")
facts["accounts_add"] = run("accounts", "add", "zebra:@herd", "--json")

spec = importlib.util.spec_from_file_location("gen_docs", root / "scripts" / "gen_docs.py")
gen_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_docs)
facts["docs_blocks"] = gen_docs.registry_blocks()
print(json.dumps(facts))
'''


def _new_network_facts(tmp_path: Path) -> dict[str, Any]:
    package = tmp_path / "extra" / "zebra"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Zebra: a network that exists only in a test."""\n')
    (package / "spec.py").write_text(_NEW_SPEC)
    (package / "config.py").write_text(_NEW_CONFIG)
    (package / "adapter.py").write_text(_NEW_ADAPTER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    env.update({"SOCIALHUB_HOME": str(tmp_path / "home"), "SOCIALHUB_SECURITY_USE_KEYRING": "false",
                "COLUMNS": "200"})
    done = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "extra"), str(tmp_path),
                           str(ROOT), _NEW_POST], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


def test_a_new_network_needs_only_its_subpackage_and_a_registry_line(tmp_path: Path) -> None:
    facts = _new_network_facts(tmp_path)
    # Every list of networks.
    assert facts["known"] == [*platform_names(), "zebra"]
    assert facts["measure_platforms"] == facts["known"]
    assert facts["developer_app"] == [*(s.name for s in SPECS if s.needs_developer_app), "zebra"]
    assert facts["badge"] == "zb" and facts["display_name"] == "Zebra"
    # Its text rules and hashtag custom, through core's counters.
    assert facts["measure"] == ["zebra", 44, 42, "utf16", [
        "44 UTF-16 code units, over the 42 limit", "contains < and >, which Zebra refuses"]]
    five = "stripes stripes stripes stripes stripes"  # 39 UTF-16 code units
    assert facts["split"] == [five, five, "stripes stripes"]
    assert facts["recommended_hashtags"] == 1
    assert isinstance(facts["suggested"], list) and len(facts["suggested"]) == 1
    # Its config section, with its own model, file and environment, and one-line errors.
    assert facts["config"] == ["12345", "us", "s3"] and facts["config_default"] == "eu"
    assert facts["bad.yaml"] == "bad.yaml:2: platforms.zebra.nope: Extra inputs are not permitted"
    assert facts["unknown.yaml"] == \
        "unknown.yaml:2: platforms.zorro: Extra inputs are not permitted"
    # Manifests name it, and lint measures it.
    assert facts["manifest_refs"] == ["zebra:@herd"]
    assert facts["manifest_issues"] == ["post.yaml:5:9: text for zebra:@herd is 71 utf16, "
                                        "over the 42 limit"]
    # The commands.
    code, out, err = facts["text_measure"]
    assert code == 0, err
    assert json.loads(out) == {"platform": "zebra", "length": 5, "limit": 42, "valid": True,
                               "unit": "utf16", "problems": [],
                               "details": {"hashtags": 0, "links": 0}}
    assert "youtube, tiktok, zebra." in " ".join(facts["text_help"][1].split())
    assert "YouTube, TikTok and Zebra need a developer app" in " ".join(
        facts["connect_help"][1].split())
    code, out, err = facts["connect"]
    assert code == 3 and "platforms.zebra.client_id" in err and "docs/platforms/zebra.md" in err
    code, out, err = facts["accounts_add"]
    assert code == 0, err
    assert json.loads(out)["ref"] == "zebra:@herd"
    # The lists scripts/gen_docs.py writes into the docs.
    blocks = facts["docs_blocks"]
    assert isinstance(blocks, dict)
    assert blocks["names"].endswith(", tiktok, zebra")
    assert blocks["developer-apps-and"].endswith("YouTube, TikTok and Zebra")
    assert ("  zebra: {client_id: null, client_secret: null, base_url: null, region: eu}\n"
            in blocks["config-sections"])
    assert "| `zebra` | 42 | `utf16` |" in blocks["text-rules-table"]


def test_the_docs_lists_of_networks_are_written_from_the_registry() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    gen_docs: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_docs)
    blocks = gen_docs.registry_blocks()
    assert blocks["names"] == ", ".join(platform_names())
    for name in gen_docs.REGISTRY_FILES:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "registry:" in text, name
        assert gen_docs.fill_registry_blocks(text, blocks) == text, (
            f"{name} is stale: run python scripts/gen_docs.py")
