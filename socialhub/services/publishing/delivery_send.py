"""Running one claimed delivery: a send, or the reconciliation of an unconfirmed one.

The sending itself is ``delivery_publish``; looking up an unconfirmed send
before finishing it is ``delivery_reconcile``, which builds on the same steps.
"""

from __future__ import annotations

from socialhub.services.publishing.delivery_claim import RECONCILE, Claim
from socialhub.services.publishing.delivery_outcome import SendContext
from socialhub.services.publishing.delivery_publish import send
from socialhub.services.publishing.delivery_reconcile import reconcile
from socialhub.services.publishing.delivery_records import Started


def run_claim(ctx: SendContext, claim: Claim, started: Started | None = None) -> str:
    """Send or reconcile one claimed delivery; returns its new status (or ``skipped``).

    ``started`` is the attempt ``begin_attempts`` already committed with the claim.
    """
    if claim.mode == RECONCILE:
        return reconcile(ctx, claim)
    return send(ctx, claim, started)
