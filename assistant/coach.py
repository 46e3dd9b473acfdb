"""The advice policy: one request's groundwork (situation, scope, assessment, passages,
plan, citations, prompt) computed once, then streamed as a chat answer or returned as advice."""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.assessment import Assessment, Assessor
from assistant.backends import stream_text, warm_up
from assistant.citations import pick_citations
from assistant.composer import Composer, Plan
from assistant.content import (
    NO_VERDICT_NOTE,
    NOT_COVERED,
    OFF_TOPIC_REPLY,
    OFF_TOPIC_STEPS,
    VERDICT_THEMES,
)
from assistant.conversation import Conversation, user_turns
from assistant.domain import Advice, Backend, Citation, Signal, Verdict
from assistant.errors import AssistantError, InputTooLargeError
from assistant.gate import GateResult, QualityGate
from assistant.prompts import rewrite_messages, rewrite_prompt_lines, rewrite_system
from assistant.retrieval import Passage, Retriever
from assistant.scope import is_about_leading, is_situation

log = logging.getLogger(__name__)

__all__ = ["Coach", "Groundwork", "Reply"]

# While the model rewords, the unchanged answer is handed back every few chunks: often enough
# that a cancelled request stops the model within ~0.1 s, rarely enough that the page is not
# sent the whole conversation again for every token (measured: +2 s per answer at every chunk).
_YIELD_EVERY = 8
# The conversation is rebuilt from at most this many earlier user turns per request.
_TURNS_KEPT = 12


@dataclass
class Groundwork:
    """What one request is answered from, computed once by `Coach.plan`."""

    message: str  # as sent, checked
    query: str  # the situation rebuilt from the conversation
    assessment: Assessment  # of the whole situation, shown or not
    about_leading: bool  # in scope at all
    situational: bool  # describes a situation that deserves a verdict
    passages: list[Passage] = field(default_factory=list)  # relevant ones only
    plan: Plan | None = None  # None when out of scope
    citations: list[Citation] = field(default_factory=list)
    prompt: list[BaseMessage] = field(default_factory=list)  # empty when nothing is generated

    @property
    def shown(self) -> Assessment | None:
        """The assessment a person sees: only a situation gets a verdict."""
        return self.assessment if self.situational else None


@dataclass
class Reply:
    """One streamed update of a chat answer: the text so far, and once known, the rest."""

    text: str
    assessment: Assessment | None = None
    citations: list[Citation] = field(default_factory=list)
    covered: bool = True
    done: bool = False
    plan: Plan | None = None
    gate: GateResult | None = None
    passages: list[Passage] = field(default_factory=list)
    error: str | None = None


class Coach:
    """Answers leadership questions from the library, with an explained verdict."""

    def __init__(
        self,
        retriever: Retriever,
        chat_model: BaseChatModel,
        assessor: Assessor,
        backend: Backend,
        composer: Composer,
        gate: QualityGate | None = None,
        min_relevance: float = 0.2,
        max_message_chars: int = 4000,
        canary: str = "",
        total_timeout: float = 90.0,
        max_answer_chars: int = 4000,
        conversation: Conversation | None = None,
    ) -> None:
        self.retriever = retriever
        self.chat_model = chat_model
        self.assessor = assessor
        self.backend = backend
        self.composer = composer
        self.gate = gate  # None: no generation at all, the composed answer is final
        self.min_relevance = min_relevance
        self.max_message_chars = max_message_chars
        self.canary = canary
        self.total_timeout = total_timeout
        self.max_answer_chars = max_answer_chars
        self.warm = False  # set once warm_up() has run
        self.conversation = conversation or Conversation(assessor, max_chars=max_message_chars)

    def warm_up(self) -> None:
        """Do the first request's one-off work now: load models, build traces, read the
        shared start of the prompt into the model's cache. Errors are left for requests."""
        try:
            self.retriever.search("warm up")
            self.assessor.warm_up()
            self.composer.warm_up()
            warm_up(self.chat_model, rewrite_system(self.canary))
        except Exception:  # noqa: BLE001 - a failing backend is reported to the first user.
            log.info("warm-up skipped", exc_info=True)
        self.warm = True

    # -- building blocks -------------------------------------------------------------

    def check_input(self, text: str) -> str:
        """Refuse empty or oversized input before any model work."""
        text = (text or "").strip()
        if not text:
            raise AssistantError("The message is empty.", "Describe the situation or question.")
        if len(text) > self.max_message_chars:
            raise InputTooLargeError(
                f"The message has {len(text)} characters; the limit is {self.max_message_chars}.",
                "Shorten it to the essentials of the situation.",
            )
        return text

    def _relevant(self, passages: list[Passage]) -> list[Passage]:
        return [p for p in passages if p.score >= self.min_relevance]

    def _generate(self, messages: list[Any]) -> Iterator[str]:
        """Stream text, bounded in total time and length whatever the server does."""
        return stream_text(self.chat_model, messages, self.total_timeout, self.max_answer_chars)

    def _leaks(self, text: str, fragment: int = 6) -> bool:
        """Whether text holds the canary or any run of `fragment` characters of it."""
        canary = self.canary
        if not canary:
            return False
        size = min(fragment, len(canary))
        return any(canary[i : i + size] in text for i in range(len(canary) - size + 1))

    def _rewrite(self, work: Groundwork, shown: Reply) -> Generator[Reply, None, GateResult]:
        """Let the chat model put the plan in its own words; the gate decides if anyone sees
        it. Nothing generated is shown while it runs: the composed answer is repeated with
        each chunk, so a cancelled request stops the model at once."""
        assert self.gate is not None and work.plan is not None
        plan = work.plan
        text = ""
        for count, delta in enumerate(self._generate(work.prompt), start=1):
            text += delta
            if self._leaks(text):
                return GateResult(False, ["revealed internal text"], {}, "")
            if count % _YIELD_EVERY == 0:
                yield shown
        # The same support the gate's limits were calibrated with: the top passages only.
        top = work.passages[: self.retriever.k]
        support = "\n".join([work.query, plan.as_markdown(), *(p.text for p in top)])
        result = self.gate.check(text, support, plan.verdict, rewrite_prompt_lines())
        if result.passed:
            plan.coach_note = " ".join(text.split())
        return result

    # -- public API -----------------------------------------------------------------

    def plan(self, message: str, history: Sequence[dict[str, Any]] = ()) -> Groundwork:
        """Everything an answer rests on, computed once: the situation, the scope, the
        assessment, the passages, the composed plan, its citations and the rewording prompt."""
        message = self.check_input(message)
        # The situation is rebuilt from the user's turns (facts added, corrections
        # honoured) and the verdict recomputed from what still stands.
        # A turn over the cap was refused when sent, so it is not part of the conversation.
        earlier = [t for t in user_turns(history) if len(t) <= self.max_message_chars]
        view = self.conversation.replay([*earlier[-_TURNS_KEPT:], message])[-1]
        query, assessment = view.situation, view.assessment
        if not is_about_leading(query, assessment):
            return Groundwork(message, query, assessment, about_leading=False, situational=False)
        work = Groundwork(
            message,
            query,
            assessment,
            about_leading=True,
            situational=is_situation(query, assessment),
        )
        shown = work.shown
        # Harm told late is what the answer acts on: its kind, its moves and its sources, not
        # the first message's task.
        focus = view.acted_on or query
        theme = VERDICT_THEMES[shown.verdict] if shown else None
        search_query = f"{focus}\n{theme}" if theme else focus
        work.passages = self._relevant(
            self.retriever.search(search_query, max(self.retriever.k, 8))
        )
        work.plan = plan = self.composer.compose(focus, shown)
        plan.changed = view.changed if shown else None
        if work.passages:
            work.citations = pick_citations(work.passages, f"{focus} {plan.as_brief()}")
            if self.gate is not None:
                work.prompt = rewrite_messages(query, plan.as_brief(), self.canary)
        return work

    def stream(self, work: Groundwork) -> Iterator[Reply]:
        """Stream the answer to planned work: the composed answer at once, then the final one
        (with a generated note only if it passed the gate); the last Reply carries everything."""
        shown, plan = work.shown, work.plan
        if plan is None:
            yield Reply(OFF_TOPIC_REPLY, covered=False, done=True)
            return
        if not work.passages:
            text = f"{NOT_COVERED}\n\n{plan.as_markdown()}" if shown else NOT_COVERED
            yield Reply(text, shown, [], covered=False, done=True, plan=plan)
            return
        citations = work.citations
        composed = Reply(plan.as_markdown(), shown, citations, plan=plan, passages=work.passages)
        yield composed
        text = plan.as_markdown()
        gate = None
        error = None
        if self.gate is not None:
            try:
                gate = yield from self._rewrite(work, composed)
                text = plan.as_markdown()
            except AssistantError as exc:
                # The composed answer is whole without the model: a failing endpoint costs
                # the rewording, not the answer.
                error = exc.user_message()
                gate = GateResult(False, [error], {}, "")
                text += f"\n\n⚠️ {exc.user_message()} This answer was composed without it."
        yield Reply(
            text,
            shown,
            citations,
            done=True,
            plan=plan,
            gate=gate,
            passages=work.passages,
            error=error,
        )

    def stream_chat(self, message: str, history: Sequence[dict[str, Any]] = ()) -> Iterator[Reply]:
        """Plan, then stream: what the chat page shows, update by update."""
        yield from self.stream(self.plan(message, history))

    def advise(self, scenario: str, history: Sequence[dict[str, Any]] = ()) -> Advice:
        """The full advice object for one scenario."""
        work = self.plan(scenario, history)
        final = Reply("")
        for reply in self.stream(work):
            final = reply
        if work.about_leading:
            assessment = work.assessment
        else:
            assessment = Assessment("balanced", 0.0, [], {}, None, [NO_VERDICT_NOTE])
        plan = work.plan
        verdict = assessment.verdict
        notes = list(assessment.notes)
        generation = "off"
        if final.error:
            generation = f"failed: {final.error}"
        elif final.gate is not None:
            generation = "shown" if final.gate.passed else "withheld"
            if not final.gate.passed:
                notes.append(
                    "The chat model's rewording was withheld by the quality gate: "
                    + ", ".join(final.gate.reasons)
                    + "."
                )
        if plan is None:
            summary, steps = final.text, list(OFF_TOPIC_STEPS)
        else:
            summary = plan.headline
            steps = plan.next_steps[:5]
            if assessment.clarifying_question:
                steps = [f"Answer this first: {assessment.clarifying_question}", *steps][:5]
        if not final.covered and plan is not None:
            summary += " (The library does not cover this directly.)"
        return Advice(
            verdict=cast(Verdict, verdict),
            confidence=assessment.confidence,
            signals=[
                Signal(name=s.name, direction=s.direction, evidence=s.evidence)
                for s in assessment.signals
            ],
            summary=summary,
            advice=final.text,
            next_steps=steps,
            citations=final.citations,
            backend=self.backend.copy(),
            clarifying_question=assessment.clarifying_question,
            covered=final.covered,
            notes=notes,
            say=plan.say if plan else "",
            watch_for=list(plan.watch) if plan else [],
            moves=[m.id for m in plan.moves] if plan else [],
            why=list(plan.why) if plan else [],
            generation=generation,
            changed=plan.changed if plan else None,
        )
