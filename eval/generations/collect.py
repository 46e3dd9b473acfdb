"""Collect generations to label for the quality gate (a development script, not a test).

Runs the embedded default on scenarios from the training bank (never an evaluation set):
for each, the composed plan, the rewrite prompt and what SmolLM2 writes from it, as it runs
here. Usage: .venv/bin/python eval/generations/collect.py N OUT.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from assistant.assessment import BANK_PATH, load_bank
from assistant.config import load_settings
from assistant.prompts import rewrite_messages
from assistant.wiring import build_coach


def main(n: int, out: Path) -> None:
    rows = load_bank(BANK_PATH)
    random.Random(13).shuffle(rows)
    coach = build_coach(load_settings())
    with out.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows[:n]):
            scenario = str(row["scenario"])
            final = list(coach.stream_chat(scenario))[-1]
            if final.plan is None or final.gate is None:
                continue
            messages = rewrite_messages(scenario, final.plan.as_brief())
            record = {
                "id": f"g{i:03d}",
                "scenario": scenario,
                "verdict": final.plan.verdict,
                "plan": final.plan.as_brief(),
                "support": "\n".join(
                    [scenario, final.plan.as_markdown(), *(p.text for p in final.passages)]
                ),
                "prompt": [str(m.content) for m in messages],
                "text": final.gate.text,
                "source": "smollm2",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            print(i, final.gate.passed, final.gate.reasons, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
