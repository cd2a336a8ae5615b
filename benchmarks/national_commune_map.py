"""The national commune map (« Carte », maille commune, France entière) in headless Chromium:
time until it is drawn and bytes on the wire, in a private window and in an everyday profile.

Run: `.venv/bin/python benchmarks/national_commune_map.py [--runs 5] [--data-dir DIR]`. The
warehouse: ``DIR`` (a data folder holding ``warehouse.duckdb``), else `$PRESENCE_DATA_DIR`'s
(default data/) when it has one, else the newest national demo build of the tests' cache
(~/.cache/presence-test-builds, fixture ``national_demo``). The dashboard is served on a free
port (`tests/browser/conftest.py`'s ``serve``) from a throw-away folder linking that warehouse,
with its own operational store holding a temporary analyst account (the real store is left
untouched). Each run opens `/carte?perimetre=france&maille=commune`:

- in a new tab of a **new browser context** (a private window: nothing cached, every script
  downloaded and compiled), then
- in a new tab of the **same context** (an everyday profile: Dash's scripts and plotly.js come
  from the HTTP cache, as in a browser that has seen the dashboard before),

and prints, for each, the time from navigation start to the map drawn (plotly.js has drawn the
figure's traces in WebGL: its ``Plotly.react`` promise resolved, a frame painted since, and no
« WebGL is not supported » message: then the script stops with an error), the number
of communes drawn, the bytes on the wire (every response's headers and encoded body, from
Playwright's ``request.sizes()``; a response from the cache counts 0) and decoded, and the
part of them the page's layout (which carries the map's figure) takes.

Targets (issue #20): drawn ≤ 2.5 s in a new tab, ≤ 2 MB on the wire.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from map_render import LOGIN, PASSWORD  # noqa: E402

from etl.settings import get_settings  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402
from tests.support.build_cache import CACHE_ROOT, COMPLETE, DATA, link_entry  # noqa: E402
from tests.support.dashboard_fixture import add_account  # noqa: E402

PATH = "/carte?perimetre=france&maille=commune"
TARGET_S, TARGET_MB = 2.5, 2.0

#: JavaScript run in every page before its own scripts: when plotly.js has drawn a figure of
#: WebGL points (its react/newPlot promise resolved, then a frame painted), the milliseconds
#: since the navigation started (``window.__drawn``) and the points drawn (``__points``)
DRAWN_MARK = """
window.__drawn = null;
(function hook() {
    const P = window.Plotly;
    if (!P || !P.react) { requestAnimationFrame(hook); return; }
    window.__plotly = performance.now();
    ['react', 'newPlot'].forEach((name) => {
        const original = P[name];
        P[name] = function (gd, ...rest) {
            window.__called = window.__called || performance.now();
            return Promise.resolve(original.call(this, gd, ...rest)).then((out) => {
                const el = typeof gd === 'string' ? document.getElementById(gd) : gd;
                const full = el && el._fullData;
                if (!window.__drawn && full && full.length && full[0].type === 'scattergl') {
                    const points = full.reduce((n, t) => n + (t.ids ? t.ids.length : 0), 0);
                    // the frame after the next one: the drawn map has been painted
                    requestAnimationFrame(() => requestAnimationFrame(() => {
                        // Plotly's message when it could not draw in WebGL (a failure here)
                        window.__webgl = !el.querySelector('.no-webgl');
                        window.__points = points;
                        window.__drawn = performance.now();
                    }));
                }
                return out;
            });
        };
    });
})();
"""


def _warehouse_dir(given: str | None) -> Path:
    """The data folder whose warehouse is measured (see the module's docstring)."""
    if given:
        return Path(given)
    settings = get_settings()
    if settings.warehouse_path.exists():
        return settings.data_dir
    builds = sorted(CACHE_ROOT.glob("national_demo-*/" + COMPLETE),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    if not builds:
        sys.exit("Aucun entrepôt : python -m etl build --demo, ou --data-dir DOSSIER")
    return builds[0].parent / DATA


def _sign_in(context, base: str) -> None:
    """Sign in through the context's own HTTP client (its cookies are the tabs'): no page of
    the dashboard is loaded, so that the first tab finds nothing in the cache."""
    form = context.request.get(base + "/connexion").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = context.request.post(base + "/connexion", max_redirects=0, form={
        "login": LOGIN, "password": PASSWORD, "csrf_token": token})
    if answer.status != 302:
        sys.exit(f"Connexion refusée ({answer.status})")


def _open(context, url: str) -> dict:
    """One load of ``url`` in a new tab of ``context``: time to drawn, points, bytes."""
    responses: list = []
    page = context.new_page()
    page.on("requestfinished", lambda request: responses.append(request))
    try:
        page.goto(url)
        page.wait_for_function("() => window.__drawn", timeout=120_000, polling=50)
        drawn_ms = page.evaluate("() => window.__drawn")
        if not page.evaluate("() => window.__webgl"):
            sys.exit("WebGL indisponible : la carte n'a pas été dessinée")
        points = page.evaluate("() => window.__points")
        marks = page.evaluate("() => [window.__plotly, window.__called]")
        wire = decoded = layout_wire = layout_decoded = 0
        server_ms = 0.0
        for request in responses:
            sizes = request.sizes()
            response = request.response()
            body = len(response.body()) if response is not None and response.status == 200 \
                else 0
            on_wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            wire += on_wire
            decoded += body
            if "_dash-update-component" in request.url and body > layout_decoded:
                layout_wire, layout_decoded = on_wire, body
                timing = request.timing
                server_ms = timing["responseStart"] - timing["requestStart"]
        return {"drawn_s": drawn_ms / 1000, "points": points,
                "plotly_s": (marks[0] or 0) / 1000, "figure_s": (marks[1] or 0) / 1000,
                "wire": wire,
                "decoded": decoded, "layout_wire": layout_wire,
                "layout_decoded": layout_decoded, "server_s": server_ms / 1000,
                "requests": len(responses)}
    finally:
        page.close()


def _report(name: str, runs: list[dict]) -> None:
    times = [r["drawn_s"] for r in runs]
    mb = [r["wire"] / 1e6 for r in runs]
    last = runs[-1]
    print(f"{name:<34} {statistics.median(times):>6.2f}s {min(times):>6.2f}s "
          f"{max(times):>6.2f}s {last['points']:>7} {statistics.median(mb):>7.2f} MB "
          f"{last['decoded'] / 1e6:>7.2f} MB {last['requests']:>5}   "
          f"{last['layout_wire'] / 1e6:.2f} MB / {last['layout_decoded'] / 1e6:.2f} MB, "
          f"serveur {statistics.median(r['server_s'] for r in runs):.2f}s; plotly.js prêt "
          f"{statistics.median(r['plotly_s'] for r in runs):.2f}s, figure reçue "
          f"{statistics.median(r['figure_s'] for r in runs):.2f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", help="data folder holding warehouse.duckdb")
    args = parser.parse_args()
    source = _warehouse_dir(args.data_dir)
    print(f"Entrepôt : {source / 'warehouse.duckdb'}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="national_commune_map_") as tmp:
        data_dir = link_entry(source, Path(tmp) / "data")
        (data_dir / "operations.sqlite").unlink(missing_ok=True)  # a store of its own
        add_account(data_dir, LOGIN, "analyste", password=PASSWORD)
        with serve(data_dir, PRESENCE_OPS_URL=f"sqlite:///{data_dir / 'operations.sqlite'}") \
                as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            options = {"viewport": {"width": 1280, "height": 1000}, "locale": "fr-FR"}
            # the server's first national commune map reads every commune's facts and builds
            # the outlines (printed apart): the runs measure the browser
            context = browser.new_context(**options)
            context.add_init_script(DRAWN_MARK)
            _sign_in(context, base)
            first = _open(context, base + PATH)
            context.close()
            print(f"Première carte du serveur (à froid) : {first['drawn_s']:.2f}s, dont "
                  f"serveur {first['server_s']:.2f}s")
            private, everyday = [], []
            for _ in range(args.runs):
                context = browser.new_context(**options)
                context.add_init_script(DRAWN_MARK)
                _sign_in(context, base)
                private.append(_open(context, base + PATH))
                everyday.append(_open(context, base + PATH))
                context.close()
            browser.close()
        print(f"\n{'onglet neuf':<34} {'p50':>7} {'min':>7} {'max':>7} {'points':>7} "
              f"{'réseau':>10} {'décodé':>10} {'req.':>5}   mise en page (figure) réseau / "
              "décodé, temps serveur")
        _report("fenêtre privée (rien en cache)", private)
        _report("profil habituel (scripts en cache)", everyday)
        print(f"\nCibles : dessinée ≤ {TARGET_S} s, ≤ {TARGET_MB} MB sur le réseau. "
              f"{args.runs} passages ; réseau : en-têtes et corps tels que transmis (gzip), "
              "une réponse du cache compte 0 ; p50 du réseau, le reste du dernier passage.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
