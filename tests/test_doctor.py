import json
from collections import namedtuple
from pathlib import Path

import pytest

from assistant.cli import main

Usage = namedtuple("Usage", "total used free")


def _doctor(capsys) -> tuple[int, dict]:
    code = main(["doctor", "--json"])
    return code, json.loads(capsys.readouterr().out)


def _by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


@pytest.fixture
def ready(monkeypatch, tmp_path) -> Path:
    """A cache folder holding what `make install` leaves: a trained verdict model."""
    from assistant.assessment import TRAINING_BANKS
    from assistant.verdict_model import model_key

    cache = tmp_path / "cache"
    trained = cache / f"verdict-{model_key(TRAINING_BANKS)}"
    trained.mkdir(parents=True)
    (trained / "head.pt").write_bytes(b"weights")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(cache))
    return cache


def test_a_ready_machine_passes_every_check_and_exits_zero(ready, capsys):
    code, report = _doctor(capsys)
    checks = _by_name(report)
    assert code == 0 and report["ready"] is True
    assert set(checks) >= {
        "python",
        "c compiler",
        "disk (cache)",
        "disk (data)",
        "memory",
        "packages",
        "embedding model",
        "chat model",
        "verdict model",
        "store",
        "chromium",
        "nginx",
    }
    assert checks["verdict model"]["ok"]


def test_an_untrained_verdict_model_fails_with_the_command_that_trains_it(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "empty-cache"))
    code, report = _doctor(capsys)
    verdict = _by_name(report)["verdict model"]
    assert code == 1 and report["ready"] is False
    assert not verdict["ok"]
    assert "assistant train" in verdict["fix"]


def test_the_store_line_counts_the_chunks_it_holds(ready, monkeypatch, capsys):
    from assistant.config import load_settings
    from assistant.wiring import build_ingestor

    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "fake")
    note = ready.parent / "note.md"
    note.write_text("# Note\n\nA short note about delegating decisions to a capable team.")
    build_ingestor(load_settings()).run([note], progress=False)
    code, report = _doctor(capsys)
    assert code == 0
    assert _by_name(report)["store"]["detail"].endswith("opens, 1 chunks")


def test_a_damaged_store_fails_with_the_rebuild_command(ready, hermetic_env, capsys):
    hermetic_env.mkdir()
    (hermetic_env / "chroma.sqlite3").write_bytes(b"not a database at all" * 200)
    code, report = _doctor(capsys)
    store = _by_name(report)["store"]
    assert code == 1
    assert not store["ok"]
    assert "assistant ingest --rebuild" in store["fix"]


def test_missing_browser_and_proxy_are_reported_for_the_tests_only(ready, monkeypatch, capsys):
    real_which = __import__("shutil").which
    monkeypatch.setattr(
        "assistant.doctor.shutil.which",
        lambda name: None if name in ("chromium", "nginx") else real_which(name),
    )
    code, _ = _doctor(capsys)
    assert code == 0
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert "warn chromium: missing (only the browser tests need it)" in text
    assert "fix: Run `make test-deps` (apt-get install nginx-light)." in text
    assert text.rstrip().endswith("ready for `make run`")


def test_too_little_disk_fails_and_names_the_setting_that_moves_the_data(
    ready, monkeypatch, capsys
):
    from assistant import doctor

    checks = doctor.run_checks(
        __import__("assistant.config", fromlist=["load_settings"]).load_settings(),
        disk_usage=lambda path: Usage(10 * 2**30, 10 * 2**30 - 50 * 2**20, 50 * 2**20),
    )
    disk = {c.name: c for c in checks}
    assert not disk["disk (data)"].ok and not disk["disk (cache)"].ok
    assert "ASSISTANT_DATA_DIR" in disk["disk (data)"].fix
    assert "50 MB free" in disk["disk (data)"].detail


def test_a_compiler_is_needed_only_when_llama_cpp_must_be_built(ready, monkeypatch, tmp_path):
    from assistant import doctor
    from assistant.config import load_settings

    real_find = doctor.importlib.util.find_spec
    monkeypatch.setattr(
        doctor.importlib.util,
        "find_spec",
        lambda name: None if name == "llama_cpp" else real_find(name),
    )
    settings = load_settings()
    no_compiler = doctor._compiler(settings, {}, lambda tool: None)
    assert not no_compiler.ok
    assert "build-essential" in no_compiler.fix
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl").write_bytes(b"")
    with_wheel = doctor._compiler(settings, {"WHEELHOUSE": str(wheels)}, lambda tool: None)
    assert with_wheel.ok and "not needed" in with_wheel.detail


def test_low_memory_is_reported_from_meminfo(tmp_path):
    from assistant import doctor

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  4000000 kB\nMemAvailable:  500000 kB\n")
    check = doctor._memory(meminfo)
    assert not check.ok and "488 MB available" in check.detail
    meminfo.write_text("MemAvailable:  8000000 kB\n")
    assert doctor._memory(meminfo).ok
