import shutil
from pathlib import Path

import pytest

from assistant.backends import EmbeddingBackend, HashingEmbeddings
from assistant.errors import EmbeddingMismatchError
from assistant.ingestion import Ingestor
from assistant.store import open_store

from .conftest import KNOWLEDGE


def _ingestor(data: Path, embedder: EmbeddingBackend | None = None) -> Ingestor:
    store = open_store(data, "test")
    return Ingestor(
        store,
        embedder or EmbeddingBackend(HashingEmbeddings(), "fake-hashing-256"),
        chunk_size=600,
        chunk_overlap=60,
    )


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in ("when-to-step-in.md", "trust-and-loyalty.md", "coaching-through-questions.md"):
        shutil.copy(KNOWLEDGE / name, folder / name)
    return folder


def test_first_ingest_adds_every_chunk_and_reports_the_store_total(hermetic_env, library):
    report = _ingestor(hermetic_env).run([library])
    assert report.added > 10
    assert report.total == report.added
    assert report.failed == []
    assert report.files["new"] == 3


def test_a_second_ingest_of_the_same_input_embeds_nothing(hermetic_env, library):
    class CountingEmbeddings(HashingEmbeddings):
        calls = 0

        def embed_documents(self, texts):
            CountingEmbeddings.calls += len(texts)
            return super().embed_documents(texts)

    embedder = EmbeddingBackend(CountingEmbeddings(), "fake-hashing-256")
    first = _ingestor(hermetic_env, embedder).run([library])
    CountingEmbeddings.calls = 0
    second = _ingestor(hermetic_env, embedder).run([library])
    assert CountingEmbeddings.calls == 0
    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    assert second.unchanged == first.added
    assert second.total == first.total


def test_editing_one_file_replaces_only_its_chunks(hermetic_env, library):
    ingestor = _ingestor(hermetic_env)
    ingestor.run([library])
    before = ingestor.store.sources()
    edited = library / "trust-and-loyalty.md"
    edited.write_text(edited.read_text() + "\n\nA brand new closing paragraph about trust.\n")
    report = ingestor.run([library])
    after = ingestor.store.sources()
    assert report.added >= 1
    assert report.files == {"new": 0, "changed": 1, "unchanged": 2, "removed": 0, "failed": 0}
    for source in before:
        if source != str(edited):
            assert after[source].keys() == before[source].keys()
    assert any(
        "brand new closing" in d.page_content
        for d in ingestor.store.get(sorted(after[str(edited)]))
    )
    assert report.total == sum(len(ids) for ids in after.values())


def test_deleting_a_file_from_an_ingested_folder_removes_its_chunks(hermetic_env, library):
    ingestor = _ingestor(hermetic_env)
    first = ingestor.run([library])
    gone = library / "coaching-through-questions.md"
    gone_chunks = len(ingestor.store.sources()[str(gone)])
    gone.unlink()
    report = ingestor.run([library])
    assert report.removed == gone_chunks
    assert str(gone) not in ingestor.store.sources()
    assert report.total == first.total - gone_chunks


def test_a_batch_with_broken_files_ingests_every_good_file_and_reports_every_bad_one(
    hermetic_env, library
):
    bad = {
        "empty.md": b"",
        "binary.txt": bytes(range(256)) * 8,
        "latin1.txt": "na\xefve r\xe9sum\xe9 of the quarter's results".encode("latin-1"),
        "corrupt.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated",
        "archive.zip": b"PK\x03\x04\x14\x00\x00\x00",
        "whitespace.html": b"<html><body>   </body></html>",
    }
    for name, data in bad.items():
        (library / name).write_bytes(data)
    report = _ingestor(hermetic_env).run([library])
    failed = {Path(f["path"]).name: f["reason"] for f in report.failed}
    assert set(failed) == set(bad)
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert report.files["new"] == 3
    assert report.total == report.added > 10


def test_a_file_that_turns_unreadable_keeps_its_previous_chunks(hermetic_env, library):
    ingestor = _ingestor(hermetic_env)
    first = ingestor.run([library])
    (library / "trust-and-loyalty.md").write_bytes(b"\x00\x00 binary now")
    report = ingestor.run([library])
    assert len(report.failed) == 1
    assert report.total == first.total


def test_rebuild_starts_from_an_empty_store(hermetic_env, library):
    _ingestor(hermetic_env).run([library])
    store = open_store(hermetic_env, "test", rebuild=True)
    assert store.count() == 0


def test_the_store_refuses_to_mix_embedding_models(hermetic_env, library):
    _ingestor(hermetic_env).run([library])
    other = EmbeddingBackend(HashingEmbeddings(size=128), "another-model")
    with pytest.raises(EmbeddingMismatchError) as info:
        _ingestor(hermetic_env, other).run([library])
    message = str(info.value)
    assert "fake-hashing-256" in message and "another-model" in message
    assert "--rebuild" in message


def test_an_empty_store_accepts_a_new_model(hermetic_env):
    store = open_store(hermetic_env, "test")
    store.check_model("model-a", 8)
    store.check_model("model-b", 16)
    assert store.embedding_model == "model-b"


def test_a_new_process_sees_what_was_ingested(hermetic_env, library):
    first = _ingestor(hermetic_env).run([library])
    reopened = open_store(hermetic_env, "test")
    assert reopened.count() == first.total


def test_a_file_left_half_stored_by_a_killed_run_is_completed_on_the_next(hermetic_env, library):
    first = _ingestor(hermetic_env).run([library])
    ingestor = _ingestor(hermetic_env)
    source = str((library / "trust-and-loyalty.md").resolve())
    ids = sorted(ingestor.store.sources()[source])
    ingestor.store.delete(ids[: len(ids) // 2])  # what a kill between two writes leaves
    again = ingestor.run([library])
    assert again.added == len(ids) // 2
    assert again.total == first.total


def test_chunks_of_many_files_are_embedded_together_not_file_by_file(hermetic_env, library):
    class CallCounting(HashingEmbeddings):
        sizes: list[int] = []

        def embed_documents(self, texts):
            CallCounting.sizes.append(len(texts))
            return super().embed_documents(texts)

    embedder = EmbeddingBackend(CallCounting(), "fake-hashing-256")
    report = _ingestor(hermetic_env, embedder).run([library])
    sizes = [n for n in CallCounting.sizes if n > 1]  # the one-text dimension probe aside
    assert sizes == [report.added], "three small files should make one embedding call"


def test_a_long_embedding_tells_its_progress_and_gives_each_chunk_its_own_vector(
    hermetic_env, library, monkeypatch
):
    monkeypatch.setattr("assistant.ingestion.EMBED_SLICE", 16)
    lines: list[str] = []
    ingestor = _ingestor(hermetic_env)
    ingestor.on_progress, ingestor.progress_every = lines.append, 0.0
    ingestor.run([library])
    total = ingestor.store.count()
    assert total > 32  # several slices, so progress is told before the end
    assert lines[0].startswith(f"embedded 16/{total} chunks")
    assert lines[-1].startswith(f"embedded {total}/{total} chunks")
    assert all(" s so far, about " in line and line.endswith(" s left") for line in lines)
    stored = list(ingestor.store.texts())
    got = ingestor.store._collection.get(ids=[c for c, _, _ in stored], include=["embeddings"])
    expected = HashingEmbeddings().embed_documents([f"{m['title']}\n{t}" for _, t, m in stored])
    for vector, want in zip(got["embeddings"], expected, strict=True):
        assert list(vector) == pytest.approx(want, abs=1e-6)
