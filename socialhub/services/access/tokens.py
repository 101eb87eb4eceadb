"""API tokens: made by a member for themself, stored hashed, shown once, narrowed by scopes.

A token is ``shp_`` and 43 random URL-safe characters (256 bits). Only its SHA-256
is stored — a token has far too much entropy to guess, so a slow hash would add
nothing but latency to every request — and its first characters are kept to
recognise it in a list. A token acts as its member with the member's current role,
narrowed to the permissions of its scopes (``core.policy.SCOPES``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from socialhub.core.policy import SCOPES, Permission, scope_permissions, unknown_scopes
from socialhub.db.models import ApiToken
from socialhub.db.queries import access as queries
from socialhub.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    ValidationError,
)
from socialhub.services.audit import record_event
from socialhub.services.clock import now_utc
from socialhub.services.context import Ctx, Principal, use_case

if TYPE_CHECKING:
    from socialhub.services.hub import Hub

#: Every token starts with this, so a secret scanner can spot a leaked one.
TOKEN_PREFIX = "shp_"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EXPIRES_RE = re.compile(r"^(\d{1,5})([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
#: How long ``last_used_at`` may lag: it is written at most once a minute per token.
_USE_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made: the secret (shown this once) and its listing row."""

    secret: str
    row: dict[str, Any]


def hash_token(raw: str) -> str:
    """The stored form of a token: the hex SHA-256 of its text."""
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_scopes(text: str | list[str]) -> tuple[str, ...]:
    """Scopes from ``posts:write,analytics:read`` (or a list), without repeats.

    Raises:
        ValidationError: no scope, or a scope that does not exist (the message lists
            the known ones).
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    scopes = tuple(dict.fromkeys(s.strip() for s in items if s.strip()))
    if not scopes:
        raise ValidationError("a token needs at least one scope, e.g. --scope posts:read")
    unknown = unknown_scopes(list(scopes))
    if unknown:
        raise ValidationError(f"unknown scope {unknown[0]!r}; known scopes: "
                              + ", ".join(SCOPES))
    return scopes


def parse_expires(text: str | None, now: datetime) -> datetime | None:
    """The expiry instant for ``90d``, ``12h`` or ``2w`` after ``now``; ``never`` is None.

    Raises:
        ValidationError: any other text, or zero.
    """
    if text is None or text.strip().lower() == "never":
        return None
    found = _EXPIRES_RE.match(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise ValidationError(f"--expires {text!r} is not a duration like 90d, 12h, 2w "
                              "or never")
    return now + int(found.group(1)) * _UNITS[found.group(2)]


def token_row(token: ApiToken, member: str, now: datetime) -> dict[str, Any]:
    """What ``tokens list`` shows of a token (never its secret or hash)."""
    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return {"id": token.id, "name": token.name, "member": member, "prefix": token.prefix,
            "scopes": list(token.scopes), "state": state,
            "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


@use_case(Permission.API_TOKENS_MANAGE)
def create_token(ctx: Ctx, *, name: str, scopes: str | list[str],
                 expires: str | None = "90d") -> NewToken:
    """Make a token for the acting member; the secret is in the result and nowhere else.

    An API token may make a token too (``tokens:write``): with at most its own scopes,
    expiring no later than itself (a later or no expiry is cut to its own).

    Raises:
        ValidationError: a bad name, scope or expiry; or the actor is not a member
            with a user (a system actor cannot own a token).
        PermissionDeniedError: a token asked for scopes beyond its own.
        ConflictError: the organization has a token with that name.
    """
    if not _NAME_RE.match(name):
        raise ValidationError(f"token name {name!r} must be letters, digits, '.', '_' or '-'")
    parsed = parse_scopes(scopes)
    now = ctx.now()
    expires_at = parse_expires(expires, now)
    if ctx.actor.user_id is None:
        raise ValidationError("only a member can own an API token")
    if ctx.actor.scopes is not None:
        expires_at = _within_maker(ctx, parsed, expires_at)
    if queries.token_named(ctx.session, ctx.org_id, name) is not None:
        raise ConflictError(f"a token named {name!r} exists already",
                            hint="pick another --name, or revoke the old one first")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(org_id=ctx.org_id, user_id=ctx.actor.user_id, name=name,
                     prefix=secret[:len(TOKEN_PREFIX) + 6], token_hash=hash_token(secret),
                     scopes=list(parsed), created_at=now, expires_at=expires_at)
    ctx.session.add(token)
    ctx.session.flush()
    record_event(ctx.session, ctx.org_id, "create", "ApiToken", record_id=token.id, name=name,
                 change={"scopes": {"before": None, "after": list(parsed)},
                         "expires_at": {"before": None, "after": expires_at}})
    return NewToken(secret=secret, row=token_row(token, ctx.actor.name, now))


def _within_maker(ctx: Ctx, scopes: tuple[str, ...],
                  expires_at: datetime | None) -> datetime | None:
    """For a token made by a token: refuse scopes granting more than the maker's, and
    end it no later than the maker (a token never widens nor outlives itself)."""
    maker_scopes = ctx.actor.scopes or frozenset()
    wider = sorted(p.value for p in scope_permissions(scopes) - maker_scopes)
    if wider:
        raise PermissionDeniedError(
            "a token may only make tokens with at most its own scopes; "
            f"these scopes grant {', '.join(wider)}, which this token lacks",
            hint="ask for a subset of this token's scopes")
    maker = (queries.token_by_id(ctx.session, ctx.org_id, ctx.actor.token_id)
             if ctx.actor.token_id is not None else None)
    if maker is not None and maker.expires_at is not None and (
            expires_at is None or expires_at > maker.expires_at):
        return maker.expires_at
    return expires_at


@use_case(Permission.API_TOKENS_MANAGE)
def list_tokens(ctx: Ctx) -> list[dict[str, Any]]:
    """The acting member's tokens; everyone's for those who manage members."""
    mine = None if ctx.allows(Permission.MEMBERS_MANAGE) else ctx.actor.user_id
    now = ctx.now()
    return [token_row(t, member, now)
            for t, member in queries.tokens(ctx.session, ctx.org_id, mine)]


@use_case(Permission.API_TOKENS_MANAGE)
def revoke_token(ctx: Ctx, name: str) -> dict[str, Any]:
    """Revoke a token at once: its next request is a 401. One's own, or anyone's for
    those who manage members; revoking twice changes nothing.

    Raises:
        NotFoundError: no such token (or another member's, for a plain member).
    """
    token = queries.token_named(ctx.session, ctx.org_id, name)
    if token is None or (token.user_id != ctx.actor.user_id
                         and not ctx.allows(Permission.MEMBERS_MANAGE)):
        raise NotFoundError(f"no token named {name!r} (see `socialhub tokens list`)")
    now = ctx.now()
    if token.revoked_at is None:
        token.revoked_at = now
        ctx.session.flush()
        record_event(ctx.session, ctx.org_id, "revoke", "ApiToken", record_id=token.id,
                     name=token.name, change={"revoked_at": {"before": None, "after": now}})
    member = queries.member_of(ctx.session, ctx.org_id, token.user_id)
    return token_row(token, member[0] if member else "?", now)


def authenticate_token(hub: Hub, raw: str | None) -> Principal:
    """Who the bearer of ``raw`` is: the token's organization, member and scopes.

    One short transaction; marks the token used (at most once a minute). Every
    refusal has the same kind, so a caller learns nothing about other tokens.

    Raises:
        UnauthenticatedError: no token, or an unknown, revoked or expired one.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise UnauthenticatedError("a valid API token is required (Authorization: Bearer …)",
                                   hint="create one with `socialhub tokens create`")
    digest = hash_token(raw)
    with hub.transaction() as session:
        token = queries.token_with_hash(session, digest)
        if token is None:
            raise UnauthenticatedError("this API token is not known",
                                       hint="create one with `socialhub tokens create`")
        now = now_utc()
        if token.revoked_at is not None:
            raise UnauthenticatedError("this API token was revoked")
        if token.expires_at is not None and token.expires_at <= now:
            raise UnauthenticatedError("this API token has expired",
                                       hint="create a new one with `socialhub tokens create`")
        if token.last_used_at is None or now - token.last_used_at > _USE_GRANULARITY:
            token.last_used_at = now
        return Principal(org_id=token.org_id, user_id=token.user_id, token_id=token.id,
                         token_name=token.name, scopes=tuple(token.scopes))
