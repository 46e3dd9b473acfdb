"""The coaching conversation: what is established about the situation, turn by turn.

The state is the set of clauses the leader has said that still stand, each tagged with the
facts it establishes (the factors the verdict rules are written in). A later clause that
states the same factor differently replaces the earlier one, and a correction ("actually
...") replaces what it contradicts even when no factor is detected, by meaning. The verdict
is recomputed from the clauses that stand, not from a growing concatenation of messages,
and when it changes the coach says what changed it.

The server keeps nothing between requests: the state is rebuilt from the conversation's
user turns each time (a few milliseconds per turn), so the page, the widget, the API and
the command line share one behaviour.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.assessment import (
    DEALT_WITH_NOTE,
    HARM_FORCED_CONFIDENCE,
    HARM_NOTE,
    RULE_CONFIDENCE,
    Assessment,
    harm_note,
)
from assistant.clauses import without_lead_in
from assistant.facts import NOT_AFTER_A_TITLE, lower_first, to_second_person
from assistant.first_names import is_first_name
from assistant.harm import HarmReading
from assistant.signals import detect_signals

__all__ = ["FACTOR_OF_SIGNAL", "Clause", "Conversation", "TurnView", "is_correction", "user_turns"]

# The facts the verdict table is written in, as the explicit signals read them.
FACTOR_OF_SIGNAL: dict[tuple[str, str], tuple[str, str]] = {
    ("urgency", "step_in"): ("harm_now", "yes"),
    ("integrity", "step_in"): ("harm_now", "yes"),
    ("urgency", "step_back"): ("time", "plenty"),
    ("competence", "step_back"): ("readiness", "ready"),
    ("competence", "step_in"): ("readiness", "not_ready"),
    ("confidence", "balanced"): ("readiness", "unsure"),
    ("stakes", "step_in"): ("reversibility", "irreversible"),
    ("stakes", "step_back"): ("reversibility", "reversible"),
    ("stakes", "balanced"): ("visibility", "visible"),
    ("ownership", "step_in"): ("authority", "beyond"),
    ("ownership", "step_back"): ("authority", "within"),
    ("authority", "step_in"): ("authority", "beyond"),
    ("help_request", "step_in"): ("attempts", "tried"),
    ("help_request", "step_back"): ("attempts", "not_tried"),
}
# How people open a message that corrects what they said: phrases a helper blind to the
# project and to every dialogue set listed ("hang on", "i mixed up", "my mistake", ...), and
# the few this pattern began with, after any interjection ("Hmm, sorry, ...", "ah no, ...").
_OPENERS = (Path(__file__).parent / "words" / "correction_openers.txt").read_text("utf-8")
_CORRECTION = re.compile(
    r"^\s*(?:(?:oh|oops|whoops|hmm+|ah+|ok(?:ay)?|um+|erm|uh|so|right|well|ugh|argh|lol)"
    r"[\s,.!\-\u2013\u2014]+)*"
    r"(?:actually|in fact|correction|sorry|wait|no[,.!]|not quite|scratch that|"
    r"i was wrong|i got (?:that|it) wrong|to correct|let me correct|i misspoke|"
    r"on second thought|turns out|it turns out|"
    + "|".join(
        re.escape(p).replace("'", "['’]")
        for p in sorted({line.strip() for line in _OPENERS.splitlines() if line.strip()}, key=len)[
            ::-1
        ]
    )
    + r")(?!\w)",
    re.I,
)
# A correction this long restates the situation rather than one fact of it, and is read alone
# (as long as a message that can open a new situation; see _NEW_SITUATION_WORDS).
_RESTATES_WORDS = 20
_NEW_TOPIC = re.compile(
    r"^\s*(different (topic|question|situation)|another (situation|question|thing)|"
    r"new (topic|question|situation)|separately|unrelated|on another note|changing the subject)",
    re.I,
)
_SENTENCE_END = re.compile(rf"{NOT_AFTER_A_TITLE}(?<=[.!?])\s+")
_CLAUSE_BREAK = re.compile(r";\s+|,?\s+but\s+|,\s+and\s+", re.I)
# A correction without a recognised fact retracts the earlier sentence closest in meaning,
# if it is at least this close (cosine, sentence embeddings): below it, nothing is dropped.
_CORRECTS_MEANING = 0.35
MAX_QUESTIONS_IN_A_ROW = 2
_PREAMBLE_CHARS = 40  # a correction's lead-in before a colon is at most this long
# A message this long that does not lean on the earlier turns and is this far from them in
# meaning (cosine) starts a new situation rather than adding to the current one.
_NEW_SITUATION_WORDS = 20
_SAME_SITUATION = 0.3
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|or|so|what if|what about|how about|then|also|if|even if|suppose|ok|okay|"
    r"she|he|they|it|this|that)\b",
    re.I,
)


class Assesses(Protocol):
    def assess(self, scenario: str) -> Assessment: ...


class StatesFacts(Protocol):
    def decisive(self, text: str) -> tuple[str, str, tuple[str, ...]] | None: ...


@dataclass(frozen=True)
class Clause:
    """One thing the leader said, with the facts it establishes."""

    text: str
    turn: int
    factors: dict[str, str]
    # Which sentence of its turn the clause is part of: a correction by meaning retracts the
    # whole sentence ("X is part of the approved procedure, and any change needs sign-off").
    sentence: int = 0


@dataclass(frozen=True)
class TurnView:
    """What the coach holds after one user turn."""

    situation: str
    assessment: Assessment
    clauses: tuple[Clause, ...]
    changed: str | None = None
    asked: bool = False
    # The standing follow-up whose harm decided step in (harm told late): what the answer acts
    # on, since the whole situation's meaning is still mostly its first message's.
    acted_on: str | None = None


def user_turns(history: Sequence[dict[str, object]]) -> list[str]:
    """The user's messages in a {role, content} history, oldest first."""
    return [
        str(m.get("content", "")).strip()
        for m in history
        if m.get("role") == "user" and str(m.get("content", "")).strip()
    ]


def is_correction(message: str) -> bool:
    """Whether the message opens by correcting what the leader said before."""
    return bool(_CORRECTION.search(message))


def _clauses(message: str, turn: int) -> list[Clause]:
    clauses = []
    for sentence, said in enumerate(_SENTENCE_END.split(message)):
        for part in _CLAUSE_BREAK.split(said):
            part = part.strip(" ,")
            if not part:
                continue
            factors: dict[str, str] = {}
            for signal in detect_signals(part):
                fact = FACTOR_OF_SIGNAL.get((signal.name, signal.direction))
                if fact:
                    factors.setdefault(*fact)
            clauses.append(Clause(part, turn, factors, sentence))
    return clauses


# What is left of a correction's opening after its marker: "I mixed that up, it's the
# simulated account" -> "it's the simulated account".
_ADMISSION = re.compile(
    r"^(?:(?:i|i've|i'd|i'm|i am|i have|i had|i was|my)\b[^,.;:!?\u2013\u2014]{0,30}?"
    r"|(?:got|had|mixed|misread|muddled|misremembered|confused)\b[^,.;:!?\u2013\u2014]{0,30}?)"
    r"(?:wrong|mixed|muddled|misread|misremembered|mistaken|confused|meant|mistake|"
    r"wrong end of the stick|up)\b[^,.;:!?\u2013\u2014]{0,12}?[,.;:!?\u2013\u2014-]+\s*",
    re.I,
)


_ONLY_ADMITS = re.compile(
    r"^(?:(?:i|i've|i'd|i had|i was)\s+)?(?:misread|mixed|muddled|misremembered|misheard|"
    r"confused|got (?:that|it|this) wrong|had (?:that|it|this) wrong)\b[^,.;:!?\u2013\u2014]*$",
    re.I,
)


def _without_admission(clause: str) -> str:
    """The clause without the words that only say a correction is coming."""
    text = clause
    for _ in range(3):  # "no wait, sorry, I mixed that up, ..."
        stripped = _ADMISSION.sub("", _CORRECTION.sub("", text).lstrip(" ,.:;!-\u2013\u2014"))
        if stripped == text:
            break
        text = stripped
    return (text if text.strip() else clause).strip(" ,.:")


def _without_question(assessment: Assessment) -> Assessment:
    """The reading committed to without its question. Its confidence is the verdict's
    probability, or, where the lean was to stay close because a fact that could call for
    stepping in was unknown (a step back read as balanced), what the assessor gave that lean:
    balanced and step back together (the verdict's own probability had shown 0.09)."""
    p = assessment.probabilities
    confidence = p.get(assessment.verdict, assessment.confidence)
    if assessment.verdict == "balanced" and p and max(p, key=lambda k: p[k]) == "step_back":
        confidence = p["balanced"] + p["step_back"]
    return dataclasses.replace(
        assessment, clarifying_question=None, confidence=round(confidence, 2)
    )


# "And yesterday she told a colleague ..." is said back without its "And".
_JOINING_WORD = re.compile(r"^(?:and|but|so|plus)\s+(?=\w)", re.I)


def _harm_said_in(assessment: Assessment, message: str) -> str | None:
    """The sentence of the new message that made the harm check step in, if it did: that is
    what changed the verdict, whatever else the message says."""
    harm = assessment.harm
    if assessment.verdict != "step_in" or harm is None or not harm.evidence:
        return None
    if not any(n.startswith(HARM_NOTE) for n in assessment.notes):
        return None
    # The situation ends each message with a full stop if it had none: "as written" is without.
    evidence = harm.evidence.strip().rstrip(".")
    if evidence not in message:
        return None
    return _JOINING_WORD.sub("", _without_admission(without_lead_in(evidence))) or evidence


_VERDICT_WORDS = {
    "step_in": "step in",
    "step_back": "step back and let them lead",
    "balanced": "let them lead but stay close",
}


class Conversation:
    """Rebuilds the situation from the user's turns and assesses it after each one."""

    def __init__(
        self,
        assessor: Assesses,
        similarity: Callable[[str, Sequence[str]], list[float]] | None = None,
        max_chars: int = 4000,
        statements: StatesFacts | None = None,
        harm: Callable[[str], HarmReading | None] | None = None,
    ) -> None:
        self.assessor = assessor
        self.harm = harm
        self.similarity = similarity
        self.max_chars = max_chars
        self.statements = statements

    def replay(self, turns: Sequence[str]) -> list[TurnView]:
        """One view per user turn; the last one is what the coach answers with."""
        views: list[TurnView] = []
        previous: TurnView | None = None
        standing: list[Clause] = []
        questions_in_a_row = 0
        said: dict[int, tuple[str, int]] = {}  # turn -> (the message, how many clauses)
        opened = 0  # the turn the current situation was first told in
        for index, message in enumerate(turns):
            if standing and self._starts_anew(message, standing, said):
                standing, questions_in_a_row = [], 0
                previous = None  # a new situation: nothing earlier "changed"
                opened = index
            new = _clauses(message, index)
            said[index] = (message, len(new))
            correcting = is_correction(message)
            if correcting:
                standing = self._corrected(standing, new)
            standing = self._overridden(standing, new) + new
            situation = self._situation(standing, said)
            assessment = self.assessor.assess(situation)
            if correcting and len(standing) > len(new):
                assessment = self._restated(assessment, message)
            acted_on = None
            if assessment.verdict != "step_in":
                follow_ups = self._follow_ups(standing, said, opened)
                assessment = self._decided_by_a_later_fact(assessment, follow_ups)
                if assessment.verdict != "step_in":
                    assessment, acted_on = self._harm_told_late(assessment, follow_ups)
            asked = assessment.clarifying_question is not None
            if asked and questions_in_a_row >= MAX_QUESTIONS_IN_A_ROW:
                # Two questions in a row is the limit: commit to the best reading now.
                assessment = _without_question(assessment)
                asked = False
            questions_in_a_row = questions_in_a_row + 1 if asked else 0
            changed = None
            if previous and previous.assessment.verdict != assessment.verdict:
                changed = self._what_changed(
                    message, new, assessment.verdict, _harm_said_in(assessment, message)
                )
            previous = TurnView(situation, assessment, tuple(standing), changed, asked, acted_on)
            views.append(previous)
        return views

    def _follow_ups(
        self, standing: Sequence[Clause], said: dict[int, tuple[str, int]], opened: int
    ) -> list[str]:
        """What each standing message after the one that opened the situation still says,
        latest first: each is also read alone, where a fact told late would drown in the
        whole."""
        turns = sorted({c.turn for c in standing if c.turn > opened}, reverse=True)
        return [self._situation([c for c in standing if c.turn == turn], said) for turn in turns]

    def _decided_by_a_later_fact(
        self, assessment: Assessment, follow_ups: Sequence[str]
    ) -> Assessment:
        """A follow-up that still stands and states a fact deciding a row of the table (the
        decision belongs beyond the team; the request comes after real attempts) decides it:
        read alone, such a message is what the statement reader learnt from, while inside the
        whole situation the first message outweighs it. The first message is left to the
        assessor, which reads whole scenarios better than this reader does."""
        if self.statements is None:
            return assessment
        for text in follow_ups:
            stated = self.statements.decisive(text)
            if stated is None:
                continue
            _, note, kinds = stated
            return dataclasses.replace(
                assessment,
                verdict="step_in",
                confidence=round(
                    max(assessment.probabilities.get("step_in", 0.0), RULE_CONFIDENCE), 2
                ),
                clarifying_question=None,
                notes=[*assessment.notes, note],
                row_kinds=kinds,
            )
        return assessment

    def _harm_told_late(
        self, assessment: Assessment, follow_ups: Sequence[str]
    ) -> tuple[Assessment, str | None]:
        """Harm told in a follow-up drowns in the first message when the whole is read as one
        text ("A group is holding a boy down behind the sports hall and filming it" after a
        question about who runs a club still read step back): a standing follow-up in which
        the harm net, reading it alone, finds likely harm calls for stepping in, as it would
        had it been the first message, unless the whole situation reads as already dealt
        with. Also returns that follow-up."""
        if self.harm is None or any(n.startswith(DEALT_WITH_NOTE) for n in assessment.notes):
            return assessment, None
        for text in follow_ups:
            reading = self.harm(text)
            if reading is None:
                continue
            decided = dataclasses.replace(
                assessment,
                verdict="step_in",
                # As for a whole scenario: how often a step in the net forces is right, not
                # its raw score.
                confidence=round(
                    max(
                        assessment.probabilities.get("step_in", 0.0),
                        min(reading.probability, HARM_FORCED_CONFIDENCE),
                    ),
                    2,
                ),
                clarifying_question=None,
                notes=[*assessment.notes, harm_note(reading.probability)],
                harm=reading,
                row_kinds=(),
            )
            return decided, text
        return assessment, None

    def _restated(self, assessment: Assessment, message: str) -> Assessment:
        """A correction usually restates the situation as it really is, and what is left of
        the earlier turns can still carry the words it retracts ("he's never used it" beside
        "he's done the training course"): the correction read alone weighs as much as the
        whole. Of the two readings' verdicts, the one both together favour wins (the
        geometric mean of their probabilities), unless a rule or the harm check decided."""
        if assessment.notes:
            return assessment
        alone = self.assessor.assess(message)
        if alone.verdict == assessment.verdict:
            return assessment
        if len(message.split()) >= _RESTATES_WORDS:
            # A correction that tells the situation again is the situation as it really is:
            # on the older dialogue sets the message alone was right more often than the two
            # readings together (docs/decisions-session34.md, C). What the earlier turns told
            # is still known, though: it asks only what the whole would ask ("How experienced
            # is ..." after "my apprentice, first month on the job").
            if alone.clarifying_question and not assessment.clarifying_question:
                alone = _without_question(alone)
            return alone

        def together(verdict: str) -> float:
            return math.sqrt(
                assessment.probabilities.get(verdict, 0.0) * alone.probabilities.get(verdict, 0.0)
            )

        return alone if together(alone.verdict) > together(assessment.verdict) else assessment

    def _starts_anew(
        self, message: str, standing: Sequence[Clause], said: dict[int, tuple[str, int]]
    ) -> bool:
        """A new situation in the same chat: said so, or a long message that does not lean
        on what was said and is about something else. Harm once stated is never dropped."""
        if _NEW_TOPIC.search(message):
            return True
        if any("harm_now" in c.factors for c in standing):
            return False
        if len(message.split()) < _NEW_SITUATION_WORDS or is_correction(message):
            return False
        if _FOLLOW_UP_START.search(message) or not self.similarity:
            return False
        closeness = max(self.similarity(message, [self._situation(standing, said)]))
        return closeness < _SAME_SITUATION

    def _situation(
        self, standing: Sequence[Clause], said: dict[int, tuple[str, int]] | None = None
    ) -> str:
        """The standing clauses as one text. A message none of whose clauses was dropped is
        given as written: the models read it exactly as `assistant eval` scores a scenario
        (rebuilt from clauses, "X; Y, and Z" became "X. Y. Z." and read differently)."""
        said = said or {}
        parts: list[str] = []
        for turn in dict.fromkeys(c.turn for c in standing):
            kept = [c for c in standing if c.turn == turn]
            message, count = said.get(turn, ("", -1))
            if len(kept) == count:
                parts.append(message.strip())
            else:
                parts += [c.text for c in kept]
        text = " ".join(p if p.endswith((".", "!", "?")) else f"{p}." for p in parts)
        return text[-self.max_chars :]

    @staticmethod
    def _overridden(standing: list[Clause], new: Sequence[Clause]) -> list[Clause]:
        """Earlier clauses that state a fact differently from a new clause are dropped."""
        stated = {f: v for c in new for f, v in c.factors.items()}
        return [
            c
            for c in standing
            if not any(f in stated and stated[f] != v for f, v in c.factors.items())
        ]

    def _corrected(self, standing: list[Clause], new: Sequence[Clause]) -> list[Clause]:
        """A correction replaces what it contradicts: what states the same factor, or else the
        earlier sentence closest in meaning (the whole sentence its closest clause is in)."""
        factors = {f for c in new for f in c.factors}
        if factors:
            return [c for c in standing if not (set(c.factors) & factors)]
        if not self.similarity or not standing:
            return standing
        said = " ".join(c.text for c in new)
        scores = self.similarity(said, [c.text for c in standing])
        best = max(range(len(standing)), key=lambda i: scores[i])
        if scores[best] < _CORRECTS_MEANING:
            return standing
        retracted = (standing[best].turn, standing[best].sentence)
        return [c for c in standing if (c.turn, c.sentence) != retracted]

    @staticmethod
    def _what_changed(
        message: str, new: Sequence[Clause], verdict: str, harm_said: str | None = None
    ) -> str:
        # A clause that states a fact, else the fullest one: "ok." or "Just spoke to her
        # properly." only lead into what the message says.
        # A clause that only admits the mistake ("Hang on, I misread the proposal.") says
        # nothing that changed.
        said = [(c, _without_admission(c.text)) for c in new]
        said = [(c, text) for c, text in said if not _ONLY_ADMITS.match(text)] or [
            (c, c.text) for c in new
        ]
        fullest = max(said, key=lambda pair: len(pair[0].text.split()), default=None)
        decisive = harm_said or next(
            (text for c, text in said if c.factors), fullest[1] if fullest else message
        )
        # "Sorry, I got that wrong: it's ..." or "I just checked - she ..." -> what comes after
        # the preamble.
        for mark in (":", " - ", " – ", " — "):
            preamble, found, rest = decisive.partition(mark)
            if found and rest.strip() and len(preamble) <= _PREAMBLE_CHARS:
                decisive = rest.strip(" ,.")
                break
        first = decisive.split(" ", 1)[0]
        if not is_first_name(first):  # "Ines has led your last six releases" keeps its name
            decisive = lower_first(decisive)
        decisive = to_second_person(decisive)
        return f"Now that I know {decisive}, I'd {_VERDICT_WORDS[verdict]}."
