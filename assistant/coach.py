"""The advice policy: assessment, verdict, grounded advice, citations and honesty."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.language_models import BaseChatModel

from assistant.assessment import Assessment, Assessor
from assistant.backends import describe_failure
from assistant.composer import Composer, Plan
from assistant.conversation import Conversation, user_turns
from assistant.domain import Advice, Backend, Citation, Signal, Verdict
from assistant.errors import AssistantError, InputTooLargeError
from assistant.gate import GateResult, QualityGate
from assistant.prompts import rewrite_messages, rewrite_prompt_lines, rewrite_system
from assistant.quality import trim_quote
from assistant.retrieval import Passage, Retriever

log = logging.getLogger(__name__)

__all__ = ["Coach", "Reply"]

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


# While the model rewords, the unchanged answer is handed back every few chunks: often enough
# that a cancelled request stops the model within ~0.1 s, rarely enough that the page is not
# sent the whole conversation again for every token (measured: +2 s per answer at every chunk).
_YIELD_EVERY = 8
# The conversation is rebuilt from at most this many earlier user turns per request.
_TURNS_KEPT = 12

_OFF_TOPIC_STEPS = [
    "Describe one situation with your team: who owns the work and what they are doing.",
    "Say what is at stake and whether it could be undone.",
    "Say how experienced the person is and whether they have asked for help.",
]


@dataclass
class Reply:
    """One streamed update of a chat answer: the text so far, and once known, the rest."""

    text: str
    assessment: Assessment | None = None
    citations: list[Citation] = field(default_factory=list)
    covered: bool = True
    done: bool = False
    basis: Assessment | None = None
    plan: Plan | None = None
    gate: GateResult | None = None
    passages: list[Passage] = field(default_factory=list)
    error: str | None = None


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def best_quote(chunk_text: str, focus: str, max_len: int = 300) -> str:
    """The sentence of a chunk that best matches `focus`, sliced verbatim from the chunk.

    Sentences carrying Markdown emphasis, code, tables or playbook slots are skipped, and
    leading bullets, quote marks and field labels are sliced off, so the quote reads clean.
    """
    focus_words = _words(focus)
    best, best_score = "", -1.0
    for match in _SENTENCE.finditer(chunk_text):
        if match.group(0).lstrip().startswith("#"):
            continue  # a heading is not a sentence
        line_start = chunk_text.rfind("\n", 0, match.start()) + 1
        if chunk_text.startswith(("*Examples:*", "*Applies when:*"), line_start):
            continue  # a playbook's made-up examples and labels are not a source to quote
        start, end = trim_quote(match.group(0))
        sentence = match.group(0)[start:end].strip()
        if (
            len(sentence) < 25
            or len(sentence.split()) < 5
            or any(c in sentence for c in "*{}`|#<>")
        ):
            continue
        if not (sentence[:1].isupper() or sentence[:1].isdigit()):
            continue
        if sentence.count('"') % 2 or sentence.count("“") != sentence.count("”"):
            continue
        score = len(_words(sentence) & focus_words) + min(len(sentence), 200) / 1000
        if score > best_score:
            best, best_score = sentence, score
    if len(best) > max_len:
        best = best[:max_len].rsplit(" ", 1)[0]
    return best


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
            prefill = getattr(self.chat_model, "warm_up", None)
            if prefill is not None:
                prefill(rewrite_system(self.canary))
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
        found = []
        # The moves already speak for the playbook; sources are the texts that explain why,
        # so playbook passages are cited only when nothing else is relevant.
        principles = [p for p in passages if "/playbook/" not in p.source.replace("\\", "/")]
        ordered = principles + [p for p in passages if p not in principles]
        for p in ordered:
            quote = best_quote(p.text, focus)
            if quote:
                found.append(
                    Citation(chunk_id=p.chunk_id, source=p.source, title=p.title, quote=quote)
                )
            if len(found) == limit:
                break
        return found

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
    def is_situation(text: str, assessment: Assessment) -> bool:
        """Whether a message describes a situation that deserves a verdict."""
        first_person = re.search(r"\b(i|i'm|i've|my|our|we)\b", text, re.I)
        asks = re.search(r"\b(should|shall|do|must|can)\s+(i|we)\b", text, re.I)
        general_question = text.strip().lower().startswith(("how ", "what ", "why ", "when "))
        return (
            bool(assessment.signals)
            or bool(first_person and _ROLE.search(text))
            or bool(len(text.split()) >= 12 and not general_question)
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

    def _rewrite(
        self, situation: str, plan: Plan, passages: Sequence[Passage], shown: Reply
    ) -> Generator[Reply, None, GateResult]:
        """Let the chat model put the plan in its own words; the gate decides if anyone sees
        it. Nothing generated is shown while it runs: the composed answer is repeated with
        each chunk, so a cancelled request stops the model at once."""
        assert self.gate is not None
        text = ""
        messages = rewrite_messages(situation, plan.as_brief(), self.canary)
        for count, delta in enumerate(self._generate(messages), start=1):
            text += delta
            if self._leaks(text):
                return GateResult(False, ["revealed internal text"], {}, "")
            if count % _YIELD_EVERY == 0:
                yield shown
        # The same support the gate's limits were calibrated with: the top passages only.
        top = passages[: self.retriever.k]
        support = "\n".join([situation, plan.as_markdown(), *(p.text for p in top)])
        result = self.gate.check(text, support, plan.verdict, rewrite_prompt_lines())
        if result.passed:
            plan.coach_note = " ".join(text.split())
        return result

    # -- public API -----------------------------------------------------------------

    def stream_chat(self, message: str, history: Sequence[dict[str, Any]] = ()) -> Iterator[Reply]:
        """Stream an answer: the composed answer at once, then the final one (with a
        generated note only if it passed the gate); the last Reply carries everything."""
        message = self.check_input(message)
        # The situation is rebuilt from the user's turns (facts added, corrections
        # honoured) and the verdict recomputed from what still stands.
        # A turn over the cap was refused when sent, so it is not part of the conversation.
        earlier = [t for t in user_turns(history) if len(t) <= self.max_message_chars]
        view = self.conversation.replay([*earlier[-_TURNS_KEPT:], message])[-1]
        query, assessment = view.situation, view.assessment
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
        shown = assessment if situational else None
        verdict = shown.verdict if shown else None
        search_query = f"{query}\n{_VERDICT_THEME[verdict]}" if verdict else query
        passages = self._relevant(self.retriever.search(search_query, max(self.retriever.k, 8)))
        plan = self.composer.compose(query, shown)
        plan.changed = view.changed if shown else None
        if not passages:
            note = "The library does not cover this question, so I can't give you a sourced answer."
            text = f"{note}\n\n{plan.as_markdown()}" if shown else note
            yield Reply(text, shown, [], covered=False, done=True, basis=assessment, plan=plan)
            return
        citations = self.citations(passages, f"{query} {plan.as_brief()}")
        composed = Reply(
            plan.as_markdown(), shown, citations, basis=assessment, plan=plan, passages=passages
        )
        yield composed
        text = plan.as_markdown()
        gate = None
        error = None
        if self.gate is not None:
            try:
                gate = yield from self._rewrite(query, plan, passages, composed)
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
            basis=assessment,
            plan=plan,
            gate=gate,
            passages=passages,
            error=error,
        )

    def advise(self, scenario: str, history: Sequence[dict[str, Any]] = ()) -> Advice:
        """The full advice object for one scenario."""
        final = Reply("")
        for reply in self.stream_chat(scenario, history):
            final = reply
        assessment = final.basis or Assessment(
            "balanced", 0.0, [], {}, None, ["Not about leading people: no verdict given."]
        )
        plan = final.plan
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
            summary, steps = final.text, list(_OFF_TOPIC_STEPS)
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
