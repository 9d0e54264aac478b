"""Spot passages that look like instructions aimed at the model (prompt injection), at ingest.

A scored heuristic, not a classifier: each rule that matches adds its weight; a passage at or
above `threshold` is reported (never dropped — moderators decide). Passages stay in the index
either way: the prompt already fences them as data, and the bot's output filter removes what an
injected instruction could make the model do (pings, foreign links, echoing the system prompt).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .config import Limits

DEFAULT_THRESHOLD = Limits().injection_threshold


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    weight: float


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


_ANY = r"(?:all|any|the|your|my|these|those|every|each)?\s*"
RULES: tuple[Rule, ...] = (
    Rule("ignore previous instructions", _rx(
        rf"\b(ignore|disregard|forget|override|skip|bypass)\s+{_ANY}(previous|prior|above|earlier|preceding|"
        rf"former|existing|original|system|safety)?\s*(instructions?|prompts?|rules?|directions?|guidelines?|context)\b"
    ), 1.0),
    Rule("disregard the above", _rx(r"\b(disregard|ignore|forget)\s+(everything\s+|all\s+)?(the\s+)?(above|before|previous)\b"), 1.0),
    Rule("role reassignment", _rx(r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\bact\s+as\s+(an?\s+)?(unrestricted|unfiltered|evil|jailbroken|different)\b|\bpretend\s+(to\s+be|you\s+are)\b"), 0.7),
    Rule("system prompt probe", _rx(r"\b(system|hidden|initial|original)\s+(prompt|instructions?|message)\b"), 0.6),
    Rule("reveal request", _rx(r"\b(reveal|print|repeat|show|output|leak|tell\s+me)\s+(me\s+)?(your|the)\s+(system\s+)?(prompt|instructions|rules|configuration)\b"), 0.8),
    Rule("jailbreak persona", _rx(r"\b(DAN|do\s+anything\s+now|developer\s+mode|jailbreak|jailbroken|no\s+restrictions|without\s+(any\s+)?restrictions|unfiltered\s+mode)\b"), 0.8),
    Rule("chat-template marker", _rx(r"<\|?(im_start|im_end|system|assistant|endoftext)\|?>|\[/?INST\]|<</?SYS>>|^\s*(system|assistant)\s*:", ), 0.8),
    Rule("new instructions", _rx(r"\b(new|updated|real|actual)\s+instructions?\s*:|\binstructions?\s+for\s+(the\s+)?(ai|assistant|model|bot|llm)\b"), 0.6),
    Rule("addressing the model", _rx(r"\b(ai|assistant|language\s+model|llm|chatbot|bot)\s*[,:]\s*(you\s+must|always|never|ignore|do\s+not)\b|\bif\s+you\s+are\s+an?\s+(ai|assistant|language\s+model|llm)\b"), 0.6),
    Rule("mass ping request", _rx(r"\b(mention|ping|tag|notify)\s+(@?everyone|@?here|all\s+users)\b"), 0.5),
    Rule("link pushing", _rx(r"\b(always|must)\s+(include|add|post|send|append)\s+(this|the\s+following)?\s*(link|url)\b"), 0.6),
)

# invisible characters used to hide text from human readers but not from the model
_HIDDEN = re.compile("[\u200b\u200c\u200d\u2060\u2062\u2063\u2064\ufeff\u00ad\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")
_HTML_HIDDEN = _rx(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|color\s*:\s*(white|#fff)\b|<!--")


@dataclass(frozen=True)
class Finding:
    score: float
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)


def _normalise(text: str) -> str:
    """Undo tricks that split trigger words: compatibility forms, invisible characters, spacing."""
    text = unicodedata.normalize("NFKC", text)
    text = _HIDDEN.sub("", text)
    return re.sub(r"\s+", " ", text)


def score(text: str) -> Finding:
    """Every rule that matches `text`, and their summed weight."""
    reasons: list[str] = []
    total = 0.0
    hidden = len(_HIDDEN.findall(text))
    plain = _normalise(text)
    for rule in RULES:
        if rule.pattern.search(plain) or (rule.name == "chat-template marker" and rule.pattern.search(text)):
            reasons.append(rule.name)
            total += rule.weight
    if hidden >= 3:
        reasons.append("hidden-text characters")
        total += 0.5 if reasons[:-1] else 0.3
    if _HTML_HIDDEN.search(text):
        reasons.append("hidden-text markup")
        total += 0.4
    return Finding(round(total, 3), tuple(reasons))


def scan(text: str, threshold: float = DEFAULT_THRESHOLD) -> Finding | None:
    """The finding when `text` looks like an injected instruction, else None."""
    finding = score(text)
    return finding if finding.score >= threshold else None
