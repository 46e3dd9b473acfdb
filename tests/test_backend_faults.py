"""Every way an OpenAI-compatible endpoint can fail reaches the user as a clear message."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from assistant.assessment import Assessor
from assistant.checks import validate_settings
from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.web import chat_handler
from assistant.wiring import build_coach, build_ingestor

from .conftest import KNOWLEDGE
from .support.fakes import run_assistant_process
from .support.openai_faults import FaultServer
from .support.servers import free_port

CANARY_KEY = "sk-canary-7d1e55aa90c3"
QUESTION = "My new deputy wants to lead the staff meeting about the reorganisation."


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in ("when-to-step-in.md", "preparing-for-a-hard-meeting.md"):
        shutil.copy(KNOWLEDGE / name, folder / name)
    return folder


@pytest.fixture
def fault():
    server = FaultServer(mode="ok", reply="Let your deputy lead the meeting and stay close.")
    server.start()
    yield server
    server.stop()


def _env(base_url: str, data_dir) -> dict[str, str]:
    return {
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_CHAT_BACKEND": "openai",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": CANARY_KEY,
        "ASSISTANT_CHAT_MODEL": "fake-model",
        "ASSISTANT_EMBED_BACKEND": "fake",
        "ASSISTANT_VERDICT_BACKEND": "signals",
        "ASSISTANT_CONNECT_TIMEOUT": "2",
        "ASSISTANT_IDLE_TIMEOUT": "2",
        "ASSISTANT_REQUEST_TIMEOUT": "6",
        "ASSISTANT_MAX_RETRIES": "1",
        "ASSISTANT_MAX_TOKENS": "64",
    }


def _coach(base_url: str, hermetic_env, library):
    settings = load_settings(_env(base_url, hermetic_env))
    build_ingestor(settings).run([library])
    return build_coach(settings, assessor=Assessor(None))


CASES = [
    ("401", "rejected the API key"),
    ("429", "rate limiting"),
    ("500", "failed (500)"),
    ("503", "failed (503)"),
    ("hang", "did not answer in time"),
    ("stall", "did not answer in time"),
    ("malformed", "malformed response"),
]


@pytest.mark.parametrize(("mode", "message"), CASES)
def test_each_failure_gives_a_clear_message_quickly_and_no_secret(
    mode, message, fault, hermetic_env, library
):
    coach = _coach(fault.base_url, hermetic_env, library)
    fault.mode = mode
    started = time.monotonic()
    final = list(coach.stream_chat(QUESTION))[-1]
    elapsed = time.monotonic() - started
    assert final.done and "What to do now" in final.text, "the composed answer is kept"
    assert message in final.text
    assert CANARY_KEY not in final.text and "sk-canary" not in final.text
    assert elapsed < 25, f"{mode} took {elapsed:.1f}s; the timeouts should bound it"


def test_connection_refused_is_reported_with_the_fix(hermetic_env, library):
    coach = _coach(f"http://127.0.0.1:{free_port()}/v1", hermetic_env, library)
    final = list(coach.stream_chat(QUESTION))[-1]
    assert "Cannot connect" in final.text and "OPENAI_BASE_URL" in final.text


def test_a_failing_endpoint_reaches_the_page_as_a_message_under_the_composed_answer(
    fault, hermetic_env, library
):
    coach = _coach(fault.base_url, hermetic_env, library)
    fault.mode = "503"
    history, _ = list(chat_handler(coach)(QUESTION, []))[-1]
    answer = history[-1]["content"]
    assert "What to do now" in answer, "the composed answer does not need the model"
    assert "⚠️" in answer and "failed (503)" in answer
    assert "composed without it" in answer
    assert CANARY_KEY not in answer


def test_retries_with_backoff_recover_from_one_server_error(fault, hermetic_env, library):
    coach = _coach(fault.base_url, hermetic_env, library)
    fault.mode = "flaky"
    final = list(coach.stream_chat(QUESTION))[-1]
    assert final.gate is not None and "deputy lead the meeting" in final.gate.text
    assert "⚠️" not in final.text
    assert fault.attempts == 2


def test_retries_are_bounded_on_429(fault, hermetic_env, library):
    coach = _coach(fault.base_url, hermetic_env, library)
    fault.mode = "429"
    final = list(coach.stream_chat(QUESTION))[-1]
    assert final.gate is not None and not final.gate.passed
    assert "⚠️" in final.text and "What to do now" in final.text
    assert fault.attempts == 2  # one try plus ASSISTANT_MAX_RETRIES=1


def test_an_endless_stream_is_cut_at_the_answer_cap(fault, hermetic_env, library):
    coach = _coach(fault.base_url, hermetic_env, library)
    fault.mode = "endless"
    started = time.monotonic()
    final = list(coach.stream_chat(QUESTION))[-1]
    assert final.done and final.gate is not None
    assert len(final.gate.text) <= 64 * 8 + 200
    assert time.monotonic() - started < 25


def test_the_rewording_is_requested_as_a_stream_through_the_openai_path(
    fault, hermetic_env, library
):
    coach = _coach(fault.base_url, hermetic_env, library)
    replies = list(coach.stream_chat(QUESTION))
    assert replies[0].plan is not None and "What to do now" in replies[0].text
    assert replies[-1].gate is not None
    assert replies[-1].gate.text == "Let your deputy lead the meeting and stay close."
    sent = [r for r in fault.requests if r["path"].endswith("/chat/completions")][-1]
    assert sent["body"]["stream"] is True
    assert sent["body"]["max_completion_tokens"] == 64 or sent["body"].get("max_tokens") == 64


def test_start_up_validation_names_each_problem(fault, hermetic_env):
    env = _env(fault.base_url, hermetic_env)
    validate_settings(load_settings(env))  # a healthy endpoint passes
    fault.mode = "401"
    with pytest.raises(ConfigError, match="rejected the API key"):
        validate_settings(load_settings(env))
    with pytest.raises(ConfigError, match="Cannot connect"):
        validate_settings(
            load_settings({**env, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"})
        )
    no_key = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        validate_settings(load_settings(no_key))


def test_the_cli_gives_the_composed_advice_and_one_warning_line_without_secret(
    fault, hermetic_env, library
):
    env = _env(fault.base_url, hermetic_env)
    ingest = run_assistant_process("ingest", str(library), env=env, fake=False)
    assert ingest.returncode == 0, ingest.stderr
    fault.mode = "500"
    done = run_assistant_process(
        "advise",
        QUESTION,
        "--json",
        env={**env, "ASSISTANT_MODEL_ASSESSMENT": "false"},
        timeout=120,
        fake=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["next_steps"]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "failed (500)" in warnings[0]
    assert "Traceback" not in done.stderr
    assert CANARY_KEY not in done.stderr + done.stdout


def test_an_ingest_sends_the_embedding_endpoint_at_most_the_configured_batch(
    fault, library, tmp_path
):
    env = {**_env(fault.base_url, tmp_path / "data"), "ASSISTANT_EMBED_BACKEND": "openai"}
    env["ASSISTANT_EMBED_BATCH"] = "5"
    report = build_ingestor(load_settings(env)).run([library])
    sizes = [len(r["body"]["input"]) for r in fault.requests if r["path"].endswith("/embeddings")]
    assert report.added > 10 and not report.failed
    assert max(sizes) == 5 and sum(sizes) >= report.added
