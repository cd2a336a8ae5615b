"""The SMS alerts' worker with the simulated gateway: an alert to 5,000 recipients, validated,
then sent — messages per second, time until every message is accepted by the gateway, time
until every delivery report is final (the alert ``envoyee``).

Run: `.venv/bin/python benchmarks/alerts_worker.py [--recipients 5000] [--rate 0] [--batch 50]`
(`--rate 0`: no limit, the worker's own capacity; `--rate 50`: PRESENCE_SMS_RATE's default).
Everything happens in a temporary folder: the small fixture warehouse with 5,000 fictional
contacts (ARCEP's fiction block 06 39 98 xx xx) in Bruz and Chartres-de-Bretagne, a new
operational store (SQLite, WAL) and the simulated operator's file (its default behaviour:
0.5 % throttling, 3 % failed deliveries, reports 1 to 6 s after acceptance). One worker, one
process, as `python -m etl alerts worker` runs.

Seen on this machine (2 cores), `.venv/bin/python benchmarks/alerts_worker.py`: creation
127 ms, validation (5,000 recipients and their 5,000 outbox rows in one transaction) 253 ms;
every message tried once in 9.6 s (523 SMS/s); all accepted in 13.5 s (the 0.5 % refused for
throttling come back after their back-off); every final report in 17.2 s; 4,859 delivered,
141 failed with their reason; 5,000 SMS for 5,024 calls (the throttled retries), none twice.
With `--rate 50` (PRESENCE_SMS_RATE's default): 49 SMS/s, all accepted in 105 s, final in
108 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from etl.alerts import workflow  # noqa: E402
from etl.alerts.gateway import SimulatedGateway  # noqa: E402
from etl.alerts.worker import Worker  # noqa: E402
from etl.ops import store  # noqa: E402
from etl.warehouse import parts  # noqa: E402
from tests.support.dashboard_fixture import build_small_warehouse  # noqa: E402

COMMUNES = ["35047", "35066"]


def add_contacts(path: Path, n: int) -> None:
    """``n`` opted-in contacts, fictional numbers (+33 6 39 98 00 00 onwards)."""
    if n > 10_000:
        raise SystemExit("10 000 numéros fictifs au plus (bloc ARCEP 06 39 98 xx xx)")
    con = duckdb.connect(str(path))
    try:
        con.execute("DELETE FROM elu_contacts")
        con.executemany(
            "INSERT INTO elu_contacts (id_contact, code_commune, fonction, telephone, opt_in, "
            "date_opt_in, synthetique, fichier, run_id, empreinte) VALUES "
            "(?, ?, 'conseiller_municipal', ?, TRUE, DATE '2025-01-01', TRUE, 'bench', 'bench',"
            " 'e')",
            [(f"CT-BENCH-{i:05d}", COMMUNES[i % 2], f"+3363998{i:04d}") for i in range(n)])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def untried(engine) -> int:
    """Messages not yet tried once."""
    from sqlalchemy import func, select

    o = store.alert_outbox
    with engine.connect() as c:
        return c.execute(select(func.count()).where(
            o.c.attempts == 0, o.c.state.in_(("pending", "sending")))).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="SMS par seconde au plus (0 : sans limite)")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-alertes-"))
    warehouse = build_small_warehouse(folder / "warehouse.duckdb")
    add_contacts(warehouse, args.recipients)
    engine = store.get_engine(f"sqlite:///{folder / 'operations.sqlite'}")
    gateway = SimulatedGateway(folder / "sms-simule.sqlite", seed=args.seed)
    con = parts.connect(warehouse)

    t0 = time.perf_counter()
    alert = workflow.create(
        engine, login="bta.bruz", role="brigade", departement="35", unite="B35047",
        categorie="cambriolages", message=workflow.TEMPLATES["cambriolages"],
        communes=COMMUNES, faits_le=workflow.local_now() - timedelta(hours=1),
        allowed_communes=set(COMMUNES), idempotency_key="bench",
        limits=workflow.RateLimit(10, 60), con=con)
    t1 = time.perf_counter()
    done = workflow.validate(engine, con, alert.id_alerte, login="cdt.35", role="commandant",
                             departement="35")
    t2 = time.perf_counter()
    assert done.recipients == args.recipients, done

    worker = Worker(engine, gateway, rate=args.rate or None, batch=args.batch)
    start = time.perf_counter()
    all_sent = first_pass = None
    rounds = 0
    while True:
        worker.run_once()
        rounds += 1
        progress = workflow.progress(engine, alert.id_alerte) if rounds % 5 == 0 or (
            all_sent is not None) else None
        if first_pass is None and untried(engine) == 0:
            first_pass = time.perf_counter() - start
        if all_sent is None and progress is not None and progress["pending"] == 0:
            all_sent = time.perf_counter() - start
        if all_sent is not None and workflow.get(engine, alert.id_alerte)["statut"] == "envoyee":
            break
        if time.perf_counter() - start > 3600:
            raise SystemExit("plus d'une heure : abandon")
        if progress is not None and progress["pending"] == 0:
            time.sleep(0.2)  # only reports left to wait for
    finished = time.perf_counter() - start
    progress = workflow.progress(engine, alert.id_alerte)
    accepted = progress["sent"]

    print(f"commande : {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"destinataires : {args.recipients} ; débit demandé : "
          f"{'sans limite' if not args.rate else f'{args.rate:g} SMS/s'} ; lots de "
          f"{args.batch}")
    print(f"création : {(t1 - t0) * 1000:.0f} ms (destinataires comptés compris) ; "
          f"validation (destinataires + {args.recipients} lignes de la file d'envoi, une "
          f"transaction) : {(t2 - t1) * 1000:.0f} ms")
    print(f"premier essai de chaque message : {first_pass:.1f} s — "
          f"{args.recipients / first_pass:.0f} SMS/s")
    print(f"tous transmis ou en échec définitif (refus pour débit réessayés après 2,5 à 5 s) : "
          f"{all_sent:.1f} s — {accepted / all_sent:.0f} SMS/s en moyenne ({accepted} acceptés "
          f"par la passerelle)")
    print(f"tous les accusés de réception finals : {finished:.1f} s (alerte « envoyée »)")
    print(f"remis {progress['delivered']}, en échec {progress['failed']} "
          f"({', '.join(f'{k} : {v}' for k, v in progress['failed_by_reason'].items())})")
    print(f"passerelle simulée : {gateway.asked_count()} appels, {gateway.sent_count()} SMS "
          f"envoyés, {gateway.repeat_count()} répétitions écartées ; chaque numéro une fois : "
          f"{gateway.sent_count() == accepted}")
    con.close()


if __name__ == "__main__":
    main()
