"""The `assistant` command."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, ConfigError

__all__ = ["main"]


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.wiring import build_ingestor

    paths = args.paths or [str(settings.knowledge_dir)]
    ingestor = build_ingestor(
        settings,
        rebuild=args.rebuild,
        on_progress=lambda line: print(f"ingest: {line}", file=sys.stderr, flush=True),
    )
    report = ingestor.run(paths)
    if args.json:
        _print_json(report.as_dict())
    else:
        print(
            f"added {report.added}, updated {report.updated}, removed {report.removed}, "
            f"unchanged {report.unchanged} chunks; {len(report.failed)} failed; "
            f"{report.total} chunks in the store"
        )
        for failure in report.failed:
            print(f"  failed: {failure['reason']}", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.wiring import build_retriever

    passages = build_retriever(settings).search(args.query, args.k)
    if args.json:
        _print_json([p.as_dict() for p in passages])
    else:
        for p in passages:
            print(f"[{p.score:.3f}] {p.title} ({p.chunk_id})\n    {p.text[:200]!r}")
    return 0


def _read_text(value: str) -> str:
    return sys.stdin.read() if value == "-" else value


def _read_history(path: Path) -> list[dict[str, Any]]:
    """A conversation so far: a JSON list of {"role": "user"|"assistant", "content": ...}."""
    fix = 'Give a JSON list such as [{"role": "user", "content": "My deputy wants ..."}].'
    try:
        turns = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssistantError(f"Cannot read the history file {path}: {exc}.", fix) from exc
    if not isinstance(turns, list) or not all(
        isinstance(t, dict)
        and t.get("role") in ("user", "assistant")
        and isinstance(t.get("content"), str)
        for t in turns
    ):
        raise AssistantError(f"{path} is not a list of {{role, content}} turns.", fix)
    return turns


def cmd_advise(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.content import NO_VERDICT_NOTE
    from assistant.wiring import build_coach

    history = _read_history(Path(args.history)) if args.history else []
    advice = build_coach(settings).advise(_read_text(args.scenario), history)
    if advice.generation.startswith("failed: "):
        print(f"warning: {advice.generation.removeprefix('failed: ')}", file=sys.stderr)
    if args.json:
        _print_json(advice.as_dict())
        return 0
    text = advice.advice
    if advice.changed:
        print(f"What changed: {advice.changed}")
        # Said once, first: the answer's own copy of the line is not printed again.
        text = text.removeprefix(f"**What changed:** {advice.changed}").lstrip("\n")
    if NO_VERDICT_NOTE not in advice.notes:  # a message not about leading gets no verdict line
        print(f"Verdict: {advice.verdict} (confidence {advice.confidence:.0%})\n")
    print(text)
    if advice.citations:
        print("\nSources:")
    for c in advice.citations:
        print(f'  - {c.title}: "{c.quote}"')
    return 0


def _eval_dialogues(dialogues: list[dict[str, Any]], settings: Settings, as_json: bool) -> int:
    from assistant.dialogue_eval import evaluate_dialogues
    from assistant.wiring import build_coach

    result = evaluate_dialogues(dialogues, build_coach(settings).conversation)
    if as_json:
        _print_json(result)
        return 0
    for key, value in result.items():
        if key != "misses":
            print(f"{key}: {value}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.assessment import Assessor, load_bank
    from assistant.backends import make_embeddings
    from assistant.dialogue_eval import load_dialogues
    from assistant.evaluation import (
        chat_only_predictor,
        evaluate,
        evaluate_assessor,
        majority_predictor,
        signal_report,
        write_report,
    )
    from assistant.move_eval import has_move_labels, move_relevance
    from assistant.wiring import build_assessor, build_composer, link_stage

    dialogues = load_dialogues(Path(args.file))
    if dialogues:
        return _eval_dialogues(dialogues, settings, args.json)
    rows = load_bank(Path(args.file))
    if not rows:
        raise AssistantError(
            f"No labelled scenarios in {args.file}.", "Each line needs `scenario` and `label`."
        )
    assessor = build_assessor(settings)
    composer = build_composer(settings, make_embeddings(settings), assessor)
    link_stage(assessor, composer)
    result = evaluate_assessor(rows, assessor)
    if has_move_labels(rows):
        result["moves"] = move_relevance(rows, composer, assessor.assess)
        result["moves_for_the_labelled_verdict"] = move_relevance(
            rows, composer, assessor.assess, gold_verdict=True
        )
    if args.quality:
        from assistant.answer_quality import answer_quality
        from assistant.wiring import build_coach

        coach = build_coach(settings, assessor=assessor)
        coach.warm_up()
        result["quality"] = answer_quality(rows, coach)
    if args.report:
        from assistant.backends import make_chat_model

        results: dict[str, Any] = {"coach": result}  # carries "quality" when measured
        results["majority_class"] = evaluate(rows, majority_predictor(rows))
        results["signals_only"] = evaluate(rows, lambda s: Assessor(None).assess(s).verdict)
        if args.chat_baseline:
            chat, name = make_chat_model(settings)
            results[f"chat_only ({name})"] = evaluate(rows, chat_only_predictor(chat))
        results["signals"] = signal_report(rows, assessor)
        path = write_report(Path(args.report), results)
        print(f"report written to {path}", file=sys.stderr)
    if args.json:
        _print_json(result)
    else:
        print(
            f"n={result['n']} accuracy={result['accuracy']} macro_f1={result['macro_f1']} "
            f"bias={result['bias']}"
        )
        for truth, row in result["confusion"].items():
            print(f"  {truth:>9}: {row}")
        cal = result["calibration"]
        print(
            f"  calibration: ece={cal['ece']} confident_wrong={cal['confident_wrong']} "
            f"({cal['confident_wrong_share']:.1%})"
        )
        for key, value in result.get("harm", {}).items():
            print(f"  {key}: {value}")
        for key, value in result.get("factors", {}).items():
            print(f"  factor {key}: {value}")
        for key, value in result.get("quality", {}).items():
            print(f"  {key}: {value}")
        for name in ("moves", "moves_for_the_labelled_verdict"):
            if name in result:
                figures = {k: v for k, v in result[name].items() if k != "misses"}
                print(f"  {name}: {figures}")
    return 0


def cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.retrieval_eval import evaluate_retrieval, load_questions
    from assistant.wiring import build_retriever

    retriever = build_retriever(settings)
    results = {}
    for file in args.files:
        rows = load_questions(Path(file))
        results[file] = evaluate_retrieval(
            rows, lambda q, k: [p.text for p in retriever.search(q, k)]
        )
    if args.json:
        _print_json(results)
        return 0
    for file, r in results.items():
        print(
            f"{file}: n={r['n']} hit@1={r['hit_at_1']} hit@5={r['hit_at_5']} mrr={r['mrr']} "
            f"({settings.retrieval} retrieval)"
        )
        for question in r["missed_at_5"]:
            print(f"  missed at 5: {question}")
    return 0


def cmd_eval_gate(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.gate import QualityGate
    from assistant.gate_eval import calibrate, describe, gate_scores, load_labelled

    rows = load_labelled(Path(args.file))
    if not rows:
        raise AssistantError(
            f"No labelled generations in {args.file}.",
            "Each line needs `text`, `support`, `verdict` and `label` (good or bad).",
        )
    calibration = [r for r in rows if r.get("split") == "calibration"]
    held_out = [r for r in rows if r.get("split") != "calibration"]
    gate = QualityGate()
    result: dict[str, Any] = {
        "thresholds": describe(gate.thresholds),
        "calibration": gate_scores(calibration, gate) if calibration else None,
        "held_out": gate_scores(held_out, gate),
        "all": gate_scores(rows, gate),
    }
    if args.calibrate:
        result["calibrated_on_calibration_split"] = describe(calibrate(calibration or rows))
    if args.json:
        _print_json(result)
    else:
        for name in ("calibration", "held_out", "all"):
            r = result[name]
            if r:
                print(
                    f"{name}: n={r['n']} precision={r['precision']} recall={r['recall']} "
                    f"(passed {r['passed_good']} good, {r['passed_bad']} bad)"
                )
        if args.calibrate:
            print(f"calibrated limits: {result['calibrated_on_calibration_split']}")
    return 0


def cmd_prep(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.prep import MeetingRequest, prepare, to_markdown
    from assistant.wiring import build_coach

    fields = ("meeting", "people", "experience", "stakes", "worries")
    values = {f: getattr(args, f) or "" for f in fields}
    if not values["meeting"]:
        if sys.stdin.isatty():
            raise AssistantError("No meeting described.", "Pass --meeting or JSON on stdin.")
        try:
            given = json.loads(sys.stdin.read() or "{}")
        except json.JSONDecodeError as exc:
            raise AssistantError(f"Stdin is not JSON ({exc.msg}).", "Send a JSON object.") from None
        if not isinstance(given, dict) or not str(given.get("meeting", "")).strip():
            raise AssistantError(
                "The JSON needs a non-empty `meeting` field.",
                'Example: {"meeting": "...", "people": "...", "stakes": "..."}',
            )
        values = {f: str(given.get(f) or "") for f in fields}
    plan = prepare(build_coach(settings), MeetingRequest(**values))
    if args.json:
        _print_json(plan.as_dict())
    else:
        print(to_markdown(plan))
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.assessment import TRAINING_BANKS
    from assistant.verdict_model import VerdictModel, model_key

    prepared = _prepared_marker(settings)
    folder = settings.cache_dir / f"verdict-{model_key(TRAINING_BANKS)}"
    if prepared.is_file() and (folder / "head.pt").exists():
        # Every model below is cached and keyed by what made it; loading them all again only
        # to find that out takes ~16 s on each `make run`.
        print(f"models are up to date (checked {prepared.read_text().strip()})")
        return 0
    from assistant.backends import default_gguf_path, make_embeddings
    from assistant.backends.llama_cpp import prepare_fast_gguf
    from assistant.wiring import build_assessor, build_composer

    fast = prepare_fast_gguf(settings.cache_dir, default_gguf_path())
    print(f"chat model ready: {fast}")
    if (folder / "head.pt").exists():
        print(f"verdict model is up to date: {folder}")
    else:
        print(
            "training the verdict model on the scenario banks (about 11 minutes on 2 cores)...",
            flush=True,
        )
        VerdictModel.load_or_train(
            TRAINING_BANKS, settings.cache_dir, progress=lambda line: print(f"  {line}", flush=True)
        )
        print(f"verdict model saved: {folder}")
    print("embedding the coaching playbook (cached; about 30 s the first time)...", flush=True)
    composer = build_composer(settings, make_embeddings(settings), build_assessor(settings))
    composer.warm_up()
    print(f"playbook ready: {len(composer.moves)} moves")
    prepared.parent.mkdir(parents=True, exist_ok=True)
    prepared.write_text(time.strftime("%Y-%m-%d %H:%M:%S"), encoding="utf-8")
    return 0


def _prepared_marker(settings: Settings) -> Path:
    """A file in the cache folder that says `assistant train` finished for this code, these
    banks and these settings: any change to the package's files (code, scenario banks, move
    choices), to an installed package (the models ship in packages) or to a setting makes a
    new name, so the full check runs again."""
    from importlib.metadata import distributions

    # Folders count by what they hold, not where they are: each clone has its own path.
    fields = json.loads(settings.model_dump_json())
    for where in ("data_dir", "knowledge_dir", "playbook_dir"):
        fields.pop(where)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
    digest.update("\n".join(installed).encode())
    for folder in (Path(__file__).parent, settings.playbook_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".jsonl", ".json", ".md", ".txt"}:
                digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return settings.cache_dir / "prepared" / digest.hexdigest()[:16]


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.doctor import run_checks

    checks = run_checks(settings)
    missing = [c for c in checks if not c.ok and c.needed == "run"]
    if args.json:
        _print_json({"ready": not missing, "checks": [c.as_dict() for c in checks]})
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("FAIL" if c.needed == "run" else "warn")
            print(f"{mark} {c.name}: {c.detail}")
            if c.fix:
                print(f"     fix: {c.fix}")
        print(
            "ready for `make run`"
            if not missing
            else f"not ready for `make run`: fix {', '.join(c.name for c in missing)} first"
        )
    return 1 if missing else 0


def _bench_phases() -> tuple[str, ...]:
    """The bench's phases, or none when benchmarks/ (beside the package) is not installed."""
    try:
        from benchmarks.bench import PHASES
    except ImportError:
        return ()
    return PHASES


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from benchmarks.bench import run_bench
    except ImportError:
        raise ConfigError(
            "The bench lives in benchmarks/ of a source checkout, which is not installed here.",
            "Install the checkout editable: `pip install -e .` (`make install` does).",
        ) from None

    out = Path(args.out)
    results = run_bench(
        settings, args.quick, out, lambda line: print(line, file=sys.stderr), args.only or ()
    )
    if args.json:
        _print_json(results)
    else:
        print(f"wrote {out / 'bench.json'}, {out / 'bench.md'} and plots")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.server import serve

    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="assistant", description="Leadership coach.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files, folders or URLs to the library")
    p.add_argument("paths", nargs="*", help="files, folders or URLs (default: knowledge/)")
    p.add_argument("--rebuild", action="store_true", help="drop the store and re-embed all")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieved for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="number of passages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("advise", help="step in or step back? advice for a scenario")
    p.add_argument("scenario", help="the situation, or - to read it from stdin")
    p.add_argument(
        "--history",
        metavar="FILE.json",
        help='the conversation so far: [{"role": "user", "content": "..."}, ...]; facts said '
        "there still count and corrections replace what they contradict",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_advise)

    p = sub.add_parser(
        "eval",
        help="score verdicts against a labelled JSONL file (scenarios, or dialogues with "
        "`turns`: per-turn accuracy, questions, corrections)",
    )
    p.add_argument("file")
    p.add_argument("--report", metavar="DIR", help="write report.md, confusion.png, results.json")
    p.add_argument(
        "--chat-baseline",
        action="store_true",
        help="in the report, also score the chat model alone",
    )
    p.add_argument(
        "--quality",
        action="store_true",
        help="also run the whole coach on each scenario and measure the answers people read "
        "(degenerate rate, specificity, distinct next steps, clean citations, time); needs an "
        "ingested store",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "eval-retrieval", help="hit@1, hit@5 and MRR of question sets against the store"
    )
    p.add_argument(
        "files",
        nargs="+",
        help="question sets (JSONL: question, source, needle), e.g. eval/retrieval_questions.jsonl",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_retrieval)

    p = sub.add_parser("eval-gate", help="precision and recall of the quality gate")
    p.add_argument(
        "file", help="labelled generations (JSONL), e.g. eval/generations/labelled.jsonl"
    )
    p.add_argument(
        "--calibrate", action="store_true", help="also search limits on the calibration split"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_gate)

    p = sub.add_parser("prep", help="prepare for a hard meeting: verdict and plan")
    p.add_argument("--meeting", help="what the meeting is (or JSON on stdin)")
    p.add_argument("--people", help="who is involved")
    p.add_argument("--experience", help="how experienced they are")
    p.add_argument("--stakes", help="what is at stake")
    p.add_argument("--worries", help="what worries you")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_prep)

    p = sub.add_parser("train", help="prepare the models (verdict model, fast chat model copy)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "doctor", help="check this machine for `make run` and say what to fix (exit 1 if unready)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("bench", help="measure speed, memory and quality against raw engines")
    p.add_argument("--quick", action="store_true", help="a smoke run of a few minutes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", default="bench-output", help="folder for JSON, Markdown and plots")
    p.add_argument(
        "--only",
        action="append",
        choices=_bench_phases(),
        help="measure only this group (repeatable); the others are kept from --out",
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: errors become one line on stderr and a non-zero exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.func(args, settings))
    except AssistantError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
