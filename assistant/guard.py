"""Who may reach the app, and how much: Host, Origin, body size and request rate."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from functools import partial
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings
from assistant.fairness import JobSlots, Slot

__all__ = ["Guard", "RateLimiter", "served_hosts"]

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS = ("", "0.0.0.0", "::")
# Gradio POSTs that only stop or tidy up work a client already started: never rate limited,
# so a limited client can still cancel.
_HOUSEKEEPING = ("/cancel", "/reset", "/close")
_UPLOADS = ("/gradio_api/upload", "/gradio_api/process_recording")
# Gradio routes that put a job in the queue (the job runs, and streams, after they answer).
_SUBMIT = re.compile(r"^/gradio_api/(queue/join|call/(v2/)?[^/]+/?)$")


class RateLimiter:
    """At most `limit` requests per client in any `window` seconds (sliding window).

    The table holds at most `max_clients` clients; idle ones are forgotten first, so a flood
    of addresses costs bounded memory.
    """

    def __init__(self, limit: int, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._hits)

    def allow(self, client: str) -> tuple[bool, float]:
        """Whether this request may go ahead, and if not, seconds until it may."""
        now = time.monotonic()
        with self._lock:
            self._forget_idle(now)
            hits = self._hits.pop(client, None) or deque()
            self._hits[client] = hits  # most recently seen last
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False, self.window - (now - hits[0])
            hits.append(now)
            while len(self._hits) > self.max_clients:
                self._hits.popitem(last=False)
            return True, 0.0

    def _forget_idle(self, now: float) -> None:
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and now - oldest[-1] <= self.window:
                return
            self._hits.popitem(last=False)


def served_hosts(settings: Settings) -> frozenset[str]:
    """Host names the app answers to: localhost names, the bound address, the listed ones."""
    hosts = {*LOCAL_HOSTS, *(h.lower() for h in settings.allowed_hosts)}
    if settings.host not in _ANY_ADDRESS:
        hosts.add(settings.host.lower().strip("[]"))
    return frozenset(hosts)


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    if "*" in allowed or host in allowed:
        return True
    return any(p.startswith("*.") and host.endswith(p[1:]) for p in allowed)


def _hostname(header: str | None) -> str | None:
    if not header:
        return None
    try:
        return urlsplit(f"//{header}").hostname
    except ValueError:
        return None


class Guard:
    """ASGI middleware: every route that can reach a model gets the same limits.

    - Host must be one the app serves (DNS rebinding).
    - The REST API (`/api/...`) answers its own origin and ASSISTANT_EMBED_ORIGINS.
    - Every other POST (the page's and the widget's Gradio routes) answers its own origin
      only: the widget runs in an iframe of this app, so its calls are same-origin, and a
      host page has no business calling them directly.
    - Bodies are capped as they arrive, chunked or not, before anything parses them.
    - POSTs count against one per-client rate limit; uploads are refused (no page takes one).
    - A client holds at most ASSISTANT_MAX_JOBS_PER_CLIENT answers waiting or running, over
      `/api/advise` and the Gradio queues together (`queues` maps each Gradio mount, "" or
      "/widget", to whether one of its events is still waiting or running).

    The client and scheme are the socket's, or the trusted proxy's word for them (uvicorn's
    ProxyHeadersMiddleware runs outside this one).
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        limiter: RateLimiter,
        jobs: JobSlots | None = None,
        queues: Mapping[str, Callable[[str], bool]] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        # No job outlives a full queue ahead of it plus its own run.
        longest = settings.request_timeout * (settings.queue_size + 1)
        self.jobs = jobs or JobSlots(settings.max_jobs_per_client, longest)
        self.queues = queues if queues is not None else {}
        self.hosts = served_hosts(settings)
        self.embed_origins = frozenset(settings.embed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = _hostname(headers.get("host"))
        if host is None or not _host_allowed(host, self.hosts):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _refuse(
                scope,
                receive,
                send,
                400,
                f"Host {headers.get('host', '')!r} is not served here. "
                "The operator can add it to ASSISTANT_ALLOWED_HOSTS.",
            )
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = self.settings.root_path
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :]
        is_api = path.startswith("/api/")
        post = scope["method"] == "POST"
        if not (is_api or post):
            await self.app(scope, receive, send)
            return

        origin = headers.get("origin")
        own = f"{scope['scheme']}://{headers.get('host', '')}".lower()
        allowed = (
            origin is None or origin.lower() == own or (is_api and origin in self.embed_origins)
        )
        if not allowed:
            fix = (
                "The operator can list it in ASSISTANT_EMBED_ORIGINS."
                if is_api
                else "Embed the widget with embed.js, or call /api/advise."
            )
            await _refuse(
                scope, receive, send, 403, f"Origin {origin} may not call this route. {fix}"
            )
            return

        gradio_path = path.removeprefix("/widget")
        if post and gradio_path.startswith(_UPLOADS):
            await _refuse(scope, receive, send, 403, "This app takes no file uploads.")
            return

        cap = self.settings.max_body_bytes if is_api else self.settings.max_page_body_bytes
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            await _refuse(scope, receive, send, 413, f"Request body over {cap} bytes.")
            return

        client = scope["client"][0] if scope.get("client") else "unknown"
        if post and not gradio_path.endswith(_HOUSEKEEPING):
            ok, wait = self.limiter.allow(client)
            if not ok:
                retry = str(int(wait) + 1)
                await _refuse(
                    scope,
                    receive,
                    send,
                    429,
                    f"Too many requests; try again in {retry} s.",
                    {"Retry-After": retry},
                )
                return

        body = await _read_body(receive, cap)
        if body is None:
            await _refuse(scope, receive, send, 413, f"Request body over {cap} bytes.")
            return
        if not (post and (is_api or _SUBMIT.match(gradio_path))):
            await self.app(scope, _replay(body, receive), send)
            return
        slot = self.jobs.take(client)
        if slot is None:
            limit = self.jobs.limit
            await _refuse(
                scope,
                receive,
                send,
                429,
                f"You already have {limit} answer{'s' if limit > 1 else ''} waiting or "
                "running, the most one client may have at once. Wait for the running answer "
                "to finish, then ask again.",
            )
            return
        mount = "/widget" if path.startswith("/widget/") else ""
        queue = None if is_api else self.queues.get(mount)
        await self._submit(scope, _replay(body, receive), send, slot, queue)

    async def _submit(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        slot: Slot,
        queue: Callable[[str], bool] | None,
    ) -> None:
        """Run a request that starts a job; its slot is freed when the job is over."""
        status = 0
        head = b""

        async def watched(message: Message) -> None:
            nonlocal status, head
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and len(head) < 4096:
                head += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, watched if queue else send)
        finally:
            event = _event_id(head) if status == 200 else None
            if queue is None or event is None:
                self.jobs.give_back(slot)  # the request was the job, or no job was queued
            else:
                self.jobs.follow(slot, partial(queue, event))


def _event_id(body: bytes) -> str | None:
    try:
        event = json.loads(body).get("event_id")
    except (ValueError, AttributeError):
        return None
    return event if isinstance(event, str) and event else None


async def _read_body(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None as soon as it passes `cap` bytes (the rest is never read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the app sees an empty body and then the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    await JSONResponse({"error": message}, status_code=status, headers=headers)(
        scope, receive, send
    )
