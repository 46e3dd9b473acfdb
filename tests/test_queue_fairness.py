"""One client cannot fill the shared queue: real app, real HTTP on loopback, parallel clients.

The chat model here holds every answer about the Holdfast depot until the test lets go, so
which jobs are still running is decided by the test, never by timing.
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.language_models import SimpleChatModel
from langchain_core.messages import BaseMessage

from assistant.api import create_app
from assistant.assessment import Assessor
from assistant.config import load_settings
from assistant.fairness import JobSlots
from assistant.wiring import build_coach, build_ingestor

from .conftest import KNOWLEDGE
from .support.servers import InProcessApp

HELD = "A forklift driver at the Holdfast depot on my shift is skipping safety checks right now."
FREE = "A forklift driver on my shift is skipping safety checks right now."
RELEASE = threading.Event()


class HeldChat(SimpleChatModel):
    """Answers at once, except about the Holdfast depot: those wait for RELEASE."""

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        if "holdfast" in str(messages[-1].content).lower():
            RELEASE.wait(120)
        return "Step in now."

    @property
    def _llm_type(self) -> str:
        return "held"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fair")
    settings = load_settings(
        {
            "ASSISTANT_DATA_DIR": str(folder / "data"),
            "ASSISTANT_CHAT_BACKEND": "fake",
            "ASSISTANT_EMBED_BACKEND": "fake",
            "ASSISTANT_VERDICT_BACKEND": "signals",
            "ASSISTANT_RATE_LIMIT": "1000",
            "ASSISTANT_CONCURRENCY": "1",  # one answer at a time, as with the embedded model
            "ASSISTANT_MAX_JOBS_PER_CLIENT": "2",
        }
    )
    shutil.copytree(KNOWLEDGE, folder / "lib")
    build_ingestor(settings).run([folder / "lib"])
    coach = build_coach(settings, chat_model=HeldChat(), chat_name="held", assessor=Assessor(None))
    try:
        with InProcessApp(create_app(coach, settings)) as served:
            yield served
    finally:
        RELEASE.set()


def request(
    app: InProcessApp, method: str, path: str, body: Any = None, source: str = "127.0.0.1"
) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=90, source_address=(source, 0))
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def submit(
    app: InProcessApp, route: str, message: str, source: str, session: str = ""
) -> tuple[int, str]:
    """Queue one chat answer: the page's /call API ("page"), or a queue/join as the browser
    does on the page ("page-join") or in the widget ("widget")."""
    if route == "page":
        return request(app, "POST", "/gradio_api/call/respond", {"data": [message, []]}, source)
    mount = "/widget" if route == "widget" else ""
    config = json.loads(request(app, "GET", f"{mount}/config")[1])
    fn = next(d["id"] for d in config["dependencies"] if d["api_name"] == "respond")
    body = {"data": [message, []], "fn_index": fn, "session_hash": session or uuid.uuid4().hex}
    return request(app, "POST", f"{mount}/gradio_api/queue/join", body, source)


def result(app: InProcessApp, event_id: str, source: str) -> str:
    """The whole SSE stream of a /call job, read to its end."""
    return request(app, "GET", f"/gradio_api/call/respond/{event_id}", source=source)[1]


def test_one_client_cannot_fill_the_queue_and_another_still_gets_answers(app):
    flooder, other = "127.0.0.31", "127.0.0.32"
    routes = ["page", "widget"] * 5
    RELEASE.clear()
    try:
        with ThreadPoolExecutor(len(routes)) as pool:
            answers = list(pool.map(lambda r: submit(app, r, HELD, flooder), routes))
        taken = [body for status, body in answers if status == 200]
        refused = [body for status, body in answers if status == 429]
        assert len(taken) == 2 and len(refused) == 8, answers
        assert all("Wait for the running answer" in body for body in refused)
        # The REST API shares the same share of the queue.
        status, body = request(app, "POST", "/api/advise", {"scenario": FREE}, flooder)
        assert status == 429 and "Wait for the running answer" in body

        # Someone else is still served, through the API at once and through the page's queue.
        status, body = request(app, "POST", "/api/advise", {"scenario": FREE}, other)
        assert status == 200 and json.loads(body)["verdict"] == "step_in", body
        status, body = submit(app, "page", FREE, other)
        assert status == 200, body
        others_job = json.loads(body)["event_id"]
    finally:
        RELEASE.set()  # the held answers finish; everyone behind them is answered
    stream = result(app, others_job, other)
    assert "event: complete" in stream and "Verdict" in stream, stream


def test_a_client_whose_answers_are_over_can_ask_again(app):
    me = "127.0.0.33"
    jobs = [json.loads(submit(app, "page", FREE, me)[1])["event_id"] for _ in range(2)]
    for job in jobs:
        assert "event: complete" in result(app, job, me)
    status, body = submit(app, "page", FREE, me)
    assert status == 200, body
    assert "event: complete" in result(app, json.loads(body)["event_id"], me)


def test_gradio_routes_that_skip_the_queue_are_closed(app):
    for path in (
        "/gradio_api/run/respond",
        "/gradio_api/api/respond",
        "/widget/gradio_api/run/respond",
    ):
        status, body = request(app, "POST", path, {"data": [FREE, []]}, "127.0.0.34")
        assert status == 404, (path, status, body)


def test_a_client_that_leaves_the_queue_gets_its_place_back(app):
    me, session = "127.0.0.35", uuid.uuid4().hex
    RELEASE.clear()
    try:
        assert submit(app, "page", HELD, me)[0] == 200  # runs, held
        assert submit(app, "page-join", HELD, me, session)[0] == 200  # waits behind it
        assert submit(app, "page", FREE, me)[0] == 429
        # The browser's stream for the waiting answer opens, then the tab is closed.
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
        conn.request("GET", f"/gradio_api/queue/data?session_hash={session}")
        response = conn.getresponse()
        assert response.status == 200
        response.fp.readline()
        conn.close()
        deadline = time.monotonic() + 60  # Gradio notices a gone client within seconds
        status = 429
        while status == 429 and time.monotonic() < deadline:
            status = submit(app, "page", FREE, me)[0]
            time.sleep(0.5)
        assert status == 200
    finally:
        RELEASE.set()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_holds_at_most_its_share_and_gets_a_slot_back_when_a_job_ends():
    slots = JobSlots(limit=2, max_age=100, clock=Clock())
    first, second = slots.take("a"), slots.take("a")
    assert first and second and slots.take("a") is None
    assert slots.take("b") is not None
    running = [True]
    slots.follow(first, lambda: running[0])
    assert slots.take("a") is None
    running[0] = False  # the job finished, failed or lost its client
    assert slots.take("a") is not None


def test_no_slot_outlives_the_longest_a_job_can_take_so_none_can_leak():
    clock = Clock()
    slots = JobSlots(limit=1, max_age=100, clock=clock)
    stuck = slots.take("a")
    assert stuck is not None
    slots.follow(stuck, lambda: True)  # a job whose end is never seen
    clock.now = 99.0
    assert slots.take("a") is None
    clock.now = 100.0
    assert slots.take("a") is not None


def test_a_failing_job_check_frees_the_slot_and_the_table_keeps_only_busy_clients():
    slots = JobSlots(limit=1, max_age=100, clock=Clock())

    def broken() -> bool:
        raise RuntimeError("queue gone")

    for n in range(1000):
        slot = slots.take(f"10.0.{n // 256}.{n % 256}")
        assert slot is not None
        slots.follow(slot, broken)
    assert len(slots) == 0
    kept = slots.take("a")
    assert kept is not None and len(slots) == 1
    slots.give_back(kept)
    slots.give_back(kept)
    assert len(slots) == 0
