"""Public-road presence of each brigade: hours per commune, day and time slot.

Capacity: a gendarme works about 1,600 hours a year, of which 20 to 28 % on the public road
(drawn per brigade), so a brigade has ``effectif × 1,600 × share`` gendarme-hours a year; its
generated hours add up to exactly that in each calendar year (pro rata for partial years).
They are spread over the brigade's communes half by population and half by expected facts,
with a floor so that every commune sees a patrol now and then; more on Fridays and Saturdays
and in summer, and more in the evening and at night at the weekend.

Granularity: one row is the day's presence of a brigade in one commune and slot. A brigade logs
about 300 such rows a year (more for large brigades, fewer for small ones), some 2.8 million rows
for three years: that keeps the whole demo build within its time budget (the loaders validate
every row). A row therefore often stands for more than one patrol (about 20 gendarme-hours on
average), which suits daily, monthly and per-commune analysis but not the study of single
patrols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.demo.context import Period, Territory

HOURS_PER_GENDARME = 1_600
SHARE_RANGE = (0.20, 0.28)
#: rows a brigade logs per year on average (about 930,000 a year for the 3,100 brigades)
ROWS_PER_BRIGADE_YEAR = 300
SLOTS = np.array(["jour", "soiree", "nuit"], dtype=object)
SLOT_WEEKDAY = np.array([0.58, 0.28, 0.14])
SLOT_WEEKEND = np.array([0.45, 0.35, 0.20])
#: Monday … Sunday, and January … December
DAY_FACTOR = np.array([0.95, 0.95, 0.95, 1.0, 1.12, 1.12, 0.91])
MONTH_FACTOR = np.array([0.95, 0.95, 0.97, 1.0, 1.0, 1.04, 1.1, 1.1, 1.0, 0.98, 0.96, 0.95])


def capacity(territory: Territory, rng: np.random.Generator) -> pd.DataFrame:
    """Yearly public-road gendarme-hours of each brigade."""
    b = territory.brigades
    share = rng.uniform(*SHARE_RANGE, size=len(b))
    return pd.DataFrame({"brigade_id": b["brigade_id"], "effectif": b["effectif"],
                         "part_voie_publique": share,
                         "heures_an": b["effectif"].to_numpy(float) * HOURS_PER_GENDARME * share})


def presence(territory: Territory, period: Period, facts_per_year: np.ndarray,
             rng: np.random.Generator) -> pd.DataFrame:
    """``facts_per_year``: expected facts of every category per commune (row of communes)."""
    c = territory.communes
    cap = capacity(territory, rng)
    brig_index = {b: i for i, b in enumerate(cap["brigade_id"])}
    served = c[c["brigade_id"].isin(brig_index)]
    rows = served.index.to_numpy()
    bidx = served["brigade_id"].map(brig_index).to_numpy()
    order = np.lexsort((rows, bidx))
    rows, bidx = rows[order], bidx[order]
    pop = c["population"].to_numpy(float)[rows]
    facts = facts_per_year[rows]
    pop_b = np.bincount(bidx, pop, minlength=len(cap))
    facts_b = np.bincount(bidx, facts, minlength=len(cap))
    n_b = np.bincount(bidx, minlength=len(cap))
    w = (0.5 * pop / np.maximum(pop_b[bidx], 1) + 0.5 * facts / np.maximum(facts_b[bidx], 1e-9)
         + 0.05 / n_b[bidx])
    wsum = np.bincount(bidx, w, minlength=len(cap))
    # cumulative weights of each brigade's communes, shifted by the brigade's index so that one
    # sorted array serves every brigade: a draw b + u lands in brigade b's segment
    cum = bidx + np.concatenate([np.cumsum(w[bidx == i]) / wsum[i] for i in range(len(cap))])
    days = period.days
    day_f = DAY_FACTOR[days.day_of_week] * MONTH_FACTOR[days.month - 1]
    day_f = day_f / day_f.mean()
    eff = cap["effectif"].to_numpy(float) * (n_b > 0)
    mu = np.sqrt(eff / eff.mean())
    mu = mu * ROWS_PER_BRIGADE_YEAR * (n_b > 0).sum() / 365.25 / mu.sum()
    counts = rng.poisson(mu[:, None] * day_f[None, :])
    b_of, d_of = np.nonzero(counts)
    reps = counts[b_of, d_of]
    b_of, d_of = np.repeat(b_of, reps), np.repeat(d_of, reps)
    m = len(b_of)
    # hours: the brigade's yearly hours over its expected rows (busy days have more rows)
    per_row = cap["heures_an"].to_numpy() / (365.25 * np.maximum(mu, 1e-9))
    hours = per_row[b_of] * rng.gamma(4.0, 0.25, m)
    pick = np.searchsorted(cum, b_of + rng.random(m) * (1 - 1e-12), side="left")
    pick = np.minimum(pick, len(cum) - 1)
    weekend = days.day_of_week.to_numpy()[d_of] >= 5
    u = rng.random(m)
    slot = np.where(weekend, np.searchsorted(np.cumsum(SLOT_WEEKEND), u),
                    np.searchsorted(np.cumsum(SLOT_WEEKDAY), u))
    # each brigade's hours in each year add up to its capacity for the days of that year
    year = days.year.to_numpy()[d_of]
    years, days_in = np.unique(days.year.to_numpy(), return_counts=True)
    yi = np.searchsorted(years, year)
    key = b_of * len(years) + yi
    got = np.bincount(key, hours, minlength=len(cap) * len(years))
    length = np.array([366 if pd.Timestamp(year=int(y), month=12, day=31).day_of_year == 366
                       else 365 for y in years])
    want = np.outer(cap["heures_an"].to_numpy(), days_in / length).ravel()
    hours = hours * want[key] / np.maximum(got[key], 1e-9)
    frame = pd.DataFrame({"row": rows[pick], "day": d_of, "slot": np.minimum(slot, 2),
                          "brigade": b_of, "heures": hours})
    frame = frame.groupby(["row", "day", "slot", "brigade"], as_index=False, sort=True)[
        "heures"].sum()
    frame = frame.sort_values(["day", "brigade", "row", "slot"], kind="stable")
    hours = np.clip(np.round(frame["heures"].to_numpy() * 2) / 2, 0.5, 500.0)
    return pd.DataFrame({
        "code_commune": c["code"].to_numpy()[frame["row"].to_numpy()],
        "date": np.asarray(days.strftime("%Y-%m-%d"), dtype=object)[frame["day"].to_numpy()],
        "creneau": SLOTS[frame["slot"].to_numpy()],
        "brigade_id": cap["brigade_id"].to_numpy()[frame["brigade"].to_numpy()],
        "heures": hours,
    })
