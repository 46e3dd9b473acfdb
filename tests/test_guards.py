"""Every route that reaches a model gets the same limits, over real HTTP on loopback.

Each test speaks from its own loopback address (127.0.0.N), so each is its own client to the
rate limiter; the app believes X-Forwarded-* only from 127.0.0.1, where nginx runs.
"""

from __future__ import annotations

import http.client
import json
import shutil
from typing import Any
from urllib.parse import urlsplit

import pytest

from assistant.api import create_app
from assistant.assessment import Assessor
from assistant.config import load_settings
from assistant.guard import RateLimiter
from assistant.wiring import build_coach, build_ingestor

from .conftest import KNOWLEDGE
from .support.fakes import FAKE_ENV, scripted_chat
from .support.servers import InProcessApp, ReverseProxy

SCENARIO = "A forklift driver on my shift is skipping safety checks right now."
EMBEDDER = "https://wiki.example.com"
RATE = 5


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guarded")
    settings = load_settings(
        {
            "ASSISTANT_DATA_DIR": str(folder / "data"),
            **FAKE_ENV,
            "ASSISTANT_EMBED_ORIGINS": EMBEDDER,
            "ASSISTANT_RATE_LIMIT": str(RATE),
            # The rate limit is tested here, the share of the queue in test_queue_fairness.py.
            "ASSISTANT_MAX_JOBS_PER_CLIENT": "50",
            "ASSISTANT_MAX_BODY_BYTES": "2000",
            "ASSISTANT_MAX_PAGE_BODY_BYTES": "8192",
            "ASSISTANT_TRUSTED_PROXIES": "127.0.0.1",
            "ASSISTANT_ALLOWED_HOSTS": "coach.example.com",
        }
    )
    shutil.copytree(KNOWLEDGE, folder / "lib")
    build_ingestor(settings).run([folder / "lib"])
    chat = scripted_chat("Step in now.", repeat=500)
    coach = build_coach(settings, chat_model=chat, chat_name="scripted", assessor=Assessor(None))
    with InProcessApp(create_app(coach, settings)) as served:
        yield served


def call(
    base: str,
    path: str,
    body: Any = None,
    *,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    method: str = "POST",
) -> tuple[int, dict[str, str], str]:
    """One request from a chosen loopback address; (status, headers, body text)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=60, source_address=(source, 0)
    )
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {"content-type": "application/json", **(headers or {})}
    try:
        if chunked and data is not None:
            pieces = iter([data[i : i + 1024] for i in range(0, len(data), 1024)])
            conn.request(method, parts.path + path, body=pieces, headers=sent, encode_chunked=True)
        else:
            conn.request(method, parts.path + path, body=data, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def ask(message: str = SCENARIO) -> dict[str, Any]:
    return {"data": [message, []]}


def test_scripted_calls_to_the_page_and_widget_routes_share_the_api_rate_limit(app):
    me = "127.0.0.11"
    codes = [call(app.url, "/gradio_api/call/respond", ask(), source=me)[0] for _ in range(3)]
    codes.append(
        call(app.url, "/gradio_api/call/prepare_meeting", {"data": [SCENARIO] * 5}, source=me)[0]
    )
    codes.append(call(app.url, "/api/advise", {"scenario": SCENARIO}, source=me)[0])
    assert codes == [200] * RATE
    for path in ("/gradio_api/call/respond", "/widget/gradio_api/queue/join", "/api/advise"):
        status, headers, body = call(app.url, path, ask(), source=me)
        assert status == 429, (path, status, body)
        assert int(headers["retry-after"]) >= 1
    assert call(app.url, "/gradio_api/call/respond", ask(), source="127.0.0.12")[0] == 200


def test_the_page_routes_answer_their_own_origin_only_while_the_api_also_answers_embedders(app):
    me = "127.0.0.13"
    foreign = call(
        app.url, "/gradio_api/call/respond", ask(), source=me, headers={"origin": EMBEDDER}
    )
    assert foreign[0] == 403 and "embed.js" in foreign[2]
    widget = call(
        app.url,
        "/widget/gradio_api/queue/join",
        ask(),
        source=me,
        headers={"origin": "https://evil.example"},
    )
    assert widget[0] == 403
    own = call(app.url, "/gradio_api/call/respond", ask(), source=me, headers={"origin": app.url})
    assert own[0] == 200
    api = call(
        app.url, "/api/advise", {"scenario": SCENARIO}, source=me, headers={"origin": EMBEDDER}
    )
    assert api[0] == 200


def test_a_page_route_body_over_the_page_cap_gets_413(app):
    status, _, body = call(
        app.url, "/gradio_api/call/respond", ask("team " * 3000), source="127.0.0.14"
    )
    assert status == 413 and "8192 bytes" in body


@pytest.mark.parametrize(
    ("path", "payload", "cap"),
    [
        ("/api/advise", {"scenario": SCENARIO, "padding": "x" * 100_000}, "2000"),
        ("/gradio_api/call/respond", {"data": [SCENARIO, []], "padding": "x" * 100_000}, "8192"),
        ("/widget/gradio_api/queue/join", {"data": [SCENARIO, []], "pad": "x" * 100_000}, "8192"),
    ],
)
def test_a_chunked_body_over_the_cap_gets_413(app, path, payload, cap):
    status, _, body = call(app.url, path, payload, source="127.0.0.15", chunked=True)
    assert status == 413, (status, body)
    assert f"{cap} bytes" in body


def test_a_chunked_body_under_the_cap_is_answered(app):
    status, _, body = call(
        app.url, "/api/advise", {"scenario": SCENARIO}, source="127.0.0.16", chunked=True
    )
    assert status == 200, body
    assert json.loads(body)["verdict"] == "step_in"


@pytest.mark.parametrize("prefix", ["", "/widget"])
def test_uploads_are_refused_because_no_page_takes_a_file(app, prefix):
    boundary = "b0undary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n{'x' * 100}\r\n--{boundary}--\r\n"
    ).encode()
    status, _, body = call(
        app.url,
        f"{prefix}/gradio_api/upload",
        form,
        source="127.0.0.17",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 403 and "no file uploads" in body


def test_the_page_caps_uploads_and_deletes_its_file_cache(app):
    from assistant.web import DELETE_CACHE

    config = json.loads(call(app.url, "/config", method="GET")[2])
    assert config["max_file_size"] == 8192
    assert DELETE_CACHE[0] > 0 and DELETE_CACHE[1] > 0


@pytest.mark.parametrize("mount", ["", "/widget"])
def test_scripts_see_only_the_endpoints_meant_as_an_api(app, mount):
    config = json.loads(call(app.url, f"{mount}/config", method="GET")[2])
    exposed = {
        d["api_name"]
        for d in config["dependencies"]
        if d["backend_fn"] and d["api_visibility"] != "private"
    }
    assert exposed == ({"respond", "prepare_meeting"} if not mount else set())
    info = json.loads(call(app.url, f"{mount}/gradio_api/info", method="GET")[2])
    assert set(info["named_endpoints"]) == {f"/{name}" for name in exposed}
    assert not info["unnamed_endpoints"]


def test_a_host_header_the_app_does_not_serve_gets_400(app):
    port = urlsplit(app.url).port
    rebound = call(
        app.url,
        "/api/advise",
        {"scenario": SCENARIO},
        source="127.0.0.18",
        headers={"host": f"attacker.example:{port}"},
    )
    assert rebound[0] == 400 and "ASSISTANT_ALLOWED_HOSTS" in rebound[2]
    assert call(app.url, "/healthz", method="GET", headers={"host": "evil.test"})[0] == 400
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "coach.example.com"):
        assert call(app.url, "/healthz", method="GET", headers={"host": host})[0] == 200, host


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(app, tmp_path):
    proxy = ReverseProxy(tmp_path / "nginx", urlsplit(app.url).port or 0)
    try:
        first = [
            call(proxy.url, "/api/advise", {"scenario": SCENARIO}, source="127.0.0.21")[0]
            for _ in range(RATE + 1)
        ]
        assert first == [200] * RATE + [429]
        other = call(proxy.url, "/api/advise", {"scenario": SCENARIO}, source="127.0.0.22")
        assert other[0] == 200, "one client must not lock out everyone behind the proxy"
    finally:
        proxy.stop()


def test_a_client_that_is_not_a_trusted_proxy_cannot_forge_its_address(app):
    codes = [
        call(
            app.url,
            "/api/advise",
            {"scenario": SCENARIO},
            source="127.0.0.23",
            headers={"x-forwarded-for": f"203.0.113.{n}"},
        )[0]
        for n in range(RATE + 1)
    ]
    assert codes[-1] == 429


def test_behind_tls_termination_a_same_origin_https_post_is_allowed(app):
    tls = {
        "host": "coach.example.com",
        "origin": "https://coach.example.com",
        "x-forwarded-proto": "https",
        "x-forwarded-for": "198.51.100.7",
    }
    via_proxy = call(app.url, "/api/advise", {"scenario": SCENARIO}, headers=tls)
    assert via_proxy[0] == 200, via_proxy[2]
    page = call(app.url, "/gradio_api/call/respond", ask(), headers=tls)
    assert page[0] == 200, page[2]
    # The same headers from an address that is not the proxy are not believed.
    forged = call(app.url, "/api/advise", {"scenario": SCENARIO}, source="127.0.0.24", headers=tls)
    assert forged[0] == 403


def test_the_rate_limiter_table_forgets_idle_clients_and_stays_bounded():
    import time

    limiter = RateLimiter(limit=2, window=0.05, max_clients=100)
    for n in range(1000):
        assert limiter.allow(f"10.0.{n // 256}.{n % 256}")[0]
    assert len(limiter) <= 100
    time.sleep(0.06)
    limiter.allow("fresh")
    assert len(limiter) == 1
