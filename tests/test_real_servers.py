"""Against real servers on loopback: llama.cpp's OpenAI server and a Chroma server.

The processes are started from the exact lines of examples/Procfile, so the documented
scale-out configuration is what runs here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.backends import default_gguf_path

from .conftest import KNOWLEDGE, ROOT
from .support.servers import free_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _procfile() -> dict[str, str]:
    lines = (ROOT / "examples" / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} died:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} not up:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """chroma, model and embed servers from the Procfile, with the env of scaling.env."""
    work = tmp_path_factory.mktemp("stack")
    ports = {
        name: free_port()
        for name in ("CHROMA_PORT", "MODEL_PORT", "EMBED_PORT", "APP1_PORT", "APP2_PORT")
    }
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "CHROMA_DIR": str(work / "chroma"),
        "GGUF": str(default_gguf_path()),
        "ASSISTANT_DATA_DIR": str(work / "unused-local-store"),
        "ASSISTANT_CHROMA_URL": f"http://127.0.0.1:{ports['CHROMA_PORT']}",
        "ASSISTANT_CHAT_BACKEND": "openai",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{ports['MODEL_PORT']}/v1",
        "OPENAI_API_KEY": "sk-local",
        "ASSISTANT_CHAT_MODEL": "smollm2",
        "ASSISTANT_EMBED_BACKEND": "openai",
        "ASSISTANT_EMBED_BASE_URL": f"http://127.0.0.1:{ports['EMBED_PORT']}/v1",
        "ASSISTANT_EMBED_MODEL": "smollm2-embed",
        "ASSISTANT_MAX_TOKENS": "96",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    commands = _procfile()

    def start(name: str, ready: str | None) -> None:
        logs[name] = work / f"{name}.log"
        # `exec` so the server is the process we stop, not a shell that would orphan it.
        procs[name] = subprocess.Popen(
            ["sh", "-c", f"exec {commands[name]}"],
            env=env,
            cwd=ROOT,
            stdout=logs[name].open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if ready:
            _wait(ready, procs[name], logs[name])

    try:
        start("chroma", f"http://127.0.0.1:{ports['CHROMA_PORT']}/api/v2/heartbeat")
        start("model", f"http://127.0.0.1:{ports['MODEL_PORT']}/v1/models")
        start("embed", f"http://127.0.0.1:{ports['EMBED_PORT']}/v1/models")
        yield {
            "env": env,
            "ports": ports,
            "start": start,
            "procs": procs,
            "logs": logs,
            "work": work,
        }
    finally:
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)


def _cli(stack: dict[str, object], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=stack["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        input=stdin,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_ingest_search_and_reingest_through_the_chroma_and_embedding_servers(stack, tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("when-to-step-in.md", "leading-from-behind.md", "crisis-leadership.md"):
        (library / name).write_text((KNOWLEDGE / name).read_text())
    first = json.loads(_cli(stack, "ingest", str(library), "--json"))
    assert first["failed"] == [], first
    assert first["added"] == first["total"] > 10, first
    again = json.loads(_cli(stack, "ingest", str(library), "--json"))
    assert again["added"] == 0 and again["total"] == first["total"]
    hits = json.loads(_cli(stack, "search", "handing an incident back to the team", "--json"))
    assert hits and all(h["chunk_id"] and h["source"].startswith(str(library)) for h in hits)
    assert not (Path(str(stack["env"]["ASSISTANT_DATA_DIR"])) / "chroma.sqlite3").exists(), (
        "nothing may be written to the embedded store in server mode"
    )


def test_chat_streams_and_advise_answers_through_the_llama_cpp_openai_server(stack):
    from assistant.config import load_settings
    from assistant.wiring import build_coach

    env = stack["env"]
    assert isinstance(env, dict)
    coach = build_coach(load_settings(env))
    # Count the chunks the server sends: SmolLM2 sometimes stops after a handful of tokens,
    # too few for the page to repeat the composed answer, so the replies alone cannot show
    # that the words arrived as a stream (CI, session 16: 2 replies for an 8-token answer).
    chunks: list[str] = []
    generate = coach._generate

    def counted(messages: list[object]) -> Iterator[str]:
        for delta in generate(messages):
            chunks.append(delta)
            yield delta

    coach._generate = counted  # type: ignore[method-assign]
    replies = list(
        coach.stream_chat(
            "My experienced nurse wants to lead the ward's new handover routine. Should I step in?"
        )
    )
    assert replies[-1].done and "What to do now" in replies[-1].text
    gate = replies[-1].gate
    assert gate is not None, "the server's words were judged"
    # SmolLM2 sometimes copies its system prompt, canary included (one of five runs here):
    # the leak check then withholds the words before the gate reads them, also a judgement,
    # and one that only words streamed from the server can trigger. When that happens in the
    # first chunks, the stream ends before the composed answer is repeated.
    leaked = gate.reasons == ["revealed internal text"]
    assert gate.text or leaked, gate
    assert len(chunks) > 1 or leaked, ("tokens stream from the server", gate.reasons, gate.text)
    advice = json.loads(
        _cli(
            stack,
            "advise",
            "-",
            "--json",
            stdin="A supplier's truck is blocking the fire exit at our warehouse right now.",
        )
    )
    assert advice["verdict"] == "step_in"
    assert advice["backend"]["chat"] == "openai:smollm2"
    assert advice["backend"]["embeddings"] == "openai:smollm2-embed"
    assert advice["citations"]


def test_two_app_replicas_share_the_chroma_server_and_see_each_others_data(stack, tmp_path):
    start = stack["start"]
    ports = stack["ports"]
    assert callable(start) and isinstance(ports, dict)
    start("app1", f"http://127.0.0.1:{ports['APP1_PORT']}/healthz")
    marker = tmp_path / "marker"
    marker.mkdir()
    (marker / "quarterly-offsite.md").write_text(
        "# The kayak offsite rule\n\nWhen the team plans the kayak offsite, the most junior "
        "person chooses the river; the manager only checks the safety briefing happened.\n"
    )
    _cli(stack, "ingest", str(marker), "--json")
    start("app2", f"http://127.0.0.1:{ports['APP2_PORT']}/healthz")

    def health(port: int) -> dict[str, object]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            return json.loads(r.read())

    one, two = health(ports["APP1_PORT"]), health(ports["APP2_PORT"])
    assert one["chunks"] == two["chunks"] and int(one["chunks"]) > 0
    for port in (ports["APP1_PORT"], ports["APP2_PORT"]):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/advise",
            method="POST",
            data=json.dumps(
                {
                    "scenario": "My team is planning the kayak offsite; the junior "
                    "analyst wants to choose the river."
                }
            ).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as r:
            advice = json.loads(r.read())
        assert any("kayak" in c["title"].lower() for c in advice["citations"]), advice["citations"]
