"""Secrets from configuration never reach stdout, stderr or logs."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import _CLI_OUTPUTS, PLANTED_TOKEN, CLIResult


def test_planted_secret_is_in_the_config_but_never_printed(cli: Callable[..., CLIResult]) -> None:
    from socialhub.services.settings import load_config

    assert load_config().settings.platforms.x.client_secret.get_secret_value() == PLANTED_TOKEN  # type: ignore[union-attr]
    for args in (("config", "show"), ("config", "show", "--json"), ("doctor", "--json"),
                 ("--debug", "accounts", "show", "x:@nobody")):
        result = cli(*args)
        assert PLANTED_TOKEN not in result.stdout + result.stderr
    # The session-end check sees these runs too (see conftest.pytest_sessionfinish).
    assert any(cmd.startswith("config show") for cmd, _ in _CLI_OUTPUTS)
