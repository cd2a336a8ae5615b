"""What-if round trip of the « Recommandations » page in headless Chromium.

Run: `.venv/bin/python benchmarks/recommend_whatif.py [--departement 35] [--runs 20]
[--trigger enter|click|both]` against the published warehouse of `$PRESENCE_DATA_DIR` (default
data/, the national demo warehouse), which is only read. It starts `python -m dashboard` (the
serving defaults: gunicorn, PRESENCE_WORKERS processes) on a free port with a temporary data
folder (links to the published warehouse's files and a copy of its manifest, a fresh
operational store holding one commandant account of the département, a throw-away signing key:
nothing is written beside the real data), signs in
through the real form in Debian's Chromium (never `playwright install`), opens
`/recommandations?perimetre=departement:<dep>` and waits for its plan. Then, `--runs` times per
trigger, it types another capacity in the what-if panel and validates it with Enter
(« enter ») or by clicking « Recalculer » (« click »), and times with `time.perf_counter()`
from the key press (or click) to the table of communes redrawn with the new plan.

The redraw signal (condition-based, polled on every animation frame): the live region
`#reco-etat` and the « Capacité des brigades » key figure name the new capacity, and the table
`#reco-tableau-donnees` has rows and is visible (not hidden by its loading wrapper). The status,
the key figures and the table are outputs of the same callback response, which the Dash
renderer applies at once: the status naming the new capacity means the table on screen is the
new plan's (checked once with a MutationObserver: the status and the table's text change in the
same mutation batch). The table's innerText alone is no signal: it empties while the loading
wrapper hides the table (from 300 ms after the request). Whether the table's text changed is
reported per run (it does not when the capacity does not bind). Every capacity is different by
default (81, 91, 101, 111, 121, 82, …), so each round trip re-solves the plans: the server keeps
the plans per options in each worker process (`--repeat-values` cycles 80, 90, 100, 110, 120 %
and so measures those cache hits).

Prints each run (capacity, seconds, the callback requests sent with their server time — from
the request sent to its response received —, and the browser's share — from the last response
received to the new table visible: the renderer applying the outputs (the map's figure among
them) and the loading wrapper showing the table again), then p50 / p95 (nearest rank) / max
per trigger, the time from navigation to the plan's table visible (the first load, with no
inputs cached on the server, then the next ones), the machine's load average before and after,
and the browser's console errors and the server's tracebacks if any.
Target (issue #10): p95 ≤ 2 s for a département.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.settings import get_settings  # noqa: E402
from etl.warehouse import parts  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.processes import stop  # noqa: E402
from tests.support.published import link_published  # noqa: E402

LOGIN = "bench.commandant"
TARGET_P95_S = 2.0
CYCLE = (80, 90, 100, 110, 120)
DEFAULT_PCT = 100  # the panel's default capacity: the plan of the first load
CAPACITY = "#reco-capacite"
RECOMPUTE = "#reco-recalculer"
TABLE = "#reco-tableau-donnees"

#: JavaScript run in every page before its own scripts: counts the Dash callback requests
#: (``window.__dash.pending`` until their body is read) and records, for each one, what
#: triggered it, when it was sent and when its response came (``headers``, before the renderer
#: uses it; milliseconds since the navigation started) and its size
FETCH_SPY = """
(() => {
    const original = window.fetch;
    window.__dash = {pending: 0, calls: []};
    window.fetch = function (input, init) {
        const url = typeof input === 'string' ? input : (input && input.url) || '';
        if (!url.includes('_dash-update-component')) { return original.apply(this, arguments); }
        const call = {start: performance.now(), headers: null, end: null, bytes: 0, status: 0,
                      trigger: []};
        try { call.trigger = JSON.parse(init.body).changedPropIds || []; } catch (e) { /* */ }
        window.__dash.calls.push(call);
        window.__dash.pending += 1;
        const done = () => { call.end = performance.now(); window.__dash.pending -= 1; };
        return original.apply(this, arguments).then((response) => {
            call.status = response.status;
            call.headers = performance.now();
            response.clone().arrayBuffer().then((b) => { call.bytes = b.byteLength; done(); },
                                                done);
            return response;
        }, (error) => { done(); throw error; });
    };
})();
"""
#: JavaScript: performance.now() once the plan at ``pct`` % is drawn (status and key figure
#: name the capacity, the table has rows and is visible), null until then
DRAWN = """
(pct) => {
    const status = document.querySelector('#reco-etat');
    const kpi = document.querySelector('#kpi-reco_capacite');
    const table = document.querySelector('#reco-tableau-donnees');
    if (!status || !status.textContent.includes('capacité à ' + pct + '\\u202f%')) {
        return null;
    }
    if (!kpi || !kpi.textContent.includes(', ' + pct + '\\u202f% de la')) { return null; }
    if (!table || !table.querySelector('tbody tr')) { return null; }
    const visible = table.checkVisibility({visibilityProperty: true, opacityProperty: true});
    return visible ? performance.now() : null;
}
"""
SETTLED = "() => window.__dash && window.__dash.pending === 0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _territory(warehouse: Path, dep: str) -> tuple[str, int, int]:
    """The département's name, its communes of the gendarmerie zone and their brigades."""

    con = parts.connect(warehouse)
    try:
        name = con.execute("SELECT nom FROM departements WHERE code = $d", {"d": dep}).fetchall()
        communes, brigades = con.execute(
            "SELECT count(*), count(DISTINCT brigade_id) FROM communes "
            "WHERE departement = $d AND zone = 'ZGN' AND brigade_id IS NOT NULL",
            {"d": dep}).fetchall()[0]
    finally:
        con.close()
    return (name[0][0] if name else "?"), communes, brigades


def capacities(count: int, repeat: bool) -> list[int]:
    """``count`` capacities (%), each different from the one before: the plain cycle with
    ``repeat``, else all different and never the default (no plan cached on the server)."""
    if repeat:
        return [CYCLE[i % len(CYCLE)] for i in range(count)]
    used, out, shift = {DEFAULT_PCT}, [], 1
    while len(out) < count:
        for base in CYCLE:
            value = base + shift
            if value not in used and 25 <= value <= 200:
                used.add(value)
                out.append(value)
        shift += 1
    return out[:count]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = os.environ | {"PRESENCE_DATA_DIR": str(data_dir), "PRESENCE_HOST": "127.0.0.1",
                        "PRESENCE_PORT": str(port)}
    env.pop("PRESENCE_OPS_URL", None)  # the temporary folder's store
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc, timeout=30)
            raise SystemExit("the server did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def sign_in(page, base: str, password: str) -> None:
    page.goto(base + "/connexion")
    page.fill("#login", LOGIN)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/connexion" in page.evaluate("() => window.location.pathname"):
        raise SystemExit("sign-in refused")
    page.wait_for_load_state("networkidle")


def open_plan(page, url: str, timeout_ms: float) -> float:
    """Seconds from navigation to the default plan's table visible."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, arg=DEFAULT_PCT, polling="raf", timeout=timeout_ms)
    spent = time.perf_counter() - start
    page.wait_for_function(SETTLED, polling="raf", timeout=timeout_ms)
    return spent


def _diagnosis(page) -> str:
    return page.evaluate(
        "() => ['#reco-etat', '#reco-messages', '#reco-infaisables-bloc'].map((s) => s + ': '"
        " + (document.querySelector(s)?.innerText || '').slice(0, 300)).join(' | ')")


def whatif(page, pct: int, trigger: str, timeout_ms: float) -> dict:
    """One round trip: ``pct`` typed in the capacity field, then Enter or « Recalculer »."""
    before = page.inner_text(TABLE)
    page.fill(CAPACITY, str(pct))
    page.evaluate("() => { window.__dash.calls = []; }")
    start = time.perf_counter()
    if trigger == "enter":
        page.press(CAPACITY, "Enter")
    else:
        page.click(RECOMPUTE)
    try:
        drawn = page.wait_for_function(DRAWN, arg=pct, polling="raf",
                                       timeout=timeout_ms).json_value()
    except Exception:
        print(f"  no plan at {pct} % after {timeout_ms / 1000:.0f} s: {_diagnosis(page)}")
        raise
    spent = time.perf_counter() - start
    # the next run starts once every callback request of this one has come back
    page.wait_for_function(SETTLED, polling="raf", timeout=timeout_ms)
    settled = time.perf_counter() - start
    calls = page.evaluate("() => window.__dash.calls")
    answered = [c["headers"] for c in calls if c["headers"] is not None]
    # the browser's share: from the last response received to the new table visible
    browser = (drawn - max(answered)) / 1000 if answered else math.nan
    return {"pct": pct, "s": spent, "settled_s": settled, "calls": calls, "browser_s": browser,
            "changed": page.inner_text(TABLE) != before}


def _run_line(i: int, trigger: str, r: dict) -> str:
    calls = r["calls"]
    server = ", ".join(f"{(c['headers'] - c['start']) / 1000:.2f} s"
                       for c in calls if c["headers"])
    triggers = sorted({t for c in calls for t in c["trigger"]})
    bad = [c["status"] for c in calls if c["status"] != 200]
    return (f"  {trigger:<5} run {i:>2}  {r['pct']:>3} %  {r['s']:5.2f} s  "
            f"(all requests back {r['settled_s']:5.2f} s)  {len(calls)} request(s) "
            f"[{server}], browser {r['browser_s']:.2f} s, from {', '.join(triggers) or '?'}"
            + (f"  HTTP {bad}" if bad else "")
            + ("" if r["changed"] else "  table text unchanged"))


def _summary(trigger: str, results: list[dict], repeat: bool) -> str:
    times = [r["s"] for r in results]
    p95 = percentile(times, 95)
    requests = statistics.median(len(r["calls"]) for r in results)
    server = [(c["headers"] - c["start"]) / 1000
              for r in results for c in r["calls"] if c["headers"]]
    browser = [r["browser_s"] for r in results if not math.isnan(r["browser_s"])]
    size = [c["bytes"] for r in results for c in r["calls"] if c["bytes"]]
    label = "Enter" if trigger == "enter" else "« Recalculer »"
    values = "cycled capacities (plans cached after the 1st pass)" if repeat else (
        "all capacities different")
    return (f"what-if round trip, {label}, {len(times)} runs, {values}: p50 "
            f"{statistics.median(times):.2f} s, p95 {p95:.2f} s, max {max(times):.2f} s "
            f"(target p95 ≤ {TARGET_P95_S:.0f} s: {'met' if p95 <= TARGET_P95_S else 'MISSED'})"
            f"; {requests:g} callback request(s) per round trip (median), server time p50 "
            f"{statistics.median(server):.2f} s, p95 {percentile(server, 95):.2f} s, response "
            f"{statistics.median(size) / 1e3:.0f} kB; browser (response → table visible) p50 "
            f"{statistics.median(browser):.2f} s; table text changed in "
            f"{sum(r['changed'] for r in results)}/{len(results)} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default="35")
    parser.add_argument("--runs", type=int, default=20, help="round trips per trigger")
    parser.add_argument("--trigger", choices=("enter", "click", "both"), default="both")
    parser.add_argument("--loads", type=int, default=3,
                        help="navigations to the page timed (the first is cold on the server)")
    parser.add_argument("--repeat-values", action="store_true",
                        help="cycle 80, 90, 100, 110, 120 %% (cached plans after a pass)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per wait")
    args = parser.parse_args()
    if args.runs < 1 or args.loads < 1:
        parser.error("--runs and --loads must be at least 1")
    # the published path (a link to the main file, beside the parts' folder and manifest):
    # resolved, it would name the main file alone, without the parts (facts, presence, ...)
    warehouse = get_settings().warehouse_path
    if not warehouse.exists():
        print(f"Warehouse not found: {warehouse} (make run first)", file=sys.stderr)
        return 1
    dep = args.departement
    name, n_communes, n_brigades = _territory(warehouse, dep)
    triggers = ["enter", "click"] if args.trigger == "both" else [args.trigger]
    values = capacities(args.runs * len(triggers), args.repeat_values)
    timeout_ms = args.timeout * 1000
    load_before = _load()
    print(f"warehouse {warehouse}; département {dep} ({name}): {n_communes} communes of the "
          f"gendarmerie zone, {n_brigades} brigades; {os.cpu_count()} cores; load average "
          f"(1 / 5 / 15 min) {load_before}")

    from playwright.sync_api import sync_playwright

    from dashboard.core.accounts import add_user
    from etl.ops.store import get_engine

    with tempfile.TemporaryDirectory(prefix="presence-whatif-") as tmp:
        data_dir = Path(tmp)
        link_published(warehouse, data_dir)
        password = secrets.token_urlsafe(16)
        engine = get_engine(f"sqlite:///{data_dir / 'operations.sqlite'}")
        add_user(engine, LOGIN, password, "commandant", dep)
        engine.dispose()
        log = data_dir / "server.log"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/recommandations?perimetre=departement:{dep}"
        t0 = time.monotonic()
        proc = start_server(data_dir, port, log)
        errors: list[str] = []
        try:
            print(f"server started in {time.monotonic() - t0:.1f} s"
                  + "".join(f"; {line.split(' INFO ')[-1].strip()}"
                            for line in log.read_text().splitlines() if "processus" in line))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                              locale="fr-FR")
                context.add_init_script(FETCH_SPY)
                page = context.new_page()
                page.on("console",
                        lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                sign_in(page, base, password)
                loads = [open_plan(page, url, timeout_ms) for _ in range(args.loads)]
                rows = page.locator(f"{TABLE} tbody tr").count()
                print(f"page load (navigation → plan table visible, {rows} rows): first "
                      f"{loads[0]:.2f} s (no inputs cached on the server yet)"
                      + (f"; next {', '.join(f'{x:.2f} s' for x in loads[1:])}"
                         if len(loads) > 1 else ""))
                results: dict[str, list[dict]] = {}
                for k, trigger in enumerate(triggers):
                    results[trigger] = []
                    for i in range(args.runs):
                        r = whatif(page, values[k * args.runs + i], trigger, timeout_ms)
                        results[trigger].append(r)
                        print(_run_line(i + 1, trigger, r))
                for trigger in triggers:
                    print(_summary(trigger, results[trigger], args.repeat_values))
                context.close()
                browser.close()
        finally:
            stop(proc, timeout=30)
        tracebacks = log.read_text().count("Traceback")
    print(f"load average (1 / 5 / 15 min): before {load_before}, after {_load()}")
    if errors:
        print(f"browser console errors ({len(errors)}): " + " | ".join(errors[:5]))
    if tracebacks:
        print(f"server log: {tracebacks} traceback(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
