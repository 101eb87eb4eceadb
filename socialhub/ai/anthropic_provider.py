"""Anthropic through the official SDK: streamed generation, tool-shaped rewrites, one repair.

Generation asks for JSON Lines and reads the stream line by line, so each
draft is validated (pydantic) and handed on the moment its line ends — the
first variant does not wait for the last. A rewrite or shortening forces the
``submit_text`` tool and validates its input. Either kind of answer that
cannot be used gets exactly one repair request quoting the problems. SDK
errors (after the SDK's own retries, which honour ``retry-after``) become
``ProviderError``; every call, failed or not, is recorded in the ``UsageLog``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticError

from socialhub.ai.base import (
    Draft,
    OnDraft,
    Provider,
    ProviderError,
    Target,
    Usage,
    UsageLog,
    VoiceBrief,
)
from socialhub.ai.pricing import cost_usd
from socialhub.ai.templating import render
from socialhub.errors import AuthError

SUBMIT_TEXT_TOOL: dict[str, Any] = {
    "name": "submit_text",
    "description": "Submit the finished post text.",
    "input_schema": {"type": "object", "properties": {"text": {"type": "string"}},
                     "required": ["text"]},
}


# Opus and Sonnet take sampling parameters up to 4.6, Haiku up to 4.5, Claude 3
# all; Opus 4.7 and every later model answer HTTP 400 ("temperature is
# deprecated for this model"). An unknown (newer) name is treated as refusing.
_TEMPERATURE_MODELS_RE = re.compile(
    r"^claude-(3[-.]|(opus|sonnet)-4(-[0156])?(-\d{8})?$|haiku-4-5(-\d{8})?$)")


def accepts_temperature(model: str) -> bool:
    """Whether ``model`` still takes a ``temperature`` (Opus/Sonnet ≤ 4.6, Haiku ≤ 4.5)."""
    return bool(_TEMPERATURE_MODELS_RE.match(model))


class DraftLine(BaseModel):
    """One line of a generation answer."""

    target: str
    n: int = Field(1, ge=1)
    text: str = Field(min_length=1)


class TextOut(BaseModel):
    """The ``submit_text`` tool input."""

    text: str = Field(min_length=1)


def voice_data(voice: VoiceBrief | None) -> dict[str, Any] | None:
    """The part of a voice a prompt carries (a handful of samples, the key statistics)."""
    if voice is None:
        return None
    data = voice.as_dict()
    data["samples"] = voice.samples[:5]
    stats = voice.statistics or {}
    data["statistics"] = {k: stats[k] for k in (
        "sentence_words", "emoji_per_post", "hashtags_per_post", "question_rate",
        "exclamation_rate", "reading_grade", "formality", "frequent_phrases", "never_used",
        "top_hashtags") if k in stats}
    return data


def target_data(t: Target) -> dict[str, Any]:
    """A target as the prompt shows it."""
    return {"ref": t.ref, "platform": t.platform, "limit": t.limit, "unit": t.unit,
            "threads": t.supports_threads, "max_hashtags": t.hashtags}


class AnthropicProvider(Provider):
    """Claude models via ``anthropic.Anthropic`` (base URL, key, timeout from config)."""

    name = "anthropic"

    def __init__(self, *, api_key: str, model: str, max_tokens: int = 1024,
                 temperature: float = 0.7, base_url: str | None = None,
                 timeout_s: float = 60.0, max_retries: int = 2) -> None:
        import anthropic  # deferred: a heavy import only paid when the provider is used

        self._sdk = anthropic
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout_s = timeout_s
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout_s,
                                          max_retries=max_retries)

    # -- plumbing -----------------------------------------------------------------------
    def _sampling(self) -> dict[str, Any]:
        # SDK 1.x dropped ``temperature`` from the typed signature and models newer
        # than Opus 4.6 reject it, so it goes in the raw body, only where accepted.
        if accepts_temperature(self.model):
            return {"extra_body": {"temperature": self.temperature}}
        return {}

    def _usage(self, usage: UsageLog, task: str, started: float, message: Any | None) -> None:
        inp = int(getattr(getattr(message, "usage", None), "input_tokens", 0) or 0)
        out = int(getattr(getattr(message, "usage", None), "output_tokens", 0) or 0)
        usage.record(Usage(provider=self.name, model=self.model, task=task, input_tokens=inp,
                           output_tokens=out, cost_usd=cost_usd(self.model, inp, out),
                           latency_ms=round((time.perf_counter() - started) * 1000),
                           ok=message is not None))

    def _failure(self, exc: Exception, partial: list[Draft] | None = None) -> Exception:
        sdk = self._sdk
        if isinstance(exc, sdk.AuthenticationError | sdk.PermissionDeniedError):
            return AuthError(f"Anthropic rejected the API key (HTTP {exc.status_code})",
                             hint="check ai.api_key or ANTHROPIC_API_KEY")
        if isinstance(exc, sdk.APITimeoutError):
            msg = f"Anthropic did not answer within {self.timeout_s:g} s"
        elif isinstance(exc, sdk.APIConnectionError):
            msg = "cannot reach the Anthropic API (connection failed)"
        elif isinstance(exc, sdk.RateLimitError):
            msg = "Anthropic kept rate-limiting the request (HTTP 429) after retries"
        elif isinstance(exc, sdk.APIStatusError):
            kind = "overloaded" if exc.status_code == 529 else "failed"
            msg = f"Anthropic {kind} (HTTP {exc.status_code}) after retries"
        else:
            msg = f"Anthropic call failed: {type(exc).__name__}"
        return ProviderError(msg, partial=partial)

    def _create(self, usage: UsageLog, task: str, messages: list[dict[str, Any]],
                tools: bool) -> Any:
        usage.check()
        started = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if tools:
            kwargs = {"tools": [SUBMIT_TEXT_TOOL],
                      "tool_choice": {"type": "tool", "name": "submit_text"}}
        try:
            message = self.client.messages.create(
                model=self.model, max_tokens=self.max_tokens, system=render("system"),
                messages=cast(Any, messages), **self._sampling(), **kwargs)
        except self._sdk.AnthropicError as exc:
            self._usage(usage, task, started, None)
            raise self._failure(exc) from None
        self._usage(usage, task, started, message)
        return message

    # -- generation (streamed JSON Lines) ------------------------------------------------
    def generate(self, idea: str, targets: list[Target], voice: VoiceBrief | None, *,
                 variants: int, usage: UsageLog, on_draft: OnDraft | None = None,
                 brief: Mapping[str, Any] | None = None) -> list[Draft]:
        """Stream drafts; validate each line as it ends; repair once for what is missing."""
        wanted = {(t.ref, n) for t in targets for n in range(1, variants + 1)}
        got: dict[tuple[str, int], Draft] = {}
        problems: list[str] = []

        def take(line: str) -> None:
            line = line.strip().strip(",")
            if not line or line.startswith("```") or line in ("[", "]"):
                return
            try:
                item = DraftLine.model_validate(json.loads(line))
            except (json.JSONDecodeError, PydanticError) as exc:
                problems.append(f"not a valid JSON line ({type(exc).__name__}): {line[:80]}")
                return
            key = (item.target, item.n)
            if key not in wanted:
                problems.append(f"unexpected target/variant {item.target!r} n={item.n}")
            elif key not in got:
                got[key] = Draft(target=item.target, n=item.n, text=item.text.strip(),
                                 provider=self.name)
                if on_draft:
                    on_draft(got[key])

        prompt = render("generate", idea=idea, variants=variants,
                        targets=[target_data(t) for t in targets], voice=voice_data(voice),
                        brief=dict(brief) if brief else None)
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        usage.check()
        started = time.perf_counter()
        raw = ""
        try:
            with self.client.messages.stream(
                    model=self.model, max_tokens=self.max_tokens, system=render("system"),
                    messages=cast(Any, messages), **self._sampling()) as stream:
                buffer = ""
                for chunk in stream.text_stream:
                    buffer += chunk
                    raw += chunk
                    while "\n" in buffer:
                        line, buffer = buffer.split("\n", 1)
                        take(line)
                take(buffer)
                final = stream.get_final_message()
        except self._sdk.AnthropicError as exc:
            self._usage(usage, "generate", started, None)
            raise self._failure(exc, list(got.values())) from None
        self._usage(usage, "generate", started, final)
        order = [t.ref for t in targets]
        missing = sorted(wanted - set(got), key=lambda k: (k[1], order.index(k[0])))
        if missing:
            problems = problems or ["no usable lines"]
            repair = render("repair", problems=problems[:10],
                            missing=[{"target": t, "n": n} for t, n in missing])
            messages += [{"role": "assistant", "content": raw or "(empty)"},
                         {"role": "user", "content": repair}]
            try:
                answer = self._create(usage, "generate-repair", messages, tools=False)
            except ProviderError as exc:
                exc.partial = list(got.values())
                raise
            for block in answer.content:
                if getattr(block, "type", "") == "text":
                    for line in block.text.splitlines():
                        take(line)
            still = wanted - set(got)
            if still:
                raise ProviderError(
                    f"Anthropic's answer was not usable JSON after one repair "
                    f"({len(still)} of {len(wanted)} drafts missing)", partial=list(got.values()))
        return sorted(got.values(), key=lambda d: (d.n, order.index(d.target)))

    # -- tool-shaped single texts --------------------------------------------------------
    def _submit_text(self, usage: UsageLog, task: str, prompt: str) -> str:
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        answer = self._create(usage, task, messages, tools=True)
        text, problem, tool_id = _read_tool(answer)
        if text is not None:
            return text
        reply: Any = render("repair", problems=[problem], missing=[])
        if tool_id:
            reply = [{"type": "tool_result", "tool_use_id": tool_id, "is_error": True,
                      "content": reply}]
        messages += [{"role": "assistant", "content": [b.model_dump() for b in answer.content]},
                     {"role": "user", "content": reply}]
        answer = self._create(usage, f"{task}-repair", messages, tools=True)
        text, problem, _ = _read_tool(answer)
        if text is None:
            raise ProviderError(f"Anthropic's answer was not usable after one repair: {problem}")
        return text

    def rewrite(self, text: str, target: Target, voice: VoiceBrief | None, instruction: str, *,
                usage: UsageLog) -> Draft:
        """Rewrite through the ``submit_text`` tool."""
        prompt = render("rewrite", text=text, instruction=instruction, target=target_data(target),
                        voice=voice_data(voice))
        return Draft(target=target.ref, n=1, text=self._submit_text(usage, "rewrite", prompt),
                     provider=self.name)

    def translate(self, text: str, target: Target, voice: VoiceBrief | None, language: str, *,
                  usage: UsageLog) -> Draft:
        """Translate through the ``submit_text`` tool, within the target's limit."""
        prompt = render("translate", text=text, language=language, target=target_data(target),
                        voice=voice_data(voice))
        return Draft(target=target.ref, n=1, text=self._submit_text(usage, "translate", prompt),
                     provider=self.name)

    def shorten(self, text: str, target: Target, voice: VoiceBrief | None, length: int, *,
                usage: UsageLog) -> str:
        """Ask once for a version within the limit."""
        prompt = render("shorten", text=text, length=length, limit=target.limit,
                        unit=target.unit, aim=int(target.limit * 0.9),
                        target=target_data(target), voice=voice_data(voice))
        return self._submit_text(usage, "shorten", prompt)


def _read_tool(message: Any) -> tuple[str | None, str, str | None]:
    """(text, problem, tool_use_id) from a forced ``submit_text`` answer."""
    for block in message.content:
        if getattr(block, "type", "") == "tool_use" and block.name == "submit_text":
            try:
                return TextOut.model_validate(block.input).text.strip(), "", block.id
            except PydanticError as exc:
                return None, f"submit_text input invalid: {exc.errors()[0]['msg']}", block.id
    return None, "the answer did not call the submit_text tool", None
