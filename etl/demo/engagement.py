"""DCAS consultations, trainings, immersions and cyber self-diagnostics of the élus.

- DCAS: about 70 % of the ZGN communes consulted over the period (a fifth of them twice);
  expectations follow the commune's own facts (a commune with a high burglary rate asks about
  burglaries more often); follow-up status by age; satisfaction 1-5, about 80 % at 4 or 5.
- Trainings: about 13,000 attendances per three years (DOMAIN.md: 13,000+ élus trained since
  2021), in sessions of about 13, by theme.
- Immersions: about 2,700 per three years, mostly in the CORG and in brigades; marks mostly 4-5.
- Cyber self-diagnostics: about 3,000 per three years from communes that tend to be larger;
  answers follow a latent maturity that grows with the population, so small communes give
  more « non » (red) and « ne sait pas ».
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from etl.demo.complaints import _pick
from etl.demo.context import Period, Territory
from etl.demo.crime import CATEGORY_CODES
from etl.sources.diagnostics import QUESTIONS

CONSULTED_SHARE = 0.70
SECOND_CONSULTATION = 0.20
TRAINED_PER_3_YEARS = 13_000
IMMERSIONS_PER_3_YEARS = 2_700
DIAGNOSTICS_PER_3_YEARS = 3_000

#: base weight of each DCAS theme, and the facts categories that raise it locally
THEME_BASE = {
    "vitesse_securite_routiere": (1.0, ()),
    "incivilites_tranquillite": (0.7, ("destructions_degradations",)),
    "cambriolages": (0.45, ("cambriolages_logement",)),
    "stupefiants": (0.25, ("usage_stupefiants", "trafic_stupefiants")),
    "depots_sauvages_environnement": (0.5, ()),
    "violences_intrafamiliales": (0.15, ("violences_intrafamiliales",)),
    "cyber": (0.2, ("escroqueries",)),
    "presence_heures_sensibles": (0.55, ("violences_hors_famille", "vols_sans_violence")),
    "rodeos": (0.2, ()),
    "contact_elus": (0.45, ()),
}
#: themes of rural life, more frequent in small communes
RURAL_THEMES = ("depots_sauvages_environnement", "rodeos", "vitesse_securite_routiere")
ACTIONS = {
    "vitesse_securite_routiere": "Contrôles de vitesse aux entrées du bourg",
    "incivilites_tranquillite": "Patrouilles pédestres aux abords des lieux de rassemblement",
    "cambriolages": "Surveillance renforcée des zones pavillonnaires, réunion Participation "
                    "citoyenne",
    "stupefiants": "Contrôles ciblés sur les points de deal signalés",
    "depots_sauvages_environnement": "Surveillance des sites de dépôts et pièges photographiques",
    "violences_intrafamiliales": "Rencontre avec la maison de protection des familles",
    "cyber": "Sensibilisation cyber des agents de la mairie",
    "presence_heures_sensibles": "Patrouilles de soirée le week-end",
    "rodeos": "Opérations anti-rodéos en fin de semaine",
    "contact_elus": "Point mensuel du commandant de brigade avec le maire",
}
CRENEAUX = {"soiree": 0.35, "week_end": 0.25, "nuit": 0.2, "apres_midi": 0.12, "matin": 0.08}
SATISFACTION_DONE = np.array([0.02, 0.04, 0.10, 0.42, 0.42])  # 1..5 once the action is done
SATISFACTION_OPEN = np.array([0.04, 0.08, 0.16, 0.42, 0.30])
FONCTIONS_DCAS = {"maire": 0.85, "adjoint": 0.11, "conseiller_municipal": 0.03,
                  "autre_elu": 0.01}
CANAUX = {"entretien_mairie": 0.58, "telephone": 0.15, "visioconference": 0.07,
          "reunion_publique": 0.08, "application_gendelus": 0.12}


def _dates(rng: np.random.Generator, period: Period, n: int, weekdays_only: bool = True,
           month_weights=None, ramp: float = 1.0) -> pd.DatetimeIndex:
    """Random days of the period: working days, by month, and ``ramp`` times more at its start
    than at its end."""
    days = period.days
    w = np.linspace(ramp, 1.0, len(days))
    if weekdays_only:
        w = w * np.where(days.day_of_week < 5, 1.0, 0.05)
    if month_weights is not None:
        w = w * np.asarray(month_weights, dtype=float)[days.month - 1]
    return pd.DatetimeIndex(days[rng.choice(len(days), size=n, p=w / w.sum())])


def _ratios(territory: Territory, lam: np.ndarray) -> dict[str, np.ndarray]:
    """Each commune's expected rate per inhabitant relative to the national one, by category."""
    pop = territory.communes["population"].to_numpy(float)
    out = {}
    for j, k in enumerate(CATEGORY_CODES):
        national = lam[:, j].sum() / pop.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(pop > 0, lam[:, j] / np.maximum(pop, 1) / national, 0.0)
        out[k] = np.clip(r, 0.2, 5.0)
    return out


def _sample_without_replacement(rng: np.random.Generator, weight: np.ndarray, k: np.ndarray
                                ) -> list[list[int]]:
    """For each row, ``k[row]`` column indices drawn without replacement with probabilities
    proportional to ``weight[row]`` (Gumbel top-k: the same law as drawing one at a time)."""
    keys = np.log(np.maximum(weight, 1e-12)) + rng.gumbel(size=weight.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return [order[i, :int(k[i])].tolist() for i in range(len(weight))]


def dcas(territory: Territory, period: Period, lam: np.ndarray, rng: np.random.Generator
         ) -> pd.DataFrame:
    c = territory.communes
    zgn = np.flatnonzero((c["zone"] == "ZGN").to_numpy() & c["brigade_id"].notna().to_numpy()
                         & (c["population"] > 0).to_numpy())
    consulted = zgn[rng.random(len(zgn)) < CONSULTED_SHARE]
    twice = consulted[rng.random(len(consulted)) < SECOND_CONSULTATION]
    # the generalisation ramps up: more first consultations early in the period
    first = _dates(rng, period, len(consulted), ramp=2.0)
    rows = pd.DataFrame({"row": consulted, "date": first})
    second_first = rows.set_index("row").loc[twice, "date"]
    gap = pd.to_timedelta(rng.integers(180, 540, size=len(twice)), unit="D")
    second = pd.DataFrame({"row": twice, "date": second_first.to_numpy() + gap})
    rows = pd.concat([rows, second[second["date"] <= period.end.normalize()]], ignore_index=True)
    rows = rows.sort_values(["date", "row"], kind="stable").reset_index(drop=True)
    n = len(rows)
    ratios = _ratios(territory, lam)
    sel = rows["row"].to_numpy()
    pop = c["population"].to_numpy(float)[sel]
    rural = np.where(pop < 2_000, 1.5, np.where(pop < 10_000, 1.0, 0.6))
    themes = list(THEME_BASE)
    weight = np.empty((n, len(themes)))
    for j, t in enumerate(themes):
        base, cats = THEME_BASE[t]
        local = (np.mean([ratios[k] for k in cats], axis=0)[sel] ** 1.2 if cats
                 else np.ones(n))
        weight[:, j] = base * local * (rural if t in RURAL_THEMES else 1.0)
    attentes = _sample_without_replacement(rng, weight, 1 + rng.binomial(2, 0.45, n))
    attentes = [[themes[i] for i in picked] for picked in attentes]
    keys = list(CRENEAUX)
    slot_w = np.tile(np.array(list(CRENEAUX.values())), (n, 1))
    slots = _sample_without_replacement(rng, slot_w, rng.choice(3, size=n, p=[0.15, 0.5, 0.35]))
    creneaux = ["|".join(keys[i] for i in sorted(picked)) for picked in slots]
    age = (period.end.normalize() - rows["date"]).dt.days.to_numpy()
    statut = np.empty(n, dtype=object)
    for mask, table in (
        (age < 30, {"a_traiter": 0.6, "en_cours": 0.4}),
        ((age >= 30) & (age < 120), {"a_traiter": 0.1, "en_cours": 0.5, "realisee": 0.4}),
        (age >= 120, {"en_cours": 0.1, "realisee": 0.5, "close": 0.4}),
    ):
        statut[mask] = _pick(rng, table, int(mask.sum()))
    follow = rows["date"] + pd.to_timedelta(rng.integers(7, 90, size=n), unit="D")
    follow = follow.where(follow <= period.end.normalize(), period.end.normalize())
    open_ = statut == "a_traiter"
    done = np.isin(statut, ("realisee", "close"))
    answered = rng.random(n) < np.where(done, 0.9, 0.6)
    sat = np.where(done, rng.choice(5, size=n, p=SATISFACTION_DONE),
                   rng.choice(5, size=n, p=SATISFACTION_OPEN)) + 1
    codes = c["code"].to_numpy()
    brigades = c["brigade_id"].to_numpy()
    seq = rows.groupby(rows["date"].dt.year).cumcount() + 1
    return pd.DataFrame({
        "id_consultation": [f"DC-{y}-{s:06d}" for y, s in zip(rows["date"].dt.year, seq,
                                                              strict=True)],
        "date_consultation": rows["date"].dt.strftime("%Y-%m-%d"),
        "code_commune": codes[rows["row"]],
        "brigade_id": brigades[rows["row"]],
        "fonction_elu": _pick(rng, FONCTIONS_DCAS, n),
        "canal": _pick(rng, CANAUX, n),
        "attentes": ["|".join(a) for a in attentes],
        "creneaux": creneaux,
        "priorite": _pick(rng, {"haute": 0.35, "moyenne": 0.45, "basse": 0.2}, n),
        "actions_suivi": np.where(open_, "", [ACTIONS[a[0]] for a in attentes]),
        "statut": statut,
        "date_suivi": np.where(open_, "", follow.dt.strftime("%Y-%m-%d")),
        "satisfaction": pd.Series(sat, dtype="Int64").mask(~answered),
    })


TRAINING_THEMES = {"incivilites": 0.45, "cyber_immunite": 0.20, "vif": 0.12,
                   "environnement": 0.10, "atteintes_elus": 0.13}
PARTICIPANTS = {"maire": 0.50, "adjoint": 0.25, "conseiller_municipal": 0.12,
                "secretaire_mairie": 0.07, "agent_municipal": 0.04, "autre": 0.02}
#: sessions are rare in summer holidays
TRAINING_MONTHS = (1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 0.3, 0.1, 1.0, 1.2, 1.3, 1.0)


def trainings(territory: Territory, period: Period, rng: np.random.Generator) -> pd.DataFrame:
    """One row per attendee and session: sessions of about 13 élus of neighbouring communes of
    the same département, at a brigade's seat."""
    c = territory.communes
    b = territory.brigades
    total = int(round(TRAINED_PER_3_YEARS * territory.commune_scale * len(period.months) / 36
                      * rng.uniform(0.97, 1.03)))
    zgn = np.flatnonzero((c["zone"] == "ZGN").to_numpy() & (c["population"] > 0).to_numpy())
    tree = cKDTree(territory.xyz[zgn])
    code_row = {code: i for i, code in enumerate(c["code"])}
    seats = b["commune_siege"].map(code_row).to_numpy()
    dep_of = c["departement"].to_numpy()
    codes = c["code"].to_numpy()
    themes = np.asarray(list(TRAINING_THEMES), dtype=object)
    columns = ["id_participation", "id_session", "theme", "date_session",
               "code_commune_session", "unite", "code_commune_participant",
               "fonction_participant"]
    if total <= 0:
        return pd.DataFrame(columns=columns)
    sizes = 6 + rng.poisson(7, size=total // 6 + 1)
    n_sessions = int(np.searchsorted(np.cumsum(sizes), total)) + 1
    sizes = sizes[:n_sessions]
    sizes[-1] -= int(sizes.sum() - total)
    theme = themes[rng.choice(len(themes), size=n_sessions,
                              p=np.array(list(TRAINING_THEMES.values())))]
    where = rng.integers(len(b), size=n_sessions)
    dates = _dates(rng, period, n_sessions, month_weights=TRAINING_MONTHS)
    _, near_all = tree.query(territory.xyz[seats[where]], k=min(60, len(zgn)))
    parts = []
    for s in range(n_sessions):
        seat = int(seats[where[s]])
        near = zgn[np.atleast_1d(near_all[s])]
        near = near[dep_of[near] == dep_of[seat]]
        if len(near) == 0:
            near = np.array([seat])
        size = int(sizes[s])
        who = rng.choice(near, size=size, replace=size > len(near))
        unite = (f"G{dep_of[seat]}" if theme[s] in ("incivilites", "atteintes_elus")
                 else b.at[int(where[s]), "brigade_id"])
        parts.append(pd.DataFrame({"session": s, "theme": theme[s], "date": dates[s],
                                   "code_commune_session": codes[seat], "unite": unite,
                                   "code_commune_participant": codes[who]}))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["date", "session"], kind="stable").reset_index(drop=True)
    # sessions are numbered by date within each year
    first = out.drop_duplicates("session")
    number = pd.Series(first.groupby(first["date"].dt.year).cumcount().to_numpy() + 1,
                       index=first["session"].to_numpy())
    return pd.DataFrame({
        "id_participation": [f"FP-{i + 1:06d}" for i in range(len(out))],
        "id_session": [f"FS-{d.year}-{k:04d}" for d, k in zip(
            out["date"], out["session"].map(number), strict=True)],
        "theme": out["theme"],
        "date_session": out["date"].dt.strftime("%Y-%m-%d"),
        "code_commune_session": out["code_commune_session"],
        "unite": out["unite"],
        "code_commune_participant": out["code_commune_participant"],
        "fonction_participant": _pick(rng, PARTICIPANTS, len(out)),
    })


IMMERSION_TYPES = {"corg": 0.45, "brigade": 0.35, "psig": 0.08, "brigade_numerique": 0.05,
                   "peloton_autoroute": 0.04, "autre": 0.03}
IMMERSION_HOURS = {"corg": (8, 2.0), "brigade": (6, 2.0), "psig": (6, 1.5),
                   "brigade_numerique": (4, 1.0), "peloton_autoroute": (5, 1.5),
                   "autre": (4, 1.5)}
NOTES = np.array([0.01, 0.03, 0.08, 0.33, 0.55])
COMMENTS = {
    5: ("Très instructif, je recommande à tous les maires", "Accueil remarquable, équipes "
        "disponibles", "J'ai compris le traitement des appels au 17"),
    4: ("Utile pour comprendre les contraintes de la brigade", "Bonne immersion, un peu courte",
        "Intéressant, à refaire de nuit"),
    3: ("Intéressant mais peu d'activité ce jour-là", "Correct"),
    2: ("Trop court pour se faire une idée",),
    1: ("Immersion annulée en partie faute d'effectifs",),
}


def immersions(territory: Territory, period: Period, rng: np.random.Generator) -> pd.DataFrame:
    c = territory.communes
    zgn = c[(c["zone"] == "ZGN") & (c["population"] > 0)].reset_index(drop=True)
    zgn = zgn[zgn["brigade_id"].notna()].reset_index(drop=True)
    n = int(round(IMMERSIONS_PER_3_YEARS * territory.commune_scale * len(period.months) / 36
                  * rng.uniform(0.95, 1.05)))
    rows = rng.choice(len(zgn), size=n, p=np.sqrt(zgn["population"]) /
                      np.sqrt(zgn["population"]).sum())
    dates = _dates(rng, period, n, weekdays_only=False).sort_values()
    kinds = _pick(rng, IMMERSION_TYPES, n)
    dep = zgn["departement"].to_numpy()[rows]
    unite = np.select(
        [kinds == "corg", kinds == "brigade", kinds == "psig", kinds == "brigade_numerique",
         kinds == "peloton_autoroute"],
        [np.char.add("CORG", dep.astype(str)), zgn["brigade_id"].to_numpy()[rows].astype(str),
         np.char.add("PSIG-", zgn["compagnie_id"].to_numpy()[rows].astype(str)),
         np.full(n, "BNUM"), np.char.add("PA", dep.astype(str))],
        default=np.char.add("G", dep.astype(str)))
    hours = np.array([max(1.0, min(24.0, rng.normal(*IMMERSION_HOURS[k]))) for k in kinds])
    notes = rng.choice(5, size=n, p=NOTES) + 1
    noted = rng.random(n) < 0.95
    comments = [str(rng.choice(COMMENTS[int(x)])) if ok and rng.random() < 0.6 else ""
                for x, ok in zip(notes, noted, strict=True)]
    seq = pd.Series(dates.year).groupby(dates.year).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "id_immersion": [f"IM-{y}-{s:04d}" for y, s in zip(dates.year, seq, strict=True)],
        "date_immersion": dates.strftime("%Y-%m-%d"),
        "code_commune": zgn["code"].to_numpy()[rows],
        "fonction_elu": _pick(rng, {"maire": 0.7, "adjoint": 0.2, "conseiller_municipal": 0.08,
                                    "autre_elu": 0.02}, n),
        "type_unite": kinds,
        "unite": unite,
        "duree_heures": np.round(hours * 2) / 2,
        "note": pd.Series(notes, dtype="Int64").mask(~noted),
        "commentaire": comments,
    })


#: how hard each question is: the higher, the fewer « oui »
DIFFICULTY = {"q1_inventaire": 0.2, "q2_mots_de_passe": 0.3, "q3_mises_a_jour_sauvegardes": 0.0,
              "q4_sensibilisation": 0.5, "q5_antivirus": -0.8, "q6_donnees_personnelles": 0.3,
              "q7_teletravail": 0.4, "q8_evaluation": 1.2, "q9_prestataires": 0.8}


def diagnostics(territory: Territory, period: Period, rng: np.random.Generator) -> pd.DataFrame:
    c = territory.communes
    zgn = c[(c["zone"] == "ZGN") & (c["population"] > 0)].reset_index(drop=True)
    n = int(round(DIAGNOSTICS_PER_3_YEARS * territory.commune_scale * len(period.months) / 36
                  * rng.uniform(0.95, 1.05)))
    pop = zgn["population"].to_numpy(float)
    rows = rng.choice(len(zgn), size=n, p=np.sqrt(pop) / np.sqrt(pop).sum())
    dates = _dates(rng, period, n).sort_values()
    maturity = 0.45 * np.log10(pop) - 0.65 + rng.normal(0, 0.7, len(zgn))
    # a commune that takes the test again has usually improved in between
    earlier = pd.Series(rows).groupby(rows).cumcount().to_numpy()
    level = maturity[rows] + 0.5 * earlier
    out = {}
    for q in QUESTIONS:
        z = level - DIFFICULTY[q] + rng.logistic(0, 0.6, n)
        ans = np.where(z > 0.6, "oui", np.where(z > -0.4, "partiel", "non")).astype(object)
        unsure = rng.random(n) < np.clip(0.18 - 0.08 * level, 0.03, 0.3)
        ans[unsure & (ans != "oui")] = "ne_sait_pas"
        out[q] = ans
    seq = pd.Series(dates.year).groupby(dates.year).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "id_diagnostic": [f"CY-{y}-{s:05d}" for y, s in zip(dates.year, seq, strict=True)],
        "date_diagnostic": dates.strftime("%Y-%m-%d"),
        "code_commune": zgn["code"].to_numpy()[rows],
        **out,
    })
