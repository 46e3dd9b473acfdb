"""The lock: `make install` resolves to constraints.txt, and this venv is what it says."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version

from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            match = PIN.match(line.strip())
            assert match, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_every_installed_version_matches_the_lock_file():
    wrong = {}
    for name, pinned in _pins().items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            wrong[name] = (pinned, "not installed")
            continue
        # torch's CPU build carries a local tag (+cpu); the lock pins the release.
        if installed.public != Version(pinned).public:
            wrong[name] = (pinned, str(installed))
    assert not wrong, f"venv differs from constraints.txt (pinned, installed): {wrong}"


def test_the_lock_pins_the_frameworks_and_the_builds_the_makefile_chooses():
    pins = _pins()
    makefile = (ROOT / "Makefile").read_text()
    llama = re.search(r"^LLAMA_VERSION := (\S+)$", makefile, re.M)
    assert llama and pins["llama-cpp-python"] == llama.group(1)
    assert pins["torch"] == "2.13.0"
    for framework in ("fastapi", "starlette", "gradio", "uvicorn", "chromadb", "langchain-core"):
        assert framework in pins, framework
    assert "leadership-coach" not in pins


def test_make_install_installs_through_the_lock_file():
    makefile = (ROOT / "Makefile").read_text()
    installs = [
        line
        for line in makefile.splitlines()
        if "pip install" in line and "--upgrade pip" not in line
    ]
    assert installs and all("-c constraints.txt" in line for line in installs), installs
    assert re.search(r"^\$\(STAMP\):.*constraints\.txt", makefile, re.M)
