"""The composed answer: verdict sentence, why, moves for this situation, a line to say, tripwires.

No model writes these words: a 135M chat model loops and invents, so the answer a person
reads is assembled from the assessment, the scenario's own facts and the authored playbook.
Which moves are chosen depends on the situation (meaning match plus the detected signals),
not on the verdict alone.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.assessment import HARM_NOTE, HINGES, Assessment
from assistant.clauses import introduces_the_leader, whole_clause, without_lead_in
from assistant.facts import (
    CHAT_OPENER,
    ScenarioFacts,
    handler,
    is_common_word,
    lower_first,
    quoted_in,
    read_facts,
    to_second_person,
)
from assistant.harm import HarmReading
from assistant.harm_kinds import CATEGORY_KIND, HarmKinds, load_harm_kinds
from assistant.harm_stage import HarmStage, StageReading, load_harm_stage
from assistant.move_ranker import RANKER_RECIPE, Evidence, MoveRanker
from assistant.playbook import Move
from assistant.signals import DENIAL, NEGATION, SIGNAL_RULES, Signal, detect_signals
from assistant.situations import CUE_PATTERNS, KIND_MEANING, SituationCue, detect_kinds
from assistant.verdict_table import table_verdict

__all__ = ["SIGNAL_MEANING", "ChoiceWeights", "Composer", "NamedEncoder", "Plan", "PlannedMove"]

# What each signal means, said to the leader; the evidence follows in the scenario's words.
SIGNAL_MEANING: dict[tuple[str, str], str] = {
    ("urgency", "step_in"): "Harm or damage is happening now",
    ("urgency", "step_back"): "There is time to let it run",
    ("stakes", "step_in"): "The stakes are high and hard to undo",
    ("stakes", "balanced"): "The moment is new or highly visible",
    ("stakes", "step_back"): "The stakes are routine or easy to undo",
    ("competence", "step_back"): "The owner is capable and experienced",
    ("competence", "step_in"): "The owner does not yet have the experience for this",
    ("confidence", "balanced"): "The owner is unsure of themselves",
    ("confidence", "step_back"): "The owner is keen to own it",
    ("ownership", "step_back"): "It is theirs to decide",
    ("ownership", "step_in"): "It sits above their authority, or nobody owns it",
    ("authority", "step_in"): "It needs a decision or sign-off from beyond the team",
    ("integrity", "step_in"): "A safety, legal, ethical or dignity line is at stake",
    ("help_request", "step_in"): "They asked for help after really trying",
    ("help_request", "step_back"): "The problem is being handed up before it has been tried",
    ("learning", "step_back"): "It is a chance for them to grow",
    ("learning", "balanced"): "It is a moment to teach alongside them",
    ("warning_signs", "balanced"): "There are early warning signs, not yet a crisis",
}

# Situation kinds a signal makes more likely; they add to the meaning match, never replace it.
_SIGNAL_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("urgency", "step_in"): ("harm_now", "data_incident"),
    ("stakes", "step_in"): ("irreversible",),
    ("stakes", "balanced"): ("visible_moment", "meeting_prep"),
    ("stakes", "step_back"): ("experiment",),
    ("competence", "step_back"): ("capable_owner",),
    ("competence", "step_in"): ("first_timer", "expertise_gap"),
    ("confidence", "balanced"): ("visible_moment",),
    ("confidence", "step_back"): ("capable_owner", "growth"),
    ("ownership", "step_back"): ("team_decision", "capable_owner"),
    ("ownership", "step_in"): ("authority", "cross_team"),
    ("authority", "step_in"): ("authority", "cross_team"),
    # integrity covers safety, law, ethics and dignity alike: the meaning match decides which.
    ("help_request", "step_in"): ("help_request",),
    ("help_request", "step_back"): ("reflex_delegation",),
    ("learning", "step_back"): ("growth",),
    ("learning", "balanced"): ("growth",),
    ("warning_signs", "balanced"): ("warning_signs", "performance"),
}
_CLOSING_KINDS = {"hand_back", "debrief"}


def _acts_first(chosen: list[tuple[float, Move]]) -> list[tuple[float, Move]]:
    """The chosen moves, those that record what happened after those that act (stable)."""
    return sorted(chosen, key=lambda c: c[1].follows)


_FITTED: dict[str, MoveRanker] = {}  # learnt rankers of this process, by what they learnt from
_CUES_USED = 3  # situation kinds read from everyday words that also steer the choice
_FEWEST_MOVES = 3  # an answer's next steps are three to five
# Which kinds of situation can explain which verdict (a cue that argues the other way is
# left to the moves, not offered as the reason).
_EXPLAINS = {
    "step_in": {
        "wellbeing",
        "safety",
        "data_incident",
        "ethics",
        "dignity",
        "legal",
        "authority",
        "cross_team",
        "help_request",
        "irreversible",
    },
    "step_back": {"capable_owner", "growth", "experiment", "team_decision", "reflex_delegation"},
    "balanced": {"visible_moment", "warning_signs", "first_timer", "performance", "conflict"},
}


def situation_kinds(scenario: str, signals: Sequence[Signal]) -> tuple[list[str], list[str]]:
    """The kinds of situation the signals and everyday words point to, and those of the
    everyday words alone."""
    kinds: list[str] = []
    for s in signals:
        kinds += [k for k in _SIGNAL_KINDS.get((s.name, s.direction), ()) if k not in kinds]
    cue_kinds = [c.kind for c in detect_kinds(scenario)[:_CUES_USED]]
    kinds += [k for k in cue_kinds if k not in kinds]
    return kinds, cue_kinds


_OWNER_SIGNALS = {"competence", "confidence"}
_HARM_SIGNALS = {("urgency", "step_in"), ("integrity", "step_in")}
_SINGULAR = re.compile(r"\b(she|he|her|him|his|hers|herself|himself)\b", re.I)
_PLURAL = re.compile(r"\b(they|them|their|theirs|themselves|everyone|all of)\b", re.I)
_GROUPS = {"team", "crew", "staff", "department", "group", "committee", "squad", "unit", "panel"}


def _about_the_owner(signal: Signal, facts: ScenarioFacts | None) -> bool:
    """Whether a signal said of someone is said of the owner: "two of the senior vets still
    refuse Sunday shifts" describes the people blocking Dana, not Dana's experience."""
    if signal.name not in _OWNER_SIGNALS or facts is None or not facts.owner_found:
        return True
    owner_words = {
        w for w in re.findall(r"[a-z]+", facts.owner.lower()) if w not in {"your", "the"}
    }
    said = set(re.findall(r"[a-z]+", signal.evidence.lower()))
    group = facts.owner.endswith("s") or bool(owner_words & _GROUPS)
    pronouns = _PLURAL if group else _SINGULAR
    return bool(owner_words & said) or bool(pronouns.search(signal.evidence))


_HARM_KINDS = frozenset(CATEGORY_KIND.values())


def _only_restates(sentence: str, facts: ScenarioFacts) -> bool:
    """The sentence says no more than the headline already does: who and what ("Step back
    and let your warehouse team switch the picking route: your warehouse team wants to switch
    the picking route to a new zone layout next week")."""
    if not (facts.task_found and facts.owner_found):
        return False
    said = sentence.lower()
    owner = re.sub(r"^(the|your|my|our)\s+", "", facts.owner.lower())
    task = re.sub(r"^(the|your|my|our|a|an|this|that)\s+", "", facts.task.lower())
    return owner in said and task in said


def _harm_ruled_out(assessment: Assessment | None, harmed: Sequence[str]) -> bool:
    """The coach itself reads no harm: the harm net says none, no kind of harm is read and no
    explicit signal of harm now or of a breached line. A move that begins "halt the harmful
    activity" would then contradict the answer it sits in (a request for help with a model
    whose totals drift got it beside "they asked for help after really trying")."""
    if assessment is None or assessment.harm is None or assessment.harm.level != "none":
        return False
    explicit = any(
        s.name in ("urgency", "integrity") and s.direction == "step_in" for s in assessment.signals
    )
    return not harmed and not explicit


def _safe_first(chosen: list[tuple[float, Move]], harm_now: bool) -> list[tuple[float, Move]]:
    """While harm is happening, the move that stops it comes before calling in advisers or
    telling people (first aid's order: make safe, then get help), and a move for someone the
    harm has already reached ("Once the immediate danger is handled, ...") comes after every
    move written for a harm still going on. Only the order changes."""
    if not harm_now:
        return chosen
    # A move written for a harm still going on, not any move of the kind: "tell your boss" and
    # "protect whoever raised the alarm" answer harm now too, but stop nothing (a backdated gas
    # safety certificate was led by "tell your boss" ahead of "refuse to falsify").
    first = next((c for c in chosen if "ongoing" in c[1].stages), None)
    ordered = chosen if first is None else [first, *(c for c in chosen if c is not first)]
    last = max((i for i, c in enumerate(ordered) if "ongoing" in c[1].stages), default=-1)
    early = [c for c in ordered[: max(last, 0)] if c[1].stages == ("reached",)]
    if not early:
        return ordered
    kept = [c for c in ordered[: last + 1] if not any(c is e for e in early)]
    return kept + early + ordered[last + 1 :]


_TO_COME = re.compile(
    r"\b(wants? to|want(?:ed)? to|is going to|are going to|plans? to|planning to|will|about to|"
    r"next (week|month|term|quarter|time)|tomorrow|tonight|this (afternoon|evening|weekend)|"
    r"should I (let|check|step|leave|sit|join|be)|is due to|are due to|is set to|hopes? to|"
    r"(?:has|have) asked to|(?:is|are) (?:leading|running|presenting) .{0,40}\b(?:on|next)\b)",
    re.I,
)
_DONE = re.compile(
    r"\b(ended|finished|went (well|badly|ok|fine|smoothly|wrong)|didn't work|did not work|"
    r"failed|flopped|fell flat|was a (success|disaster|flop)|(?:has|have|had) (run|finished|"
    r"ended|completed|wrapped|delivered|presented|happened)|ran\b|last (week|month|night|time)|"
    r"yesterday|this morning|earlier today|just (finished|ran|did|came back|got back|"
    r"happened|ended)|came back|afterwards|results? (are|were|came) in|turned out)\b",
    re.I,
)


def _afterwards(do: str) -> str:
    return f"Once it is done: {lower_first(do)}"


def not_happened_yet(scenario: str) -> bool:
    """Whether the scenario speaks only of something still to come."""
    return bool(_TO_COME.search(scenario)) and not _DONE.search(scenario)


# Kinds that describe the owner; said of the leader ("I've used the old supplier for 20
# years") they are not about the owner.
_OWNER_KINDS = frozenset({"capable_owner", "first_timer", "growth"})
_THE_LEADER = re.compile(r"^\W*(?:I|I'm|I've|I'd|I'll)\b")


def _fitting_cues(verdict: str, cues: Sequence[SituationCue]) -> list[SituationCue]:
    return [
        c
        for c in cues
        if c.kind in _EXPLAINS.get(verdict, set())
        and not (c.kind in _OWNER_KINDS and _THE_LEADER.match(c.evidence))
    ]


@dataclass(frozen=True)
class ChoiceWeights:
    """How moves are chosen; fits between moves differ by ~0.05-0.2. Chosen with
    `python eval/tune_moves.py` on labelled move choices of the holdout set."""

    kind_boost: float = 0.08  # for a kind the signals or everyday words point to
    main_kind_boost: float = 0.04  # per main kind of the situation the move shares
    redundancy: float = 0.35  # MMR weight against a move that says what a chosen one says
    encoder_mix: float = 0.5  # share of the fine-tuned encoder in the fit (rest: plain MiniLM)
    closer_margin: float = float("inf")  # a closing move replaces the last one within this
    drop_below: float = float("inf")  # a fourth move this far below the best is left out
    # With a learnt ranker (probabilities rather than fits). Cross-validated precision is
    # best with no redundancy penalty; the repeats a reader sees and labels cannot are kept
    # out by the playbook's "Same advice as" instead (0.15 until session 24).
    learnt_redundancy: float = 0.0
    keep_above: float = 0.5  # a fourth or fifth move needs at least this probability


_HEADLINE = {
    "step_in": "Step in on {task} now.",
    "step_back": "Step back and let {owner} {action}.",
    "balanced": "Let {owner} {action}, but stay close.",
}
# Where an incident is over and dealt with, there is nothing left to lead but its follow-up.
_DEALT_HEADLINE = {
    "step_back": "It has been dealt with: step back and leave the follow-up with {owner}.",
    "balanced": "It has been dealt with: leave the follow-up with {owner}, and stay close.",
}
# The table's facts (assistant/verdict_table.py) as a reader would say them.
_FACT_WORDS = {
    ("harm_now", "yes"): "someone may be harmed now",
    ("authority", "beyond"): "it needs a decision above the team",
    ("authority", "within"): "it is theirs to decide",
    ("help_after_trying", "yes"): "they asked for help after really trying",
    ("readiness", "ready"): "the owner is ready for it",
    ("readiness", "not_ready"): "the owner is not yet ready for it",
    ("stakes", "recoverable"): "a mistake could be put right",
    ("stakes", "visible_new"): "the moment is new or visible",
    ("stakes", "high_irreversible"): "the stakes are high and hard to undo",
}
_TABLE_SAYS = {
    "step_in": "step in",
    "step_back": "step back and let them lead",
    "balanced": "let them lead but stay close",
}


# The facts that call for stepping in; beside them, "it is theirs to decide" or "the owner is
# ready for it" argue the other way and read as no reason in "..., so step in".
_CALLS_IN = frozenset(
    {
        ("harm_now", "yes"),
        ("authority", "beyond"),
        ("help_after_trying", "yes"),
        ("readiness", "not_ready"),
        ("stakes", "high_irreversible"),
    }
)


def _table_reading(factors: dict[str, str], verdict: str) -> str | None:
    """The facts the factor heads read, when the design's table over them gives this verdict;
    None when it gives another (then they do not explain it) or nothing was read."""
    if not factors or table_verdict(factors) != verdict:
        return None
    said = [
        words
        for (name, value), words in _FACT_WORDS.items()
        if factors.get(name) == value and (verdict != "step_in" or (name, value) in _CALLS_IN)
    ]
    if not said:
        return None
    listed = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    return f"By the coach's rules: {listed}, so {_TABLE_SAYS[verdict]}."


_LEAN = {
    "step_in": "step in",
    "step_back": "step back",
    "balanced": "let them lead but stay close",
}


class Embedder(Protocol):
    """The part of a LangChain Embeddings the composer uses."""

    def embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class NamedEncoder:
    """An encoder with a name, so the playbook's vectors can be cached on disk."""

    encoder: Embedder
    cache_name: str

    def embed_query(self, text: str) -> list[float]:
        """One vector for a scenario."""
        return self.encoder.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for the playbook's texts."""
        return self.encoder.embed_documents(texts)


@dataclass(frozen=True)
class PlannedMove:
    """A move chosen for this scenario, its slots filled."""

    id: str
    title: str
    do: str
    say: str
    watch: str
    kinds: tuple[str, ...]
    score: float


@dataclass
class Plan:
    """Everything the composed answer says; the same plan serves chat, advise, prep and widget."""

    verdict: str | None
    headline: str
    why: list[str]
    moves: list[PlannedMove]
    say: str
    watch: list[str]
    facts: ScenarioFacts
    question: str | None = None
    coach_note: str = ""
    kinds: list[str] = field(default_factory=list)
    changed: str | None = None  # in a conversation: what new fact changed the verdict

    @property
    def next_steps(self) -> list[str]:
        """What to do, one line per chosen move."""
        return [m.do for m in self.moves]

    def as_markdown(self) -> str:
        """The composed answer as a person reads it."""
        parts = [f"**What changed:** {self.changed}"] if self.changed else []
        parts.append(f"**{self.headline}**")
        if self.coach_note:
            parts.append(self.coach_note)
        if self.question:
            parts.append(f"**One question first:** {self.question}")
        if self.why:
            parts.append("**Why**\n" + "\n".join(f"- {w}" for w in self.why))
        if self.moves:
            title = "What to do now" if self.verdict else "What helps"
            steps = "\n".join(f"{n}. {m.do}" for n, m in enumerate(self.moves, start=1))
            parts.append(f"**{title}**\n{steps}")
        if self.say:
            parts.append(f"**What to say:** “{self.say}”")
        if self.watch:
            parts.append("**Watch for**\n" + "\n".join(f"- {w}" for w in self.watch))
        return "\n\n".join(parts)

    def as_brief(self) -> str:
        """The plan as plain lines, for a chat model asked to rewrite it."""
        lines = [f"What changed: {self.changed}"] if self.changed else []
        lines.append(f"Decision: {self.headline}")
        lines += [f"Why: {w}" for w in self.why]
        lines += [f"Do: {m.do}" for m in self.moves]
        if self.say:
            lines.append(f"Say: {self.say}")
        lines += [f"Watch for: {w}" for w in self.watch[:2]]
        return "\n".join(lines)


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# The verb after {task} agrees with it: "the tech rehearsals go badly", not "goes".
_PLURAL_VERB = {"goes": "go", "is": "are", "has": "have", "was": "were", "does": "do"}
_PLURAL_VERB.update({v: v[:-1] for v in ("looks", "needs", "stays", "runs", "lands", "works")})
_PREPOSITIONS = {"on", "of", "for", "about", "with", "in", "to", "from", "at", "by", "over", "into"}
_SINGULAR_IN_S = re.compile(r"(ss|us|is|ics|news|series|means)$")


def _plural(noun_phrase: str) -> bool:
    head = noun_phrase.split()[-1].lower() if noun_phrase.split() else ""
    return head.endswith("s") and not _SINGULAR_IN_S.search(head) and "'" not in head


def _base_form(verb: str) -> str:
    """The verb a plural subject takes: "tells" -> "tell", "pushes" -> "push"."""
    if verb in _PLURAL_VERB:
        return _PLURAL_VERB[verb]
    if re.search(r"(ss|sh|ch|x|z)es$", verb):
        return verb[:-2]
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    return verb[:-1] if not verb.endswith("ss") else verb


def _fill(template: str, facts: ScenarioFacts) -> str:
    if facts.task_found and _plural(facts.task):
        # After a preposition {task} is not the verb's subject: "the decision on {task} is".
        template = re.sub(
            r"(\b\w+ )?\{task\} (\w+)\b",
            lambda m: (
                m.group(0)
                if (m.group(1) or "").strip().lower() in _PREPOSITIONS
                else (m.group(1) or "") + "{task} " + _PLURAL_VERB.get(m.group(2), m.group(2))
            ),
            template,
        )
    # The head of "your head of maths" is "head": "Make sure your head of maths tells ...".
    owner_head = facts.owner.split(" of ")[0]
    if facts.owner_found and _plural(owner_head) and not facts.owner.startswith("one of"):
        # "Make sure your pickers tell ...", not "tells".
        template = re.sub(
            r"(\b\w+ )?\{owner\} (\w+s)\b",
            lambda m: (
                m.group(0)
                if (m.group(1) or "").strip().lower() in _PREPOSITIONS
                else (m.group(1) or "") + "{owner} " + _base_form(m.group(2))
            ),
            template,
        )
    text = template.format_map(_Slots(facts.slots()))
    text = re.sub(r"\bthe the\b|\byour your\b", lambda m: m.group(0).split()[0], text)
    # "it is {owner} or the team who reopens it" with the team as the owner says it once.
    text = re.sub(
        r"\b((?:the|your|my|our)\s+[\w'-]+(?:\s+[\w'-]+)?)\s+(?:or|and)\s+\1\b", r"\1", text
    )
    # "the decision on the decision": a work named like the template's own noun is said once.
    text = re.sub(r"\b(the (\w+)) (?:on|about|for|of) the \2\b", r"\1", text)
    # A slot that opens a sentence ("{owner} owns this") needs its capital back.
    return re.sub(r"(^|[.!?]\s+|[“\"]\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


_OPENERS = {
    "a",
    "an",
    "the",
    "one",
    "two",
    "our",
    "my",
    "your",
    "some",
    "we",
    "i",
    "you",
    "she",
    "he",
    "they",
    "it",
    "this",
    "that",
    "there",
    "after",
    "since",
    "last",
    "yesterday",
}


_LINK = re.compile(r"^(?:but|and|yet|although|though|whereas)\s+(?=\w)", re.I)


def _weightiest_said(weightiest: str, scenario: str) -> str:
    """The sentence that weighs most, said back without the words that only announce it."""
    return _evidence(without_lead_in(weightiest), scenario)


def _evidence(text: str, scenario: str = "") -> str:
    """A clause of the scenario said back to the leader; a name keeps its capital, and words
    the scenario quotes from someone else stay as they were said."""
    # The quote that closed the sentence before can lead the clause ("...them.' The investors").
    clause = CHAT_OPENER.sub("", text.strip().strip("\"'“”‘’").strip()).rstrip(".!?;:,")
    # A clause cut after a comma can open on its link to the one before ("but the school's
    # head is well known"); said back as the decisive fact, the link has nothing to join.
    clause = _LINK.sub("", clause)
    if scenario and quoted_in(clause, scenario):
        return clause
    clause = to_second_person(clause)
    first = clause.split(" ", 1)[0]
    if (
        clause[1:2].islower()
        and re.split(r"['’]", first.lower())[0] not in _OPENERS
        and clause[:1].isupper()
        and not is_common_word(first)
        and not re.fullmatch(r"\w+n['’]t", first)  # "Don't want to ...": no name ends in n't
    ):
        return clause  # a name or a proper noun: "Priya wants ..."
    return lower_first(clause)


class Composer:
    """Chooses playbook moves for a scenario and writes the plan from them.

    A move fits a scenario when the scenario reads like the move's general case or its
    concrete examples. Plain MiniLM vectors match by topic (a nurse with a nurse); the
    verdict model's fine-tuned encoder, when there is one, matches by the kind of situation;
    both are averaged. The vectors of the playbook are kept in the cache folder.
    """

    def __init__(
        self,
        moves: Sequence[Move],
        encoders: Sequence[Embedder],
        per_answer: int = 4,
        cache_dir: Path | None = None,
        weights: ChoiceWeights | None = None,
        choices: Sequence[dict[str, object]] = (),
        harm_reader: Callable[[str], HarmReading | None] | None = None,
    ) -> None:
        if not encoders:
            raise ValueError("the composer needs at least one encoder")
        self.moves = list(moves)
        self.encoders = list(encoders)
        self.per_answer = per_answer
        self.weights = weights or ChoiceWeights()
        # Labelled choices teach a ranker how to weigh the evidence (move_ranker.py); without
        # them, the hand-set weights above decide.
        self._choices = list(choices)
        self.ranker: MoveRanker | None = None
        self.cache_dir = cache_dir
        owners = [i for i, m in enumerate(self.moves) for _ in m.matching_texts()]
        self._owner = np.array(owners)
        self._matrices: list[np.ndarray] | None = None
        # The harm net's reading, so that the ranker learns from what it will be shown.
        self.harm_reader = harm_reader
        self._harm_kinds: HarmKinds | None = None
        self._harm_stage: HarmStage | None = None
        self._last_query: tuple[str, list[np.ndarray]] | None = None

    def warm_up(self) -> None:
        """Embed the playbook (or read it from the cache) and learn from the labelled
        choices now rather than on a question."""
        self._vectors()
        if self.harm_reader is not None:
            self._kinds_of_harm()
            self._stage_of_harm()
        self._ranker()

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Every encoder's unit vectors side by side (what the harm readers learn from)."""
        parts = []
        for encoder in self.encoders:
            m = np.asarray(encoder.embed_documents(list(texts)), dtype=np.float32)
            parts.append(m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9))
        return np.hstack(parts)

    def _encoder_names(self) -> list[str]:
        return [str(getattr(e, "cache_name", type(e).__name__)) for e in self.encoders]

    def _kinds_of_harm(self) -> HarmKinds:
        if self._harm_kinds is None:
            self._harm_kinds = load_harm_kinds(self._encode, self._encoder_names(), self.cache_dir)
        return self._harm_kinds

    def _stage_of_harm(self) -> HarmStage:
        if self._harm_stage is None:
            self._harm_stage = load_harm_stage(self._encode, self._encoder_names(), self.cache_dir)
        return self._harm_stage

    def harm_stage(self, scenario: str) -> StageReading | None:
        """Whether harm is still going on and whether it has reached anyone; read beside the
        harm net (like the kinds of harm), whatever the net says, since a move written for a
        harm in progress is as wrong where there is none."""
        if self.harm_reader is None:
            return None
        return self._stage_of_harm().read(scenario, np.concatenate(self._queries(scenario)))

    def harm_kinds(self, scenario: str, reading: HarmReading | None) -> list[str]:
        """How someone may be harmed, when the harm net says they may be."""
        if reading is None or reading.level == "none" or self.harm_reader is None:
            return []
        return self._kinds_of_harm().kinds(np.concatenate(self._queries(scenario)))

    def _queries(self, scenario: str) -> list[np.ndarray]:
        """Per encoder, the scenario's unit vector (the last one is kept: one scenario is
        read several times while its answer is composed)."""
        last = self._last_query  # read once: answers are composed on several threads
        if last is not None and last[0] == scenario:
            return last[1]
        vectors = []
        for encoder in self.encoders:
            query = np.asarray(encoder.embed_query(scenario), dtype=np.float32)
            vectors.append(query / (np.linalg.norm(query) or 1.0))
        self._last_query = (scenario, vectors)
        return vectors

    def _ranker(self) -> MoveRanker | None:
        """The ranker learnt from the labelled choices: from this process, the cache folder,
        or fitted now (a few seconds)."""
        if self.ranker is not None or not self._choices:
            return self.ranker
        names = [str(getattr(e, "cache_name", type(e).__name__)) for e in self.encoders]
        texts = [json.dumps(self._choices, sort_keys=True), *names, RANKER_RECIPE]
        texts.append(f"harm kinds: {self.harm_reader is not None}")
        # What the ranker learns from depends on the signals read in each choice's scenario.
        texts += [f"{key}: {kinds}" for key, kinds in _SIGNAL_KINDS.items()]
        texts += [pattern.pattern for *_, pattern in SIGNAL_RULES]
        texts += [NEGATION.pattern, DENIAL.pattern]
        # ... and on the everyday words' cues and the kinds of harm read in it (a ranker
        # fitted under older cue words or an older kinds reader was loaded from the cache).
        texts += [pattern.pattern for pattern in CUE_PATTERNS.values()]
        texts.append(f"harm kinds: {self._kinds_of_harm().recipe}" if self.harm_reader else "")
        texts += [t for m in self.moves for t in (m.id, *m.matching_texts(), m.do)]
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        ranker = _FITTED.get(key)
        on_disk = self.cache_dir / f"move-ranker-{key}.pkl" if self.cache_dir else None
        if ranker is None and on_disk is not None and on_disk.is_file():
            ranker = pickle.loads(on_disk.read_bytes())  # noqa: S301 - our own cache file
        if ranker is None:

            def evidence_for(scenario: str) -> Evidence:
                kinds, cue_kinds = situation_kinds(scenario, detect_signals(scenario))
                reading = self.harm_reader(scenario) if self.harm_reader else None
                harmed = self.harm_kinds(scenario, reading)
                return self.evidence(scenario, kinds, cue_kinds, harmed)

            ranker = MoveRanker(self.moves).fit(self._choices, evidence_for)
            if on_disk is not None:
                on_disk.parent.mkdir(parents=True, exist_ok=True)
                partial = on_disk.with_suffix(".partial")
                partial.write_bytes(pickle.dumps(ranker))
                partial.replace(on_disk)
        _FITTED[key] = ranker
        self.ranker = ranker
        return ranker

    def evidence(
        self,
        scenario: str,
        kinds: Sequence[str],
        cue_kinds: Sequence[str],
        harm_kinds: Sequence[str] = (),
    ) -> Evidence:
        """What the ranker reads about a scenario."""
        queries = self._queries(scenario)
        return Evidence(
            self.encoder_fits(scenario),
            frozenset(kinds),
            frozenset(cue_kinds),
            frozenset(harm_kinds),
            np.concatenate(queries) / np.sqrt(len(queries)),
        )

    def _cache_file(self, index: int, texts: list[str]) -> Path | None:
        name = getattr(self.encoders[index], "cache_name", None)
        if self.cache_dir is None or not name:
            return None
        digest = hashlib.sha256("\n".join([str(name), *texts]).encode()).hexdigest()[:16]
        return self.cache_dir / f"playbook-vectors-{digest}.npy"

    def _vectors(self) -> list[np.ndarray]:
        """Per encoder, one unit row per matching text of every move."""
        if self._matrices is None:
            texts = [t for m in self.moves for t in m.matching_texts()]
            matrices = []
            for index, encoder in enumerate(self.encoders):
                cached = self._cache_file(index, texts)
                if cached is not None and cached.is_file():
                    matrix = np.load(cached)
                else:
                    matrix = np.asarray(encoder.embed_documents(texts), dtype=np.float32)
                    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                    matrix = matrix / np.where(norms == 0, 1.0, norms)
                    if cached is not None:
                        cached.parent.mkdir(parents=True, exist_ok=True)
                        partial = cached.with_suffix(".partial.npy")
                        np.save(partial, matrix)
                        partial.replace(cached)
                matrices.append(matrix)
            self._matrices = matrices
        return self._matrices

    def encoder_fits(self, scenario: str) -> list[np.ndarray]:
        """Per encoder, how well each move fits: the mean of the move's two closest texts."""
        parts = []
        for query, matrix in zip(self._queries(scenario), self._vectors(), strict=True):
            sims = matrix @ query
            best = np.full((len(self.moves), 2), -1.0)
            for row, owner in enumerate(self._owner):
                if sims[row] > best[owner, 0]:
                    best[owner, 1] = best[owner, 0]
                    best[owner, 0] = sims[row]
                elif sims[row] > best[owner, 1]:
                    best[owner, 1] = sims[row]
            best[best[:, 1] < -0.5, 1] = best[best[:, 1] < -0.5, 0]
            parts.append(best.mean(axis=1))
        return parts

    def fits(self, scenario: str) -> np.ndarray:
        """How well each move fits the scenario: plain MiniLM (by topic) mixed with the
        fine-tuned encoder (by kind of situation) when there is one."""
        parts = self.encoder_fits(scenario)
        if len(parts) == 1:
            return parts[0]
        mix = self.weights.encoder_mix
        return (1 - mix) * parts[0] + mix * np.mean(parts[1:], axis=0)

    # -- choosing ---------------------------------------------------------------------

    def rank(
        self,
        scenario: str,
        verdict: str | None,
        kinds: Sequence[str] = (),
        cue_kinds: Sequence[str] = (),
        harm_kinds: Sequence[str] = (),
    ) -> list[tuple[float, int]]:
        """(score, index) of every move that fits the verdict, best first."""
        ranker = self._ranker()
        if ranker is not None:
            candidates = [
                i for i, m in enumerate(self.moves) if verdict is None or verdict in m.verdicts
            ]
            probabilities = ranker.probabilities(
                scenario, candidates, self.evidence(scenario, kinds, cue_kinds, harm_kinds)
            )
            return sorted(zip(probabilities.tolist(), candidates, strict=True), reverse=True)
        all_fits = self.fits(scenario)
        w = self.weights
        boosted = set(kinds) | set(harm_kinds)
        fits = {
            i: float(all_fits[i])
            for i, move in enumerate(self.moves)
            if verdict is None or verdict in move.verdicts
        }
        # The situation's main kinds, read from its best-fitting moves, keep the answer
        # coherent: moves of the same kind of situation rather than four unrelated ones.
        kind_fit: dict[str, list[float]] = {}
        for i, fit in fits.items():
            for k in self.moves[i].kinds:
                kind_fit.setdefault(k, []).append(fit + (w.kind_boost if k in boosted else 0.0))
        kind_score = {k: float(np.mean(sorted(v)[-2:])) for k, v in kind_fit.items()}
        main = sorted(kind_score, key=lambda k: kind_score[k], reverse=True)[:2]
        ranked = []
        for i, fit in fits.items():
            move_kinds = set(self.moves[i].kinds)
            bonus = w.kind_boost * min(len(boosted & move_kinds), 1)
            bonus += w.main_kind_boost * min(len(move_kinds & set(main)), 1)
            ranked.append((fit + bonus, i))
        return sorted(ranked, reverse=True)

    def choose(
        self,
        scenario: str,
        verdict: str | None,
        kinds: Sequence[str] = (),
        cue_kinds: Sequence[str] = (),
        harm_kinds: Sequence[str] = (),
        lead: Sequence[str] = (),
        no_harm_now: bool = False,
        stage: StageReading | None = None,
        group_owner: bool | None = None,
    ) -> list[tuple[float, Move]]:
        """Moves for this situation: the best fits, not repeating each other; with `lead`
        (the kinds of the table's row that decided), the best-ranked move of those kinds
        first, since it answers what decided the verdict. With `no_harm_now`, no move written
        for harm happening now ("halt the harmful activity") is offered; with `stage`, no
        move whose harm is elsewhere in time ("tell the people affected" before anyone is);
        where one person owns it (`group_owner` False), no move for a group's decision."""
        ranked = self.rank(scenario, verdict, kinds, cue_kinds, harm_kinds)
        if no_harm_now:
            ranked = [(s, i) for s, i in ranked if "harm_now" not in self.moves[i].kinds]
        if stage is not None:
            ranked = [(s, i) for s, i in ranked if stage.allows(self.moves[i].needs)]
        else:  # unread: only a move that needs a harm dealt with needs the reading to say so
            ranked = [(s, i) for s, i in ranked if self.moves[i].needs != "handled"]
        after = sorted(i for _, i in ranked if self.moves[i].needs == "handled")
        if stage is not None and stage.dealt_with and verdict != "step_in" and after:
            # Over and dealt with: acknowledge it and leave the review with whoever handled it,
            # in the playbook's order. No labelled choice has taught the ranker these moves,
            # and its best for such a text were moves for a team's decision or an experiment
            # (session 27, read on the blind handled set), which would contradict them.
            return [(1.0, self.moves[i]) for i in after]
        if group_owner is False:
            ranked = [(s, i) for s, i in ranked if self.moves[i].needs != "group"]
        if self.ranker is not None:
            return _acts_first(self._led(self._choose_learnt(ranked), ranked, lead))
        general = self._vectors()[0][self._first_rows()]
        body = [(s, i) for s, i in ranked if not set(self.moves[i].kinds) <= _CLOSING_KINDS]
        closers = [(s, i) for s, i in ranked if set(self.moves[i].kinds) & _CLOSING_KINDS]
        chosen = self._diverse(body[: self.per_answer * 6], general, self.weights.redundancy)
        if verdict and closers and chosen:
            # Closing the loop (handing back, a debrief) belongs in an answer when it fits
            # about as well as the last move it would replace.
            kept = [self.moves[i] for _, i in chosen[:-1]]
            closer = next(
                ((s, i) for s, i in closers if not any(self.moves[i].repeats(m) for m in kept)),
                None,
            )
            if closer and closer[0] >= chosen[-1][0] - self.weights.closer_margin:
                chosen[-1] = closer
        if chosen:
            top = chosen[0][0]
            chosen = chosen[:3] + [c for c in chosen[3:] if c[0] >= top - self.weights.drop_below]
        return _acts_first(self._led([(s, self.moves[i]) for s, i in chosen], ranked, lead))

    def _led(
        self,
        chosen: list[tuple[float, Move]],
        ranked: Sequence[tuple[float, int]],
        lead: Sequence[str],
    ) -> list[tuple[float, Move]]:
        if not lead or not chosen:
            return chosen
        wanted = min(len(chosen), _FEWEST_MOVES)
        first = next((c for c in chosen if set(c[1].kinds) & set(lead)), None)
        if first is None:
            best = next(((s, i) for s, i in ranked if set(self.moves[i].kinds) & set(lead)), None)
            if best is None:
                return chosen
            first, chosen = (best[0], self.moves[best[1]]), chosen[:-1]
        led = [first, *(c for c in chosen if not c[1].repeats(first[1]))]
        # Where dropping the moves that repeat the one brought first leaves fewer than an
        # answer needs, the next best that repeats none of them fill it.
        for s, i in ranked:
            if len(led) >= wanted:
                break
            if not any(self.moves[i].repeats(m) for _, m in led):
                led.append((s, self.moves[i]))
        return led

    def _choose_learnt(self, ranked: list[tuple[float, int]]) -> list[tuple[float, Move]]:
        """Three to five moves by the ranker's probability, a near-repeat passed over; a
        fourth or fifth only when a reader would likely call it good."""
        general = self._vectors()[0][self._first_rows()]
        chosen = self._diverse(ranked[:30], general, self.weights.learnt_redundancy, limit=5)
        chosen = chosen[:3] + [c for c in chosen[3:] if c[0] >= self.weights.keep_above]
        return [(s, self.moves[i]) for s, i in chosen]

    def _diverse(
        self,
        pool: list[tuple[float, int]],
        general: np.ndarray,
        redundancy: float,
        limit: int | None = None,
    ) -> list[tuple[float, int]]:
        """Greedy maximal marginal relevance: each pick the best fit not saying what a
        chosen move already says. A move giving the same advice as a chosen one (the
        playbook's "Same advice as") is passed over outright: readers see a repeat there
        that no similarity of the moves' words measured (session 23)."""
        pool = list(pool)
        chosen: list[tuple[float, int]] = []
        while pool and len(chosen) < (limit or self.per_answer):

            def mmr(item: tuple[float, int]) -> float:
                overlap = max(
                    (float(general[item[1]] @ general[j]) for _, j in chosen), default=0.0
                )
                return item[0] - redundancy * overlap

            best = max(pool, key=mmr)
            pool.remove(best)
            if not any(self.moves[best[1]].repeats(self.moves[j]) for _, j in chosen):
                chosen.append(best)
        return chosen

    def _first_rows(self) -> np.ndarray:
        """The row of each move's general case (its first matching text)."""
        starts = np.r_[0, np.cumsum([len(m.matching_texts()) for m in self.moves])[:-1]]
        return starts

    # -- writing ----------------------------------------------------------------------

    def compose(self, scenario: str, assessment: Assessment | None) -> Plan:
        """The plan for a scenario; without an assessment, general help from the playbook."""
        facts = read_facts(scenario)
        stage = self.harm_stage(scenario)
        if stage is not None and stage.dealt_with:
            # Whoever an incident happened to is named first; the moves speak to whoever
            # dealt with it.
            who = handler(scenario)
            facts = replace(
                facts, owner=who or "whoever dealt with it", owner_found=who is not None
            )
        verdict = assessment.verdict if assessment else None
        cues = detect_kinds(scenario)[:_CUES_USED]
        kinds, cue_kinds = situation_kinds(scenario, assessment.signals if assessment else ())
        harmed = self.harm_kinds(scenario, assessment.harm if assessment else None)
        # Where someone may be harmed, the first move answers that harm, in its kind (a
        # person at risk is asked about it before anyone writes a note to the boss);
        # otherwise it answers the table's row that decided.
        lead = tuple(harmed) or (assessment.row_kinds if assessment else ())
        chosen = _safe_first(
            self.choose(
                scenario,
                verdict,
                kinds,
                cue_kinds,
                harmed,
                lead,
                _harm_ruled_out(assessment, harmed),
                stage,
                facts.owner_is_group,
            ),
            harm_now=bool(assessment and assessment.harm and assessment.harm.level == "likely"),
        )
        kinds = [*harmed, *(k for k in kinds if k not in harmed)]
        # Readers marked debriefs good before an event too (book one for afterwards), but
        # their words are written for after it: said before it, they are said as "once done".
        ahead = not_happened_yet(scenario)
        moves = [
            PlannedMove(
                m.id,
                m.title,
                _afterwards(_fill(m.do, facts))
                if ahead and "debrief" in m.kinds
                else _fill(m.do, facts),
                _fill(m.say, facts),
                _fill(m.watch, facts),
                m.kinds,
                round(score, 3),
            )
            for score, m in chosen
        ]
        spoken = next((m for m in moves if not (ahead and "debrief" in m.kinds)), None)
        why = self._why(assessment, cues, harmed, facts, scenario) if assessment else []
        return Plan(
            verdict=verdict,
            headline=self._headline(
                assessment,
                facts,
                cues,
                dealt=stage is not None and stage.dealt_with,
                scenario=scenario,
            ),
            why=why,
            moves=moves,
            say=spoken.say if spoken else "",
            watch=[m.watch for m in moves[:3]],
            facts=facts,
            question=assessment.clarifying_question if assessment else None,
            kinds=kinds,
        )

    @staticmethod
    def _why(
        assessment: Assessment,
        cues: Sequence[SituationCue] = (),
        harmed: Sequence[str] = (),
        facts: ScenarioFacts | None = None,
        scenario: str = "",
    ) -> list[str]:
        verdict = assessment.verdict
        # The leader's own role, said before the situation, is no reason to quote.
        drivers = [
            s
            for s in assessment.signals
            if s.direction == verdict and not introduces_the_leader(s.evidence, scenario)
        ]
        others = [
            s
            for s in assessment.signals
            if s.direction != verdict
            # A capable owner is half of the reason to stay close and high stakes the other
            # half, so neither is an argument against it.
            and not (
                verdict == "balanced"
                and (s.name, s.direction) in {("competence", "step_back"), ("stakes", "step_in")}
            )
        ]
        by_evidence: dict[str, list[str]] = {}
        for s in drivers:
            meaning = SIGNAL_MEANING.get((s.name, s.direction), s.name)
            by_evidence.setdefault(_evidence(s.evidence, scenario), []).append(meaning)
        lines = []
        harm = assessment.harm
        notes = []
        for note in assessment.notes:
            if note.startswith(HARM_NOTE) and harm is not None and harm.evidence:
                # What decided comes first, said as what kind of harm it is, in the
                # scenario's own words.
                meaning = KIND_MEANING.get(harmed[0], HARM_NOTE) if harmed else HARM_NOTE
                also = [KIND_MEANING[k] for k in harmed[1:2] if k in KIND_MEANING]
                said = f"{meaning} now" + "".join(f", and {m[:1].lower()}{m[1:]}" for m in also)
                lines.append(
                    f"{said}: “{_evidence(without_lead_in(harm.evidence), scenario)}” "
                    f"(the harm check reads "
                    f"{harm.probability:.0%}); that outranks autonomy."
                )
            else:
                notes.append(note)
        harm_line = " ".join(lines)  # only the harm check's line is written so far
        for evidence, meanings in list(by_evidence.items())[:3]:
            if harm_line and evidence in harm_line:
                continue  # those words are quoted already, with the kind of harm they show
            said = meanings[0] + "".join(f", and {m[:1].lower()}{m[1:]}" for m in meanings[1:])
            shown = "." if evidence in " ".join(lines) else f": “{evidence}”."
            lines.append(f"{said}{shown}")
        for note in notes:
            # A table row named after a signal already said: its conclusion joins that line.
            lead, colon, rest = note.partition(": ")
            said_as = next((i for i, line in enumerate(lines) if line.startswith(lead)), None)
            if colon and said_as is not None:
                lines[said_as] = f"{lines[said_as].rstrip('.')}; {rest}"
            else:
                lines.append(note)
        fitting = _fitting_cues(assessment.verdict, cues)
        if harmed:
            # The kind reader has said how someone may be harmed; an everyday word of another
            # kind ("needs the data for a deadline") is not a second harm.
            fitting = [c for c in fitting if c.kind not in _HARM_KINDS or c.kind in harmed]
        quoted = " ".join(lines)
        hinge = HINGES.get(assessment.clarifying_question or "")
        fitting = [c for c in fitting if not introduces_the_leader(c.evidence, scenario)]
        if not drivers and fitting and _evidence(fitting[0].evidence, scenario) not in quoted:
            # (A cue already quoted, as the harm line's evidence, is not said twice.)
            cue = fitting[0]
            lines.append(f"{KIND_MEANING[cue.kind]}: “{_evidence(cue.evidence, scenario)}”.")
        elif (
            not drivers
            and not assessment.notes
            and not hinge
            and (reading := _table_reading(assessment.factors, assessment.verdict))
        ):
            # No phrase decided it, but the facts the design's table is written in were read,
            # and they call for this verdict: say them, in the table's own terms.
            weighs = (
                f"What weighs most is “{_weightiest_said(assessment.weightiest, scenario)}”. "
                if assessment.weightiest
                else ""
            )
            lines.append(f"{weighs}{reading}")
        elif not drivers and not assessment.notes and not hinge:
            weighs = (
                f"What weighs most is “{_weightiest_said(assessment.weightiest, scenario)}”, "
                "though no single phrase decides it"
                if assessment.weightiest
                else "No single phrase decides this"
            )
            lines.append(
                f"{weighs}; the verdict comes from how the situation as a whole compares with "
                f"the ones the coach has learnt from (confidence {assessment.confidence:.0%})."
            )
        if hinge:
            lines.append(hinge)  # the lean is provisional: say which answer moves it where
        # What argues the other way comes last: a reader first needs what decided it.
        quoted = " ".join(lines)
        # Harm the harm check has ruled out is not weighed against the verdict either: the
        # assessor let "shutdown" or "fire" count for nothing there, and so does the answer.
        ruled_out = harm is not None and harm.level == "none"
        against = [
            o
            for o in others
            if _about_the_owner(o, facts)
            and not (ruled_out and (o.name, o.direction) in _HARM_SIGNALS)
            and not introduces_the_leader(o.evidence, scenario)
        ]
        for s in against[:1]:
            meaning = SIGNAL_MEANING.get((s.name, s.direction), s.name).lower()
            said = _evidence(s.evidence, scenario)
            shown = "" if said in quoted else f" (“{said}”)"  # quoted above already
            lines.append(
                f"Weighed against it: {meaning}{shown}, but it does not outweigh the rest."
            )
        return lines

    @staticmethod
    def _headline(
        assessment: Assessment | None,
        facts: ScenarioFacts,
        cues: Sequence[SituationCue] = (),
        dealt: bool = False,
        scenario: str = "",
    ) -> str:
        if assessment is None:
            return "Here is what the playbook suggests."
        verdict = assessment.verdict
        if dealt and verdict in _DEALT_HEADLINE:
            # What happened is the scenario's own story; the headline says where it stands.
            head = _DEALT_HEADLINE[verdict].format(owner=facts.owner)
            if assessment.clarifying_question:
                head = f"My lean for now is to {_LEAN[verdict]}. {head}"
            return head
        task = facts.task if facts.task_found else "this"
        head = _HEADLINE[verdict].format(
            owner=facts.owner, task=task, action=facts.slots()["action"]
        )
        harm = assessment.harm
        harm_decided = any(n.startswith(HARM_NOTE) for n in assessment.notes)
        if verdict == "step_in" and (harm_decided or not facts.task_found):
            # Where someone may be harmed, the harm is what to step in on, not their task
            # ("Step in on the deadline now" for a student working alone with acid).
            head = "Step in now."
        drivers = [s for s in assessment.signals if s.direction == verdict]
        fitting = _fitting_cues(verdict, cues)
        candidates = (
            [drivers[0].evidence]
            if drivers
            else [harm.evidence]
            if harm_decided and harm is not None and harm.evidence
            else [fitting[0].evidence]
            if fitting
            else []
        ) + [assessment.weightiest or ""]
        # Leaders saying who they are is no fact about the situation; a piece cut at a comma
        # is said back as the clause it was cut from.
        decisive = next(
            (c for c in candidates if c and not introduces_the_leader(c, scenario)), None
        )
        decisive = whole_clause(decisive, scenario) if decisive and scenario else decisive
        decisive = without_lead_in(decisive) if decisive else decisive
        if decisive and not _only_restates(decisive, facts):
            # The decisive fact, said back to the leader: the sentence a reader recognises
            # their own situation in (the why below quotes it and names what it shows).
            fact = _evidence(decisive, scenario)
            if len(fact) > 110:
                fact = fact[:110].rsplit(" ", 1)[0].rstrip(",;:") + " …"
            if quoted_in(fact.rstrip(" …"), scenario):
                head = f"{head[:-1]}: “{fact}”."  # their words, not the leader's
            else:
                head = f"{head[:-1]}: {fact}" + ("" if fact.endswith("…") else ".")
        if assessment.clarifying_question:
            head = f"My lean for now is to {_LEAN[verdict]}. {head}"
        return head[:1].upper() + head[1:]
