"""The advice policy: assessment, verdict, grounded advice, citations and honesty."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from assistant.assessment import Assessment, Assessor
from assistant.backends import describe_failure
from assistant.errors import AssistantError, InputTooLargeError
from assistant.prompts import VERDICT_PHRASES, build_messages, system_prompt
from assistant.retrieval import Passage, Retriever, standalone_query

log = logging.getLogger(__name__)

__all__ = ["Advice", "Citation", "Coach", "Reply"]

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WORD = re.compile(r"[a-z']{3,}")
_STOP_WORDS = (
    "the and for that with this you your are was were have has had not but they them their "
    "she her his him what when who how why can could should would will just about into from "
    "our out over more most some than then there these those very been being does did doing "
    "want wants one also only"
)
_STOP = frozenset(_STOP_WORDS.split())
_SITUATION = re.compile(
    r"\b(my|our|i'm|i am|i've|i have|we|team|report|direct|manager|employee|colleague|"
    r"staff|she|he|they|her|his|owner|project|meeting|deputy|lead|nurse|engineer)\b",
    re.I,
)
_ROLE = re.compile(
    r"\b(my|our|a|an|the|his|her|their)\s+((new|senior|junior|lead|head|chief|best|top|"
    r"night|day|star)\s+)?\w+(er|or|ist|ant|ent|ee|ian|man|woman|person|nurse|staff|crew|"
    r"team|hire|intern|trainee|deputy|peer|boss|coach|chef)s?\b",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(lead\w*|manag\w*|team\w*|staff|employee\w*|colleague\w*|report\w*|boss|delegat\w*|"
    r"coach\w*|feedback|meeting\w*|trust|people|decision\w*|mentor\w*|conflict|hire|"
    r"supervis\w*|step (in|back)|owner\w*|crisis|deputy|volunteer\w*|nurse\w*|engineer\w*|"
    r"student\w*|teacher\w*|worker\w*|crew|director\w*|founder\w*)\b",
    re.I,
)

# Appended to a situation's retrieval query so the passages explain the decided verdict.
_VERDICT_THEME = {
    "step_in": "When a leader should step in now, and how to step in without taking over.",
    "step_back": "Leading from behind: trusting a capable owner and stepping back.",
    "balanced": "Letting them lead while staying close: preparing together, agreed signals.",
}


def verdict_theme(verdict: str) -> str:
    """The text appended to a situation's retrieval query for this verdict."""
    return _VERDICT_THEME[verdict]


_NEXT_STEPS = {
    "step_in": [
        "Say out loud that you are taking the lead for now, and why, so nobody has to guess.",
        "Deal with the immediate risk first: stop the harm, then gather the facts.",
        "Narrate your reasoning as you act, so the owner learns from the intervention.",
        "Agree when and how you will hand control back to the owner.",
        "Debrief within a few days: what happened, what each of you would do next time.",
    ],
    "step_back": [
        "Tell the owner plainly that the decision is theirs, and what support you can offer.",
        "Agree the outcome and the limits (budget, deadline, non-negotiables) up front.",
        "Ask coaching questions instead of giving answers when they bring it to you.",
        "Set one check-in point, and otherwise stay out of the detail.",
        "Afterwards, credit them publicly and review privately what they learned.",
    ],
    "balanced": [
        "Prepare together: walk through the plan and the likely objections before it happens.",
        "Agree tripwires in advance: the specific situations in which you will step in.",
        "Be present but quiet; agree a private signal for when they want you to join.",
        "Let them open, lead and close; back them up rather than take over.",
        "Debrief straight after: what went well, and what they want to handle alone next time.",
    ],
}


@dataclass(frozen=True)
class Citation:
    """A quote that resolves to a stored chunk, verbatim."""

    chunk_id: str
    source: str
    title: str
    quote: str


@dataclass
class Advice:
    """The advice object of DESIGN.md."""

    verdict: str
    confidence: float
    signals: list[dict[str, str]]
    summary: str
    advice: str
    next_steps: list[str]
    citations: list[Citation]
    backend: dict[str, str]
    clarifying_question: str | None = None
    covered: bool = True
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class Reply:
    """One streamed update of a chat answer: the text so far, and once known, the rest."""

    text: str
    assessment: Assessment | None = None
    citations: list[Citation] = field(default_factory=list)
    covered: bool = True
    done: bool = False
    basis: Assessment | None = None


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def best_quote(chunk_text: str, focus: str, max_len: int = 300) -> str:
    """The sentence of a chunk that best matches `focus`, sliced verbatim from the chunk."""
    focus_words = _words(focus)
    best, best_score = "", -1.0
    for match in _SENTENCE.finditer(chunk_text):
        sentence = match.group(0).strip()
        if len(sentence) < 25 or sentence.startswith("#"):
            continue
        score = len(_words(sentence) & focus_words) + min(len(sentence), 200) / 1000
        if score > best_score:
            best, best_score = sentence, score
    if not best:
        best = chunk_text.strip()
    return best[:max_len].rstrip()


class Coach:
    """Answers leadership questions from the library, with an explained verdict."""

    def __init__(
        self,
        retriever: Retriever,
        chat_model: BaseChatModel,
        assessor: Assessor,
        backend: dict[str, str],
        min_relevance: float = 0.2,
        max_message_chars: int = 4000,
        canary: str = "",
        total_timeout: float = 90.0,
        max_answer_chars: int = 4000,
    ) -> None:
        self.retriever = retriever
        self.chat_model = chat_model
        self.assessor = assessor
        self.backend = backend
        self.min_relevance = min_relevance
        self.max_message_chars = max_message_chars
        self.canary = canary
        self.total_timeout = total_timeout
        self.max_answer_chars = max_answer_chars
        self.warm = False  # set once warm_up() has run

    def warm_up(self) -> None:
        """Do the first request's one-off work now: load models, build traces, read the
        shared start of the prompt into the model's cache. Errors are left for requests."""
        try:
            self.retriever.search("warm up")
            self.assessor.warm_up()
            prefill = getattr(self.chat_model, "warm_up", None)
            if prefill is not None:
                prefill(system_prompt(None, self.canary))
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

    def citations(self, passages: Sequence[Passage], focus: str, limit: int = 3) -> list[Citation]:
        """Verbatim quotes from the passages that support the answer."""
        return [
            Citation(p.chunk_id, p.source, p.title, best_quote(p.text, focus))
            for p in passages[:limit]
        ]

    def _relevant(self, passages: list[Passage]) -> list[Passage]:
        return [p for p in passages if p.score >= self.min_relevance]

    def _generate(self, messages: list[Any]) -> Iterator[str]:
        """Stream text, bounded in total time and length whatever the server does."""
        started = time.monotonic()
        produced = 0
        stream = self.chat_model.stream(messages)
        try:
            for chunk in stream:
                text = chunk.content if isinstance(chunk.content, str) else ""
                if time.monotonic() - started > self.total_timeout:
                    raise TimeoutError
                if text:
                    produced += len(text)
                    yield text
                if produced > self.max_answer_chars:
                    break  # a server that ignores max_tokens cannot stream forever
        except AssistantError:
            raise
        except Exception as exc:  # noqa: BLE001 - any client error becomes a user message.
            raise describe_failure(exc, "The chat model") from None
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()

    def _leaks(self, text: str, fragment: int = 6) -> bool:
        """Whether text holds the canary or any run of `fragment` characters of it."""
        canary = self.canary
        if not canary:
            return False
        size = min(fragment, len(canary))
        return any(canary[i : i + size] in text for i in range(len(canary) - size + 1))

    @staticmethod
    def usable(text: str, verdict: str | None) -> bool:
        """Whether generated text is on-topic and does not argue against the verdict."""
        clean = text.strip()
        if len(clean) < 40 or not _PEOPLE.search(clean) and len(_words(clean)) < 12:
            return False
        lower = clean.lower()
        if verdict == "step_in" and re.search(r"\b(should|must|need to) step back\b", lower):
            return "step in" in lower
        if verdict == "step_back" and re.search(r"\b(should|must|need to) step in\b", lower):
            return "step back" in lower
        return True

    @staticmethod
    def grounded_text(assessment: Assessment | None, citations: Sequence[Citation]) -> str:
        """Advice assembled from the verdict and verbatim passages, used when generation fails."""
        parts = []
        if assessment:
            drivers = [s for s in assessment.signals if s.direction == assessment.verdict][:2]
            why = "; ".join(f'"{s.evidence}"' for s in drivers)
            parts.append(
                f"My advice: {VERDICT_PHRASES[assessment.verdict]}."
                + (f" What drove this: {why}." if why else "")
            )
        for c in citations[:2]:
            parts.append(f'From "{c.title}": {c.quote}')
        return "\n\n".join(parts)

    @staticmethod
    def is_situation(text: str, assessment: Assessment) -> bool:
        """Whether a message describes a situation that deserves a verdict."""
        first_person = re.search(r"\b(i|i'm|i've|my|our|we)\b", text, re.I)
        asks = re.search(r"\b(should|shall|do|must|can)\s+(i|we)\b", text, re.I)
        return (
            bool(assessment.signals)
            or bool(first_person and _ROLE.search(text))
            or bool(asks and _PEOPLE.search(text))
            or len(_SITUATION.findall(text)) >= 2
        )

    @staticmethod
    def is_about_leading(text: str, assessment: Assessment | None = None) -> bool:
        """Whether a request is about leading people at all."""
        return bool(
            (assessment and assessment.signals)
            or _PEOPLE.search(text)
            or _ROLE.search(text)
            or len(_SITUATION.findall(text)) >= 2
        )

    # -- public API -----------------------------------------------------------------

    def stream_chat(self, message: str, history: Sequence[dict[str, Any]] = ()) -> Iterator[Reply]:
        """Stream an answer; the last Reply carries the assessment and citations."""
        message = self.check_input(message)
        query = standalone_query(message, history)
        assessment = self.assessor.assess(query)
        if not self.is_about_leading(query, assessment):
            yield Reply(
                "I'm a leadership coach, so I can only help with leading people: decisions "
                "about when to step in or step back, delegation, feedback, hard meetings. "
                "Tell me about a situation with your team.",
                covered=False,
                done=True,
            )
            return
        situational = self.is_situation(query, assessment)
        verdict = assessment.verdict if situational else None
        shown = assessment if situational else None
        search_query = f"{query}\n{_VERDICT_THEME[verdict]}" if verdict else query
        passages = self._relevant(self.retriever.search(search_query))
        if not passages:
            note = "The library does not cover this question, so I can't give you a sourced answer."
            if shown:
                note += " " + self.grounded_text(shown, [])
            yield Reply(note, shown, [], covered=False, done=True, basis=assessment)
            return
        messages = build_messages(
            message if query == message else query, passages, history, verdict, self.canary
        )
        if shown:
            # The verdict card needs no model: show it while the model reads the prompt.
            yield Reply("", shown)
        text = ""
        # The last len(canary)-1 characters are held back while streaming, so a secret
        # arriving split across tokens is never shown, even in part.
        hold = max(len(self.canary) - 1, 0)
        leaked = False
        for delta in self._generate(messages):
            text += delta
            if self._leaks(text):
                leaked = True
                break
            shown_text = text[: len(text) - hold] if hold else text
            if shown_text:
                yield Reply(shown_text, shown)
        citations = self.citations(passages, f"{query} {text}")
        if leaked or not self.usable(text, verdict):
            text = self.grounded_text(shown, citations)
        yield Reply(text, shown, citations, covered=True, done=True, basis=assessment)

    def advise(self, scenario: str, history: Sequence[dict[str, Any]] = ()) -> Advice:
        """The full advice object for one scenario."""
        final = Reply("")
        for reply in self.stream_chat(scenario, history):
            final = reply
        query = standalone_query(self.check_input(scenario), history)
        assessment = final.basis or final.assessment or self.assessor.assess(query)
        if not self.is_about_leading(query, assessment):
            assessment = Assessment(
                "balanced", 0.0, [], {}, None, ["Not about leading people: no verdict given."]
            )
        verdict = assessment.verdict
        driver_evidence = [s.evidence for s in assessment.signals if s.direction == verdict][:2]
        summary = f"{VERDICT_PHRASES[verdict].capitalize()}" + (
            f": {'; '.join(driver_evidence)}." if driver_evidence else "."
        )
        if not final.covered:
            summary += " (The library does not cover this directly.)"
        steps = list(_NEXT_STEPS[verdict][:4])
        if assessment.clarifying_question:
            steps.insert(0, f"Answer this first: {assessment.clarifying_question}")
            steps = steps[:5]
        return Advice(
            verdict=verdict,
            confidence=assessment.confidence,
            signals=[s.as_dict() for s in assessment.signals],
            summary=summary,
            advice=final.text,
            next_steps=steps,
            citations=final.citations,
            backend=dict(self.backend),
            clarifying_question=assessment.clarifying_question,
            covered=final.covered,
            notes=list(assessment.notes),
        )
