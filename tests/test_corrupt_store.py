"""A damaged store is detected at start-up with a one-command recovery."""

from __future__ import annotations

import json
import subprocess

from .conftest import KNOWLEDGE
from .support.fakes import run_assistant_process


def _run(*args: str, data) -> subprocess.CompletedProcess[str]:
    # Its own process each time: a damaged store is met by a process that starts on it.
    env = {"ASSISTANT_DATA_DIR": str(data), "GRADIO_ANALYTICS_ENABLED": "False"}
    return run_assistant_process(*args, env=env)


def test_a_corrupt_store_stops_the_server_with_the_fix_and_rebuild_recovers(tmp_path):
    data = tmp_path / "data"
    note = KNOWLEDGE / "trust-and-loyalty.md"
    assert _run("ingest", str(note), "--json", data=data).returncode == 0
    sqlite = data / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 1000)
    served = _run("serve", "--port", "1", data=data)
    assert served.returncode == 2
    assert "damaged or unreadable" in served.stderr
    assert "assistant ingest --rebuild" in served.stderr
    assert "Traceback" not in served.stderr
    rebuilt = _run("ingest", str(note), "--rebuild", "--json", data=data)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["total"] > 0
    assert list(tmp_path.glob("data.damaged-*")), "the damaged store is kept, not deleted"
    search = _run("search", "trust", "--json", data=data)
    assert search.returncode == 0 and json.loads(search.stdout)
