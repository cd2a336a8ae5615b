"""The one in-memory cache of the dashboard: a small thread-safe least-recently-used map.

Every cache of the app (reference lists, map shapes, maps, plans, reference codes) is an
:class:`Lru` keyed by what its value depends on, the warehouse's version among them: a newly
published warehouse is a new key, and the old entries age out. Values are shared between
requests: callers must not modify them (or must copy them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
MISSING = object()


class Lru(Generic[V]):
    """At most ``size`` entries; the least recently used goes first. Safe across threads;
    :meth:`get_or_compute` computes outside the lock (two threads may compute the same value
    once each; the second write wins, both get a correct value)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            value = self._items.get(key, MISSING)
            if value is MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V],
                       keep: Callable[[V], bool] | None = None) -> V:
        """The value of ``key``, computed by ``compute()`` on a miss and kept (unless
        ``keep(value)`` is false: e.g. a value read from a warehouse that changed meanwhile)."""
        value = self.get(key, MISSING)
        if value is not MISSING:
            return value
        value = compute()
        if keep is None or keep(value):
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items
