"""Hostile files cost one line in the report, never the ingest or the machine."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest

from assistant.backends import EmbeddingBackend, HashingEmbeddings
from assistant.ingestion import Ingestor
from assistant.store import open_store

from .conftest import KNOWLEDGE
from .support.pdf import pdf_from_objects


def _ingestor(data: Path, timeout: float = 60, memory_mb: int = 512) -> Ingestor:
    return Ingestor(
        open_store(data, "test"),
        EmbeddingBackend(HashingEmbeddings(), "fake-hashing-256"),
        file_timeout=timeout,
        file_memory_mb=memory_mb,
    )


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(KNOWLEDGE / "when-to-step-in.md", folder / "when-to-step-in.md")
    return folder


def _flat_html(paragraphs: int) -> bytes:
    return b"<html><body>" + b"<p>word word word</p>" * paragraphs + b"</body></html>"


def _pdf_with_stream(payload_bytes: int) -> bytes:
    """A one-page PDF whose content stream inflates to `payload_bytes` (a "zip bomb")."""
    squeeze = zlib.compressobj(9)
    block = b"0" * (1 << 24)
    parts = [squeeze.compress(block) for _ in range(payload_bytes // len(block))]
    stream = b"".join(parts) + squeeze.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return pdf_from_objects(objects)


def _failures(report) -> dict[str, str]:
    return {Path(f["path"]).name: f["reason"] for f in report.failed}


def test_a_file_that_needs_more_memory_than_the_cap_is_stopped_and_the_rest_ingests(
    hermetic_env, library
):
    (library / "huge.html").write_bytes(_flat_html(150_000))
    report = _ingestor(hermetic_env, memory_mb=64).run([library])
    assert "more than 64 MB" in _failures(report)["huge.html"]
    assert "ASSISTANT_INGEST_FILE_MEMORY_MB" in _failures(report)["huge.html"]
    assert report.files["new"] == 1 and report.total > 0


def test_a_file_that_reads_too_slowly_is_stopped_at_the_deadline(hermetic_env, library):
    (library / "slow.html").write_bytes(_flat_html(150_000))
    (library / "z-after.md").write_text("# After\n\nA later file still ingests after the stop.\n")
    report = _ingestor(hermetic_env, timeout=0.3, memory_mb=4096).run([library])
    assert "longer than 0.3 s" in _failures(report)["slow.html"]
    assert report.files["new"] == 2


def test_a_pdf_that_inflates_to_gigabytes_is_refused_within_the_memory_cap(hermetic_env, library):
    (library / "bomb.pdf").write_bytes(_pdf_with_stream(1 << 30))
    report = _ingestor(hermetic_env, memory_mb=256).run([library])
    reason = _failures(report)["bomb.pdf"]
    assert reason.startswith(str(library / "bomb.pdf")) and "\n" not in reason
    assert report.files["new"] == 1


def test_a_pdf_with_thousands_of_pages_is_refused_with_the_limit(hermetic_env, library):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2500):
        writer.add_blank_page(100, 100)
    writer.write(library / "many.pdf")
    report = _ingestor(hermetic_env).run([library])
    assert "2500 pages, over the limit of 2000" in _failures(report)["many.pdf"]


def test_deeply_nested_html_is_read_or_refused_without_stopping_the_batch(hermetic_env, library):
    depth = 50_000
    markup = "<html><body>" + "<div>" * depth + "<p>Deep text the reader should reach.</p>"
    (library / "nested.html").write_text(markup + "</div>" * depth + "</body></html>")
    report = _ingestor(hermetic_env).run([library])
    failures = _failures(report)
    assert report.files["new"] + report.files["failed"] == 2
    assert "nested.html" not in failures or "\n" not in failures["nested.html"]
    assert "when-to-step-in.md" not in failures


def test_files_still_ingest_when_the_process_holds_more_than_a_thousand_descriptors(tmp_path):
    import os
    import resource

    from assistant.sandbox import Reader

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Linux allows far more than 1200 by default; a tighter hard limit would show here.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        note = tmp_path / "note.md"
        note.write_text("# A note\n\nDelegate the outcome, not the method.\n")
        loaded = Reader(max_bytes=1 << 20, timeout_s=20, memory_mb=512).read(str(note), note)
        assert "Delegate the outcome" in loaded.text
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
