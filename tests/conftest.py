"""Shared fixtures: hermetic settings, fake backends, and one load of each real model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    from assistant.config import load_settings

    return load_settings(
        {
            "ASSISTANT_DATA_DIR": str(hermetic_env),
            "ASSISTANT_CHAT_BACKEND": "fake",
            "ASSISTANT_EMBED_BACKEND": "fake",
            "ASSISTANT_VERDICT_BACKEND": "signals",
        }
    )


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
        env={"ASSISTANT_EMBED_ORIGINS": host_site.origin},
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
