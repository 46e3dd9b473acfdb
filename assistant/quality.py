"""Measures of the words a person reads: repetition, echo, novelty, specificity, clean quotes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "ECHO_MARKERS",
    "clean_quote",
    "content_words",
    "contradicts",
    "degenerate",
    "echoes",
    "novelty",
    "repeated_ngram_ratio",
    "scenario_specifics",
    "specificity",
    "trim_quote",
]

_TOKEN = re.compile(r"[a-z0-9']+")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
# Words every coaching answer may use; a specific must be something else.
_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "with",
        "this",
        "you",
        "your",
        "are",
        "was",
        "were",
        "have",
        "has",
        "had",
        "not",
        "but",
        "they",
        "them",
        "their",
        "she",
        "her",
        "his",
        "him",
        "what",
        "when",
        "who",
        "how",
        "why",
        "can",
        "could",
        "should",
        "would",
        "will",
        "just",
        "about",
        "into",
        "from",
        "our",
        "out",
        "over",
        "more",
        "most",
        "some",
        "than",
        "then",
        "there",
        "these",
        "those",
        "very",
        "been",
        "being",
        "does",
        "did",
        "doing",
        "want",
        "wants",
        "one",
        "also",
        "only",
        "now",
        "today",
        "tomorrow",
        "week",
        "weeks",
        "month",
        "day",
        "days",
        "time",
        "team",
        "teams",
        "lead",
        "leader",
        "leading",
        "owner",
        "owners",
        "step",
        "back",
        "stepping",
        "manager",
        "person",
        "people",
        "work",
        "working",
        "make",
        "made",
        "need",
        "needs",
        "let",
        "lets",
        "help",
        "say",
        "said",
        "ask",
        "asked",
        "tell",
        "told",
        "think",
        "know",
        "get",
        "got",
        "take",
        "taking",
        "give",
        "going",
        "new",
        "first",
        "next",
        "last",
        "good",
        "well",
        "way",
        "thing",
        "things",
        "whether",
        "before",
        "after",
        "while",
        "still",
        "yet",
        "really",
        "right",
        "around",
        "something",
        "anything",
        "everything",
        "nobody",
        "someone",
        "everyone",
        "who's",
        "it's",
        "i'm",
        "i've",
        "don't",
        "can't",
        "won't",
        "isn't",
        "doesn't",
        "didn't",
        "same",
        "other",
        "another",
        "each",
        "every",
        "any",
        "all",
        "both",
        "here",
        "where",
        "which",
        "again",
        "always",
        "never",
        "since",
        "until",
        "because",
        "though",
        "although",
        "however",
        "yes",
        "no",
        "should",
        "stay",
        "close",
        "them",
        "they're",
        "their's",
        "own",
        "owns",
        "decision",
        "decide",
        "call",
        "situation",
    ]
)
# Text that belongs to a prompt, never to an answer.
ECHO_MARKERS = (
    "<<<",
    ">>>",
    "passage 1",
    "passage 2",
    "passage 3",
    "passage 4",
    "reference passages",
    "situation or question",
    "internal reference",
    "the decision is already made",
    "the coach's plan",
    "as an ai",
)
# Field labels of the prompt at the start of a line ("Decision: ...", "Watch for: ...").
_LABEL_ECHO = re.compile(
    r"(^|\n)\s*(decision|why|do|say|watch for|the situation|plan|system|user|assistant)\s*:",
    re.I,
)
# What taking over sounds like, and what letting go sounds like.
_TAKE_OVER = re.compile(
    r"\b(take (it |this |that |the \w+ )?over|take charge|take control|step in|intervene|"
    r"do it yourself|run (it|this|the \w+) yourself|\w+ (it|this) yourself|"
    r"take (it|this|\w+) off (her|him|them))\b",
    re.I,
)
_LET_GO = re.compile(
    r"\b(step back|stay out( of it)?|leave it (to|with) (them|her|him)|"
    r"let (them|her|him|the team) (handle|decide|sort|run|lead)( it)?)\b",
    re.I,
)
# A phrase under one of these is a condition or a refusal, not advice: "only if", "don't".
_HEDGE = re.compile(
    r"\b(not|don't|do not|never|no need to|only if|unless|if|when|until|without|resist|"
    r"avoid|rather than|instead of|before you|urge to)\b[^.;]{0,40}$",
    re.I,
)
_CONTRARY = {"step_in": (_LET_GO,), "step_back": (_TAKE_OVER,), "balanced": (_TAKE_OVER,)}


def content_words(text: str) -> list[str]:
    """Lower-case words of three letters or more that carry meaning."""
    return [w for w in _WORD.findall(text.lower()) if w not in _COMMON]


def repeated_ngram_ratio(text: str, n: int = 4) -> float:
    """Share of word n-grams that repeat an earlier one (0: no repetition; loops near 1)."""
    tokens = _TOKEN.findall(text.lower())
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    repeats = sum(c - 1 for c in counts.values())
    return repeats / len(grams)


def echoes(text: str, prompt_lines: Iterable[str] = ()) -> list[str]:
    """Prompt markers or whole prompt instruction lines found in the text."""
    lower = text.lower()
    found = [m for m in ECHO_MARKERS if m in lower]
    found += [m.group(2).lower() + ":" for m in _LABEL_ECHO.finditer(text)]
    for line in prompt_lines:
        line = " ".join(line.lower().split())
        if len(line) >= 30 and line in " ".join(lower.split()):
            found.append(line[:40])
    return found


def novelty(text: str, support: str) -> float:
    """Share of the text's content words found nowhere in the support (0: all supported)."""
    words = content_words(text)
    if not words:
        return 1.0
    known = set(content_words(support))
    stems = {w[:5] for w in known}
    unsupported = [w for w in words if w not in known and w[:5] not in stems]
    return len(unsupported) / len(words)


def contradicts(text: str, verdict: str | None) -> bool:
    """Whether the text advises a different decision than the verdict (a phrase of the
    other side that is not hedged as a condition or a refusal)."""
    if verdict is None:
        return False
    for pattern in _CONTRARY[verdict]:
        for match in pattern.finditer(text):
            sentence_start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
            if not _HEDGE.search(text[sentence_start : match.start()]):
                return True
    return False


def degenerate(text: str, prompt_lines: Iterable[str] = ()) -> bool:
    """Loops or echoed prompt text: what no reader should ever be shown."""
    return repeated_ngram_ratio(text) > 0.15 or bool(echoes(text, prompt_lines))


_NUMBER = re.compile(r"(?<![\w.])(\d[\d,.:%]*|[£$€]\s?\d[\d,.]*[kmb]?)(?![\w])", re.I)
_NAME = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]{2,})\b")


def scenario_specifics(scenario: str) -> set[str]:
    """What only this scenario says: names, numbers, and its rarer content words."""
    found: set[str] = set()
    found.update(m.group(1).lower() for m in _NAME.finditer(scenario))
    found.update(m.group(1).lower() for m in _NUMBER.finditer(scenario))
    found.update(w for w in content_words(scenario) if len(w) >= 5)
    return found


def specificity(scenario: str, answer: str, exclude: Iterable[str] = ()) -> int:
    """How many of the scenario's specifics the answer names outside the excluded spans
    (the quoted evidence is excluded by the caller, so quoting alone does not count)."""
    text = answer
    for span in exclude:
        text = text.replace(span, " ")
    words = set(_TOKEN.findall(text.lower()))
    return sum(1 for s in scenario_specifics(scenario) if s in words or s in text.lower())


_LABEL = re.compile(r"^\*[A-Za-z ]+:\*\s*")


def clean_quote(quote: str) -> bool:
    """Whether a quote reads as a clean sentence: no Markdown debris, slots or fragments."""
    q = quote.strip()
    balanced = q.count('"') % 2 == 0 and q.count("“") == q.count("”")
    return (
        len(q.split()) >= 5
        and (q[:1].isupper() or q[:1].isdigit())
        and not any(ch in q for ch in "*{}`|#<>")
        and balanced
    )


def trim_quote(sentence: str) -> tuple[int, int]:
    """The span of a sentence left after dropping Markdown debris and field labels."""
    start, end = 0, len(sentence)
    label = _LABEL.match(sentence)
    if label:
        start = label.end()
    while start < end and sentence[start] in " \t\"“”'*_#>-|`":
        start += 1
    while end > start and sentence[end - 1] in ' \t*_#`|"“”':
        end -= 1
    return start, end
