"""The one object front ends hold: configuration, database, and the current org.

Front ends build a ``Hub`` from the loaded config, open a ``Ctx`` with
``hub.context(channel)`` and pass it to use cases (``services.context``); the
few session-level helpers still take a session from ``hub.transaction()``.
Opening the database checks the schema revision (and creates a fresh database on first use).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from socialhub.config import LoadedConfig
from socialhub.db.engine import make_engine, make_session_factory, transaction
from socialhub.db.migrate import ensure_schema
from socialhub.db.queries.orgs import organization_id_named
from socialhub.db.tenancy import select_organization
from socialhub.services.audit import bind_acting
from socialhub.services.context import Actor, Channel, Ctx, Principal
from socialhub.services.event_subscribers import install_default_subscribers
from socialhub.services.events import use_settings
from socialhub.services.orgs import resolve_organization
from socialhub.services.teams.acting import daemon_actor, principal_actor, resolve_actor


class Hub:
    """Configuration plus a lazily opened, schema-checked database."""

    def __init__(self, config: LoadedConfig, *, check_schema: bool = True) -> None:
        self.config = config
        self._check_schema = check_schema
        self._org_id: int | None = None
        self._one_writer = threading.Lock()
        install_default_subscribers()  # the audit trail, NOTIFY and webhooks listen from here

    @cached_property
    def engine(self) -> Engine:
        """The database engine; the schema is verified (or created) on first use."""
        db = self.config.settings.database
        engine = make_engine(self.config.database_url, busy_timeout_ms=db.busy_timeout_ms,
                             echo=db.echo)
        if self._check_schema:
            ensure_schema(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory bound to ``engine``."""
        return make_session_factory(self.engine)

    def queued(self) -> threading.Lock | nullcontext[None]:
        """A lock for callers that run many short transactions from many threads (the API).

        SQLite has one writer and every transaction here takes its lock up front
        (``BEGIN IMMEDIATE``); threads that meet it sleep in SQLite's busy handler,
        in growing naps, and a crowd of them makes every request wait seconds. Taken
        around each transaction, this queues them in the process instead, where the
        next one starts the moment the last ends. On PostgreSQL it is a no-op.
        """
        if self.engine.dialect.name == "sqlite":
            return self._one_writer
        return nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        Events published in it are delivered with this hub's settings
        (``services/events.py``), so the after-commit webhook subscribers know
        the configured hooks.
        """
        with transaction(self.sessions) as session:
            use_settings(session, self.config.settings)
            yield session

    @contextmanager
    def context(self, channel: Channel, *, session: Session | None = None,
                organization: str | None = None, system: Actor | None = None,
                principal: Principal | None = None) -> Iterator[Ctx]:
        """A ``Ctx`` for one use case call (or several) through ``channel``.

        Without ``session`` a new transaction is opened: committed when the block
        ends, rolled back on any error. With ``session`` the caller's transaction is
        joined and left for the caller to end. The organization is the configured one
        (created on first run, as ``org_id`` does) unless ``organization`` names
        another. The actor is the member acting (``services.teams.acting``): the
        local OS user on SQLite, the database login on PostgreSQL; the daemon
        channel acts as the system actor ``daemon``, or as ``system`` when given (the
        daemon's git sync acts as ``git-sync``; only the daemon channel takes one).
        The ``api`` and ``mcp`` channels act as ``principal`` (an authenticated token,
        ``services.access.tokens.authenticate_token``): its member, in its organization,
        with the member's role narrowed by the token's scopes.

        Raises:
            NotFoundError: the organization does not exist.
            PermissionDeniedError: the acting login is not a member of it.
        """
        if system is not None and channel != "daemon":
            raise ValueError("only the daemon channel acts as a system actor")
        if principal is not None and channel not in ("api", "mcp"):
            raise ValueError("only the api and mcp channels act as a token's principal")
        if session is not None:
            yield self._open(session, channel, organization, system, principal)
            return
        with self.transaction() as opened:
            yield self._open(opened, channel, organization, system, principal)

    def _open(self, session: Session, channel: Channel, organization: str | None,
              system: Actor | None, principal: Principal | None) -> Ctx:
        if principal is None:
            return self._ctx(session, channel, organization, system)
        select_organization(session, principal.org_id)
        actor = principal_actor(session, principal)
        bind_acting(session, actor.name, channel)
        return Ctx(session=session, org_id=principal.org_id, actor=actor, channel=channel,
                   settings=self.config.settings)

    def _ctx(self, session: Session, channel: Channel, organization: str | None = None,
             system: Actor | None = None) -> Ctx:
        if organization is None or organization == self.config.settings.organization:
            name, org_id = self.config.settings.organization, self.org_id(session)
        else:
            name, org_id = organization, resolve_organization(session, organization)
        # Row-level security (PostgreSQL): the rest of this transaction sees only this
        # organization's rows, whatever else the login is a member of — the actor's
        # membership included, so select it first.
        select_organization(session, org_id)
        if channel == "daemon":
            actor = system or daemon_actor()
        else:
            actor = resolve_actor(session, org_id, name)
        bind_acting(session, actor.name, channel)
        return Ctx(session=session, org_id=org_id, actor=actor,
                   channel=channel, settings=self.config.settings)

    def org_id(self, session: Session) -> int:
        """The id of the configured organization.

        On a database with no organization at all the configured one is created
        (with an owner), so a fresh install just works; otherwise an unknown name is
        refused, never created.

        Raises:
            NotFoundError: the configured organization does not exist (the message
                lists the known ones and how to create it).
        """
        if self._org_id is not None:
            return self._org_id
        name = self.config.settings.organization
        found = organization_id_named(session, name)
        if found is None:
            # Not cached: the first-run row is only real once this transaction commits.
            return resolve_organization(session, name)
        self._org_id = found
        return found

    def dispose(self) -> None:
        """Close pooled connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()
