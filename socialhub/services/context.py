"""The context every use case runs in: who acts, for which organization, through what.

A front end opens a ``Ctx`` with ``hub.context(channel)`` and passes it as the
first argument of a use case. A use case is a service function whose first
parameter is ``ctx`` and that is decorated with ``@use_case(Permission.X)``:
the decorator refuses, before anything touches the database, when the actor's
role does not allow ``X`` (``core.policy``).

Who the actor is comes from ``services.teams.acting``: the member with the
acting login (the OS user on SQLite, the database login on PostgreSQL) and
their role in the organization; the daemon is the system actor ``daemon``.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Concatenate, Literal, ParamSpec, Protocol, TypeVar, get_args

from socialhub.core.policy import Permission, Role, allows
from socialhub.errors import PermissionDeniedError
from socialhub.services.clock import now_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from socialhub.config import Settings
    from socialhub.db.direct import DirectConnection

# No SQLAlchemy (nor the audit log, which loads the models) at import: every service
# module imports this one, and the TUI paints its first month before the database
# layer is loaded (docs/tui.md, "Performance"); tests/tui/test_tui_first_month.py holds it.

#: The front end a use case was called through.
Channel = Literal["cli", "tui", "daemon", "api", "mcp"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

P = ParamSpec("P")
R = TypeVar("R")

#: Names the acting local user on SQLite (scripts, tests); refused on PostgreSQL.
LOGIN_ENV = "SOCIALHUB_LOGIN"


def current_actor() -> str:
    """The person or process acting: the OS user name (``daemon`` for the daemon)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def sqlite_login() -> str:
    """The login acting on SQLite: ``SOCIALHUB_LOGIN`` when set, else the OS user."""
    return os.environ.get(LOGIN_ENV, "").strip() or current_actor()


@dataclass(frozen=True)
class Actor:
    """The person or process acting: a name for the audit log, a role, a user id if known."""

    name: str
    role: Role
    user_id: int | None = None
    #: An API token's scopes narrow the role: None (a person at the CLI) narrows nothing.
    scopes: frozenset[Permission] | None = None
    #: The API token acting, if any (a token that makes a token bounds its lifetime).
    token_id: int | None = None

    def allows(self, permission: Permission) -> bool:
        """Whether the role allows ``permission`` and the scopes (if any) include it."""
        return allows(self.role, permission) and (self.scopes is None
                                                  or permission in self.scopes)


def local_actor() -> Actor:
    """The OS user as owner, without a membership look-up (tests and tools that build a
    ``Ctx`` by hand; ``hub.context`` resolves the real member)."""
    return Actor(name=current_actor(), role=Role.OWNER)


@dataclass(frozen=True)
class Principal:
    """Who an API or MCP caller is once their token checked out: the token's member in
    its organization, narrowed to the token's scopes (``services.access.tokens``)."""

    org_id: int
    user_id: int
    token_id: int
    token_name: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Ctx:
    """One use case call: the open transaction, the organization, the actor and the channel."""

    session: Session
    org_id: int
    actor: Actor
    channel: Channel
    settings: Settings
    clock: Callable[[], datetime] = field(default=now_utc)

    def now(self) -> datetime:
        """The current instant (UTC) from this context's clock."""
        return self.clock()

    def allows(self, permission: Permission) -> bool:
        """Whether this context's actor may perform ``permission`` (an API token's
        scopes narrow its member's role)."""
        return self.actor.allows(permission)


@dataclass(frozen=True)
class DirectCtx:
    """A read-only use case call through the database driver alone, without SQLAlchemy
    (``services.direct``): one read transaction on ``conn``, the organization, the actor
    (the same member ``hub.context`` would resolve) and the channel.

    For the few reads whose cost is mostly loading SQLAlchemy and the models
    (``posts list --json --all``); their use cases take this instead of a ``Ctx``
    and are declared with ``@use_case`` all the same.
    """

    conn: DirectConnection
    org_id: int
    actor: Actor
    channel: Channel
    settings: Settings

    def allows(self, permission: Permission) -> bool:
        """Whether this context's actor may perform ``permission``."""
        return self.actor.allows(permission)


class Acting(Protocol):
    """What ``@use_case`` checks: a context with an actor (``Ctx`` or ``DirectCtx``)."""

    @property
    def actor(self) -> Actor:
        """The person or process acting."""
        ...

    def allows(self, permission: Permission) -> bool:
        """Whether the actor may perform ``permission``."""
        ...


C = TypeVar("C", bound=Acting)


def check(ctx: Acting, permission: Permission) -> None:
    """Refuse unless ``ctx``'s actor holds ``permission``.

    Raises:
        PermissionDeniedError: the actor's role does not allow it.
    """
    if not ctx.allows(permission):
        if allows(ctx.actor.role, permission):
            raise PermissionDeniedError(
                f"this API token's scopes do not include {permission.value}",
                hint="create a token with a scope that grants it (docs/api.md)")
        raise PermissionDeniedError(
            f"{ctx.actor.name} ({ctx.actor.role.value}) may not {permission.value}",
            hint="ask an owner or admin of the organization")


def use_case(permission: Permission) -> Callable[[Callable[Concatenate[C, P], R]],
                                                 Callable[Concatenate[C, P], R]]:
    """Declare a service function a use case needing ``permission``.

    The function's first parameter must be the ``Ctx`` (a ``DirectCtx`` for the reads
    through the driver alone); the permission is checked
    before the body runs, so a refused call reads and writes nothing. The
    permission is kept on the function as ``__permission__``.
    """
    def decorate(fn: Callable[Concatenate[C, P], R]) -> Callable[Concatenate[C, P], R]:
        @functools.wraps(fn)
        def run(ctx: C, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check(ctx, permission)
            return fn(ctx, *args, **kwargs)
        run.__permission__ = permission  # type: ignore[attr-defined]
        return run
    return decorate


def permission_of(fn: Callable[..., object]) -> Permission | None:
    """The permission a use case declared, or None for a plain function."""
    found = getattr(fn, "__permission__", None)
    return found if isinstance(found, Permission) else None
