"""Read md/txt/pdf/html files and URLs, strip hidden content, split into identified chunks."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import DocumentError

if TYPE_CHECKING:
    from langchain_core.documents import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadedText",
    "chunk_id",
    "clean_title",
    "discover",
    "load_source",
    "split",
    "text_hash",
]

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".pdf", ".html", ".htm"}
MAX_PDF_PAGES = 2000

# Zero-width characters, bidi controls and Unicode "tag" characters hide text from
# readers while a model still sees it, so they never reach the store.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0", re.I)


@dataclass(frozen=True)
class LoadedText:
    """The readable text of one source, with its provenance."""

    source: str
    title: str
    text: str
    kind: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of the text, used to skip unchanged sources."""
        return text_hash(self.text)


def text_hash(text: str) -> str:
    """Stable SHA-256 hex digest of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(source: str, text: str, occurrence: int = 0) -> str:
    """Content-addressed chunk id: same source and text give the same id on every run."""
    base = f"{text_hash(source)[:10]}-{text_hash(text)[:22]}"
    return base if occurrence == 0 else f"{base}-{occurrence}"


def discover(
    paths: Iterable[str | Path], refused: list[tuple[str, str]] | None = None
) -> Iterator[tuple[str, Path | None]]:
    """Yield (source, path) for every file under the given files, folders and URLs.

    A symlink inside a folder that leads out of it is not followed: it is added to `refused`
    as (source, reason), so a shared folder cannot pull in the files of whoever ingests it.
    """
    for item in paths:
        raw = str(item)
        if raw.startswith(("http://", "https://")):
            yield raw, None
            continue
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if not child.is_file() or any(p.startswith(".") for p in rel.parts):
                    continue
                if not child.resolve().is_relative_to(path):
                    if refused is not None:
                        refused.append(
                            (
                                str(child),
                                f"{child}: a link to {child.resolve()}, outside {path}; not "
                                "followed. Copy the file into the folder to ingest it.",
                            )
                        )
                    continue
                yield str(child), child
        else:
            yield str(path), path


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise DocumentError(f"{source}: the file is empty.", "Add text to it or remove it.")
    if b"\x00" in data[:8192]:
        raise DocumentError(
            f"{source}: binary data, not text.", "Convert it to md, txt, pdf or html."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{source}: not valid UTF-8 text (byte {exc.start}).", "Re-save the file as UTF-8."
        ) from None


_FENCE = re.compile(r"<<<|>>>|```|~~~")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TITLE_CHARS = 200


def clean_title(title: str) -> str:
    """A title as one plain line: no line breaks, control or hidden characters, or fences,
    whatever a PDF's /Title or an HTML <title> held, and at most MAX_TITLE_CHARS long."""
    title = _INVISIBLE.sub("", unicodedata.normalize("NFC", title))
    title = _FENCE.sub(lambda m: " ".join(m.group(0)), _CONTROL.sub(" ", title))
    title = " ".join(title.split()).lstrip("#>-*+ ")
    return title[:MAX_TITLE_CHARS].rstrip()


def _markdown_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def _plain_title(text: str, fallback: str) -> str:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if 0 < len(first) <= 120 else fallback


def _read_pdf(data: bytes, source: str) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(
                f"{source}: {len(reader.pages)} pages, over the limit of {MAX_PDF_PAGES}.",
                "Split the PDF into smaller files.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata: dict[str, Any] = dict(reader.metadata or {})
        title = str(metadata.get("/Title") or "")
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(
            f"{source}: not a readable PDF ({type(exc).__name__}).", "Re-export or repair the PDF."
        ) from None
    return "\n\n".join(pages), title


def _read_html(markup: str) -> tuple[str, str]:
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(markup, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup(["script", "style", "noscript", "template", "iframe", "object", "svg", "head"]):
        if tag.name == "head":
            continue
        tag.decompose()
    hidden = [
        tag
        for tag in soup.find_all(True)
        if tag.has_attr("hidden")
        or str(tag.get("aria-hidden", "")).lower() == "true"
        or _HIDDEN_STYLE.search(str(tag.get("style", "")))
    ]
    for tag in hidden:
        if not tag.decomposed:
            tag.decompose()
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    if soup.head:
        soup.head.decompose()
    body = soup.body or soup
    blocks = [
        block.get_text(" ", strip=True)
        for block in body.find_all(["p", "li", "h1", "h2", "h3", "h4", "pre", "blockquote", "td"])
    ]
    text = "\n\n".join(b for b in blocks if b) or body.get_text("\n", strip=True)
    return text, title


def _fetch(url: str, max_bytes: int, allow_private: bool = False) -> tuple[bytes, str]:
    from assistant.fetch import NonPublicAddressError, open_url

    try:
        with open_url(url, allow_private=allow_private) as response:
            data = response.read(max_bytes + 1)
            ctype = response.headers.get_content_type()
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, NonPublicAddressError):
            raise DocumentError(
                f"{url}: refused, {reason}.",
                "Ingest public addresses only, or set ASSISTANT_INGEST_PRIVATE_URLS=true for an "
                "intranet you trust.",
            ) from None
        raise DocumentError(
            f"{url}: could not fetch ({exc}).", "Check the URL and network."
        ) from None
    if len(data) > max_bytes:
        raise DocumentError(f"{url}: larger than {max_bytes} bytes.", "Download and split it.")
    return data, ctype


def load_source(
    source: str, path: Path | None, max_bytes: int = 20_000_000, allow_private: bool = False
) -> LoadedText:
    """Read one file or URL into clean text, or raise DocumentError with the reason."""
    if path is None:
        data, ctype = _fetch(source, max_bytes, allow_private)
        suffix = {"application/pdf": ".pdf", "text/html": ".html", "text/markdown": ".md"}.get(
            ctype, ".txt"
        )
        name = source.rstrip("/").rsplit("/", 1)[-1] or source
    else:
        suffix = path.suffix.lower()
        name = path.stem.replace("-", " ").replace("_", " ")
        if suffix not in SUPPORTED_SUFFIXES:
            raise DocumentError(
                f"{source}: unsupported file type '{suffix or 'none'}'.",
                "Use .md, .txt, .pdf or .html.",
            )
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise DocumentError(
                    f"{source}: {size} bytes, over the limit of {max_bytes}.",
                    "Split the file or raise ASSISTANT_MAX_FILE_BYTES.",
                )
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(
                f"{source}: cannot read ({exc.strerror}).", "Check the path."
            ) from None

    if suffix == ".pdf":
        raw, title = _read_pdf(data, source)
        kind = "pdf"
    elif suffix in {".html", ".htm"}:
        raw, title = _read_html(_decode(data, source))
        kind = "html"
    else:
        raw = _decode(data, source)
        kind = "markdown" if suffix in {".md", ".markdown"} else "text"
        title = _markdown_title(raw, "") if kind == "markdown" else _plain_title(raw, "")
    text = _clean(raw)
    if len(text) < 20:
        raise DocumentError(f"{source}: no readable text found.", "Check that it holds prose.")
    return LoadedText(source=source, title=clean_title(title) or name, text=text, kind=kind)


def split(loaded: LoadedText, chunk_size: int = 900, chunk_overlap: int = 120) -> list[Document]:
    """Split text into chunks whose text is a verbatim slice of the source, with stable ids."""
    # Imported here: the file-reader process (assistant/sandbox.py) needs none of LangChain.
    from langchain_core.documents import Document
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    if loaded.kind == "markdown":
        splitter = RecursiveCharacterTextSplitter.from_language(
            Language.MARKDOWN,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            add_start_index=True,
        )
    else:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            add_start_index=True,
            separators=["\n\n", "\n", ". ", " ", ""],
        )
    pieces = splitter.create_documents([loaded.text])
    seen: dict[str, int] = {}
    chunks: list[Document] = []
    for index, piece in enumerate(pieces):
        text = piece.page_content
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        chunks.append(
            Document(
                id=chunk_id(loaded.source, text, occurrence),
                page_content=text,
                metadata={
                    "source": loaded.source,
                    "title": loaded.title,
                    "kind": loaded.kind,
                    "chunk_index": index,
                    "start_index": int(piece.metadata.get("start_index", -1)),
                    "source_hash": loaded.content_hash,
                },
            )
        )
    return chunks
