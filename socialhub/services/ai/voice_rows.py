"""The voice profiles as the accounts screen lists them."""

from __future__ import annotations

from typing import Any

from socialhub.core.policy import Permission
from socialhub.services.context import Ctx, use_case

# Cheap to import: the voices service (SQLAlchemy) is loaded on the first call.


@use_case(Permission.VOICES_READ)
def voice_rows(ctx: Ctx) -> list[dict[str, Any]]:
    """Voice profiles: name, default flag, description."""
    from socialhub.services.ai.voices import list_voices

    return [{"name": v.name, "default": v.is_default, "description": v.description or ""}
            for v in list_voices(ctx)]
