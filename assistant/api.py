"""The web application: FastAPI owns routes and headers; the Gradio pages are mounted in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.coach import Coach
from assistant.config import Settings
from assistant.domain import Advice
from assistant.errors import AssistantError, InputTooLargeError
from assistant.guard import Guard, RateLimiter
from assistant.web import build_demo, build_widget

__all__ = ["RateLimiter", "SubPath", "create_app"]

STATIC = Path(__file__).parent / "static"
# System fonts only: the page must not reach out to a font CDN (offline, and privacy).
THEME = gr.themes.Default(
    font=["system-ui", "Segoe UI", "Roboto", "sans-serif"], font_mono=["ui-monospace", "monospace"]
)


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(..., max_length=20_000)


class AdviseRequest(BaseModel):
    """Body of POST /api/advise."""

    scenario: str = Field(..., min_length=1, description="The situation, in your own words.")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=40,
        description="Earlier turns of the same conversation, oldest first: facts said there "
        "still count, a correction ('actually ...') replaces what it contradicts, and "
        "`changed` says when the verdict moved.",
    )


class SubPath:
    """Serve the app under a proxy's sub-path, whether the proxy strips the prefix or not.

    Gradio's `root_path` option breaks routing of a Blocks mounted below `/` (its routes
    404), and FastAPI's is deprecated; the ASGI way is a scope whose path carries the prefix
    and whose root_path names it. Gradio then builds every URL it hands the browser from it.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path = scope["path"]
            if not (path == self.prefix or path.startswith(self.prefix + "/")):
                full = self.prefix + path
                scope = {**scope, "path": full, "raw_path": full.encode()}
            scope = {**scope, "root_path": self.prefix}
        await self.app(scope, receive, send)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _waiting_or_running(blocks: gr.Blocks) -> Callable[[str], bool]:
    """Whether a Gradio event is still queued or running, its answer not yet handed over.

    Gradio forgets an event when it ends, fails, is cancelled or its stream's client leaves,
    and drops its id from the session's pending set as the final message is streamed.
    """

    def check(event_id: str) -> bool:
        queue = blocks._queue
        event = queue.event_ids_to_events.get(event_id)
        return event is not None and event_id in queue.pending_event_ids_session.get(
            event.session_hash, ()
        )

    return check


def create_app(coach: Coach, settings: Settings) -> FastAPI:
    """The whole web app: REST API, widget script, and the Gradio page and widget."""
    app = FastAPI(
        title="Leadership coach",
        description="Should the leader step back, or step in? Explained, cited advice.",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    allowed = set(settings.embed_origins)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    ancestors = " ".join(["'self'", *sorted(allowed)])

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path.removeprefix(settings.root_path)
        response = await call_next(request)
        frame_policy = ancestors if path.startswith("/widget") else "'self'"
        response.headers["Content-Security-Policy"] = (
            f"frame-ancestors {frame_policy}; img-src 'self' data: blob:; "
            "object-src 'none'; base-uri 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    queues: dict[str, Callable[[str], bool]] = {}  # filled once the Gradio apps exist
    app.add_middleware(Guard, settings=settings, limiter=limiter, queues=queues)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(allowed),
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        max_age=600,
    )
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness, what the coach runs on, and whether the models are loaded yet."""
        return {
            "status": "ok",
            "warm": coach.warm,
            "chunks": coach.retriever.store.count(),
            "backend": coach.backend,
        }

    @app.post("/api/advise", response_model=Advice, tags=["coach"])
    def advise(body: AdviseRequest) -> Any:
        """Step in, step back or balanced: the advice object for one scenario."""
        try:
            history = [turn.model_dump() for turn in body.history]
            return coach.advise(body.scenario, history).as_dict()
        except InputTooLargeError as exc:
            return _error(413, exc.user_message())
        except AssistantError as exc:
            return _error(503 if "model" in exc.message.lower() else 400, exc.user_message())

    @app.get("/embed.js", include_in_schema=False)
    def embed_js() -> Response:
        return Response(
            (STATIC / "embed.js").read_text(encoding="utf-8"),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    # Waiting users see their place in Gradio's queue; past queue_size they are told to try
    # again at once instead of waiting behind a long line.
    concurrency = settings.concurrency or (1 if settings.chat_backend == "embedded" else 4)
    # api_open=False: Gradio's /run/<fn> and /api/<fn> would otherwise run a job at once,
    # past the queue and its fairness.
    queued = {
        "default_concurrency_limit": concurrency,
        "max_size": settings.queue_size,
        "api_open": False,
    }
    widget = build_widget(coach).queue(**queued)
    page = build_demo(coach).queue(**queued)
    queues["/widget"] = _waiting_or_running(widget)
    queues[""] = _waiting_or_running(page)
    # No page takes a file (the guard refuses uploads); the cap holds should one ever slip by.
    mount = {
        "ssr_mode": False,
        "mcp_server": False,
        "show_error": False,
        "theme": THEME,
        "max_file_size": settings.max_page_body_bytes,
    }
    app = gr.mount_gradio_app(app, widget, path="/widget", footer_links=[], **mount)
    app = gr.mount_gradio_app(app, page, path="/", **mount)
    if settings.root_path:
        app.add_middleware(SubPath, prefix=settings.root_path)
    return app
