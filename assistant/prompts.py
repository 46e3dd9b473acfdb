"""Prompt text and formatting: pure functions, no model calls."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

__all__ = [
    "PROMPT_MAX_CHARS",
    "bounded",
    "rewrite_messages",
    "rewrite_prompt_lines",
    "rewrite_system",
]

# The most characters of situation and plan one prompt carries (about 3,000 tokens: the
# default 4,096-token context keeps room for the instructions and the answer). Callers cap
# messages and history first; this holds whatever they pass. Passages never enter a prompt.
PROMPT_MAX_CHARS = 12_000
_PLAN_MAX_CHARS = 4_000


def bounded(text: str, limit: int = PROMPT_MAX_CHARS) -> str:
    """At most the last `limit` characters of text: a conversation's newest words."""
    return text[-limit:] if len(text) > limit else text


_REWRITE = (
    "You are a practical leadership coach. Below is a leader's situation and the plan the "
    "coach has already decided. Write one short paragraph (three to five sentences) to the "
    "leader, addressed as 'you', that explains the plan warmly and plainly. Keep the decision "
    "exactly as given. Use only the facts in the situation and the plan; add no names, "
    "numbers or events. No headings, no lists, no quotes from the plan's labels."
)


def rewrite_system(canary: str = "") -> str:
    """The system message of every rewording request (warm-up reads it into the cache)."""
    return _REWRITE + (f" Internal reference: {canary}." if canary else "")


def rewrite_messages(situation: str, plan_brief: str, canary: str = "") -> list[BaseMessage]:
    """Ask a chat model to put a composed plan into its own words (the gate judges them)."""
    plan = plan_brief[:_PLAN_MAX_CHARS]
    situation = bounded(situation, PROMPT_MAX_CHARS - len(plan))
    return [
        SystemMessage(rewrite_system(canary)),
        HumanMessage(f"The situation:\n{situation}\n\nThe coach's plan:\n{plan}"),
    ]


def rewrite_prompt_lines(canary: str = "") -> list[str]:
    """The instruction sentences of the rewrite prompt, which an answer must never repeat."""
    return [s.strip() + "." for s in _REWRITE.split(".") if len(s.strip()) > 20]
