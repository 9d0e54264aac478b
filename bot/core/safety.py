"""What the core does about hostile text: the final-answer filter, injection flags, secret redaction.

- `guard_answer`: the last step before an answer is stored and shown. Links the cited passages
  do not contain (or that only passages which look like injected instructions contain) are
  removed, and an answer that repeats the system prompt is replaced by a refusal. Whatever a
  document or a question told the model, it cannot advertise or leak its instructions.
  Mentions are platform syntax: each front end makes them inert when it renders
  (Discord: `bot.frontends.discord.render.neutralize`).
- `flag_injections`: passages the ingest scan (`retrieval.injection`) found suspicious become
  one `injection` flag per document for moderators.
- `SecretFilter` / `redact`: the Discord token and API keys never reach logs or messages.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.types import Answer
from retrieval import injection

if TYPE_CHECKING:
    from bot.core.config import Settings
    from bot.store import Store
    from retrieval.types import IngestReport

LINK_REMOVED = "[link removed]"
NO_ECHO = "I can't share my instructions, but I'm happy to answer questions about the documents."
ECHO_WORDS = 8  # this many consecutive words of the system prompt in an answer = an echo

_MASKED = re.compile(r"\[([^\]\n]{0,200})\]\(\s*<?([^)\s>]+)>?\s*\)")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"'`]+|\b(?:discord(?:app)?\.(?:gg|com/invite)|bit\.ly|t\.co)/[^\s<>()\"'`]+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?*_~|'\""


# --- the final-answer filter ----------------------------------------------------------------------
def _norm_url(url: str) -> str:
    return url.rstrip(_TRAILING).rstrip("/").lower().removeprefix("https://").removeprefix("http://")


def allowed_urls(texts: Iterable[str]) -> set[str]:
    """Every link that appears in the given passages or sources, normalised."""
    found: set[str] = set()
    for text in texts:
        if not text:
            continue
        if re.match(r"^https?://", text.strip(), re.IGNORECASE):
            found.add(_norm_url(text.strip()))
        found.update(_norm_url(m.group(0)) for m in _URL.finditer(text))
    return found


def strip_foreign_links(text: str, allowed: set[str]) -> str:
    """Remove links not in `allowed` (masked links keep their label)."""

    def masked(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        return m.group(0) if _norm_url(url) in allowed else f"{label} {LINK_REMOVED}".strip()

    def bare(m: re.Match[str]) -> str:
        raw = m.group(0)
        core = raw.rstrip(_TRAILING)
        tail = raw[len(core):]
        return raw if _norm_url(core) in allowed else LINK_REMOVED + tail

    return _URL.sub(bare, _MASKED.sub(masked, text))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def echoes(text: str, secret: str, run: int = ECHO_WORDS) -> bool:
    """Whether `text` contains `run` consecutive words of `secret`."""
    words = _words(secret)
    if len(words) < run:
        return False
    shingles = {" ".join(words[i : i + run]) for i in range(len(words) - run + 1)}
    said = _words(text)
    return any(" ".join(said[i : i + run]) in shingles for i in range(len(said) - run + 1))


def system_prompts() -> tuple[str, ...]:
    from model.prompts import ANSWER_SYSTEM, TASK_SYSTEM

    return (ANSWER_SYSTEM, TASK_SYSTEM)


def filter_text(text: str, passages: Iterable[str], secrets: Iterable[str] = ()) -> str:
    """The answer filter on plain text: echo refusal, foreign links."""
    if any(echoes(text, s) for s in (*system_prompts(), *secrets)):
        return NO_ECHO
    return strip_foreign_links(text, allowed_urls(passages))


def guard_answer(answer: Answer) -> Answer:
    """Apply `filter_text` to a final answer, allowing only links its cited passages contain."""
    if any(echoes(answer.text, s) for s in system_prompts()):
        return replace(answer, text=NO_ECHO, citations=[], refused=True)
    # a passage that itself reads like an injected instruction vouches for no link
    trusted = [c for c in answer.citations if injection.scan(c.text) is None]
    passages = [c.text for c in trusted] + [c.source for c in trusted]
    safe = filter_text(answer.text, passages)
    return answer if safe == answer.text else replace(answer, text=safe)


# --- injection flags ------------------------------------------------------------------------------
async def flag_injections(
    store: Store, scope: str, report: IngestReport, added_by: str | None = None
) -> IngestReport:
    """One `injection` flag per document with suspicious passages; returns the report unchanged."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for item in getattr(report, "suspicious", None) or []:
        by_source.setdefault(str(item.get("source", "?")), []).append(item)
    for source, items in by_source.items():
        chunks = ", ".join(str(i.get("ord")) for i in items[:10])
        reasons = sorted({r.strip() for i in items for r in str(i.get("reason", "")).split(",") if r.strip()})
        note = f"{source[-120:]}: chunk(s) {chunks} look like instructions to the bot ({', '.join(reasons)[:200]})"
        await store.answers.add_flag("injection", scope, user=added_by, note=note)
    return report


# --- secrets --------------------------------------------------------------------------------------
def secret_values(settings: Settings) -> list[str]:
    """The configured secrets (Discord token, API keys), longest first."""
    values = []
    for secret in (settings.discord.token, settings.generation.openai_api_key):
        value = secret.get_secret_value() if secret is not None else ""
        if value and len(value.strip()) >= 6:
            values.append(value.strip())
    return sorted(set(values), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class SecretFilter(logging.Filter):
    """Rewrites log records so no configured secret is ever written (message, args, traceback)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__("ragcord-secrets")
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the record
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def install_secret_filter(settings: Settings, logger: logging.Logger | None = None) -> SecretFilter:
    """Attach a SecretFilter to the root logger's handlers (and the logger itself)."""
    target = logger or logging.getLogger()
    filt = SecretFilter(secret_values(settings))
    for handler in target.handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(filt)
    return filt
