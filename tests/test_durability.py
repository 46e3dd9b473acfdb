"""A killed ingest leaves a store that opens and converges on re-run: nothing lost or doubled."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import KNOWLEDGE, ROOT
from .support.fakes import FAKE_ENV

pytestmark = pytest.mark.slow

TRIALS = 20


def _env(data: Path, embedder: str = "fake") -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data),
        **FAKE_ENV,
        "ASSISTANT_EMBED_BACKEND": embedder,
    }


def _ingest(data: Path, library: Path, embedder: str = "fake") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(library), "--json"],
        env=_env(data, embedder),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-lib")
    for copy in range(3):
        for source in KNOWLEDGE.glob("*.md"):
            text = source.read_text().replace("# ", f"# ({copy}) ", 1)
            (folder / f"{copy}-{source.name}").write_text(text + f"\n\nCopy {copy}.\n")
    return folder


def test_an_ingest_killed_at_random_points_converges_to_a_clean_ingest(library, tmp_path):
    clean = _ingest(tmp_path / "clean", library)
    expected = clean["total"]
    started = time.monotonic()
    _ingest(tmp_path / "timing", library)
    duration = time.monotonic() - started
    rng = random.Random(20261127)
    outcomes = []
    for trial in range(TRIALS):
        data = tmp_path / f"trial-{trial}"
        if trial % 2 and trial > 1:  # half the trials kill a re-run over an earlier kill
            shutil.copytree(tmp_path / f"trial-{trial - 1}", data)
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(library), "--json"],
            env=_env(data),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        report = _ingest(data, library)  # a fresh process opens the store and re-runs
        again = _ingest(data, library)
        outcomes.append((report["total"], again["added"], again["removed"]))
        assert report["total"] == expected, f"trial {trial}: {report}"
        assert report["failed"] == []
        assert (again["added"], again["removed"], again["total"]) == (0, 0, expected)
    assert len(outcomes) == TRIALS


def test_an_ingest_with_the_real_embedder_killed_mid_embedding_converges(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    for source in sorted(KNOWLEDGE.glob("*.md"))[:6]:
        shutil.copy(source, library)
    started = time.monotonic()
    expected = _ingest(tmp_path / "clean", library, "embedded")["total"]
    whole = time.monotonic() - started
    started = time.monotonic()
    _ingest(tmp_path / "clean", library, "embedded")  # start-up and model load, no embedding
    loading = time.monotonic() - started
    rng = random.Random(7)
    for trial in range(3):
        data = tmp_path / f"real-{trial}"
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(library), "--json"],
            env=_env(data, "embedded"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Somewhere between the model being loaded and the last chunk being written.
        time.sleep(rng.uniform(loading, max(loading, whole)))
        process.send_signal(signal.SIGKILL)
        process.wait()
        report = _ingest(data, library, "embedded")
        assert report["total"] == expected, f"trial {trial}: {report}"
        assert report["failed"] == []


def test_after_a_killed_ingest_and_a_re_run_the_word_index_matches_the_store(library, tmp_path):
    from assistant.backends import EmbeddingBackend, HashingEmbeddings
    from assistant.retrieval import Retriever
    from assistant.store import open_store

    clean_data = tmp_path / "clean"
    _ingest(clean_data, library)
    clean = Retriever(
        open_store(clean_data, "leadership"), EmbeddingBackend(HashingEmbeddings(), "f")
    )
    expected = set(clean.lexical_index().ids)
    rng = random.Random(18)
    for trial in range(3):
        data = tmp_path / f"killed-{trial}"
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(library), "--json"],
            env=_env(data),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(2.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _ingest(data, library)
        store = open_store(data, "leadership")
        retriever = Retriever(store, EmbeddingBackend(HashingEmbeddings(), "f"))
        assert set(retriever.lexical_index().ids) == {c for c, _, _ in store.texts()} == expected
        assert retriever.search("tripwires agreed in advance", 4)
