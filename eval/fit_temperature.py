"""Fit the assessor's temperature on the development split (never on a blind set).

    .venv/bin/python eval/fit_temperature.py [eval/scenarios_dev.jsonl]

Prints the temperature that minimises the negative log-likelihood of the expert labels
under the assessor's combined probabilities, with the calibration it gives on that split.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from assistant.assessment import load_bank
from assistant.config import Settings
from assistant.evaluation import calibration
from assistant.wiring import build_assessor


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "eval/scenarios_dev.jsonl")
    rows = load_bank(path)
    assessor = build_assessor(Settings())
    labels = [str(r["label"]) for r in rows]
    best: tuple[float, float] | None = None
    for step in range(8, 41):
        assessor.temperature = step / 10
        assessed = [assessor.assess(str(r["scenario"])) for r in rows]
        nll = -sum(
            math.log(max(a.probabilities[label], 1e-4))
            for a, label in zip(assessed, labels, strict=True)
        ) / len(rows)
        if best is None or nll < best[1]:
            best = (assessor.temperature, nll)
    assert best is not None
    assessor.temperature = best[0]
    assessed = [assessor.assess(str(r["scenario"])) for r in rows]
    cal = calibration(labels, [a.verdict for a in assessed], [a.confidence for a in assessed])
    print(
        f"temperature={best[0]:.1f} nll={best[1]:.3f} ece={cal['ece']} "
        f"confident_wrong={cal['confident_wrong_share']:.1%} on {path} (n={len(rows)})"
    )


if __name__ == "__main__":
    main()
