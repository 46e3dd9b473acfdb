"""What a person reads, measured over a set of scenarios: degeneracy, specificity, variety,
clean citations, identifiability and time to the full answer."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.quality import clean_quote, content_words, degenerate, specificity

if TYPE_CHECKING:
    from assistant.coach import Coach

__all__ = ["answer_quality", "strip_quoted"]

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def strip_quoted(text: str) -> str:
    """The answer without quoted spans: quoting the scenario back does not make it specific."""
    return _QUOTED.sub(" ", text)


def _identifiable(scenarios: Sequence[str], answers: Sequence[str]) -> float:
    """Share of answers whose closest scenario (by shared rare words) is their own."""
    docs = [set(content_words(s)) for s in scenarios]
    frequency = Counter(w for d in docs for w in d)
    hits = 0
    for i, answer in enumerate(answers):
        words = set(content_words(strip_quoted(answer)))
        scores = [sum(1.0 / frequency[w] for w in words & d) for d in docs]
        best = max(range(len(docs)), key=lambda j: scores[j])
        hits += best == i and scores[i] > 0
    return hits / len(answers) if answers else 0.0


def answer_quality(rows: Sequence[dict[str, Any]], coach: Coach) -> dict[str, Any]:
    """Run the whole coach (generation behind its gate included) on every scenario."""
    scenarios = [str(r["scenario"]) for r in rows]
    answers: list[str] = []
    composed_s: list[float] = []
    final_s: list[float] = []
    degenerate_ids: list[int] = []
    specific = 0
    step_lists: Counter[tuple[str, ...]] = Counter()
    move_sets: Counter[tuple[str, ...]] = Counter()
    quotes = clean = 0
    gate_shown = 0
    for i, scenario in enumerate(scenarios):
        started = time.perf_counter()
        first_full: float | None = None
        final = None
        for reply in coach.stream_chat(scenario):
            if first_full is None and reply.plan is not None and reply.text:
                first_full = time.perf_counter() - started
            final = reply
        assert final is not None
        final_s.append(time.perf_counter() - started)
        composed_s.append(first_full if first_full is not None else final_s[-1])
        text = final.text
        answers.append(text)
        if degenerate(text):
            degenerate_ids.append(i)
        if specificity(scenario, strip_quoted(text)) >= 2:
            specific += 1
        if final.plan is not None:
            step_lists[tuple(final.plan.next_steps)] += 1
            move_sets[tuple(sorted(m.id for m in final.plan.moves))] += 1
        for c in final.citations:
            quotes += 1
            clean += clean_quote(c.quote)
        gate_shown += bool(final.gate and final.gate.passed)
    n = len(scenarios)
    return {
        "n": n,
        "degenerate_rate": round(len(degenerate_ids) / n, 4) if n else 0.0,
        "degenerate_examples": [scenarios[i][:80] for i in degenerate_ids[:5]],
        "specificity": round(specific / n, 4) if n else 0.0,
        "identifiable": round(_identifiable(scenarios, answers), 4),
        "largest_identical_step_list_share": round(max(step_lists.values(), default=0) / n, 4)
        if n
        else 0.0,
        "largest_identical_move_set_share": round(max(move_sets.values(), default=0) / n, 4)
        if n
        else 0.0,
        "distinct_step_lists": len(step_lists),
        "citation_cleanliness": round(clean / quotes, 4) if quotes else 1.0,
        "generated_note_shown_rate": round(gate_shown / n, 4) if n else 0.0,
        "median_full_answer_s": round(statistics.median(composed_s), 3) if composed_s else 0.0,
        "median_final_answer_s": round(statistics.median(final_s), 3) if final_s else 0.0,
    }
