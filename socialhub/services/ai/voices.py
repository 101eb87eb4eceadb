"""Voice profiles: declared characteristics plus statistics learned from real posts.

One profile per organization may be the default; making another the default
unsets the old one in the same transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from socialhub.ai.base import VoiceBrief
from socialhub.ai.voice_stats import (
    describe_voice,
    learn_statistics,
    learned_formality,
    learned_tone,
)
from socialhub.core.policy import Permission
from socialhub.db.models import VoiceProfile
from socialhub.db.queries import voices as queries
from socialhub.errors import ConflictError, NotFoundError, ValidationError
from socialhub.services.audit import changes, created, deleted, record_event, snapshot
from socialhub.services.authoring.posts import check_name
from socialhub.services.context import Ctx, use_case

EMOJI_LEVELS = ("none", "low", "medium", "high")
MAX_SAMPLES = 500
SAMPLE_SUFFIXES = (".txt", ".md", ".markdown", ".text")


def _clean_list(items: list[str] | None, *, commas: bool = False) -> list[str]:
    """Strip, drop blanks (and split at commas when asked), keeping first-seen order."""
    out: list[str] = []
    for item in items or []:
        for part in item.split(",") if commas else [item]:
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _check_fields(formality: int | None, emoji_use: str | None) -> None:
    if formality is not None and not 1 <= formality <= 10:
        raise ValidationError(f"formality must be 1 to 10, not {formality}")
    if emoji_use is not None and emoji_use not in EMOJI_LEVELS:
        raise ValidationError(f"emoji use must be one of {', '.join(EMOJI_LEVELS)}, "
                              f"not {emoji_use!r}")


def get_voice(session: Session, org_id: int, name: str) -> VoiceProfile:
    """The profile called ``name``.

    Raises:
        NotFoundError: no such profile.
    """
    voice = queries.voice_named(session, org_id, name)
    if voice is None:
        raise NotFoundError(f"no voice profile named {name!r} (see `socialhub voices list`)")
    return voice


def default_voice(session: Session, org_id: int) -> VoiceProfile | None:
    """The organization's default profile, if one is set."""
    return queries.default_voice(session, org_id)


#: The fields of a voice profile the audit trail records (with the number of samples).
VOICE_FIELDS = ("name", "description", "tone", "formality", "emoji_use", "phrases_use",
                "phrases_avoid", "is_default")


def voice_state(voice: VoiceProfile) -> dict[str, Any]:
    """A voice profile as the audit trail compares it: its declared fields and how many
    sample posts it learned from (not the samples themselves)."""
    return {**snapshot(voice, VOICE_FIELDS), "samples": len(voice.samples or [])}


@use_case(Permission.VOICES_READ)
def list_voices(ctx: Ctx) -> list[VoiceProfile]:
    """Every profile of the organization, by name."""
    return queries.voices_of(ctx.session, ctx.org_id)


def _make_default(session: Session, org_id: int, voice: VoiceProfile) -> None:
    queries.clear_defaults_except(session, org_id, voice.id)
    voice.is_default = True


@use_case(Permission.VOICES_READ)
def show_voice(ctx: Ctx, name: str) -> dict[str, Any]:
    """The voice profile called ``name`` with its statistics, samples and the plain-words
    explanation (``voice_summary(full=True)``).

    Raises:
        NotFoundError: no such voice profile.
    """
    return voice_summary(get_voice(ctx.session, ctx.org_id, name), full=True)


@use_case(Permission.VOICES_WRITE)
def add_voice(ctx: Ctx, name: str, *, description: str | None = None,
              tone: list[str] | None = None, formality: int | None = None,
              emoji_use: str | None = None, phrases_use: list[str] | None = None,
              phrases_avoid: list[str] | None = None, samples: list[str] | None = None,
              default: bool = False) -> VoiceProfile:
    """Create a profile from declared characteristics (and optional sample posts).

    Raises:
        ValidationError: bad name, formality outside 1–10, unknown emoji level.
        ConflictError: a profile with that name exists.
    """
    session, org_id = ctx.session, ctx.org_id
    check_name(name)
    _check_fields(formality, emoji_use)
    if queries.voice_id_named(session, org_id, name):
        raise ConflictError(f"a voice profile named {name!r} exists already",
                            hint="change it with `socialhub voices edit`")
    clean_samples = [s.strip() for s in samples or [] if s.strip()][:MAX_SAMPLES]
    voice = VoiceProfile(org_id=org_id, name=name, description=description,
                         tone=_clean_list(tone, commas=True), formality=formality,
                         emoji_use=emoji_use,
                         phrases_use=_clean_list(phrases_use),
                         phrases_avoid=_clean_list(phrases_avoid), samples=clean_samples,
                         statistics=learn_statistics(clean_samples), is_default=False)
    session.add(voice)
    session.flush()
    if default:
        _make_default(session, org_id, voice)
    record_event(session, org_id, "create", "VoiceProfile", record_id=voice.id, name=name,
                 change=created(voice_state(voice)))
    return voice


@use_case(Permission.VOICES_WRITE)
def edit_voice(ctx: Ctx, name: str, *, rename: str | None = None,
               description: str | None = None, tone: list[str] | None = None,
               formality: int | None = None, emoji_use: str | None = None,
               add_use: list[str] | None = None, add_avoid: list[str] | None = None,
               drop_use: list[str] | None = None, drop_avoid: list[str] | None = None,
               default: bool | None = None) -> VoiceProfile:
    """Change declared characteristics; ``None`` leaves a field alone.

    Raises:
        ValidationError: bad values; ConflictError: the new name is taken.
    """
    session, org_id = ctx.session, ctx.org_id
    voice = get_voice(session, org_id, name)
    _check_fields(formality, emoji_use)
    before = voice_state(voice)
    if rename and rename != voice.name:
        check_name(rename)
        if queries.voice_id_named(session, org_id, rename):
            raise ConflictError(f"a voice profile named {rename!r} exists already")
        voice.name = rename
    if description is not None:
        voice.description = description or None
    if tone is not None:
        voice.tone = _clean_list(tone, commas=True)
    if formality is not None:
        voice.formality = formality
    if emoji_use is not None:
        voice.emoji_use = emoji_use
    use = [p for p in voice.phrases_use if p not in _clean_list(drop_use)]
    avoid = [p for p in voice.phrases_avoid if p not in _clean_list(drop_avoid)]
    voice.phrases_use = _clean_list(use + list(add_use or []))
    voice.phrases_avoid = _clean_list(avoid + list(add_avoid or []))
    if default is True:
        _make_default(session, org_id, voice)
    elif default is False:
        voice.is_default = False
    session.flush()
    record_event(session, org_id, "update", "VoiceProfile", record_id=voice.id,
                 name=voice.name, change=changes(before, voice_state(voice)))
    return voice


@use_case(Permission.VOICES_WRITE)
def remove_voice(ctx: Ctx, name: str) -> VoiceProfile:
    """Delete a profile (posts that used it keep their text and lose the link)."""
    session, org_id = ctx.session, ctx.org_id
    voice = get_voice(session, org_id, name)
    record_event(session, org_id, "delete", "VoiceProfile", record_id=voice.id, name=name,
                 change=deleted(voice_state(voice)))
    session.delete(voice)
    session.flush()
    return voice


def read_samples(path: Path) -> list[str]:
    """Posts from a file or a folder.

    A file holds one post per line; when it has lines that are exactly
    ``---``, those separate multi-line posts instead. In a folder each text
    file (``.txt``, ``.md``) is read the same way, in name order.

    Raises:
        ValidationError: the path is missing, unreadable, or holds no posts.
    """
    if not path.exists():
        raise ValidationError(f"no such file or folder: {path}")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower()
                   in SAMPLE_SUFFIXES) if path.is_dir() else [path]
    posts: list[str] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {file}: {type(exc).__name__}") from None
        lines = text.splitlines()
        if any(line.strip() == "---" for line in lines):
            chunks = "\n".join(lines).split("\n---\n")
            posts.extend(c.strip() for c in chunks if c.strip() and c.strip() != "---")
        else:
            posts.extend(line.strip() for line in lines if line.strip())
    if not posts:
        raise ValidationError(f"no posts found in {path} (one post per line, or text files "
                              "in a folder)")
    return posts


@use_case(Permission.VOICES_WRITE)
def train_voice(ctx: Ctx, name: str, samples: list[str], *,
                append: bool = False) -> tuple[VoiceProfile, bool]:
    """Learn statistics from ``samples``; create the profile when it does not exist.

    Returns:
        (profile, created).

    Raises:
        ValidationError: no non-blank samples.
    """
    session, org_id = ctx.session, ctx.org_id
    samples = [s.strip() for s in samples if s and s.strip()]
    if not samples:
        raise ValidationError(f"voice {name!r} needs sample posts to learn from")
    created = False
    try:
        voice = get_voice(session, org_id, name)
    except NotFoundError:
        voice = add_voice(ctx, name)
        created = True
    before = voice_state(voice)
    all_samples = (list(voice.samples) + samples if append else samples)[-MAX_SAMPLES:]
    voice.samples = all_samples
    voice.statistics = learn_statistics(all_samples)
    session.flush()
    record_event(session, org_id, "train", "VoiceProfile", record_id=voice.id, name=voice.name,
                 change=changes(before, voice_state(voice)))
    return voice, created


def voice_summary(voice: VoiceProfile, *, full: bool = False) -> dict[str, Any]:
    """Plain data for ``--json`` and tables; ``full`` adds statistics, samples and the
    plain-words explanation.

    ``tone`` and ``formality`` are what a person declared; ``learned_tone`` and
    ``learned_formality`` are what training measured (``[]``/None untrained),
    so a freshly trained profile has something to show for both.
    """
    stats = dict(voice.statistics or {})
    data: dict[str, Any] = {
        "name": voice.name, "default": bool(voice.is_default), "description": voice.description,
        "tone": list(voice.tone or []), "formality": voice.formality,
        "emoji_use": voice.emoji_use, "phrases_use": list(voice.phrases_use or []),
        "phrases_avoid": list(voice.phrases_avoid or []),
        "samples": len(voice.samples or []), "trained": bool(stats),
        "learned_tone": learned_tone(stats), "learned_formality": learned_formality(stats),
    }
    if full:
        data["statistics"] = stats
        data["sample_posts"] = list(voice.samples or [])[:20]
        data["explanation"] = describe_voice({**data, "statistics": stats})
    return data


def voice_brief(voice: VoiceProfile | None) -> VoiceBrief | None:
    """What a provider needs of a stored profile."""
    if voice is None:
        return None
    return VoiceBrief(name=voice.name, description=voice.description,
                      tone=list(voice.tone or []), formality=voice.formality,
                      emoji_use=voice.emoji_use, phrases_use=list(voice.phrases_use or []),
                      phrases_avoid=list(voice.phrases_avoid or []),
                      samples=list(voice.samples or []), statistics=dict(voice.statistics or {}))
