"""Read sources in a separate reader process with a time and memory cap per file.

Parsers are where hostile files bite: a PDF whose streams inflate to gigabytes, HTML nested
a million deep, a file that makes a parser spin. The reader is a plain Python
process (not multiprocessing: its forkserver and spawn modes re-import the
caller's main script, and forking the ingest would fork torch's threads). It caps its own
address space while it reads a file (RLIMIT_AS); the ingest kills it on a deadline or after
a memory failure and starts a fresh one for the next file. One bad file costs one line in
the report, never the ingest.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from assistant.documents import LoadedText, load_source
from assistant.errors import DocumentError

__all__ = ["Reader", "serve"]

_HEADER = struct.Struct("!Q")
_ENTRY = "import sys; from assistant.sandbox import serve; serve(int(sys.argv[1]))"


def _write(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _readable(fd: int, timeout_s: float) -> bool:
    # poll, not select: select() refuses descriptors above 1023, which a long-running
    # server (or a long test run) reaches once enough stores and sockets have been opened.
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(timeout_s * 1000))


def _read_exactly(fd: int, size: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not _readable(fd, remaining):
            return None
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class Reader:
    """A reader process, restarted whenever a file kills, stalls or exhausts it."""

    def __init__(
        self, max_bytes: int, timeout_s: float, memory_mb: int, allow_private: bool = False
    ) -> None:
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the reader process."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin:
                process.stdin.close()
            process.kill()
            process.wait()
            if process.stdout:
                process.stdout.close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self.close()
            self._process = process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [sys.executable, "-c", _ENTRY, str(self.memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert process.stdout
            # Its imports take a second or two: that is not the first file's time.
            if _read_exactly(process.stdout.fileno(), 1, time.monotonic() + 120) != b"+":
                self.close()
                raise DocumentError("The file reader process did not start.", "Re-run.")
        assert self._process is not None
        return self._process

    def read(self, source: str, path: Path | None) -> LoadedText:
        """`load_source` in the reader; DocumentError if the file is too slow, big or fatal."""
        process = self._started()
        assert process.stdin and process.stdout
        deadline = time.monotonic() + self.timeout_s
        try:
            raw = None if path is None else str(path)
            _write(process.stdin, (source, raw, self.max_bytes, self.allow_private))
            header = _read_exactly(process.stdout.fileno(), _HEADER.size, deadline)
            body = (
                None
                if header is None
                else _read_exactly(process.stdout.fileno(), _HEADER.unpack(header)[0], deadline)
            )
        except (EOFError, BrokenPipeError):
            code = process.wait()
            self.close()
            raise DocumentError(
                f"{source}: the reader crashed on this file (exit code {code}).",
                "Re-export the file; it may be damaged.",
            ) from None
        if body is None:
            self.close()
            raise DocumentError(
                f"{source}: reading took longer than {self.timeout_s:g} s and was stopped.",
                "Split or simplify the file, or raise ASSISTANT_INGEST_FILE_TIMEOUT.",
            )
        outcome = pickle.loads(body)  # noqa: S301 - written by our own child process
        if outcome[0] == "ok":
            loaded: LoadedText = outcome[1]
            return loaded
        if outcome[0] == "memory":
            self.close()
            raise DocumentError(
                f"{source}: reading needed more than {self.memory_mb} MB and was stopped.",
                "Split or simplify the file, or raise ASSISTANT_INGEST_FILE_MEMORY_MB.",
            )
        raise DocumentError(outcome[1], outcome[2])


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def serve(memory_mb: int) -> None:
    """The reader process's loop: one request in on stdin, one outcome out on stdout."""
    # The protocol owns the original stdout; anything a parser prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    out.write(b"+")
    out.flush()
    requests = sys.stdin.buffer
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    while header := requests.read(_HEADER.size):
        message = pickle.loads(requests.read(_HEADER.unpack(header)[0]))  # noqa: S301
        source, raw_path, max_bytes, allow_private = message
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + memory_mb * 2**20, hard))
        try:
            outcome: tuple[Any, ...] = (
                "ok",
                load_source(
                    source,
                    None if raw_path is None else Path(raw_path),
                    max_bytes,
                    allow_private,
                ),
            )
        except DocumentError as exc:
            outcome = ("error", exc.message, exc.fix)
        except MemoryError:
            outcome = ("memory",)
        except RecursionError:
            outcome = ("error", f"{source}: nested too deeply to read.", "Simplify the file.")
        except Exception as exc:  # noqa: BLE001 - reported as this file's failure, by type
            outcome = ("error", f"{source}: could not be read ({type(exc).__name__}).", "")
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        _write(out, outcome)
