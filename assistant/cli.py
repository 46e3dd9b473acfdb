"""The `assistant` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError

__all__ = ["main"]


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.wiring import build_ingestor

    paths = args.paths or [str(settings.knowledge_dir)]
    report = build_ingestor(settings, rebuild=args.rebuild).run(paths)
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


def cmd_advise(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.wiring import build_coach

    advice = build_coach(settings).advise(_read_text(args.scenario))
    if args.json:
        _print_json(advice.as_dict())
        return 0
    print(f"Verdict: {advice.verdict} (confidence {advice.confidence:.0%})")
    print(advice.summary)
    for s in advice.signals:
        print(f"  - {s['name']} -> {s['direction']}: {s['evidence']}")
    print(f"\n{advice.advice}\n")
    if advice.clarifying_question:
        print(f"Question: {advice.clarifying_question}\n")
    print("Next steps:")
    for step in advice.next_steps:
        print(f"  * {step}")
    for c in advice.citations:
        print(f'Source: {c.title} [{c.chunk_id}]: "{c.quote}"')
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.assessment import Assessor, load_bank
    from assistant.backends import make_embeddings
    from assistant.evaluation import evaluate

    rows = load_bank(Path(args.file))
    if not rows:
        raise AssistantError(
            f"No labelled scenarios in {args.file}.", "Each line needs `scenario` and `label`."
        )
    assessor = Assessor(make_embeddings(settings), cache_dir=settings.data_dir)
    result = evaluate(rows, lambda s: assessor.assess(s).verdict)
    if args.json:
        _print_json(result)
    else:
        print(
            f"n={result['n']} accuracy={result['accuracy']} macro_f1={result['macro_f1']} "
            f"bias={result['bias']}"
        )
        for truth, row in result["confusion"].items():
            print(f"  {truth:>9}: {row}")
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
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_advise)

    p = sub.add_parser("eval", help="score verdicts against a labelled JSONL file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

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
