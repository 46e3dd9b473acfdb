"""A disk that fills during an ingest: a clear error, earlier data intact, a clean re-run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import KNOWLEDGE, ROOT
from .support.fakes import FAKE_ENV

pytestmark = pytest.mark.slow

# Everything runs inside one private mount namespace, so the small tmpfs disappears with it.
SCRIPT = r"""
set -u
mount -t tmpfs -o size=8m tmpfs "$DISK"
export ASSISTANT_DATA_DIR="$DISK/data"
step() { "$PY" -m assistant ingest "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err";
         echo $? > "$OUT/$name.rc"; }
name=first step "$SMALL"
free_kb=$(df -k --output=avail "$DISK" | tail -1)
dd if=/dev/zero of="$DISK/filler" bs=1k count=$((free_kb - 1500)) 2>/dev/null
name=full step "$LIBRARY"
name=after_full step "$SMALL"
rm "$DISK/filler"
name=freed step "$LIBRARY"
"""


def _can_mount() -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not shutil.which("unshare") or not _can_mount(), reason="needs mount namespaces (root)"
)
def test_an_ingest_that_fills_the_disk_stops_clearly_and_converges_after_space_is_freed(
    tmp_path: Path,
):
    small, library, disk, out = (tmp_path / n for n in ("small", "library", "disk", "out"))
    for folder in (small, library, disk, out):
        folder.mkdir()
    shutil.copy(KNOWLEDGE / "when-to-step-in.md", small)
    for source in sorted(KNOWLEDGE.glob("*.md")):
        shutil.copy(source, library)
    env = {
        **os.environ,
        "PY": sys.executable,
        "SMALL": str(small),
        "LIBRARY": str(library),
        "DISK": str(disk),
        "OUT": str(out),
        **FAKE_ENV,
        "ASSISTANT_MIN_FREE_MB": "1",
    }
    done = subprocess.run(["unshare", "-m", "bash", "-c", SCRIPT], env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0

    def result(name: str) -> tuple[int, str, str]:
        return (
            int((out / f"{name}.rc").read_text()),
            (out / f"{name}.json").read_text(),
            (out / f"{name}.err").read_text(),
        )

    code, stdout, _ = result("first")
    assert code == 0
    stored_first = json.loads(stdout)["total"]

    code, _, err = result("full")
    assert code != 0
    assert "disk holding the store" in err and "nearly full" in err
    assert "Free disk space" in err and "Traceback" not in err

    code, stdout, _ = result("after_full")
    assert code == 0, "the store must still open after the refused write"
    assert json.loads(stdout)["files"]["unchanged"] == 1

    code, stdout, _ = result("freed")
    assert code == 0
    report = json.loads(stdout)
    assert not report["failed"]
    clean = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(library), "--json"],
        env={**env, "ASSISTANT_DATA_DIR": str(tmp_path / "clean")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert report["total"] == json.loads(clean.stdout)["total"] + stored_first
