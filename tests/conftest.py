"""Shared fixtures: hermetic settings, fake backends, and one load of each real model."""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support.fakes import FAKE_ENV, scripted_chat

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir and no OpenAI credentials."""
    for var in list(os.environ):
        if var.startswith(("OPENAI_", "ASSISTANT_")):
            monkeypatch.delenv(var, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    return data


@pytest.fixture
def fake_settings(hermetic_env: Path):
    """Settings for the fake backends (FAKE_ENV) in this test's data dir."""
    from assistant.config import load_settings

    return load_settings({"ASSISTANT_DATA_DIR": str(hermetic_env), **FAKE_ENV})


@pytest.fixture
def make_coach(fake_settings, tmp_path: Path):
    """The one fake coach set-up: a copy of knowledge/ ingested with the fake embedder, a
    scripted chat model, signals-only verdicts. `make_coach(*replies, repeat=, settings=,
    **build_coach_overrides)`; the library is ingested once per data dir."""
    from assistant.assessment import Assessor
    from assistant.wiring import build_coach, build_ingestor

    ingested: set[Path] = set()

    def make(*replies: str, repeat: int = 1, settings=None, **overrides):
        settings = settings or fake_settings
        if settings.data_dir not in ingested:
            folder = tmp_path / f"lib-{len(ingested)}"
            shutil.copytree(KNOWLEDGE, folder)
            report = build_ingestor(settings).run([folder])
            assert not report.failed, report.failed
            ingested.add(settings.data_dir)
        overrides.setdefault("chat_model", scripted_chat(*replies, repeat=repeat))
        overrides.setdefault("chat_name", "scripted")
        overrides.setdefault("assessor", Assessor(None))
        return build_coach(settings, **overrides)

    return make


@dataclass
class CliResult:
    """What `assistant ARGS` printed and returned."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], hermetic_env):
    """Run `assistant ARGS` in this process, on the fake backends unless `env` says otherwise:
    `cli(*args, stdin=None, env=None) -> CliResult`."""
    from assistant.cli import main

    monkeypatch.chdir(ROOT)

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        for name, value in {**FAKE_ENV, **(env or {})}.items():
            monkeypatch.setenv(name, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture(scope="session")
def real_embedder():
    """all-MiniLM-L6-v2 from its package, loaded once for the whole run."""
    from assistant.backends import make_embeddings
    from assistant.config import load_settings

    return make_embeddings(load_settings({}))


@pytest.fixture(scope="session")
def real_chat():
    """SmolLM2 through llama.cpp, loaded once for the whole run."""
    from assistant.backends import make_chat_model
    from assistant.config import load_settings

    return make_chat_model(load_settings({}))


@pytest.fixture(scope="session")
def real_library(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[Path]:
    """A store holding knowledge/ (the project's own texts), embedded with the real model."""
    from assistant.config import load_settings
    from assistant.wiring import build_ingestor

    data = tmp_path_factory.mktemp("real-store")
    settings = load_settings({"ASSISTANT_DATA_DIR": str(data)})
    report = build_ingestor(settings, embedder=real_embedder).run([KNOWLEDGE])
    assert not report.failed, report.failed
    yield data


@pytest.fixture(scope="session")
def real_coach(real_library, real_embedder, real_chat):
    """The embedded default: real embeddings, real verdict model, SmolLM2 behind the gate."""
    from assistant.config import load_settings
    from assistant.wiring import build_coach

    settings = load_settings({"ASSISTANT_DATA_DIR": str(real_library)})
    chat, name = real_chat
    return build_coach(settings, embedder=real_embedder, chat_model=chat, chat_name=name)


@pytest.fixture(scope="session")
def host_site(tmp_path_factory: pytest.TempPathFactory):
    """A host page on its own loopback origin, allowed to embed the widget."""
    from .support.servers import StaticSite

    site = StaticSite(tmp_path_factory.mktemp("host-site"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def real_app(tmp_path_factory: pytest.TempPathFactory, host_site):
    """`python app.py` with the real embedded models, filling an empty store on start."""
    from .support.servers import AppServer

    server = AppServer(
        tmp_path_factory.mktemp("served") / "data",
        # Several test users share the loopback address here; the per-client job share has
        # its own tests (test_queue_fairness.py).
        env={"ASSISTANT_EMBED_ORIGINS": host_site.origin, "ASSISTANT_MAX_JOBS_PER_CLIENT": "16"},
    ).start()
    yield server
    server.stop()


def host_page(app_url: str, prompt: str = "") -> str:
    """examples/embed.html pointed at a test server."""
    page = (ROOT / "examples" / "embed.html").read_text()
    page = page.replace("http://127.0.0.1:7860", app_url)
    if prompt:
        page = page.replace(
            'data-prompt="My new team lead wants to run the client escalation alone."',
            f'data-prompt="{prompt}"',
        )
    return page
