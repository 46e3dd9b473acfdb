"""Meeting preparation: a verdict plus a plan for the room, and a Markdown brief."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.coach import Coach
from assistant.content import VERDICT_PHRASES
from assistant.domain import Advice

__all__ = ["MeetingPlan", "MeetingRequest", "prepare", "to_markdown"]


@dataclass(frozen=True)
class MeetingRequest:
    """What the leader tells us about the meeting."""

    meeting: str
    people: str = ""
    experience: str = ""
    stakes: str = ""
    worries: str = ""

    def scenario(self) -> str:
        """The request as one scenario for the coach."""
        meeting = self.meeting.strip().rstrip(".")
        if not re.match(r"(the|a|an|my|our|this|next|tomorrow's)\b", meeting, re.I):
            meeting = f"the {meeting}"  # so the meeting reads as the task: "the quarterly review"
        parts = [f"I have a meeting coming up: {meeting}."]
        if self.people:
            parts.append(f"Who is involved: {self.people.strip().rstrip('.')}.")
        if self.experience:
            parts.append(f"Their experience: {self.experience.strip().rstrip('.')}.")
        if self.stakes:
            parts.append(f"What is at stake: {self.stakes.strip().rstrip('.')}.")
        if self.worries:
            parts.append(f"What worries me: {self.worries.strip().rstrip('.')}.")
        return " ".join(parts)


@dataclass
class MeetingPlan:
    """The verdict and what to do before, during and after the meeting."""

    advice: Advice
    role: str
    opening_line: str
    questions: list[str]
    tripwires: list[str]
    hand_back: str
    follow_up: str
    request: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, the advice object nested under `advice`."""
        data = asdict(self)
        data["advice"] = self.advice.as_dict()
        return data


_ROLE = {
    "step_in": "You lead this meeting: open it, make or own the call, and say out loud when "
    "and how you will hand control back.",
    "balanced": "They lead; you are in the room, speak last, and step in only if a tripwire "
    "is hit or they give the agreed signal.",
    "step_back": "They run it, ideally without you in the room; you help them prepare and "
    "are available afterwards.",
}

_OPENING = {
    "step_in": "\"I'm going to lead this part myself because of what's at stake; {owner} and I "
    'will pick it up together afterwards."',
    "balanced": '"{owner} is leading this; I\'m here to listen and back the team up."',
    "step_back": '(Theirs to say.) Suggest they open with the outcome they want: "By the end '
    'of today I want us to agree ..."',
}

_QUESTIONS = [
    "What outcome would make this meeting a success for you?",
    "What is the hardest question you expect, and how will you answer it?",
    "What do you need from me before, during and after?",
    "What would make you want me to step in, and how will you signal it?",
]

_TRIPWIRES = {
    "step_in": [
        "Someone's safety, dignity or legal position is at risk.",
        "A commitment that cannot be undone is about to be made without the facts.",
    ],
    "balanced": [
        "A commitment that cannot be undone is about to be made without the facts.",
        "Someone is personally attacked or the conversation turns on a person.",
        "They give the agreed signal, or visibly lose the thread for more than a minute.",
    ],
    "step_back": [
        "Only if someone's safety, dignity or legal position is at risk.",
    ],
}

_HAND_BACK = {
    "step_in": 'Once the immediate risk is handled, say: "{owner}, over to you for the next '
    "steps; I'll stay on the thread.\" Then leave the room or go quiet.",
    "balanced": "If you did step in, hand back within the same meeting: answer the one point, "
    'then turn to them: "{owner}, how do you want to take this forward?"',
    "step_back": "Nothing to hand back: make it visible that the decisions were theirs.",
}

_FOLLOW_UP = {
    "step_in": "Debrief within 48 hours: what you did and why, and what they will handle next "
    "time.",
    "balanced": "Debrief the same day: what worked, where you stepped in and whether they "
    "wanted you to, and what they want to handle alone next time.",
    "step_back": "Ask afterwards how it went and what they learnt; credit them publicly.",
}


def _owner(request: MeetingRequest) -> str:
    people = request.people.strip()
    if not people:
        return "the owner"
    return people.split(",")[0].split(" and ")[0].strip()[:60] or "the owner"


def prepare(coach: Coach, request: MeetingRequest) -> MeetingPlan:
    """Ask the coach about the meeting and turn its verdict into a plan."""
    advice = coach.advise(request.scenario())
    verdict = advice.verdict
    owner = _owner(request)
    tripwires = list(advice.watch_for[:2]) + list(_TRIPWIRES[verdict][:1])
    if request.worries and verdict != "step_back":
        tripwires.insert(0, f"What you fear happens: {request.worries.strip().rstrip('.')}.")
    questions = list(_QUESTIONS)
    if advice.clarifying_question:
        questions.insert(0, advice.clarifying_question)
    return MeetingPlan(
        advice=advice,
        role=_ROLE[verdict],
        opening_line=f"“{advice.say}”" if advice.say else _OPENING[verdict].format(owner=owner),
        questions=questions[:5],
        tripwires=tripwires[:4],
        hand_back=_HAND_BACK[verdict].format(owner=owner),
        follow_up=_FOLLOW_UP[verdict],
        request=asdict(request),
    )


def to_markdown(plan: MeetingPlan) -> str:
    """A brief to download or print."""
    a = plan.advice
    lines = [
        f"# Meeting brief: {plan.request.get('meeting', '').strip()}",
        "",
        f"**Verdict: {VERDICT_PHRASES[a.verdict]}** (`{a.verdict}`, confidence {a.confidence:.0%})",
        "",
        a.summary,
        "",
        "## Why",
        *[f"- {line}" for line in a.why],
        "",
        "## Your role in the room",
        plan.role,
        "",
        "## Opening line",
        plan.opening_line,
        "",
        "## Questions to ask",
        *[f"- {q}" for q in plan.questions],
        "",
        "## Tripwires: step in if ...",
        *[f"- {t}" for t in plan.tripwires],
        "",
        "## Handing control back",
        plan.hand_back,
        "",
        "## Follow-up",
        plan.follow_up,
        "",
        "## Next steps",
        *[f"{n}. {s}" for n, s in enumerate(a.next_steps, start=1)],
    ]
    if a.citations:
        lines += ["", "## Sources"]
        lines += [f"- *{c.title}*: “{c.quote}”" for c in a.citations]
    return "\n".join(lines) + "\n"
