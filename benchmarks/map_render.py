"""Time until the « Carte » page's map is drawn in headless Chromium, and what travels.

Run: `.venv/bin/python benchmarks/map_render.py [--runs 5] [--departement 35]` against the
published warehouse of `$PRESENCE_DATA_DIR` (default data/, the national demo warehouse). It
starts `python -m dashboard` on a free port with a throw-away copy of the operational store
holding a temporary analyst account (the real store is left untouched), signs in once, then
opens each map several times in fresh tabs and prints, per map:

- the time from navigation start to the map drawn (every unit's shape in the page's SVG), p50
  over the runs and the first (cold) run, which includes building the geometry file — in a new
  tab (a new renderer process) of an everyday browser profile (a profile folder on disk: the
  browser keeps the scripts and their compiled code, as a prefect's browser does after the
  first visit), then in a new tab of a private window (nothing compiled is kept: the
  pessimistic case), in a tab that showed another page of the dashboard, and from choosing a
  département in the filter bar of a département's map;
- the server time of the map callback and the sizes of its response and of the geometry file
  (decoded and as transferred, gzipped);
- the time to recolour the drawn map when only the indicator changes (a Dash Patch).

Targets (issue « The dashboard »): a département's commune map ≤ 1.5 s, the national brigade map
≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, dropdown_option  # noqa: E402
from tests.support.processes import stop  # noqa: E402

LOGIN, PASSWORD = "benchmark.carte", "mot-de-passe-du-banc-d-essai"
PERIOD = ""  # the default period: the last 12 months with facts

#: JavaScript run in every page before its own scripts: records when plotly.js is ready and
#: when the map's figure reaches it (milliseconds since the navigation started)
MARKS = """
window.__marks = {};
(function tick() {
    const m = window.__marks;
    if (!m.plotly && window.Plotly) { m.plotly = performance.now(); }
    const gd = document.querySelector('.map-graph .js-plotly-plot');
    if (!m.figure && gd && gd.data && gd.data.length && gd.data[0].type === 'choropleth') {
        m.figure = performance.now();
    }
    requestAnimationFrame(tick);
})();
"""
#: JavaScript: once every location of the map's traces is drawn, the milliseconds since the
#: navigation started (null until then)
DRAWN = """
(graph) => {
    const gd = document.querySelector('#' + graph + ' .js-plotly-plot');
    if (!gd || !gd.data || !gd.data.length || gd.data[0].type !== 'choropleth') { return null; }
    const expected = gd.data.reduce((n, t) => n + t.locations.length, 0);
    const drawn = document.querySelectorAll('#' + graph + ' path.choroplethlocation').length;
    return expected > 0 && drawn === expected ? performance.now() : null;
}
"""
RESOURCES = """
() => performance.getEntriesByType('resource').map((e) => ({
    name: e.name, duration: e.duration, transfer: e.transferSize, decoded: e.decodedBodySize,
    start: e.startTime, end: e.responseEnd}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _facts_rows(warehouse: Path) -> int:

    con = parts.connect(warehouse)
    try:
        return con.execute("SELECT count(*) FROM facts_monthly").fetchall()[0][0]
    finally:
        con.close()


def _departement_label(warehouse: Path, code: str) -> str:
    """The territory dropdown's label of a département (« 35 — Ille-et-Vilaine »)."""

    con = parts.connect(warehouse)
    try:
        nom = con.execute("SELECT nom FROM departements WHERE code = $code",
                          {"code": code}).fetchall()[0][0]
    finally:
        con.close()
    return f"{code} — {nom}"


def _mb(n: float | None) -> str:
    return "—" if not n else f"{n / 1e6:.2f} MB"


def _open_map(context, url: str, graph: str = "carte-carte", timeout_ms: int = 60_000,
              page=None) -> dict:
    """One load of ``url``: in a new tab (a new renderer process), or in
    ``page``, a tab that showed another page of the dashboard (as a user following a link)."""
    own = page is None
    page = context.new_page() if own else page
    try:
        page.goto(url)
        handle = page.wait_for_function(DRAWN, arg=graph, timeout=timeout_ms, polling="raf")
        drawn_ms = handle.json_value()
        marks = page.evaluate("() => window.__marks")
        units = page.evaluate(f"() => document.querySelectorAll("
                              f"'#{graph} path.choroplethlocation').length")
        resources = page.evaluate(RESOURCES)
        geo = [r for r in resources if "/geo/" in r["name"]]
        # the map comes with the page's layout (or, on other pages, with a callback)
        callbacks = [r for r in resources
                     if "_dash-update-component" in r["name"] or "_dash-layout" in r["name"]]
        biggest = max(callbacks, key=lambda r: r["decoded"] or 0) if callbacks else None
        return {"drawn_s": drawn_ms / 1000, "units": units, "geo": geo[0] if geo else None,
                "callback": biggest, "plotly_s": (marks.get("plotly") or 0) / 1000,
                "figure_s": (marks.get("figure") or drawn_ms) / 1000}
    finally:
        if own:
            page.close()


def _sign_in(context, base: str) -> None:
    context.add_init_script(MARKS)
    page = context.new_page()
    page.goto(base + "/connexion")
    page.fill("#login", LOGIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.close()


def _new_tabs(context, base: str, cases: list[tuple], runs_count: int) -> None:
    """Print, per map, its times when opened ``runs_count`` times, each in a new tab."""
    print(f"{'carte':<36} {'unités':>6} {'dessinée':>9} {'min':>6} {'max':>6} "
          f"{'1er':>6} {'cible':>5} {'plotly':>7} {'figure':>7} {'dessin':>7}  "
          "figure (requête, JSON / gzip)   géométrie (JSON / gzip)")
    for name, path, target, graph in cases:
        runs = [_open_map(context, base + path, graph) for _ in range(runs_count)]
        times = [r["drawn_s"] for r in runs]
        warm = runs[1:] or runs
        last = runs[-1]
        cb, geo = last["callback"], runs[0]["geo"]
        cb_time = statistics.median(r["callback"]["duration"] / 1000
                                    for r in runs if r["callback"])
        geo_text = (f"{_mb(geo['decoded'])} / {_mb(geo['transfer'])}"
                    if geo and geo["transfer"] else "dans la figure")
        plotly = statistics.median(r["plotly_s"] for r in warm)
        figure = statistics.median(r["figure_s"] for r in warm)
        drawing = statistics.median(r["drawn_s"] - r["figure_s"] for r in warm)
        print(f"{name:<36} {last['units']:>6} "
              f"{statistics.median(r['drawn_s'] for r in warm):>8.2f}s "
              f"{min(times):>5.2f}s {max(times):>5.2f}s {times[0]:>5.2f}s "
              f"{'' if target is None else f'{target:.1f}s':>5} {plotly:>6.2f}s "
              f"{figure:>6.2f}s {drawing:>6.2f}s  "
              f"{cb_time:.2f}s, {_mb(cb['decoded'] if cb else None)} / "
              f"{_mb(cb['transfer'] if cb else None)}   {geo_text}")


def _same_tab(context, base: str, url: str, graph: str, runs: int) -> list[float]:
    """Seconds to the map drawn when ``url`` is opened in a tab that showed the méthodologie
    page (the renderer process and its compiled scripts are warm)."""
    page = context.new_page()
    try:
        times = []
        for _ in range(runs):
            page.goto(base + "/methodologie")
            page.wait_for_selector("h1")
            times.append(_open_map(context, url, graph, page=page)["drawn_s"])
        return times
    finally:
        page.close()


def _wait_redrawn(page, condition: str, label: str) -> None:
    """Wait until the Carte map fulfils ``condition`` (JavaScript over ``gd``, the graph, and
    ``label``) with every location of its two traces drawn."""
    page.wait_for_function(
        "(label) => { const gd = document.querySelector('#carte-carte .js-plotly-plot');"
        f" return Boolean(gd && gd.data && gd.data[0].locations && ({condition}) && "
        "gd.data[0].locations.length + gd.data[1].locations.length === "
        "document.querySelectorAll('#carte-carte path.choroplethlocation').length); }",
        arg=label, timeout=60_000, polling="raf")


def _choose_departement(context, base: str, dep_label: str, start_from: str) -> float:
    """Seconds from choosing a département in the Carte page's filter bar, on the commune map
    of ``start_from``, to the chosen département's commune map drawn (the router renders the
    page again; plotly.js is already there)."""
    page = context.new_page()
    try:
        page.goto(base + f"/carte?perimetre=departement:{start_from}&maille=commune")
        page.wait_for_function(DRAWN, arg="carte-carte", timeout=60_000, polling="raf")
        # typed for: the list only renders the options in view; clicked once shown
        option = dropdown_option(page, "#carte-perimetre", dep_label,
                                 dep_label.split(" — ", 1)[1], timeout=60_000)
        start = time.perf_counter()
        option.click()
        _wait_redrawn(page, "document.querySelector('#carte-titre')"
                            "?.textContent.includes(label)", dep_label)
        return time.perf_counter() - start
    finally:
        page.close()


def _recolour(context, url: str, option: str, label: str) -> float:
    """Seconds from choosing another indicator to the map recoloured with it."""
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function(DRAWN, arg="carte-carte", timeout=60_000, polling="raf")
        page.click("#carte-indicateur")
        start = time.perf_counter()
        page.get_by_role("option", name=option, exact=True).click()
        _wait_redrawn(page, "gd.data[0].name === label", label)
        return time.perf_counter() - start
    finally:
        page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--departement", default="35")
    args = parser.parse_args()
    settings = get_settings()
    warehouse = settings.warehouse_path
    if not warehouse.exists():
        print(f"Entrepôt introuvable : {warehouse} (python -m etl build --demo d'abord)",
              file=sys.stderr)
        return 1
    facts = _facts_rows(warehouse)
    print(f"Entrepôt : {warehouse} ({facts:,} lignes de faits mensuels)".replace(",", " "))
    if not facts:
        print("  (sans faits : les unités sont dessinées en gris « aucune donnée », le dessin "
              "coûte autant)")
    dep = args.departement
    cases = [
        (f"communes du département {dep}",
         f"/carte?perimetre=departement:{dep}&maille=commune{PERIOD}", 1.5, "carte-carte"),
        ("brigades, France entière", f"/carte?perimetre=france&maille=brigade{PERIOD}", 3.0,
         "carte-carte"),
        ("départements, France entière",
         f"/carte?perimetre=france&maille=departement{PERIOD}", None, "carte-carte"),
        # the same Dash page start-up with a small map: what every page with a map pays
        (f"référence : page Organisation ({dep})", f"/?departement={dep}", None,
         "organisation-carte"),
    ]
    from playwright.sync_api import sync_playwright

    from dashboard.core import accounts
    from etl.ops.store import get_engine

    tmp = Path(tempfile.mkdtemp(prefix="map_render_"))
    ops = tmp / "operations.sqlite"
    real_ops = settings.data_dir / "operations.sqlite"
    if real_ops.exists():
        shutil.copy(real_ops, ops)
    ops_url = f"sqlite:///{ops}"
    accounts.add_user(get_engine(ops_url), LOGIN, PASSWORD, "analyste")
    port = _free_port()
    env = os.environ | {"PRESENCE_DATA_DIR": str(settings.data_dir), "PRESENCE_OPS_URL": ops_url,
                        "PRESENCE_HOST": "127.0.0.1", "PRESENCE_PORT": str(port)}
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/connexion", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print((tmp / "server.log").read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.3)
        with sync_playwright() as p:
            options = {"viewport": {"width": 1280, "height": 1000}, "locale": "fr-FR"}
            # an everyday profile: a folder on disk, where the browser keeps its HTTP cache
            # and the code it compiled from the scripts (V8's code cache)
            context = p.chromium.launch_persistent_context(
                tmp / "profil", executable_path=CHROMIUM, args=CHROMIUM_ARGS, **options)
            _sign_in(context, base)
            print("\nNouvel onglet, profil de navigateur habituel (scripts et code compilé "
                  "gardés d'une visite à l'autre) :")
            _new_tabs(context, base, cases, args.runs)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            private = browser.new_context(**options)
            _sign_in(private, base)
            print("\nNouvel onglet, fenêtre de navigation privée (rien de compilé n'est gardé "
                  ": le cas pessimiste) :")
            _new_tabs(private, base, cases, args.runs)
            private.close()
            browser.close()
            print("\nMême onglet (après la page Méthodologie) :")
            for name, path, target, graph in cases[:3]:
                times = _same_tab(context, base, base + path, graph, args.runs)
                warm = times[1:] or times
                print(f"  {name:<32} p50 {statistics.median(warm):.2f}s "
                      f"(min {min(times):.2f}s, max {max(times):.2f}s)"
                      + (f", cible {target:.1f}s" if target else ""))
            label = _departement_label(warehouse, dep)
            other = "22" if dep != "22" else "35"
            spent = [_choose_departement(context, base, label, other)
                     for _ in range(max(2, args.runs // 2))]
            print(f"\nChoix du département {dep} dans la barre de filtres (depuis la carte des "
                  f"communes du {other}) : p50 {statistics.median(spent):.2f}s "
                  f"(min {min(spent):.2f}s, max {max(spent):.2f}s)")
            print("\ndessinée : p50 du début de la navigation à la carte dessinée ; plotly : "
                  "plotly.js prêt ; figure : la figure reçue par plotly.js ; dessin : de la "
                  "figure reçue à la carte dessinée (géométrie comprise).")
            print("\nRecoloriage (Patch, seul l'indicateur change) :")
            for name, path, _target, _graph in cases[:2]:
                spent = [_recolour(context, base + path,
                                   "Élus — Consultations DCAS", "Consultations DCAS")
                         for _ in range(max(2, args.runs // 2))]
                print(f"  {name:<32} p50 {statistics.median(spent):.2f}s "
                      f"(min {min(spent):.2f}s, max {max(spent):.2f}s)")
            print(f"\np50 sur les passages 2 à {args.runs} (le 1er construit le fichier de "
                  "géométrie côté serveur et remplit le cache du navigateur).")
            context.close()
    finally:
        stop(server)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)  # the temporary account goes with its store
    return 0


if __name__ == "__main__":
    sys.exit(main())
