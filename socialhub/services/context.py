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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Concatenate, Literal, ParamSpec, TypeVar, get_args

from socialhub.core.policy import Permission, Role, allows
from socialhub.errors import PermissionDeniedError
from socialhub.services.clock import now_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from socialhub.config import Settings

# No SQLAlchemy (nor the audit log, which loads the models) at import: every service
# module imports this one, and the TUI paints its first month before the database
# layer is loaded (docs/tui.md, "Performance"); tests/tui/test_tui_first_month.py holds it.

#: The front end a use case was called through.
Channel = Literal["cli", "tui", "daemon", "api", "mcp"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

P = ParamSpec("P")
R = TypeVar("R")


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
    from socialhub.services.audit import current_actor

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


def check(ctx: Ctx, permission: Permission) -> None:
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


def use_case(permission: Permission) -> Callable[[Callable[Concatenate[Ctx, P], R]],
                                                 Callable[Concatenate[Ctx, P], R]]:
    """Declare a service function a use case needing ``permission``.

    The function's first parameter must be the ``Ctx``; the permission is checked
    before the body runs, so a refused call reads and writes nothing. The
    permission is kept on the function as ``__permission__``.
    """
    def decorate(fn: Callable[Concatenate[Ctx, P], R]) -> Callable[Concatenate[Ctx, P], R]:
        @functools.wraps(fn)
        def run(ctx: Ctx, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check(ctx, permission)
            return fn(ctx, *args, **kwargs)
        run.__permission__ = permission  # type: ignore[attr-defined]
        return run
    return decorate


def permission_of(fn: Callable[..., object]) -> Permission | None:
    """The permission a use case declared, or None for a plain function."""
    found = getattr(fn, "__permission__", None)
    return found if isinstance(found, Permission) else None
