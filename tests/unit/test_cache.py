"""The dashboard's one cache helper (dashboard.core.cache.Lru)."""

from __future__ import annotations

import threading

import pytest

from dashboard.core.cache import Lru


def test_least_recently_used_goes_first():
    cache = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2
    assert cache.get("b", "absent") == "absent"
    cache.put("n", None)  # None is a value like another
    assert cache.get("n", "absent") is None
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        Lru(0)


def test_get_or_compute_computes_once_and_keeps_only_what_it_may():
    cache, calls = Lru(4), []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("k", compute) == 1 and len(calls) == 1
    assert cache.get_or_compute("x", compute, keep=lambda _v: False) == 2
    assert "x" not in cache
    assert cache.get_or_compute("x", compute) == 3


def test_threads_never_see_more_than_the_size():
    cache, errors = Lru(8), []

    def work(offset):
        try:
            for i in range(2000):
                cache.put((offset, i % 20), i)
                cache.get((offset, (i + 3) % 20))
                assert len(cache) <= 8
        except AssertionError as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) == 8
