"""The packaged chat model is converted once at set-up, and used when the copy exists."""

from __future__ import annotations

from assistant.backends import default_gguf_path, make_chat_model
from assistant.backends.llama_cpp import fast_gguf_path, prepare_fast_gguf
from assistant.config import load_settings


def test_without_a_converted_copy_the_packaged_model_runs(tmp_path):
    _, name = make_chat_model(load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)}))
    assert name == f"llama.cpp:{default_gguf_path().name}"


def test_set_up_converts_the_packaged_model_once_and_the_backend_then_runs_it(tmp_path):
    made = prepare_fast_gguf(tmp_path, default_gguf_path())
    assert made == fast_gguf_path(tmp_path, default_gguf_path()) and made.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))
    stamp = made.stat().st_mtime_ns
    assert prepare_fast_gguf(tmp_path, default_gguf_path()).stat().st_mtime_ns == stamp
    chat, name = make_chat_model(load_settings({"ASSISTANT_CACHE_DIR": str(tmp_path)}))
    assert name == f"llama.cpp:{made.name}"
    reply = chat.invoke("Say hello to the team in five words.", max_tokens=8)
    assert str(reply.content).strip()
