"""The generator interface every backend implements."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Passage:
    """One numbered context passage handed to the generator as data."""

    n: int  # 1-based number the answer cites as [n]
    title: str
    text: str


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Prompt:
    """Structured prompt: LLM backends render it to chat messages, extractive reads fields."""

    question: str
    passages: list[Passage] = field(default_factory=list)
    history: list[Turn] = field(default_factory=list)
    system: str | None = None  # overrides the default system prompt
    task: str = "answer"  # "answer" | free-form tasks (e.g. "summarize", "quiz") use `instruction`
    instruction: str | None = None
    memory: str | None = None  # summary of the earlier conversation
    profile: tuple[str, ...] = ()  # facts the user stated about themselves ("You use Linux")
    language: str = "en"  # ISO 639-1 code of the question; the answer is asked for in it


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int = 192
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    n: int = 1  # number of candidates (generate_n)
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class Token:
    text: str
    logprob: float | None = None


@dataclass(frozen=True)
class Generation:
    text: str
    logprobs: list[float] = field(default_factory=list)
    finish_reason: str = "stop"  # "stop" | "length" | "error"
    backend: str = ""
    # extractive answers already know which passages support them
    cited: tuple[int, ...] = ()

    @property
    def mean_logprob(self) -> float | None:
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else None


class GeneratorError(RuntimeError):
    """A backend failed in a way the user should hear about in one line."""


def error_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (its type's name when it has none), at most `limit` chars."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


@runtime_checkable
class Generator(Protocol):
    name: str

    def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        """Yield tokens as they are produced."""
        ...

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        """Whole generation with per-token log-probabilities where the backend has them."""
        ...

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        """`params.n` candidates (sampling when temperature > 0)."""
        ...

    async def aclose(self) -> None:
        ...
