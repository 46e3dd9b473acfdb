"""The coach's fixed words, one table per idea, keyed by verdict where they vary with it.

The words composed from the playbook live in knowledge/playbook/ and composer.py; the meeting
brief's tables live in prep.py. These are the few that the coach and the page share.
"""

from __future__ import annotations

__all__ = [
    "NOT_COVERED",
    "NO_VERDICT_NOTE",
    "OFF_TOPIC_REPLY",
    "OFF_TOPIC_STEPS",
    "VERDICT_ICONS",
    "VERDICT_PHRASES",
    "VERDICT_THEMES",
]

VERDICT_PHRASES = {
    "step_in": "step in",
    "step_back": "step back",
    "balanced": "let them lead but stay close",
}

VERDICT_ICONS = {"step_in": "🛑", "step_back": "🌱", "balanced": "🤝"}

# Appended to a situation's retrieval query so the passages explain the decided verdict.
VERDICT_THEMES = {
    "step_in": "When a leader should step in now, and how to step in without taking over.",
    "step_back": "Leading from behind: trusting a capable owner and stepping back.",
    "balanced": "Letting them lead while staying close: preparing together, agreed signals.",
}

OFF_TOPIC_REPLY = (
    "I'm a leadership coach, so I can only help with leading people: decisions "
    "about when to step in or step back, delegation, feedback, hard meetings. "
    "Tell me about a situation with your team."
)

OFF_TOPIC_STEPS = [
    "Describe one situation with your team: who owns the work and what they are doing.",
    "Say what is at stake and whether it could be undone.",
    "Say how experienced the person is and whether they have asked for help.",
]

NOT_COVERED = "The library does not cover this question, so I can't give you a sourced answer."

NO_VERDICT_NOTE = "Not about leading people: no verdict given."
