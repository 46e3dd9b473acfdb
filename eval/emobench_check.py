"""Outside check of the verdict on EmoBench's expert-keyed social-judgement items.

EmoBench (MIT, ../shared/eval/external/emobench-ea/) asks for the most effective action in
200 social scenarios, keyed by experts with annotator vote shares. `emobench_stances.json`
(our labelling, no EmoBench text) marks, for the 63 English items where someone must choose
whether to get involved in another person's problem, each option's stance: step_in,
step_back, balanced or none. The coach's verdict on the scenario is then scored against the
keyed option's stance, and by consensus credit (the vote share of options with its stance).

    .venv/bin/python eval/emobench_check.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "eval" / "external" / "emobench-ea"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from assistant.config import load_settings
    from assistant.wiring import build_assessor

    stances = json.loads((HERE / "emobench_stances.json").read_text())
    items = json.loads((DATA / "EA_2024-03-11_with_option_scores.json").read_text())
    assessor = build_assessor(load_settings())
    rows = []
    for qid, item in enumerate(items, start=1):
        if str(qid) not in stances:
            continue
        options = stances[str(qid)]["choices"]
        key = options[int(item["Label"])]
        verdict = assessor.assess(item["Scenario"]["en"]).verdict
        shares = [float(s) for s in item["Score"]]
        credit = sum(
            share for share, stance in zip(shares, options, strict=True) if stance == verdict
        )
        rows.append(
            {
                "qid": qid,
                "group": stances[str(qid)]["group"],
                "key": key,
                "verdict": verdict,
                "credit": credit,
            }
        )

    def summary(subset: list[dict]) -> dict:
        n = len(subset)
        return {
            "n": n,
            "agreement": round(sum(r["verdict"] == r["key"] for r in subset) / n, 3) if n else None,
            "consensus_credit": round(sum(r["credit"] for r in subset) / n, 3) if n else None,
            "verdicts": dict(Counter(r["verdict"] for r in subset)),
            "keys": dict(Counter(r["key"] for r in subset)),
        }

    report = {
        "all": summary(rows),
        "role": summary([r for r in rows if r["group"] == "role"]),
        "key_not_balanced": summary([r for r in rows if r["key"] != "balanced"]),
        "always_balanced_agreement": round(
            sum(r["key"] == "balanced" for r in rows) / len(rows), 3
        ),
    }
    if args.json:
        print(json.dumps({"report": report, "items": rows}, indent=2))
    else:
        for name, part in report.items():
            print(f"{name}: {part}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
