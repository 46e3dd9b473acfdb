"""Scope heuristics: whether a message is about leading people, and whether it describes a
situation that deserves a verdict. Word patterns only; no model."""

from __future__ import annotations

import re

from assistant.assessment import Assessment
from assistant.facts import read_facts

__all__ = ["is_about_leading", "is_situation"]

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
    r"supervis\w*|step (in|back)|owner\w*|owns?|owned|crisis|deputy|volunteer\w*|nurse\w*|"
    r"engineer\w*|"
    r"student\w*|teacher\w*|worker\w*|crew|director\w*|founder\w*|roster|squad|player\w*)\b",
    re.I,
)


def is_situation(text: str, assessment: Assessment) -> bool:
    """Whether a message describes a situation that deserves a verdict."""
    first_person = re.search(r"\b(i|i'm|i've|my|our|we)\b", text, re.I)
    asks = re.search(r"\b(should|shall|do|must|can)\s+(i|we)\b", text, re.I)
    general_question = text.strip().lower().startswith(("how ", "what ", "why ", "when "))
    return (
        bool(assessment.signals)
        or _harm_possible(assessment)
        or bool(first_person and _ROLE.search(text))
        or bool(len(text.split()) >= 12 and not general_question)
        or bool(asks and _PEOPLE.search(text))
        or len(_SITUATION.findall(text)) >= 2
    )


def _harm_possible(assessment: Assessment | None) -> bool:
    # Someone who may be getting hurt is never turned away for lack of a people word.
    return bool(assessment and assessment.harm and assessment.harm.level != "none")


def _someone_in_a_situation(text: str) -> bool:
    # A named person or a role who owns something, in a message long enough to describe a
    # situation the writer is part of ("Sam wants to present the numbers again; I'd ...").
    return (
        len(text.split()) >= 12
        and bool(re.search(r"\b(i|i'm|i'd|i've|me|my|we|our|us)\b|\?", text, re.I))
        and read_facts(text).owner_found
    )


def is_about_leading(text: str, assessment: Assessment | None = None) -> bool:
    """Whether a request is about leading people at all."""
    return bool(
        (assessment and assessment.signals)
        or _harm_possible(assessment)
        or _PEOPLE.search(text)
        or _someone_in_a_situation(text)
        or _ROLE.search(text)
        or len(_SITUATION.findall(text)) >= 2
    )
