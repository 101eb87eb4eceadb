"""Weekly posting slots per account, and finding the next free one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialhub.core.policy import Permission
from socialhub.core.slot_times import slot_instants
from socialhub.core.when import When, load_zone
from socialhub.db.models import Account, Slot
from socialhub.db.queries import slots as queries
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.accounts.accounts import get_account
from socialhub.services.audit import created, deleted, record_event
from socialhub.services.context import Ctx, use_case

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekday(text: str) -> int:
    """``mon``…``sun`` (or full names, or 0–6 with Monday 0) → 0–6.

    Raises:
        ValidationError: not a weekday.
    """
    t = text.strip().lower()
    if t.isdigit() and 0 <= int(t) <= 6:
        return int(t)
    for i, day in enumerate(WEEKDAYS):
        if t[:3] == day and len(t) >= 3:
            return i
    raise ValidationError(f"{text!r} is not a weekday (use mon, tue, … sun)")


def parse_clock(text: str) -> str:
    """``9:00`` / ``09:00`` → ``09:00``.

    Raises:
        ValidationError: not a 24-hour HH:MM time.
    """
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValidationError(f"{text!r} is not a time of day (use HH:MM, 24-hour)")
    h, m = int(parts[0]), int(parts[1])
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValidationError(f"{text!r} is not a time of day (use HH:MM, 24-hour)")
    return f"{h:02d}:{m:02d}"


@use_case(Permission.SLOTS_WRITE)
def add_slot(ctx: Ctx, account_ref: str, *, weekday: str | int,
             time: str, zone: str) -> Slot:
    """Add a weekly slot for an account.

    Raises:
        ConflictError: the account already has that slot.
    """
    session, org_id = ctx.session, ctx.org_id
    account = get_account(session, org_id, account_ref)
    day = weekday if isinstance(weekday, int) else parse_weekday(weekday)
    clock = parse_clock(time)
    load_zone(zone)
    exists = queries.slot_id_at(session, account.id, day, clock)
    if exists is not None:
        raise ConflictError(f"{account.ref} already has a slot on {WEEKDAYS[day]} at {clock}")
    slot = Slot(account_id=account.id, weekday=day, time=clock, timezone=zone)
    session.add(slot)
    session.flush()
    record_event(session, org_id, "create", "Slot", record_id=slot.id,
                 name=f"{account.ref} {WEEKDAYS[day]} {clock}", change=created(slot_state(slot)))
    return slot


@use_case(Permission.SLOTS_READ)
def list_slots(ctx: Ctx, account_ref: str | None = None) -> list[Slot]:
    """Slots of every account (or one), by account, weekday and time."""
    session, org_id = ctx.session, ctx.org_id
    account_id = get_account(session, org_id, account_ref).id if account_ref else None
    return queries.org_slots(session, org_id, account_id)


@use_case(Permission.SLOTS_WRITE)
def remove_slot(ctx: Ctx, slot_id: int) -> None:
    """Delete one slot by id.

    Raises:
        NotFoundError: no such slot.
    """
    session, org_id = ctx.session, ctx.org_id
    slot = session.get(Slot, slot_id)
    if slot is None or slot.account.org_id != org_id:
        raise NotFoundError(f"no slot with id {slot_id}")
    record_event(session, org_id, "delete", "Slot", record_id=slot.id,
                 name=f"{slot.account.ref} {WEEKDAYS[slot.weekday]} {slot.time}",
                 change=deleted(slot_state(slot)))
    session.delete(slot)


def slot_state(slot: Slot) -> dict[str, Any]:
    """A slot as the audit trail records it: account, weekday, time and zone."""
    return {"account": slot.account.ref, "weekday": WEEKDAYS[slot.weekday],
            "time": str(slot.time), "timezone": slot.timezone}


def slot_summary(slot: Slot) -> dict[str, Any]:
    """Plain data for --json and tables."""
    return {"id": slot.id, "account": slot.account.ref, "weekday": WEEKDAYS[slot.weekday],
            "time": slot.time, "timezone": slot.timezone}


def next_free_slot(session: Session, account: Account, after: datetime,
                   *, taken: set[datetime] | None = None, weeks: int = 12) -> When:
    """The first slot of ``account`` after ``after`` that no other post of it occupies.

    Raises:
        ValidationError: the account has no slots, or every slot is taken for ``weeks`` weeks.
    """
    slots = queries.slots_of(session, account.id)
    if not slots:
        raise ValidationError(f"{account.ref} has no posting slots",
                              hint=f"add one with `socialhub slots add {account.ref} --day mon "
                              "--time 09:00`")
    occupied = queries.occupied_times(session, account.id)
    occupied |= taken or set()
    for when in slot_instants(slots, after, after + timedelta(weeks=weeks)):
        if when.utc not in occupied:
            return when
    raise ValidationError(f"every slot of {account.ref} is taken for the next {weeks} weeks")
