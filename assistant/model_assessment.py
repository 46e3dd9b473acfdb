"""With a capable OpenAI-compatible model: its structured assessment, cross-checked locally."""

from __future__ import annotations

import dataclasses

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from assistant.assessment import Assessment, Assessor
from assistant.domain import Verdict
from assistant.prompts import bounded
from assistant.signals import Signal

__all__ = ["ModelAssessor", "VerdictSchema"]


_INSTRUCTIONS = (
    "You judge leadership situations. Decide whether the leader should step_in (intervene "
    "now: harm happening now; beyond the team's skill or authority; high irreversible stakes "
    "with an owner not ready; safety, legal, ethical or dignity breach; a genuine request for "
    "help after trying), step_back (capable owner, routine or recoverable stakes, growth "
    "opportunity, the team owns the decision) or balanced (let them lead but stay close: "
    "capable owner facing new or visible stakes, early warning signs). List the signals that "
    "drove the decision, each with evidence quoted word for word from the situation."
)


class SignalSchema(BaseModel):
    """One signal read in the scenario."""

    name: str = Field(
        description="e.g. urgency, stakes, competence, confidence, ownership, "
        "integrity, help_request, learning"
    )
    direction: Verdict
    evidence: str = Field(description="words quoted exactly from the situation")


class VerdictSchema(BaseModel):
    """The structured assessment the model must return."""

    verdict: Verdict
    confidence: float = Field(ge=0, le=1)
    signals: list[SignalSchema] = Field(default_factory=list)


class ModelAssessor:
    """Asks the chat model for a validated assessment; the local assessor cross-checks it."""

    def __init__(self, chat_model: BaseChatModel, local: Assessor, name: str = "chat model"):
        self.structured = chat_model.with_structured_output(
            VerdictSchema, method="function_calling"
        )
        self.local = local
        self.name = name

    def warm_up(self) -> None:
        """Warm the local assessor only: asking the remote model would cost a call per start."""
        self.local.warm_up()

    def assess(self, scenario: str) -> Assessment:
        """The model's verdict, with lower confidence and a note when the two disagree."""
        local = self.local.assess(scenario)
        try:
            prompt = [SystemMessage(_INSTRUCTIONS), HumanMessage(bounded(scenario))]
            result = self.structured.invoke(prompt)
            if not isinstance(result, VerdictSchema):
                result = VerdictSchema.model_validate(result)
        except Exception as exc:  # noqa: BLE001 - any failure falls back to the local verdict
            note = (
                f"The {self.name} gave no valid assessment ({type(exc).__name__}); "
                "the local assessment decided."
            )
            return dataclasses.replace(local, notes=[*local.notes, note])
        signals = [
            Signal(s.name, s.direction, s.evidence.strip())
            for s in result.signals
            if s.evidence.strip() and s.evidence.strip().lower() in scenario.lower()
        ] or local.signals
        verdict, confidence, notes = result.verdict, result.confidence, list(local.notes)
        if any(s.name == "integrity" for s in local.signals) and verdict != "step_in":
            verdict = "step_in"
            notes.append("A safety, legal, ethical or dignity issue overrides autonomy.")
        # The harm net outranks any model: likely harm is a step in, possible harm never a
        # plain step back (the local assessment has said so in its notes).
        level = local.harm.level if local.harm else "none"
        if level == "likely" and verdict != "step_in":
            verdict = "step_in"
        elif level == "possible" and verdict == "step_back":
            verdict = "balanced"
        if verdict != local.verdict:
            confidence = round(min(confidence, local.confidence) * 0.6, 2)
            notes.append(
                f"The {self.name} says {verdict} but the local assessment says "
                f"{local.verdict}; confidence lowered."
            )
        # The local reading's harm, facts and weightiest sentence stay: the answer's words
        # are composed from them whichever model decided.
        same = verdict == local.verdict
        return dataclasses.replace(
            local,
            verdict=verdict,
            confidence=round(confidence, 2),
            signals=signals,
            notes=notes,
            weightiest=local.weightiest if same else None,
            row_kinds=local.row_kinds if same else (),
        )
