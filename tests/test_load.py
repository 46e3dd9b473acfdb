"""Bounded load on loopback, the queue's positions, and a cancelled request freeing the model."""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import KNOWLEDGE
from .support.fakes import FAKE_ENV
from .support.servers import AppServer, free_port

pytestmark = pytest.mark.slow

SCENARIOS = [
    "My experienced designer wants to run the client workshop alone. Should I step in?",
    "A forklift driver on my shift is skipping the safety checks right now.",
    "My new team lead has her first board presentation next week and seems nervous.",
    "The team wants to choose its own sprint length. Should I decide for them?",
]


def _answer(history: list[dict[str, Any]]) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else "".join(p["text"] for p in content)


def _chat(url: str, scenario: str) -> str:
    from gradio_client import Client

    client = Client(f"{url}/", verbose=False, httpx_kwargs={"timeout": 120})
    history, _ = client.predict(scenario, [], api_name="/respond")
    return _answer(history)


def _advise(url: str, scenario: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/api/advise",
        data=json.dumps({"scenario": scenario}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return dict(json.loads(response.read()))


def test_32_concurrent_sessions_against_a_fast_fake_model_all_succeed(tmp_path):
    library = tmp_path / "library"
    shutil.copytree(KNOWLEDGE, library)
    app = AppServer(
        tmp_path / "data",
        env={
            "ASSISTANT_KNOWLEDGE_DIR": str(library),
            **FAKE_ENV,
            "ASSISTANT_QUEUE_SIZE": "64",
            "ASSISTANT_RATE_LIMIT": "1000",
            "ASSISTANT_MAX_JOBS_PER_CLIENT": "64",  # 32 users, one loopback address
        },
    ).start()
    try:
        with ThreadPoolExecutor(max_workers=64) as pool:
            chats = [pool.submit(_chat, app.url, SCENARIOS[i % 4]) for i in range(32)]
            calls = [pool.submit(_advise, app.url, SCENARIOS[i % 4]) for i in range(32)]
            answers = [c.result(timeout=300) for c in chats]
            advice = [c.result(timeout=300) for c in calls]
        bad = [a for a in answers if "Verdict:" not in a or "Sources" not in a]
        assert not bad, bad[:3]
        assert all(a["verdict"] in {"step_in", "step_back", "balanced"} for a in advice)
        assert {a["verdict"] for a in advice} == {"step_in", "step_back", "balanced"}
        assert "Traceback" not in app.log()
    finally:
        app.stop()


def test_four_sessions_against_the_embedded_model_complete_and_waiting_ones_see_a_position(
    real_app,
):
    from gradio_client import Client

    clients = [Client(f"{real_app.url}/", verbose=False) for _ in SCENARIOS]
    jobs = [c.submit(s, [], api_name="/respond") for c, s in zip(clients, SCENARIOS, strict=True)]
    ranks: set[int] = set()
    deadline = time.time() + 600
    while not all(job.done() for job in jobs) and time.time() < deadline:
        for job in jobs:
            status = job.status()
            if status.rank is not None:
                ranks.add(status.rank)
        time.sleep(0.1)
    answers = [_answer(job.result(timeout=10)[0]) for job in jobs]
    assert all("Verdict:" in a for a in answers)
    assert max(ranks, default=0) >= 1, f"waiting users should see their place; saw {ranks}"


class _EndlessLlama:
    """Stands in for llama.cpp: streams slowly without end, and records being closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.started = 0

    def create_chat_completion(self, **_: Any):  # type: ignore[no-untyped-def]
        self.started += 1
        try:
            while True:
                time.sleep(0.05)
                yield {"choices": [{"delta": {"content": "Let them lead. "}}]}
        finally:
            self.closed.set()


@contextlib.contextmanager
def _app_on_an_endless_model(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The real app and LlamaCppChat, in-process, over a model that never stops talking."""
    import uvicorn

    from assistant.api import create_app
    from assistant.backends import LlamaCppChat
    from assistant.wiring import build_coach, build_ingestor

    build_ingestor(settings).run([KNOWLEDGE / "when-to-step-in.md"])
    llama = _EndlessLlama()
    chat = LlamaCppChat(model_path=str(Path(tmp_path / "unused.gguf")))
    chat._llama = llama  # fault injection: the real class, a model that never stops
    app = create_app(
        build_coach(settings, chat_model=chat, chat_name="llama.cpp:endless"), settings
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 60
        while not server.started and time.time() < deadline:
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", llama
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _generating(llama, count: int, deadline: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until the model has been asked for its `count`-th rewording."""
    while llama.started < count and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # a few chunks in


def test_a_cancelled_request_frees_the_model_for_the_next_user(fake_settings, tmp_path):
    from gradio_client import Client

    settings = fake_settings.model_copy(update={"concurrency": 1, "max_tokens": 4096})
    with _app_on_an_endless_model(settings, tmp_path) as (url, llama):
        deadline = time.time() + 60
        client = Client(f"{url}/", verbose=False)
        first = client.submit(SCENARIOS[0], [], api_name="/respond")
        _generating(llama, 1, deadline)
        assert llama.started == 1
        first.cancel()
        assert llama.closed.wait(15), "cancelling must stop the generation and free the model"

        llama.closed.clear()
        second = client.submit(SCENARIOS[1], [], api_name="/respond")
        _generating(llama, 2, deadline)
        assert llama.started == 2, "the next user gets the model"
        second.cancel()
        assert llama.closed.wait(15)


def test_past_the_queue_limit_a_user_is_told_at_once_to_try_again(fake_settings, tmp_path):
    from gradio_client import Client

    settings = fake_settings.model_copy(
        # Three users on one loopback address: the queue, not the per-client share, is full.
        update={"concurrency": 1, "queue_size": 1, "max_tokens": 4096, "max_jobs_per_client": 8}
    )
    with _app_on_an_endless_model(settings, tmp_path) as (url, llama):
        deadline = time.time() + 60
        clients = [Client(f"{url}/", verbose=False) for _ in range(3)]
        running = clients[0].submit(SCENARIOS[0], [], api_name="/respond")
        _generating(llama, 1, deadline)
        waiting = clients[1].submit(SCENARIOS[1], [], api_name="/respond")
        while waiting.status().rank is None and time.time() < deadline:
            time.sleep(0.1)
        assert waiting.status().rank == 0, "the waiting user sees their place"
        started = time.time()
        refused = clients[2].submit(SCENARIOS[2], [], api_name="/respond")
        with pytest.raises(Exception, match="(?i)full|busy|try again"):
            refused.result(timeout=30)
        assert time.time() - started < 10, "the refusal is immediate"
        assert llama.started == 1
        running.cancel()
        waiting.cancel()
