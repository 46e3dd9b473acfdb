"""Starting the web app: fill an empty store, then serve the page."""

from __future__ import annotations

import logging
import os
import threading

from assistant.config import Settings

__all__ = ["prepare_coach", "serve"]

log = logging.getLogger(__name__)


def prepare_coach(settings: Settings):  # type: ignore[no-untyped-def]
    """Build the coach, ingesting the knowledge folder first when the store is empty."""
    from assistant.backends import make_document_embeddings, make_embeddings
    from assistant.checks import validate_settings
    from assistant.store import probe_store
    from assistant.wiring import build_coach, build_ingestor, build_store

    validate_settings(settings)
    if not settings.chroma_url:
        probe_store(settings.data_dir, settings.collection)
    embedder = make_embeddings(settings)
    store = build_store(settings)
    if store.count() == 0 and settings.knowledge_dir.is_dir():
        print(f"The store is empty: ingesting {settings.knowledge_dir}/ ...", flush=True)
        ingestor = build_ingestor(
            settings,
            store=store,
            embedder=make_document_embeddings(settings, loaded=embedder),
            on_progress=lambda line: print(f"  {line}", flush=True),
        )
        report = ingestor.run([settings.knowledge_dir], progress=True)
        print(f"Ingested {report.total} chunks ({len(report.failed)} files failed).", flush=True)
    return build_coach(settings, store=store, embedder=embedder)


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the app (page, widget, REST API) until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    from assistant.api import create_app

    settings = settings.model_copy(update={"host": host, "port": port})  # the served host
    coach = prepare_coach(settings)
    app = create_app(coach, settings)
    # The page is up at once; the first user's request waits only for what is left.
    threading.Thread(target=coach.warm_up, name="warm-up", daemon=True).start()
    print(f"Serving on http://{host}:{port}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
