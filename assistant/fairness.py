"""Queue fairness: how many answers one client may have waiting or running at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["JobSlots", "Slot"]


def _held() -> bool:
    return True


@dataclass(eq=False)
class Slot:
    """One job a client has waiting or running."""

    client: str
    taken: float
    running: Callable[[], bool] = field(default=_held)


class JobSlots:
    """At most `limit` jobs per client, waiting or running, across every route to a model.

    A slot is taken before a job is submitted. A request that is its own job (the REST API)
    gives it back when it returns. A Gradio job is submitted by one request and runs after it,
    so its slot follows the job: it stays taken while `running()` says so (Gradio drops a
    job when it finishes, fails, is cancelled or loses its client). Whatever it follows, a
    slot older than `max_age` is given back, so none can leak; the table only holds clients
    with a slot taken.
    """

    def __init__(
        self, limit: int, max_age: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.max_age = max_age
        self._clock = clock
        self._slots: dict[str, list[Slot]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._sweep()
            return len(self._slots)

    def held(self, client: str) -> int:
        """Jobs this client has waiting or running now."""
        with self._lock:
            self._sweep()
            return len(self._slots.get(client, ()))

    def take(self, client: str) -> Slot | None:
        """A slot for one more job, or None when the client already holds `limit`."""
        with self._lock:
            self._sweep()
            slots = self._slots.setdefault(client, [])
            if len(slots) >= self.limit:
                return None
            slot = Slot(client, self._clock())
            slots.append(slot)
            return slot

    def follow(self, slot: Slot, running: Callable[[], bool]) -> None:
        """Keep the slot taken while the job it was taken for is `running()`."""
        with self._lock:
            slot.running = running
            self._sweep()

    def give_back(self, slot: Slot) -> None:
        """Free the slot (a second call does nothing)."""
        with self._lock:
            slots = self._slots.get(slot.client, [])
            if slot in slots:
                slots.remove(slot)
            if not slots:
                self._slots.pop(slot.client, None)

    def _sweep(self) -> None:
        now = self._clock()
        for client in list(self._slots):
            live = [s for s in self._slots[client] if now - s.taken < self.max_age and _alive(s)]
            if live:
                self._slots[client] = live
            else:
                del self._slots[client]


def _alive(slot: Slot) -> bool:
    try:
        return slot.running()
    except Exception:  # noqa: BLE001 - a check that fails must free the slot, not keep it.
        return False
