"""Shared fixtures of the browser tests: the dashboard served on a free port from the small
fixture warehouse (with its synthetic operational data), real headless Chromium driven by
Playwright, and pages whose requests leaving 127.0.0.1 are aborted and recorded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.dashboard_fixture import add_account, add_operational_data, build_small_warehouse
from tests.support.processes import stop

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
VENDOR = ROOT / "dashboard" / "assets" / "vendor"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test, skipped with a reason when Chromium or the
    front-end files are missing."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent != here:
            continue
        item.add_marker(pytest.mark.browser)
        if not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(
                reason=f"{CHROMIUM} absent: install Debian's chromium package "
                       "(make setup-test) to run the browser tests"))
        elif not (VENDOR / "topojson" / "world_110m.json").exists():
            item.add_marker(pytest.mark.skip(
                reason="front-end files missing in dashboard/assets/vendor: run make assets"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(data_dir: Path, **settings: str) -> Iterator[str]:
    """`python -m dashboard` on a free port reading ``data_dir`` (with ``settings``, e.g.
    ``PRESENCE_REFRESH_SECONDS="1"``); yields its base address."""
    port = _free_port()
    env = os.environ | {"PRESENCE_DATA_DIR": str(data_dir), "PRESENCE_HOST": "127.0.0.1",
                        "PRESENCE_PORT": str(port)} | settings
    log = (data_dir / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("dashboard did not start:\n" + (data_dir / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`python -m dashboard` on a free port, reading the small fixture warehouse."""
    data_dir = tmp_path_factory.mktemp("data")
    add_operational_data(build_small_warehouse(data_dir / "warehouse.duckdb"))
    add_account(data_dir, "analyste.test", "analyste")
    add_account(data_dir, "prefet.test", "prefet", "35")
    add_account(data_dir, "commandant.test", "commandant", "35")
    add_account(data_dir, "brigade.test", "brigade", "35", "B35047")
    add_account(data_dir, "admin.test", "admin")
    with serve(data_dir) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose outside requests are aborted and recorded, with its console errors."""

    def __init__(self, page):
        self.page = page
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.full_plotly: list[str] = []  # the dashboard serves its own, smaller plotly.js
        page.route("**/*", self._route)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        if urlsplit(route.request.url).path.endswith("/plotly.min.js"):
            self.full_plotly.append(route.request.url)
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def assert_clean(self):
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.full_plotly == [], f"the full plotly.js was fetched: {self.full_plotly}"


@pytest.fixture
def watched(browser):
    # sync Playwright dispatches route handlers only while the test calls into it: wait with
    # page.wait_for_*, never time.sleep
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True,
                                  locale="fr-FR")
    yield Watched(context.new_page())
    context.close()


def address(page) -> str:
    """The tab's address as the page sees it. A page router's ``history.pushState`` reaches
    Playwright's ``page.url`` a moment later: reading it right after a map is drawn races."""
    return page.evaluate("() => window.location.href")


def sign_in(page, url: str, login: str, password: str = "mot-de-passe-de-test") -> None:
    """Open ``url``: the sign-in page comes first, then the page asked for."""
    page.goto(url)
    page.wait_for_selector("#login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")


def dropdown_option(page, dropdown: str, label: str, search: str | None = None,
                    timeout: float | None = None):
    """The option ``label`` of the dcc.Dropdown whose button is ``dropdown`` (a selector),
    shown: the list is opened with the keyboard, ``search`` (by default ``label``) typed in its
    search box so that the option is among those rendered (a long list only renders the options
    in view), and the option whose text is exactly ``label`` waited for. On a busy machine the
    list takes its time to filter, and other options can contain ``search`` too: neither "the
    list shows one option" nor pressing Enter is reliable. ``timeout`` (ms) defaults to
    Playwright's. Shared with benchmarks/map_render.py."""
    page.focus(dropdown, timeout=timeout)
    page.keyboard.press("ArrowDown")
    page.locator(".dash-dropdown-search").fill(label if search is None else search,
                                               timeout=timeout)
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for(timeout=timeout)
    return option


def choose_option(page, dropdown: str, label: str, search: str | None = None,
                  timeout: float | None = None) -> None:
    """Choose the option ``label`` of a dcc.Dropdown, as a person would: see
    :func:`dropdown_option`."""
    dropdown_option(page, dropdown, label, search, timeout).click(timeout=timeout)
