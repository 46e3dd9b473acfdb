"""The verdict: explicit signals combined with a classifier over sentence embeddings."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.clauses import introduces_the_leader, voices_the_leaders_urge
from assistant.domain import VERDICTS
from assistant.facts import sentences
from assistant.harm import HARM_BANK_PATH, HarmDetector, HarmReading
from assistant.harm_stage import StageReading
from assistant.signals import Signal, detect_signals
from assistant.situations import detect_kinds
from assistant.verdict_table import table_probabilities

__all__ = [
    "BANK_PATH",
    "HARM_NOTE",
    "LABELS",
    "TRAINING_BANKS",
    "Assessment",
    "Assessor",
    "ProbabilityModel",
    "harm_note",
    "load_bank",
]

LABELS: tuple[str, ...] = VERDICTS
BANK_PATH = Path(__file__).parent / "scenarios" / "scenarios_train.jsonl"
WEAK_CATEGORIES_PATH = Path(__file__).parent / "scenarios" / "weak_categories_train.jsonl"
VARIED_PATH = Path(__file__).parent / "scenarios" / "varied_train.jsonl"
SHORT_PATH = Path(__file__).parent / "scenarios" / "short_train.jsonl"
# The verdict model learns from the bank, from the harm bank's scenarios (harm and its
# look-alikes), so that an incident already handled well is not mistaken for harm now, and
# from situations it used to miss (above the team's authority, cross-team deadlocks, help
# after real attempts, first-timers facing one-way acts) with their look-alikes, and from
# minimal pairs across twenty-two sectors labelled with the table's facts (the factor heads),
# and short chat messages, a third of them missing the fact the answer hinges on.
TRAINING_BANKS = (BANK_PATH, HARM_BANK_PATH, WEAK_CATEGORIES_PATH, VARIED_PATH, SHORT_PATH)
# How much each explicit signal moves the trained model's log-odds. Requests for help and
# harm happening now are reliable on the development split; the rest mostly explain.
SIGNAL_WEIGHT = {"help_request": 1.0, "urgency": 1.0}
OTHER_SIGNAL_WEIGHT = 0.3
# A missed intervention costs more than an unneeded check-in; this log-odds shift towards
# step_in was chosen on the development split and the harm bank's held-out rows (0.5: dev
# accuracy as at 0 or 1, harm recall 0.97 there; see the README's judgement section).
STEP_IN_PRIOR = 0.5
# How much the verdict table, read over the factor heads' facts, counts beside the verdict
# head (a product of the two: log p = log p_head + TABLE_WEIGHT * log p_table). Chosen on the
# development split and dialogues_dev from 0, 0.5, 1 and 2 (mean accuracy 0.795, 0.818,
# 0.815, 0.815), then checked once on the blind sets (mean 0.826 -> 0.835).
TABLE_WEIGHT = 0.5
# How much the word reader (assistant/word_reader.py) counts beside the verdict head:
# log p += WORD_WEIGHT * log p_words. Chosen on the development split and dialogues_dev from
# 0.5, 1 and 2 (with its regularisation from 1, 10 and 100): mean accuracy 0.818 -> 0.833.
WORD_WEIGHT = 2.0
# Softens the combined log-odds so that the shown confidence is the share of verdicts that
# are right. Fitted on the development split alone (2.2) it said too much on the sets written
# blind later (wrong with confidence >= 0.8: up to 0.16); session 32 fitted it, and the two
# confidences below, on the 22 older scenario sets pooled (`eval/fit_temperature.py`), and
# the frozen veiled set decided (ECE 0.192 -> 0.128; docs/decisions-session32.md, C).
TEMPERATURE = 3.0
# The confidence a step in forced by the harm net's "likely" shows at most: the share of
# such forced verdicts that were right on the pooled sets (the net's threshold is set where
# 90% of held-out bank flags are harm, but blind sets are harder than the bank).
HARM_FORCED_CONFIDENCE = 0.75
# A follow-up the harm net reads at least this surely calls for stepping in without an
# everyday harm word ("his arm caught in the slurry pump and they can't get it to stop" reads
# 0.998 and names no harm): on the read dialogue sets the short asides that read "likely"
# alone stay below it (the highest 0.962), and every follow-up above it was harm
# (docs/decisions-session36.md, H97).
SURE_WITHOUT_WORDS = 0.97
HARM_NOTE = "Someone's health, safety, data or dignity may be at risk now"
DEALT_WITH_NOTE = (
    "It reads as already dealt with: made safe, the people affected looked after and the "
    "right people told, so it is not yours to take over"
)


def harm_note(probability: float) -> str:
    """Why harm read as likely decided: said the same wherever it decides."""
    return f"{HARM_NOTE} (the harm check reads {probability:.0%}), and that outranks autonomy."


HARM_QUESTION = (
    "One thing decides this: is anyone's health, safety, data or dignity at risk right now, "
    "or has that already been dealt with?"
)


_HARM_CUE_KINDS = ("wellbeing", "safety", "data_incident", "ethics", "dignity", "legal")


def _unworded(harm: HarmReading, scenario: str, signals: Sequence[Signal]) -> HarmReading:
    """A "likely" reading with no everyday word of any kind of harm and no explicit harm
    signal counts as "possible": the net alone reads some plain updates as harm ("velocity
    has dropped two sprints in a row" 0.72), and a forced step in needs more than that."""
    if any(
        (s.name, s.direction) in (("urgency", "step_in"), ("integrity", "step_in")) for s in signals
    ):
        return harm
    if any(c.kind in _HARM_CUE_KINDS for c in detect_kinds(scenario)):
        return harm
    return dataclasses.replace(harm, level="possible")


class ProbabilityModel(Protocol):
    """Anything that scores scenarios over the three verdicts."""

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


class FactorReader(Protocol):
    """Anything that reads the verdict table's facts: per factor, {value: probability}."""

    def factor_probabilities(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]: ...


# Where a harm is in time and whether it has been dealt with (harm_stage.py); the composer
# owns the reader, since it reads the same vectors as the moves.
StageRead = Callable[[str], StageReading | None]


@dataclass(frozen=True)
class Assessment:
    """A decided verdict and what drove it."""

    verdict: str
    confidence: float
    signals: list[Signal]
    probabilities: dict[str, float]
    clarifying_question: str | None = None
    notes: list[str] = field(default_factory=list)
    harm: HarmReading | None = None
    # When no explicit signal drove the verdict: the sentence the model, reading each one
    # alone, finds most in favour of it (what a reader is shown as the decisive fact).
    weightiest: str | None = None
    # The verdict table's facts as the factor heads read them: {factor: value}.
    factors: dict[str, str] = field(default_factory=dict)
    # When a row of the table the scenario states outright calls for this step in: the
    # playbook's kinds of that row (authority, first_timer ...), which the first move answers.
    row_kinds: tuple[str, ...] = ()


def load_bank(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL scenario bank with `scenario` and `label` on each line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label") in LABELS:
                rows.append(row)
    return rows


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


class Assessor:
    """Decides step_in / step_back / balanced without relying on the chat model."""

    def __init__(
        self,
        model: ProbabilityModel | None = None,
        harm: HarmDetector | None = None,
        temperature: float = TEMPERATURE,
        factors: FactorReader | None = None,
        words: ProbabilityModel | None = None,
    ) -> None:
        self.model = model
        self.words = words
        self.harm = harm
        self.temperature = temperature
        self.factors = factors
        self.stage: StageRead | None = None

    def read_stage_with(self, stage: StageRead) -> None:
        """Read whether an incident is over and dealt with (wired once the composer, which
        owns that reader, exists)."""
        self.stage = stage

    def harm_told(self, text: str) -> HarmReading | None:
        """The harm net's reading of one message alone, when it calls for stepping in by the
        path a whole scenario takes ("likely", worded as harm, not read as already dealt
        with); None otherwise. A conversation reads each follow-up with it."""
        if self.harm is None:
            return None
        harm = self.harm.read(text)
        if harm.level == "likely" and harm.probability < SURE_WITHOUT_WORDS:
            harm = _unworded(harm, text, detect_signals(text))
        if harm.level != "likely":
            return None
        stage = self.stage(text) if self.stage is not None else None
        return None if stage is not None and stage.dealt_with else harm

    def warm_up(self) -> None:
        """Load the model and build its trace now, not on the first user's request."""
        self.assess("warm up")

    def assess(self, scenario: str) -> Assessment:
        """The verdict, its confidence and the signals behind it."""
        signals = detect_signals(scenario)
        signal_scores = {label: 0.0 for label in LABELS}
        for s in signals:
            signal_scores[s.direction] += s.weight * SIGNAL_WEIGHT.get(s.name, OTHER_SIGNAL_WEIGHT)
        read = self.factors.factor_probabilities([scenario])[0] if self.factors else None
        if self.model:
            probs = self.model.probabilities([scenario])[0]
            table = table_probabilities(read) if read else dict.fromkeys(LABELS, 1.0)
            worded = self.words.probabilities([scenario])[0] if self.words else None
            logits = [
                (
                    math.log(max(probs.get(label, 1e-6), 1e-6))
                    + TABLE_WEIGHT * math.log(table[label])
                    + (WORD_WEIGHT * math.log(max(worded[label], 1e-6)) if worded else 0.0)
                    + signal_scores[label]
                    + (STEP_IN_PRIOR if label == "step_in" else 0.0)
                )
                / self.temperature
                for label in LABELS
            ]
        else:
            # Signals alone: lean to the middle, so the evidence has to earn an extreme.
            raw = {label: 0.0 for label in LABELS}
            for s in signals:
                raw[s.direction] += s.weight
            logits = [raw[label] + (0.5 if label == "balanced" else 0.0) for label in LABELS]
        final = dict(zip(LABELS, _softmax(logits), strict=True))
        verdict = max(final, key=lambda k: final[k])
        confidence = final[verdict]
        notes: list[str] = []
        if read is not None:
            question = _question_from_factors(read, signals, verdict)
            if question and verdict == "step_back":
                # While a fact that could call for stepping in is unknown, the lean is to
                # stay close, not to let go.
                verdict, confidence = "balanced", final["balanced"] + final["step_back"]
        else:
            question = _clarifying_question(scenario, signals, final)
        harm = self.harm.read(scenario) if self.harm else None
        if harm is not None and harm.level == "likely":
            harm = _unworded(harm, scenario, signals)
        integrity = any(s.name == "integrity" for s in signals)
        stage = self.stage(scenario) if self.stage is not None else None
        dealt = stage is not None and stage.dealt_with
        if stage is not None and dealt:
            # Over, and handled by someone responsible: the alarm words tell what happened,
            # not what is happening, so they force nothing, and stepping in stays only where
            # a row of the table the scenario states calls for it (below).
            notes.append(f"{DEALT_WITH_NOTE} (the stage check reads {stage.handled:.0%}).")
            if verdict == "step_in" and _decisive_rule(signals) is None:
                rest = final["step_back"] + final["balanced"]
                verdict = "step_back" if final["step_back"] >= final["balanced"] else "balanced"
                confidence = stage.handled * final[verdict] / rest
        if not dealt and (
            (harm and harm.level == "likely")
            or (integrity and (harm is None or harm.level != "none"))
        ):
            # Harm outranks autonomy; the explicit rules count only when the harm net
            # does not rule harm out, so words like "fire drill" raise no alarm alone.
            if harm and harm.level == "likely":
                notes.append(harm_note(harm.probability))
            elif verdict != "step_in":
                notes.append("A safety, legal, ethical or dignity issue overrides autonomy.")
            verdict, question = "step_in", None
            # How often a step in the net forces is right, not its raw score, is what the
            # confidence may say.
            confidence = max(
                final["step_in"], min(harm.probability, HARM_FORCED_CONFIDENCE) if harm else 0.8
            )
        elif (rule := _decisive_rule(signals)) and verdict != "step_in":
            # A row of the verdict table whose facts the scenario states outright decides,
            # whatever the model's reading of the whole.
            notes.append(rule[0])
            verdict, question = "step_in", None
            confidence = max(final["step_in"], RULE_CONFIDENCE)
        elif dealt:
            pass  # nobody is at risk now: no harm question
        elif harm and harm.level == "possible" and verdict == "step_in":
            # Someone may be at risk and the reading already calls for stepping in: act
            # first, and ask about experience or stakes afterwards, not before.
            question = None
        elif harm and harm.level == "possible" and verdict == "step_back":
            notes.append("Someone may be at risk, so not a plain step back until that is known.")
            verdict, question = "balanced", HARM_QUESTION
            confidence = final["balanced"] + final["step_back"]
        if question:
            confidence = min(confidence, 0.5)
        row = _decisive_rule(signals) if verdict == "step_in" else None
        weightiest = None
        if self.model and not any(s.direction == verdict for s in signals):
            weightiest = self._weightiest(scenario, verdict)
        return Assessment(
            verdict=verdict,
            confidence=round(confidence, 2),
            signals=signals,
            probabilities={k: round(v, 3) for k, v in final.items()},
            clarifying_question=question,
            notes=notes,
            harm=harm,
            weightiest=weightiest,
            row_kinds=row[1] if row else (),
            factors={k: max(v, key=lambda value: v[value]) for k, v in (read or {}).items()},
        )

    def _weightiest(self, scenario: str, verdict: str) -> str | None:
        """The sentence whose removal lowers the verdict's probability most: read with the
        rest of the scenario, not alone, since a sentence means what its context makes it."""
        parts = sentences(scenario)
        # A question asks for the verdict rather than giving a reason for it.
        stated = [
            i
            for i, p in enumerate(parts)
            if not p.rstrip("\"'”)").endswith("?")
            and not _ASKS_THE_COACH.search(p)
            and not introduces_the_leader(p, scenario)  # "I'm the contracts director."
            and not voices_the_leaders_urge(p)  # nor "Part of me wants to just pick one."
        ]
        if len(parts) < 2 or not stated or self.model is None:
            return None
        without = [" ".join(p for j, p in enumerate(parts) if j != i) for i in stated]
        scores = [p[verdict] for p in self.model.probabilities(without)]
        return parts[stated[min(range(len(stated)), key=lambda k: scores[k])]]


# A question typed without its question mark ("shoud i make her run it past me"): it asks
# for the verdict too.
_ASKS_THE_COACH = re.compile(
    r"\b(should|shoud|shld|do|can|could|would|must|shall) (i|we)\b(?!.*[.!]\s)", re.I
)


# Rows of the verdict table (DESIGN.md) stated outright by explicit signals.
# Each with the playbook's kinds of situation it is (the answer's first move is one of them).
_TABLE_RULES: list[tuple[frozenset[tuple[str, str]], str, tuple[str, ...]]] = [
    (
        frozenset({("competence", "step_in"), ("stakes", "step_in")}),
        "High stakes that are hard to undo, with an owner who has not done this before: "
        "that calls for stepping in.",
        ("first_timer", "irreversible"),
    ),
    (
        frozenset({("authority", "step_in")}),
        "It needs a decision or sign-off from beyond the team: that calls for stepping in, "
        "taking it to whoever can give it.",
        ("authority",),
    ),
]
# The confidence shown when a stated row decides: the row is the design's own, but its facts
# are read by phrase matching, which misreads sometimes. (It never fired against the model
# on the development split; the share right where it decides on the pooled older sets.)
RULE_CONFIDENCE = 0.65


def _decisive_rule(signals: Sequence[Signal]) -> tuple[str, tuple[str, ...]] | None:
    """The first row of the table whose facts the signals state: its note and its kinds."""
    present = {(s.name, s.direction) for s in signals}
    return next(((note, kinds) for needed, note, kinds in _TABLE_RULES if needed <= present), None)


_EXPERIENCE = re.compile(
    r"\b(experienc\w*|new|junior|senior|veteran|seasoned|rookie|intern|trainee|apprentice|"
    r"first[- ](time|week|month|year)|\d+ (years|months)|years|capable|competent|skilled|"
    r"expert|track record|done (this|it) before|never (done|led|run|handled)|graduate|"
    r"novice|newly|recently (hired|promoted|joined)|just (joined|started|promoted)|"
    r"trust(ed)?|reliable|struggl\w*|strong|star|best)\b",
    re.I,
)
_STAKES = re.compile(
    r"\b(client|customer|patient|revenue|budget|cost|money|\$|£|€|deadline|launch|board|"
    r"contract|risk\w*|safety|legal|regulat\w*|audit|reputation|press|public|irreversible|"
    r"undo|roll ?back|reversible|routine|minor|small|low[- ]stakes|high[- ]stakes|critical|"
    r"biggest|largest|important|visible|visibility|deal|renewal|outage|harm|injur\w*|"
    r"data|lawsuit|fine|million|thousand|job|jobs|career|investor\w*|ceo|executive\w*)\b",
    re.I,
)


def _clarifying_question(
    scenario: str, signals: list[Signal], probabilities: dict[str, float]
) -> str | None:
    """One question when the decision hinges on facts the scenario does not give."""
    names = {s.name for s in signals}
    if names & {"integrity", "urgency"}:
        return None  # harm now: act first, never ask first
    knows_experience = bool(_EXPERIENCE.search(scenario)) or bool(
        names & {"competence", "help_request"}
    )
    knows_stakes = bool(_STAKES.search(scenario)) or "stakes" in names
    if not knows_experience and not knows_stakes:
        # Nothing is known about either fact the verdict hinges on: however sure the
        # model sounds, a coach asks before judging.
        return (
            "Before I commit: how experienced is the person with this kind of situation, "
            "and what happens if it goes wrong?"
        )
    if max(probabilities.values()) >= 0.6:
        return None
    if not knows_experience:
        return "How experienced is the person who owns this, and have they handled one before?"
    if not knows_stakes:
        return "What is at stake if this goes wrong, and could it be undone?"
    return None


# A factor read as unknown with at least this probability is missing (set on dialogues_dev).
UNKNOWN = 0.5
EXPERIENCE_QUESTION = (
    "How experienced is the person who owns this, and have they handled one like it before?"
)
STAKES_QUESTION = "What is at stake if this goes wrong, and could it be undone?"
ATTEMPTS_QUESTION = (
    "What have they already tried themselves before asking you, and where did it get stuck?"
)


AUTHORITY_QUESTION = (
    "Is this theirs to decide, or does it need someone else's sign-off: a policy, a contract, "
    "another team or a higher approval?"
)


# What each question's answer would decide, said beside the question: the lean is provisional,
# and the leader should know which answer moves it where.
HINGES = {
    ATTEMPTS_QUESTION: (
        "It hinges on what they have tried: after real attempts that got stuck, step in and "
        "help; before any, coach them to try first."
    ),
    AUTHORITY_QUESTION: (
        "It hinges on whose decision this is: if it needs a sign-off beyond the team, step in "
        "and take it to whoever owns it; if it is theirs to make, let them lead."
    ),
    EXPERIENCE_QUESTION: (
        "It hinges on the owner's experience: someone new to something that matters this much "
        "needs you close or in; someone who has done it before can lead."
    ),
    STAKES_QUESTION: (
        "It hinges on the stakes: if a mistake would be hard to undo, step in; if it can be "
        "put right, let them learn from it with you close."
    ),
    HARM_QUESTION: (
        "It hinges on whether anyone is at risk: if someone's health, safety, data or dignity "
        "is, step in now; if not, let them lead."
    ),
}


def _question_from_factors(
    read: dict[str, dict[str, float]], signals: Sequence[Signal], verdict: str = "balanced"
) -> str | None:
    """Ask for the one missing fact that would flip the verdict by the design's table: what
    was tried before a request for help; whether the decision is the team's to make (beyond
    it, the leader steps in); the owner's readiness when the stakes are not plainly
    recoverable (low competence on an important task calls for stepping in); the stakes when
    an owner is not ready. Of the missing ones, the fact read as unknown most surely is asked.
    Never while harm may be happening: then the coach acts first."""
    if {s.name for s in signals} & {"integrity", "urgency"} or read["harm_now"]["yes"] >= 0.5:
        return None
    if read["help_after_trying"].get("unknown", 0.0) >= UNKNOWN:
        return ATTEMPTS_QUESTION
    likeliest = {name: max(values, key=lambda v: values[v]) for name, values in read.items()}
    missing = []
    if read["authority"]["unknown"] >= UNKNOWN and verdict != "step_in":
        # A decision beyond the team calls for stepping in; it flips nothing when the rest
        # already does.
        missing.append((read["authority"]["unknown"], AUTHORITY_QUESTION))
    if read["readiness"]["unknown"] >= UNKNOWN and likeliest["stakes"] != "recoverable":
        missing.append((read["readiness"]["unknown"], EXPERIENCE_QUESTION))
    if likeliest["readiness"] == "not_ready" and read["stakes"]["unknown"] >= UNKNOWN:
        missing.append((read["stakes"]["unknown"], STAKES_QUESTION))
    return max(missing)[1] if missing else None
