"""One exception tree and one exit-code table for the whole program.

Services raise these; only the front ends turn them into exit codes or HTTP
statuses (``exit_code_for``). Messages are one line, say what is wrong and
where, and never contain secrets.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes; the table is documented in docs/cli.md."""

    OK = 0
    ERROR = 1  # unexpected failure (a bug): run again with --debug
    USAGE = 2  # bad command-line usage (Typer's own code)
    CONFIG = 3  # configuration file or environment is invalid
    VALIDATION = 4  # input (manifest, text, time) is invalid; nothing was written
    NOT_FOUND = 5  # a named record does not exist
    CONFLICT = 6  # the record exists already or is in the wrong state
    DATABASE = 7  # cannot connect, locked, or schema out of date
    PLATFORM = 8  # a social platform refused or failed
    AUTH = 9  # credentials missing, expired or revoked
    SECURITY = 10  # master key missing or wrong
    BUDGET = 11  # AI budget spent or provider refused
    PERMISSION = 12  # the actor's role does not allow the action; nothing was done
    CHANGES = 13  # `socialhub diff`: the plan has changes pending (not an error)
    GIT = 14  # a git repository cannot be fetched, verified or pushed to
    TAMPERED = 15  # `audit verify` found an edited, deleted or reordered audit row


class SocialhubError(Exception):
    """Base of every error socialhub reports to a person."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class ConfigError(SocialhubError):
    """The configuration file or an environment override is invalid."""

    exit_code = ExitCode.CONFIG


class ValidationError(SocialhubError):
    """Input from a person or a file is invalid; nothing was changed."""

    exit_code = ExitCode.VALIDATION


class NotFoundError(SocialhubError):
    """A record named by the user does not exist."""

    exit_code = ExitCode.NOT_FOUND


class ConflictError(SocialhubError):
    """The record already exists or is in a state that forbids the action."""

    exit_code = ExitCode.CONFLICT


class DatabaseError(SocialhubError):
    """The database cannot be reached, is locked, or is otherwise unusable."""

    exit_code = ExitCode.DATABASE


class SchemaMismatchError(DatabaseError):
    """The database schema is not at the revision this version expects."""


class SecurityError(SocialhubError):
    """The master key is missing, unreadable, or cannot decrypt a secret."""

    exit_code = ExitCode.SECURITY


class BudgetError(SocialhubError):
    """An AI call was refused: budget spent, or the provider is unusable."""

    exit_code = ExitCode.BUDGET


class PermissionDeniedError(SocialhubError):
    """The acting person's role does not allow the use case; nothing was read or changed."""

    exit_code = ExitCode.PERMISSION


class UnauthenticatedError(PermissionDeniedError):
    """The caller is not known: no API token, or an unknown, revoked or expired one."""


class GitError(SocialhubError):
    """A git repository cannot be fetched, verified, read or pushed to."""

    exit_code = ExitCode.GIT


class AuditTamperedError(SocialhubError):
    """The audit trail's hash chain is broken: a row was edited, deleted or reordered."""

    exit_code = ExitCode.TAMPERED


class PlatformError(SocialhubError):
    """A social platform refused or failed a request."""

    exit_code = ExitCode.PLATFORM


class AuthError(PlatformError):
    """Credentials are missing, expired or revoked."""

    exit_code = ExitCode.AUTH


def exit_code_for(error: BaseException) -> ExitCode:
    """Return the exit code a front end should use for ``error``."""
    if isinstance(error, SocialhubError):
        return error.exit_code
    return ExitCode.ERROR
