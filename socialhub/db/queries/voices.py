"""Reading voice profiles (by name, the default, the organization's list), and the
one-default-per-organization write."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from socialhub.db.models import VoiceProfile


def voice_named(session: Session, org_id: int, name: str) -> VoiceProfile | None:
    """The organization's voice profile called ``name``, or None."""
    return session.scalar(select(VoiceProfile).where(VoiceProfile.org_id == org_id,
                                                     VoiceProfile.name == name))


def voice_id_named(session: Session, org_id: int, name: str) -> int | None:
    """The id of the organization's voice profile called ``name``, or None."""
    return session.scalar(select(VoiceProfile.id).where(VoiceProfile.org_id == org_id,
                                                        VoiceProfile.name == name))


def default_voice(session: Session, org_id: int) -> VoiceProfile | None:
    """The organization's profile marked as default, or None."""
    return session.scalar(select(VoiceProfile).where(VoiceProfile.org_id == org_id,
                                                     VoiceProfile.is_default.is_(True)))


def voices_of(session: Session, org_id: int) -> list[VoiceProfile]:
    """Every profile of the organization, by name."""
    return list(session.scalars(select(VoiceProfile).where(VoiceProfile.org_id == org_id)
                                .order_by(VoiceProfile.name)))


def clear_defaults_except(session: Session, org_id: int, voice_id: int) -> None:
    """Unset ``is_default`` on every other profile of the organization (one statement)."""
    session.execute(update(VoiceProfile).where(VoiceProfile.org_id == org_id,
                                               VoiceProfile.id != voice_id)
                    .values(is_default=False))
