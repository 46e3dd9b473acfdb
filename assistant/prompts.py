"""Prompt text and formatting: pure functions, no model calls."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

__all__ = [
    "rewrite_messages",
    "rewrite_prompt_lines",
    "rewrite_system",
]

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
    return [
        SystemMessage(rewrite_system(canary)),
        HumanMessage(f"The situation:\n{situation}\n\nThe coach's plan:\n{plan_brief}"),
    ]


def rewrite_prompt_lines(canary: str = "") -> list[str]:
    """The instruction sentences of the rewrite prompt, which an answer must never repeat."""
    return [s.strip() + "." for s in _REWRITE.split(".") if len(s.strip()) > 20]
