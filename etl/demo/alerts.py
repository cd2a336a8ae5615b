"""Élus' alert contacts, burglary sprees, the SMS alerts about them (and others) and their DLRs.

Sprees are planted as clusters in space (a commune and its nearest neighbours of the same
brigade) and time (one to six days); their burglaries are added to the monthly facts. An alert
is written once the spree is noticed (usually at its third burglary): the delay from that
burglary to the alert is log-normal, median about 1 h 35 and two thirds under 2 h, with a tail
of longer ones. Recipients are the opted-in contacts of the targeted communes; the gateway's
delivery reports are mostly DELIVRD, with about 4 % UNDELIV, EXPIRED or REJECTD. Every contact
has a mobile number (an SMS reaches no landline), fictional (:mod:`etl.demo.phones`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.demo import phones
from etl.demo.context import Period, Territory

#: the operation started on 15 November 2021: no agreement to receive alerts before
OPERATION_START = pd.Timestamp("2021-11-15")
SPREES_PER_YEAR = 900
OTHER_ALERTS_PER_YEAR = 450
#: alert delay after the facts it reports: log-normal median (minutes) and sigma
DELAY_MEDIAN_MIN, DELAY_SIGMA = 95.0, 0.6
#: the commander's validation before the gateway takes it: log-normal median (minutes), sigma
VALIDATION_MEDIAN_MIN, VALIDATION_SIGMA = 6.0, 0.8
OPT_IN_RATE = 0.9
#: final DLR state probabilities of a message (to a mobile: the contacts have no other)
DLR_STATES = {"DELIVRD": 0.96, "UNDELIV": 0.02, "EXPIRED": 0.011, "REJECTD": 0.006,
              "UNKNOWN": 0.003}

OTHER_CATEGORIES = {
    # category: (weight, month weights Jan…Dec or None, message)
    "vols": (0.25, None, "Gendarmerie {unite} : vols de matériel et de carburant signalés à "
             "{communes}. Fermez les bâtiments agricoles et signalez tout véhicule suspect au 17."),
    "escroqueries": (0.15, None, "Gendarmerie {unite} : de faux conseillers bancaires appellent "
                     "les habitants de {communes}. Ne communiquez jamais vos codes. Prévenez vos "
                     "aînés."),
    "demarchage_frauduleux": (0.12, None, "Gendarmerie {unite} : démarchage frauduleux à domicile "
                              "(faux agents des eaux) à {communes}. Ne laissez entrer personne "
                              "sans vérifier. Appelez le 17."),
    "degradations": (0.12, None, "Gendarmerie {unite} : dégradations de biens publics à "
                     "{communes} cette nuit. Signalez tout témoin à la brigade."),
    "depots_sauvages": (0.1, (0.5, 0.5, 0.8, 1, 1.2, 1.5, 1.7, 1.6, 1.2, 0.9, 0.6, 0.5),
                        "Gendarmerie {unite} : dépôts sauvages de déchets constatés à {communes}. "
                        "Merci de signaler tout véhicule suspect ou témoin."),
    "rodeos": (0.1, (0.3, 0.3, 0.6, 1, 1.4, 1.8, 2, 1.9, 1.2, 0.8, 0.4, 0.3),
               "Gendarmerie {unite} : rodéos motorisés signalés à {communes}. Ne vous interposez "
               "pas, notez les lieux et horaires et appelez le 17."),
    "disparition": (0.08, None, "Gendarmerie {unite} : une personne âgée vulnérable a quitté son "
                    "domicile à {communes}. Tout renseignement au 17."),
    "autre": (0.08, None, "Gendarmerie {unite} : opération de prévention sur les routes de "
              "{communes} ce week-end. Merci de relayer auprès des habitants."),
}
SPREE_MESSAGE = ("Gendarmerie {unite} : série de cambriolages à {communes} depuis le {date}. "
                 "Fermez portes et fenêtres, signalez tout comportement suspect au 17.")


@dataclass
class Sprees:
    """Burglary sprees: one row per burglary, and the extra facts per (commune row, month)."""

    burglaries: pd.DataFrame  # spree, commune_row, datetime, order
    extra: dict[tuple[int, int], int]


def _brigade_members(territory: Territory) -> dict[str, np.ndarray]:
    c = territory.communes
    zgn = c.index[(c["zone"] == "ZGN") & c["brigade_id"].notna() & (c["population"] > 0)]
    groups = c.loc[zgn].groupby("brigade_id").groups
    return {b: np.asarray(rows) for b, rows in sorted(groups.items())}


def _nearest_in_brigade(territory: Territory, members: np.ndarray, row: int, n: int
                        ) -> np.ndarray:
    xyz = territory.xyz
    d = np.linalg.norm(xyz[members] - xyz[row], axis=1)
    order = members[np.argsort(d, kind="stable")]
    return order[:n]


def plant_sprees(territory: Territory, period: Period, lam_burglary: np.ndarray,
                 season: np.ndarray, rng: np.random.Generator) -> Sprees:
    """Clusters of burglaries in neighbouring communes of one brigade over a few days."""
    c = territory.communes
    members = _brigade_members(territory)
    eligible = np.concatenate(list(members.values()))
    weight = lam_burglary[eligible]
    n_sprees = int(round(SPREES_PER_YEAR * territory.commune_scale * len(period.months) / 12))
    seeds = rng.choice(eligible, size=n_sprees, p=weight / weight.sum())
    days = period.days[:-3]  # a spree and its alert end inside the period
    day_w = season[days.month - 1]
    starts = rng.choice(len(days), size=n_sprees, p=day_w / day_w.sum())
    brigade_of = c["brigade_id"].to_numpy()
    day0 = days.to_numpy().astype("datetime64[m]")
    last_evening = period.end.normalize().to_datetime64().astype("datetime64[m]") + 20 * 60
    spree_ids, where_all, when_all, order_all = [], [], [], []
    for s, (seed, start) in enumerate(zip(seeds, starts, strict=True)):
        cluster = _nearest_in_brigade(territory, members[brigade_of[seed]], seed,
                                      1 + int(rng.integers(1, 5)))
        n = 4 + int(rng.poisson(5))
        duration = int(rng.integers(1, 7))
        # the seed commune takes the larger share
        share = np.r_[2.0, np.ones(len(cluster) - 1)]
        where = rng.choice(cluster, size=n, p=share / share.sum())
        # burglaries are mostly discovered in the afternoon and evening
        minutes = np.clip(rng.normal(16.5 * 60, 150, size=n), 7 * 60, 23 * 60 + 30).astype(int)
        when = np.sort(day0[start] + rng.integers(0, duration, size=n) * 1440 + minutes)
        spree_ids.append(np.full(n, s))
        where_all.append(where)
        when_all.append(np.minimum(when, last_evening))
        order_all.append(np.arange(n))
    b = pd.DataFrame({"spree": np.concatenate(spree_ids),
                      "commune_row": np.concatenate(where_all).astype(int),
                      "datetime": pd.to_datetime(np.concatenate(when_all)),
                      "order": np.concatenate(order_all)})
    month_index = {p: i for i, p in enumerate(period.months)}
    months = b["datetime"].dt.to_period("M").map(month_index)
    extra = {(int(k[0]), int(k[1])): int(n)
             for k, n in b.groupby([b["commune_row"], months]).size().items()}
    return Sprees(b, extra)


def contacts(territory: Territory, period: Period, rng: np.random.Generator) -> pd.DataFrame:
    """Alert contacts of ZGN communes: the mayor (almost always), sometimes an adjoint or the
    town hall's secretary; fictional numbers only (see :mod:`etl.demo.phones`)."""
    c = territory.communes
    zgn = c[c["zone"] == "ZGN"]
    pop = zgn["population"].to_numpy(float)
    p_adjoint = 0.08 + 0.25 * np.clip(np.log10(np.maximum(pop, 1)) / 4, 0, 1)
    records = []
    for code, dep, pa in zip(zgn["code"], zgn["departement"], p_adjoint, strict=True):
        if rng.random() < 0.97:
            records.append((f"CT-{code}-1", code, dep, "maire"))
        if rng.random() < pa:
            records.append((f"CT-{code}-2", code, dep, "adjoint"))
        if rng.random() < 0.03:
            records.append((f"CT-{code}-3", code, dep, "secretaire_mairie"))
    frame = pd.DataFrame(records, columns=["id_contact", "code_commune", "dep", "fonction"])
    n = len(frame)
    numbers = phones.allocate(frame["dep"].tolist(), rng)
    styles = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    opted = rng.random(n) < OPT_IN_RATE
    span = (period.end.normalize() - OPERATION_START).days
    # most agreements came with the launch campaign, then a steady trickle
    offset = np.where(rng.random(n) < 0.5, rng.exponential(60, n), rng.uniform(0, span, n))
    dates = OPERATION_START + pd.to_timedelta(np.minimum(offset, span).astype(int), unit="D")
    return pd.DataFrame({
        "id_contact": frame["id_contact"],
        "code_commune": frame["code_commune"],
        "fonction": frame["fonction"],
        "telephone": [phones.display(num, int(s)) for num, s in zip(numbers, styles,
                                                                      strict=True)],
        "opt_in": np.where(opted, "oui", "non"),
        "date_opt_in": np.where(opted, dates.strftime("%Y-%m-%d"), ""),
        "_e164": numbers,
    })


def _names(territory: Territory, rows) -> str:
    names = territory.communes["nom"].to_numpy()[list(rows)]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + (" et " if len(names) > 1 else "") + names[-1]
    return f"{names[0]}, {names[1]} et alentours"


def alerts(territory: Territory, period: Period, sprees: Sprees, contact_frame: pd.DataFrame,
           rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The alerts (sprees and other categories) and the gateway's delivery reports."""
    c = territory.communes
    members = _brigade_members(territory)
    names = territory.brigade_names
    records = []
    # spree alerts: most sprees are noticed and alerted at their third burglary
    b = sprees.burglaries
    spree_of = b["spree"].to_numpy()
    commune_of = b["commune_row"].to_numpy()
    times = b["datetime"].to_numpy()
    brigade_of = c["brigade_id"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, spree_of[1:] != spree_of[:-1], True])
    for a, z in zip(bounds[:-1], bounds[1:], strict=True):
        if rng.random() > 0.85:
            continue
        rows = list(dict.fromkeys(commune_of[a:z].tolist()))
        brigade = brigade_of[rows[0]]
        extra = _nearest_in_brigade(territory, members[brigade], rows[0],
                                    len(rows) + int(rng.integers(0, 4)))
        targets = list(dict.fromkeys(rows + extra.tolist()))
        message = SPREE_MESSAGE.format(unite=names[brigade], communes=_names(territory, rows),
                                       date=pd.Timestamp(times[a]).strftime("%d/%m"))
        trigger = pd.Timestamp(times[a + min(2, z - a - 1)]).floor("min")
        records.append((trigger, brigade, "cambriolages", message, targets))
    # other alerts, spread over the period
    cats = list(OTHER_CATEGORIES)
    weights = np.array([OTHER_CATEGORIES[k][0] for k in cats])
    n_other = int(round(OTHER_ALERTS_PER_YEAR * territory.commune_scale * len(period.months)
                        / 12))
    brigade_ids = sorted(members)
    days = period.days[:-3]
    day_weights = {}
    for k in cats:
        months_w = OTHER_CATEGORIES[k][1]
        w = (np.ones(len(days)) if months_w is None
             else np.asarray(months_w, dtype=float)[days.month - 1])
        day_weights[k] = w / w.sum()
    departement_of = c["departement"].to_numpy()
    for _ in range(n_other):
        cat = cats[int(rng.choice(len(cats), p=weights / weights.sum()))]
        day = days[int(rng.choice(len(days), p=day_weights[cat]))]
        brigade = brigade_ids[int(rng.integers(len(brigade_ids)))]
        mem = members[brigade]
        if cat in ("escroqueries", "demarchage_frauduleux") and rng.random() < 0.4:
            # the operations centre warns every commune of the brigade
            author, targets = f"CORG{departement_of[mem[0]]}", mem.tolist()
        else:
            first = int(mem[rng.integers(len(mem))])
            author = brigade
            targets = _nearest_in_brigade(territory, mem, first,
                                          1 + int(rng.integers(0, 3))).tolist()
        hour = 21 if cat == "rodeos" else int(rng.integers(7, 20))
        when = day + pd.Timedelta(hours=hour, minutes=int(rng.integers(0, 60)))
        message = OTHER_CATEGORIES[cat][2].format(unite=names[brigade],
                                                  communes=_names(territory, targets))
        records.append((when, author, cat, message, targets))
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    return _alert_rows(territory, period, records, contact_frame, rng)


def _alert_rows(territory: Territory, period: Period, records: list, contact_frame: pd.DataFrame,
                rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = territory.communes["code"].to_numpy()
    opted = contact_frame[contact_frame["opt_in"] == "oui"]
    by_commune: dict[str, list[tuple[str, str]]] = {}
    for cid, code, day in opted[["id_contact", "code_commune", "date_opt_in"]].itertuples(
            index=False):
        by_commune.setdefault(code, []).append((cid, day))
    n = len(records)
    faits = pd.DatetimeIndex([r[0] for r in records])
    delays = np.clip(rng.lognormal(np.log(DELAY_MEDIAN_MIN), DELAY_SIGMA, n), 15, 12 * 60)
    cree = (faits + pd.to_timedelta(delays, unit="m")).floor("min")
    validation = np.clip(rng.lognormal(np.log(VALIDATION_MEDIAN_MIN), VALIDATION_SIGMA, n),
                         1, 90)
    sent = cree + pd.to_timedelta(validation, unit="m")
    cree_day = cree.strftime("%Y-%m-%d")
    seq = pd.Series(faits.year).groupby(faits.year).cumcount().to_numpy() + 1
    recent = period.end - pd.Timedelta(days=2)
    alert_rows, msg_alert, msg_contact, msg_jitter = [], [], [], []
    for i, (when, author, cat, message, targets) in enumerate(records):
        alert_id = f"AL-{when.year}-{seq[i]:05d}"
        target_codes = [codes[r] for r in targets]
        recipients = [cid for code in target_codes
                      for cid, agreed in by_commune.get(code, []) if agreed <= cree_day[i]]
        u = rng.random()
        if len(recipients) == 0 or u < 0.035:
            statut = "annulee"
        elif when > recent and u < 0.3:
            statut = "brouillon" if u < 0.15 else "validee"
        else:
            statut = "envoyee"
        alert_rows.append((alert_id, author, cat, message, "|".join(target_codes),
                           len(recipients), statut))
        if statut == "envoyee":
            jitter = np.sort(rng.uniform(0, 3 + len(recipients), len(recipients)))
            for cid, j in zip(recipients, jitter, strict=True):
                msg_alert.append(i)
                msg_contact.append(cid)
                msg_jitter.append(j)
    alerts_frame = pd.DataFrame(alert_rows, columns=[
        "id_alerte", "unite_auteur", "categorie", "message", "communes_ciblees",
        "nb_destinataires", "statut"])
    alerts_frame.insert(1, "cree_le", cree.strftime("%Y-%m-%d %H:%M"))
    alerts_frame.insert(2, "faits_le", faits.strftime("%Y-%m-%d %H:%M"))
    return alerts_frame, _deliveries(rng, alerts_frame["id_alerte"].to_numpy(), sent,
                                     np.asarray(msg_alert, dtype=int), msg_contact,
                                     np.asarray(msg_jitter, dtype=float))


def _deliveries(rng: np.random.Generator, alert_ids: np.ndarray, sent: pd.DatetimeIndex,
                alert: np.ndarray, contact: list[str], jitter: np.ndarray) -> pd.DataFrame:
    """One DLR per message: its final state, seconds to minutes after submission (EXPIRED
    comes at the end of the validity period, half an hour to four hours later)."""
    m = len(alert)
    states = np.array(list(DLR_STATES), dtype=object)
    u = rng.random(m)
    cumulated = np.cumsum(list(DLR_STATES.values()))
    state = states[np.minimum(np.searchsorted(cumulated, u), len(states) - 1)]
    soumis = (sent[alert] + pd.to_timedelta(jitter, unit="s")).floor("s")
    wait = np.where(state == "EXPIRED", rng.uniform(30 * 60, 4 * 3600, m),
                    np.where(state == "DELIVRD", np.clip(rng.lognormal(np.log(7), 0.9, m), 1,
                                                         1800),
                             rng.uniform(1, 300, m)))
    etat = (soumis + pd.to_timedelta(wait, unit="s")).floor("s")
    return pd.DataFrame({
        "id_message": [f"M{i + 1:08d}" for i in range(m)],
        "id_alerte": alert_ids[alert] if m else np.array([], dtype=object),
        "id_contact": contact,
        "soumis_le": soumis.strftime("%Y-%m-%d %H:%M:%S"),
        "etat": state,
        "etat_le": etat.strftime("%Y-%m-%d %H:%M:%S"),
    })
