"""Citation picking: verbatim quotes from retrieved passages that support an answer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.domain import Citation
from assistant.quality import trim_quote
from assistant.retrieval import Passage

__all__ = ["best_quote", "pick_citations"]

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WORD = re.compile(r"[a-z']{3,}")
_STOP_WORDS = (
    "the and for that with this you your are was were have has had not but they them their "
    "she her his him what when who how why can could should would will just about into from "
    "our out over more most some than then there these those very been being does did doing "
    "want wants one also only"
)
_STOP = frozenset(_STOP_WORDS.split())


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


def pick_citations(passages: Sequence[Passage], focus: str, limit: int = 3) -> list[Citation]:
    """Verbatim quotes from the passages that support the answer."""
    found = []
    # The moves already speak for the playbook; sources are the texts that explain why,
    # so playbook passages are cited only when nothing else is relevant.
    principles = [p for p in passages if "/playbook/" not in p.source.replace("\\", "/")]
    ordered = principles + [p for p in passages if p not in principles]
    for p in ordered:
        quote = best_quote(p.text, focus)
        if quote:
            found.append(Citation(chunk_id=p.chunk_id, source=p.source, title=p.title, quote=quote))
        if len(found) == limit:
            break
    return found
