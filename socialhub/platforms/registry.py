"""The registry: one ``PlatformSpec`` per network, and the adapter behind each, loaded lazily.

The lowercase platform name is the sub-package name, the registry key, the config
key and the database value (STYLE.md). Registering a network is one entry in
``_NETWORKS`` (its sub-package must hold ``spec.py`` with a ``SPEC``). Reading
the specs imports only those small declaration modules; adapters (httpx and
friends) load on first use, so ``socialhub --help`` and every command that never
publishes stay fast.

The layers below ``platforms/`` cannot import it, so they are handed what they
need from here: core's counters take a network's ``PlatformRules``
(``rules_for``), core's manifest checks the name → rules mapping
(``platform_rules``), and ``config.load_config`` the config model of each
network's section (``config_sections``). Front ends reach it through services
(``services.authoring.text_rules``, ``services.settings``,
``services.platform_names``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from socialhub.errors import ValidationError

if TYPE_CHECKING:
    from socialhub.config import PlatformAppConfig
    from socialhub.platforms.base import PlatformAdapter
    from socialhub.platforms.spec import PlatformRules, PlatformSpec

# One entry per network, in the order lists show them. Add a line here when a
# platform sub-package lands.
_NETWORKS: tuple[str, ...] = (
    "sandbox",
    "bluesky",
    "mastodon",
    "x",
    "linkedin",
    "threads",
    "instagram",
    "facebook",
    "reddit",
    "pinterest",
    "youtube",
    "tiktok",
)


@functools.cache
def specs() -> tuple[PlatformSpec, ...]:
    """Every registered network's spec, in registry order (the order lists show)."""
    from socialhub.platforms.spec import PlatformRules, PlatformSpec

    loaded: list[PlatformSpec] = []
    for name in _NETWORKS:
        spec = importlib.import_module(f"socialhub.platforms.{name}.spec").SPEC
        if not isinstance(spec, PlatformSpec) or spec.name != name:
            raise TypeError(f"socialhub.platforms.{name}.spec.SPEC must be the PlatformSpec "
                            f"named {name!r}")
        if not isinstance(spec.text_rules, PlatformRules) or spec.text_rules.platform != name:
            raise TypeError(f"socialhub.platforms.{name}.spec.SPEC.text_rules must be the "
                            f"PlatformRules of platform {name!r}")
        loaded.append(spec)
    return tuple(loaded)


def platform_names() -> tuple[str, ...]:
    """The registered network names, in registry order.

    Read from the registry's lines, without importing any spec (``--help`` lists
    them); ``specs()`` checks that each sub-package's spec carries its name.
    """
    return _NETWORKS


def spec_for(platform: str) -> PlatformSpec:
    """The spec of ``platform`` (case-insensitive).

    Raises:
        ValidationError: the platform is not registered; the message names the known ones.
    """
    name = platform.lower() if isinstance(platform, str) else platform
    for spec in specs():
        if spec.name == name:
            return spec
    raise ValidationError(f"unknown platform {platform!r}; known platforms: "
                          f"{', '.join(platform_names())}")


def rules_for(platform: str) -> PlatformRules:
    """The default text rules of ``platform`` (case-insensitive), declared in its spec.

    Raises:
        ValidationError: the platform is not registered; the message names the known ones.
    """
    return spec_for(platform).text_rules


@functools.cache
def platform_rules() -> Mapping[str, PlatformRules]:
    """Every network's text rules by name, in registry order (read-only)."""
    return MappingProxyType({spec.name: spec.text_rules for spec in specs()})


def display_names() -> dict[str, str]:
    """Each network's name as people write it, by lowercase name, in registry order."""
    return {spec.name: spec.display_name for spec in specs()}


def config_sections() -> dict[str, type[PlatformAppConfig]]:
    """The model of each network's ``platforms.<name>`` config section, in registry order.

    Imports the models (pydantic): call it when loading the settings, not at start-up.

    Raises:
        TypeError: a spec names a model that is not a ``PlatformAppConfig``.
    """
    from socialhub.config import PlatformAppConfig

    sections: dict[str, type[PlatformAppConfig]] = {}
    for spec in specs():
        model = spec.config_model_class()
        if not (isinstance(model, type) and issubclass(model, PlatformAppConfig)):
            raise TypeError(f"{spec.name}: config_model {spec.config_model!r} must be "
                            "socialhub.config.PlatformAppConfig or a subclass of it")
        sections[spec.name] = model
    return sections


def _available(spec: PlatformSpec) -> bool:
    module_name = spec.adapter.partition(":")[0]
    return importlib.util.find_spec(module_name) is not None


def supported_platforms() -> list[str]:
    """The platform names this install can publish to, sorted."""
    return sorted(spec.name for spec in specs() if _available(spec))


def adapter_class(platform: str) -> type[PlatformAdapter]:
    """The adapter class for ``platform`` (e.g. ``"mastodon"``).

    Raises:
        ValidationError: the platform is unknown or not built yet; the message
            names the supported ones.
    """
    spec = next((s for s in specs() if s.name == platform.lower()), None)
    if spec is None or not _available(spec):
        supported = ", ".join(supported_platforms())
        raise ValidationError(f"unknown platform {platform!r}: supported are {supported}")
    return spec.adapter_class()
