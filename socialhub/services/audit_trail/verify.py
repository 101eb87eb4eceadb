"""``audit verify``: walk the organization's hash chain (and the org-less one) row by row.

What a chain check proves and what it cannot is in ``docs/security.md``: an
edited, deleted or reordered row is found; a whole chain rewritten by someone
who can write to the database is not, unless its head was kept elsewhere —
hence the head hash and row count in the report, to export off the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialhub.core.audit_chain import ChainCheck, check_chain
from socialhub.core.policy import Permission
from socialhub.db.queries import audit as queries
from socialhub.services.context import Ctx, use_case


@dataclass(frozen=True)
class AuditReport:
    """The chains checked (the organization's, then the org-less rows' if any)."""

    chains: list[ChainCheck]

    @property
    def intact(self) -> bool:
        """True when no chain has a break."""
        return all(c.broken is None for c in self.chains)

    @property
    def first_break(self) -> ChainCheck | None:
        """The first chain with a break, or None."""
        return next((c for c in self.chains if c.broken is not None), None)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (what ``audit verify --json`` prints)."""
        return {"intact": self.intact, "chains": [
            {"org_id": c.org_id, "rows": c.rows, "head": c.head,
             "broken": None if c.broken is None else {
                 "id": c.broken.row_id, "at": c.broken.at.isoformat(),
                 "problem": c.broken.problem, "detail": c.broken.detail}}
            for c in self.chains]}


@use_case(Permission.AUDIT_READ)
def verify_audit(ctx: Ctx) -> AuditReport:
    """Check every row of the organization's audit chain, and of the chain of rows that
    belong to no organization when there are any, up to each chain's first break.

    ``rows`` counts the rows read up to and including the first broken one; ``head``
    is the hash of the last good row (export it to catch a later rewrite).
    """
    checks = [check_chain(ctx.org_id, queries.chain_rows(ctx.session, ctx.org_id))]
    if queries.has_chain(ctx.session, None):
        checks.append(check_chain(None, queries.chain_rows(ctx.session, None)))
    return AuditReport(checks)
