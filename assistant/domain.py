"""The shapes every layer shares: the verdict, and the advice object with its parts.

One definition each: the CLI prints them, the REST API publishes them (OpenAPI is generated
from these models), and the tests validate against `Advice.model_json_schema()`.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

__all__ = ["VERDICTS", "Advice", "Backend", "Citation", "Signal", "Verdict"]

# The order is the scale step_back=0, balanced=1, step_in=2 (eval's bias, the verdict model's
# output rows): keep it.
Verdict = Literal["step_back", "balanced", "step_in"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)


class Signal(BaseModel):
    """What was read in the scenario, the way it points, and the words that showed it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    direction: Verdict
    evidence: str = Field(min_length=1)


class Citation(BaseModel):
    """A quote that resolves to a stored chunk, verbatim."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_id: str = Field(min_length=1)
    source: str
    title: str
    quote: str = Field(min_length=1)


class Backend(TypedDict):
    """What the answer ran on."""

    chat: str
    embeddings: str


class Advice(BaseModel):
    """The advice object (README, `advise --json`, `POST /api/advise`)."""

    verdict: Verdict
    confidence: float = Field(ge=0, le=1)
    signals: list[Signal]
    summary: str = Field(min_length=1)
    advice: str = Field(min_length=1)
    next_steps: list[str] = Field(min_length=3, max_length=5)
    citations: list[Citation]
    backend: Backend
    clarifying_question: str | None = None
    covered: bool = True
    notes: list[str] = Field(default_factory=list)
    say: str = ""
    watch_for: list[str] = Field(default_factory=list)
    moves: list[str] = Field(default_factory=list)
    why: list[str] = Field(default_factory=list)
    generation: str = "off"
    changed: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return self.model_dump(mode="json")
