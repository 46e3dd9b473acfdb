"""An API key never shows: not in pages, API responses, errors, logs or CLI output."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import KNOWLEDGE
from .support.fakes import run_assistant_process
from .support.openai_faults import FaultServer
from .support.servers import AppServer, free_port

pytestmark = pytest.mark.slow

SECRET = "sk-canary-q7ZxV2mPw9LrT4nBk8"
CHROMA_SECRET = "chroma-canary-Yh3Rt8LpQ2"


def _leaks(text: str) -> list[str]:
    """Any 6-character piece of either secret's random part found in `text`."""
    found = []
    for secret in (SECRET.removeprefix("sk-canary-"), CHROMA_SECRET.removeprefix("chroma-canary-")):
        found += [secret[i : i + 6] for i in range(len(secret) - 5) if secret[i : i + 6] in text]
    return found


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    # Its own process: what leaks is what a person sees on the terminal, stdout and stderr.
    done = run_assistant_process(*args, env=env, stdin=stdin, fake=False)
    return done.stdout + done.stderr


def _get(url: str, data: bytes | None = None) -> str:
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return str(response.headers) + response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return str(exc.headers) + exc.read().decode("utf-8", "replace")


def _library(tmp_path: Path) -> Path:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "note.md").write_text((KNOWLEDGE / "when-to-step-in.md").read_text())
    return library


def _secret_settings(server: FaultServer) -> dict[str, str]:
    """An OpenAI-compatible chat backend with a planted key, fast to fail."""
    return {
        "OPENAI_API_KEY": SECRET,
        "OPENAI_BASE_URL": server.base_url,
        "ASSISTANT_CHAT_MODEL": "fake-model",
        "ASSISTANT_EMBED_BACKEND": "fake",
        "ASSISTANT_VERDICT_BACKEND": "signals",
        "ASSISTANT_MAX_RETRIES": "0",
        "ASSISTANT_IDLE_TIMEOUT": "2",
    }


def test_the_api_key_never_appears_in_any_cli_output_in_any_failure_mode(tmp_path):
    server = FaultServer().start()
    library = _library(tmp_path)
    env = {
        **os.environ,
        **_secret_settings(server),
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CHROMA_TOKEN": CHROMA_SECRET,
    }
    scenario = "My new lead wants to run the client escalation alone. Should I step in?"
    outputs = [_cli(env, "ingest", str(library), "--json"), _cli(env, "--help")]
    try:
        for mode in ("ok", "401", "500", "hang"):
            server.mode = mode
            outputs.append(_cli(env, "advise", scenario, "--json"))
        server.mode = "401"
        outputs.append(_cli(env, "advise", scenario))
        outputs.append(_cli(env, "search", "delegation"))
        outputs.append(_cli(env, "prep", "--json", stdin=json.dumps({"meeting": scenario})))
        server.mode = "401"
        outputs.append(_cli({**env, "ASSISTANT_EMBED_BACKEND": "openai"}, "ingest", str(library)))
        outputs.append(_cli({**env, "ASSISTANT_PORT": str(free_port())}, "serve"))
        unreachable = {**env, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
        outputs.append(_cli(unreachable, "advise", scenario))
    finally:
        server.stop()
    assert any("rejected" in o.lower() or "401" in o or "key" in o.lower() for o in outputs)
    for output in outputs:
        assert not _leaks(output), output[-2000:]


def test_the_api_key_never_appears_in_pages_api_answers_errors_or_the_server_log(tmp_path):
    from gradio_client import Client

    server = FaultServer().start()
    library = _library(tmp_path)
    app = AppServer(
        tmp_path / "data",
        env={"ASSISTANT_KNOWLEDGE_DIR": str(library), **_secret_settings(server)},
    ).start()
    seen: list[str] = []
    scenario = b'{"scenario": "My deputy wants to lead the audit alone. Should I step in?"}'
    try:
        for path in ("/", "/config", "/widget/", "/widget/config", "/healthz", "/api/openapi.json"):
            seen.append(_get(f"{app.url}{path}"))
        client = Client(f"{app.url}/", verbose=False)
        for mode in ("ok", "401", "500", "malformed", "hang"):
            server.mode = mode
            seen.append(_get(f"{app.url}/api/advise", scenario))
            history, _ = client.predict(
                "My deputy wants to lead the audit alone. Should I step in?",
                [],
                api_name="/respond",
            )
            seen.append(json.dumps(history))
        seen.append(app.log())
    finally:
        app.stop()
        server.stop()
    assert any("rejected" in s.lower() or "key" in s.lower() for s in seen[6:])
    for text in seen:
        assert not _leaks(text), text[-2000:]
    assert Path(app.log_path).exists()
