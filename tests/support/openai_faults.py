"""Fault-injecting fake OpenAI HTTP server (standard library only) for backend-failure tests."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ERRORS: dict[int, tuple[str, str, str | None]] = {
    401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
    404: ("Not found", "invalid_request_error", None),
    429: ("Rate limit reached, slow down", "rate_limit_exceeded", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request", "server_error", None),
    503: ("The engine is currently overloaded", "server_error", None),
}


def _vector(item: Any, dim: int) -> list[float]:
    """Deterministic unit vector of `dim` floats derived from a hash of `item`."""
    key = json.dumps(item, sort_keys=True)
    digests = (hashlib.sha256(f"{i}:{key}".encode()).digest()[:8] for i in range(dim))
    raw = [int.from_bytes(d, "big") / 2**63 - 1.0 for d in digests]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _envelope(body: dict[str, Any], obj: str, **fields: Any) -> dict[str, Any]:
    """Common id/object/created/model fields of a chat completion (chunk)."""
    now, model = int(time.time()), body.get("model", "fake-model")
    return {"id": "chatcmpl-fake", "object": obj, "created": now, "model": model, **fields}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence request logging
        pass

    def _record(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fs, headers = self.server.owner, {k.lower(): v for k, v in self.headers.items()}
        with fs._lock:
            fs.requests.append(
                {"method": self.command, "path": self.path, "headers": headers, "body": body}
            )
        return body

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        extra = {"content-type": "application/json", "content-length": str(len(data))}
        for k, v in {**extra, **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _error(self, status: int) -> None:
        msg, typ, code = ERRORS.get(status, ERRORS[500])
        if status == 401:
            # Like OpenAI: the error quotes part of the key it refused.
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            msg = f"{msg}: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}"
        extra = {"retry-after": "0"} if status == 429 else None
        error = {"message": msg, "type": typ, "param": None, "code": code}
        self._json(status, {"error": error}, extra)

    def _wait(self, seconds: float | None) -> bool:
        """Sleep (forever if None); True if the server was stopped meanwhile."""
        return self.server.owner._stopped.wait(seconds)

    def do_GET(self) -> None:
        self._record()
        if self.server.owner.mode in ("401", "500", "503"):
            return self._error(int(self.server.owner.mode))
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._error(404)

    def do_POST(self) -> None:
        body = self._record() or {}
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            with self.server.owner._lock:
                self.server.owner.attempts += 1
            kind = "chat"
        elif path.endswith("/embeddings"):
            kind = "embed"
        else:
            return self._error(404)
        mode = self._effective_mode(kind)
        try:
            if mode in ("401", "429", "500", "503"):
                return self._error(int(mode))
            if mode == "hang":
                self._wait(None)
                return None
            if mode == "slow_first" and self._wait(3.0):
                return None
            if kind == "embed":
                return self._embed(body, mode)
            if body.get("stream"):
                return self._stream(body, mode)
            return self._complete(body, mode)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return None

    def _effective_mode(self, kind: str) -> str:
        fs = self.server.owner
        with fs._lock:
            mode = fs.mode
            if mode == "flaky":
                fs._flaky_seen[kind] = fs._flaky_seen.get(kind, 0) + 1
                return "503" if fs._flaky_seen[kind] == 1 else "ok"
        return mode

    def _embed(self, body: dict[str, Any], mode: str) -> None:
        if mode == "malformed":
            return self._send(200, b'{"object": "list", "data": [ {not json')
        raw = body.get("input", "")
        items = [raw] if isinstance(raw, str) or (raw and isinstance(raw[0], int)) else list(raw)
        dim = self.server.owner.embed_dim
        data = []
        for i, item in enumerate(items):
            vec: Any = _vector(item, dim)
            if body.get("encoding_format") == "base64":
                vec = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vec})
        tokens = sum(len(x) if isinstance(x, list) else len(str(x).split()) for x in items)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        model = body.get("model", "fake-embed")
        self._json(200, {"object": "list", "data": data, "model": model, "usage": usage})

    def _tool_name(self, body: dict[str, Any]) -> str | None:
        tools = body.get("tools") or []
        if self.server.owner.mode != "json" or not tools:
            return None
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("function", {}).get("name"):
            return str(choice["function"]["name"])
        return str(tools[0].get("function", {}).get("name", "tool"))

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
        done = len(self.server.owner.reply.split())
        return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}

    def _complete(self, body: dict[str, Any], mode: str) -> None:
        if mode == "malformed":
            return self._send(200, b'{"id": "x", "choices": [ {not json')
        reply, name = self.server.owner.reply, self._tool_name(body)
        message: dict[str, Any] = {"role": "assistant", "content": reply, "refusal": None}
        if name:
            message["content"] = None
            fn = {"name": name, "arguments": reply}
            message["tool_calls"] = [{"id": "call_fake_1", "type": "function", "function": fn}]
        finish = "tool_calls" if name else "stop"
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        out = _envelope(body, "chat.completion", choices=[choice], usage=self._usage(body))
        self._json(200, out)

    def _chunk(self, body: dict[str, Any], delta: dict[str, Any], end: str | None = None) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": end}
        self._sse(json.dumps(_envelope(body, "chat.completion.chunk", choices=[choice])))

    def _sse(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _stream(self, body: dict[str, Any], mode: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        if mode == "malformed":
            self.wfile.write(b"data: {not json\n\n")
            return self.wfile.flush()
        reply, name = self.server.owner.reply, self._tool_name(body)
        self._chunk(body, {"role": "assistant", "content": "" if not name else None})
        if name:
            function = {"name": name, "arguments": ""}
            call = {"index": 0, "id": "call_fake_1", "type": "function", "function": function}
            self._chunk(body, {"tool_calls": [call]})
        pieces = [reply[i : i + 4] for i in range(0, len(reply), 4)] or [""]
        for n, piece in enumerate(pieces):
            if mode == "stall" and n == 2:
                break
            if name:
                self._chunk(body, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            else:
                self._chunk(body, {"content": piece})
        if mode == "stall":  # two chunks sent (fewer if the reply is short): hold the line open
            self._wait(None)
            return None
        if mode == "endless":
            words = reply.split() or ["word"]
            n = 0
            while not self._wait(0.01):
                self._chunk(body, {"content": " " + words[n % len(words)]})
                n += 1
            return None
        self._chunk(body, {}, "tool_calls" if name else "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = _envelope(body, "chat.completion.chunk", choices=[], usage=self._usage(body))
            self._sse(json.dumps(usage))
        self._sse("[DONE]")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FaultServer


class FaultServer:
    """Loopback fake of the OpenAI API whose failure behaviour is chosen by `mode`."""

    def __init__(
        self, mode: str = "ok", reply: str = "Let them lead and stay close.", embed_dim: int = 8
    ) -> None:
        """Configure the server; nothing is bound until start()."""
        self.mode: str = mode
        self.reply: str = reply
        self.embed_dim: int = embed_dim
        self.requests: list[dict[str, Any]] = []
        self.attempts: int = 0
        self._flaky_seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FaultServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._stopped.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        serve = self._httpd.serve_forever
        self._thread = threading.Thread(
            target=serve, kwargs={"poll_interval": 0.05}, name="openai-fault-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake any sleeping handlers and shut the server down promptly."""
        self._stopped.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    @property
    def base_url(self) -> str:
        """Base URL to hand to the OpenAI client, e.g. http://127.0.0.1:PORT/v1."""
        if self._httpd is None:
            raise RuntimeError("FaultServer is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FaultServer:
        """Start the server for a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server at the end of a with-block."""
        self.stop()


if __name__ == "__main__":
    import openai
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI, OpenAIEmbeddings

    key: Any = "sk-test"  # langchain types api_key as SecretStr; a plain str works at runtime

    def chat(fs: FaultServer, **kw: Any) -> ChatOpenAI:
        return ChatOpenAI(base_url=fs.base_url, api_key=key, model="fake-model", **kw)

    with FaultServer() as fs:
        assert chat(fs).invoke("hi").content == fs.reply
        parts = [c.content for c in chat(fs).stream("hi")]
        assert "".join(map(str, parts)) == fs.reply and len([p for p in parts if p]) > 1, parts
        assert fs.requests[-1]["body"]["stream"] is True and fs.attempts == 2
        url = fs.base_url
        emb = OpenAIEmbeddings(
            base_url=url, api_key=key, model="fake-embed", check_embedding_ctx_length=False
        )
        docs = emb.embed_documents(["a", "b"])
        assert len(docs) == 2 and len(docs[0]) == 8 and docs[0] != docs[1]
        assert emb.embed_query("a") == docs[0]

        @tool
        def advise(topic: str, urgency: int) -> str:
            """Give advice."""
            return topic

        fs.mode, fs.reply = "json", '{"topic": "delegation", "urgency": 2}'
        msg = chat(fs).bind_tools([advise], tool_choice="advise").invoke("help")
        call = msg.tool_calls[0]
        assert call["name"] == "advise" and call["args"]["urgency"] == 2, msg
        assert fs.requests[-1]["body"]["tools"][0]["function"]["name"] == "advise"
        structured = chat(fs).with_structured_output(advise.args_schema, method="json_schema")
        out = structured.invoke("help")
        assert getattr(out, "topic", None) == "delegation", out

        fs.mode = "401"
        try:
            chat(fs, max_retries=0).invoke("hi")
            raise AssertionError("expected AuthenticationError")
        except openai.AuthenticationError as err:
            assert err.status_code == 401 and "Incorrect API key" in str(err)
    print("openai_faults self-check passed")
