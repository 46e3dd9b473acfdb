import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import KNOWLEDGE, ROOT


@pytest.fixture
def ingested(cli, tmp_path: Path) -> dict:
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in ("when-to-step-in.md", "leading-from-behind.md"):
        (folder / name).write_text((KNOWLEDGE / name).read_text())
    done = cli("ingest", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ingest_json_reports_the_documented_keys_with_total_from_the_store(ingested):
    assert set(ingested) >= {"added", "updated", "removed", "unchanged", "failed", "total"}
    assert ingested["total"] == ingested["added"] > 0
    assert ingested["failed"] == []


def test_ingest_py_is_the_same_command(tmp_path):
    note = tmp_path / "n.md"
    note.write_text("# Note\n\nA short note about delegating decisions to a capable team.")
    env = {**os.environ, "ASSISTANT_EMBED_BACKEND": "fake"}
    done = subprocess.run(
        [sys.executable, "ingest.py", str(note), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 1


def test_search_json_returns_passages_with_provenance(cli, ingested):
    done = cli("search", "when should I step in during a crisis", "-k", "3", "--json")
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert len(hits) == 3
    for hit in hits:
        assert set(hit) == {"chunk_id", "source", "title", "text", "score"}
    assert hits[0]["score"] >= hits[-1]["score"]
    assert len({h["text"] for h in hits}) == 3


def test_advise_reads_stdin_and_prints_the_advice_object(cli, ingested):
    done = cli(
        "advise",
        "-",
        "--json",
        stdin="My junior analyst is about to email the client's salary data to the "
        "whole company list right now.",
    )
    assert done.returncode == 0, done.stderr
    advice = json.loads(done.stdout)
    assert advice["verdict"] == "step_in"
    assert advice["backend"] == {"chat": "fake", "embeddings": "fake-hashing-256"}


def test_a_message_not_about_leading_is_printed_without_a_verdict_line(cli, ingested):
    done = cli("advise", "What is the capital of France?")
    assert done.returncode == 0, done.stderr
    assert "leadership coach" in done.stdout
    assert "Verdict:" not in done.stdout
    led = cli("advise", "My deputy wants to run the budget review alone. Should I let her?")
    assert led.stdout.startswith("Verdict: ")


def test_advise_takes_the_conversation_so_far_from_a_history_file(cli, ingested, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": "My team lead wants to run the vendor negotiation."},
                {
                    "role": "user",
                    "content": "She is brand new and has no experience, and signing the "
                    "contract is irreversible.",
                },
            ]
        )
    )
    done = cli(
        "advise",
        "Actually, she is a veteran who has done this many times.",
        "--history",
        str(history),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("What changed: Now that I know she is a veteran")
    assert done.stdout.count("What changed") == 1


def test_a_broken_history_file_is_a_one_line_error_with_the_fix(cli, tmp_path):
    history = tmp_path / "history.json"
    history.write_text('{"role": "user"}')
    done = cli("advise", "and now?", "--history", str(history))
    assert done.returncode != 0
    assert "list of {role, content} turns" in done.stderr
    assert "Traceback" not in done.stderr


def test_errors_are_one_line_with_a_fix_and_a_non_zero_exit(cli):
    done = cli("search", "anything")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "assistant ingest" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_settings_are_reported_by_name(cli):
    done = cli("search", "x", env={"ASSISTANT_TOP_K": "lots"})
    assert done.returncode == 2
    assert "ASSISTANT_TOP_K" in done.stderr


def test_eval_with_quality_reports_what_people_read_beside_accuracy(cli, ingested, tmp_path):
    bank = tmp_path / "set.jsonl"
    rows = [
        (
            "My senior analyst Ana wants to run the quarterly forecast alone; it is routine.",
            "step_back",
        ),
        ("A forklift driver on my night shift is skipping the safety checks right now.", "step_in"),
        ("My new lead Sam presents to the board for the first time next week.", "balanced"),
    ]
    bank.write_text("".join(json.dumps({"scenario": s, "label": v}) + "\n" for s, v in rows))
    done = cli("eval", str(bank), "--quality", "--json", env={"ASSISTANT_GENERATION": "off"})
    assert done.returncode == 0, done.stderr
    quality = json.loads(done.stdout)["quality"]
    assert quality["n"] == 3
    assert quality["degenerate_rate"] == 0
    assert quality["distinct_step_lists"] == 3
    assert 0 <= quality["specificity"] <= 1 and quality["citation_cleanliness"] == 1.0
    assert quality["median_full_answer_s"] > 0


def test_eval_gate_reports_precision_and_recall_on_the_shipped_labelled_set(cli):
    done = cli("eval-gate", "eval/generations/labelled.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    held_out = json.loads(done.stdout)["held_out"]
    assert held_out["precision"] >= 0.95 and held_out["n"] >= 100


def test_train_says_the_models_are_up_to_date_without_loading_them_when_nothing_changed(
    tmp_path, capsys
):
    from assistant.assessment import TRAINING_BANKS
    from assistant.cli import _prepared_marker, cmd_train
    from assistant.config import load_settings
    from assistant.verdict_model import model_key

    settings = load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)})
    # A stand-in for a trained model: the fast path must not open it.
    folder = tmp_path / f"verdict-{model_key(TRAINING_BANKS)}"
    folder.mkdir()
    (folder / "head.pt").write_bytes(b"not a model")
    marker = _prepared_marker(settings)
    marker.parent.mkdir(parents=True)
    marker.write_text("2026-01-01 00:00:00")
    assert cmd_train(None, settings) == 0
    assert "models are up to date" in capsys.readouterr().out


def test_a_changed_setting_means_train_checks_every_model_again(tmp_path):
    from assistant.cli import _prepared_marker
    from assistant.config import load_settings

    one = load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)})
    other = load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path), "ASSISTANT_TOP_K": "7"})
    assert _prepared_marker(one) == _prepared_marker(one)
    assert _prepared_marker(one) != _prepared_marker(other)


def test_another_clone_with_the_same_files_finds_the_models_prepared(tmp_path):
    """Each clone has its own folders; what they hold decides, not where they are."""
    import shutil

    from assistant.cli import _prepared_marker
    from assistant.config import load_settings

    copy = tmp_path / "clone" / "playbook"
    shutil.copytree(ROOT / "knowledge" / "playbook", copy)
    here = load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)})
    there = load_settings(
        {
            "ASSISTANT_CACHE_DIR": str(tmp_path),
            "ASSISTANT_PLAYBOOK_DIR": str(copy),
            "ASSISTANT_DATA_DIR": str(tmp_path / "clone" / "data"),
        }
    )
    assert _prepared_marker(here) == _prepared_marker(there)
    (copy / "new-move.md").write_text("# A new move\n\nAsk what they would do first.")
    assert _prepared_marker(
        load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path), "ASSISTANT_PLAYBOOK_DIR": str(copy)})
    ) != _prepared_marker(here)
