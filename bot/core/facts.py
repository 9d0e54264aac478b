"""Facts users state about themselves ("I'm on the Pro plan", "I use Linux"), for personalisation.

Rule-based on purpose: it must never invent a fact. Only first-person statements of a few
well-understood shapes are kept, normalised to the second person for the prompt
("You are on the Pro plan").
"""
from __future__ import annotations

import re

from model.textutil import split_sentences

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bi(?:'m| am) (?:currently )?(?:on|using|subscribed to) (?P<x>(?:the |a |an )?[\w\s\-+]{2,40}?(?:plan|tier|subscription|membership|version|edition))\b", re.I), "You are on {x}"),
    (re.compile(r"\bi(?:'m| am) (?:running|using) (?P<x>[\w\s.\-+]{2,30}?)(?=[,.;!?]|\s+(?:and|but|so)\b|$)", re.I), "You use {x}"),
    (re.compile(r"\bi (?:use|run|have) (?P<x>(?:a |an |the )?[\w\s.\-+]{2,30}?)(?=[,.;!?]|\s+(?:and|but|so|on|for)\b|$)", re.I), "You use {x}"),
    (re.compile(r"\bi(?:'m| am) (?:a|an) (?P<x>[\w\s\-]{2,30}?)(?=[,.;!?]|\s+(?:and|but|so|in|at|who)\b|$)", re.I), "You are a {x}"),
    (re.compile(r"\b[Ii] (?:live|am based|'m based) in (?P<x>[A-Z][\w\s\-]{1,30}?)(?=[,.;!?]|\s+(?:and|but|so)\b|$)"), "You live in {x}"),
    (re.compile(r"\bmy (?P<k>order number|order|account email|email|plan|device|os|operating system) is (?P<x>[\w@.\-#+ ]{2,40}?)(?=[,;!?]|\.\s|\.$|\s+(?:and|but|so)\b|$)", re.I), "Your {k} is {x}"),
]
_VAGUE = re.compile(r"^(it|this|that|problems?|issues?|questions?|trouble|error|bug|bit|lot|little|way|thing|same|sure|not|just|trying|having|getting|going|looking)\b", re.I)


_QUESTION_START = re.compile(r"^\s*(am|are|is|do|does|did|can|could|will|would|should|how|what|why|where|when|which|who)\b", re.I)


def extract_facts(message: str) -> list[str]:
    """First-person facts in `message`, phrased for a prompt; [] when there are none."""
    found: list[str] = []
    captured: set[str] = set()
    for sentence in split_sentences(message):
        if sentence.rstrip().endswith("?") and _QUESTION_START.match(sentence):
            continue  # "am I on the pro plan?" states nothing
        for pattern, template in _PATTERNS:
            for m in pattern.finditer(sentence):
                x = " ".join(m.group("x").split()).strip(" .,")
                bare = re.sub(r"^(a|an|the|my|some)\s+", "", x, flags=re.I)
                if len(bare) < 2 or _VAGUE.match(bare) or bare.lower() in captured:
                    continue
                captured.add(bare.lower())
                key = m.groupdict().get("k")
                found.append(template.format(x=x, k=key.lower() if key else ""))
    return found


_SINGLE_VALUED = ("You are on ", "You live in ")


def same_subject(old: str, new: str) -> bool:
    """True when `new` replaces `old` (one plan, one home, one value per "Your X is")."""
    if old == new:
        return False
    for prefix in _SINGLE_VALUED:
        if old.startswith(prefix) and new.startswith(prefix):
            return True
    if old.startswith("Your ") and new.startswith("Your "):
        return old.split(" is ")[0] == new.split(" is ")[0]
    return False
