"""`python -m dashboard [serve]` serves the dashboard with waitress (never in debug mode);
`python -m dashboard users ...` manages the local accounts; `demo-accounts` makes one per role."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from etl.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard",
                                description="Tableau de bord « Présents pour les élus ».")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("serve", help="sert le tableau de bord (par défaut)")
    users = sub.add_parser("users", help="gestion des comptes locaux")
    us = users.add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="crée un compte (mot de passe lu sur l'entrée standard "
                        "ou demandé)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=["prefet", "commandant", "brigade",
                                                        "analyste", "admin"])
    add.add_argument("--departement", help="département (préfet, commandant)")
    add.add_argument("--brigade", help="identifiant de brigade (rôle brigade)")
    us.add_parser("list", help="liste les comptes")
    dis = us.add_parser("disable", help="désactive un compte")
    dis.add_argument("login")
    demo = sub.add_parser("demo-accounts", help="crée un compte de démonstration par rôle (si "
                          "absent) et affiche identifiants et mots de passe")
    demo.add_argument("--departement", default="35", help="département des comptes de "
                      "démonstration (défaut : 35)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "users":
        return _users(args, settings)
    if args.command == "demo-accounts":
        from dashboard.core.accounts import ensure_demo_accounts

        for line in ensure_demo_accounts(settings, args.departement):
            print(line)
        return 0
    return _serve(settings)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Mot de passe : ")
        if first != getpass.getpass("Confirmation : "):
            raise SystemExit("Les deux saisies diffèrent.")
        return first
    return sys.stdin.readline().rstrip("\n")


def _users(args, settings) -> int:
    from dashboard.core import accounts
    from dashboard.core.accounts import brigade_departement
    from etl.ops.store import get_engine

    engine = get_engine(settings.ops_url)
    try:
        if args.action == "add":
            dep = brigade_departement(settings, args.brigade) if args.brigade else None
            if args.brigade and dep is None:
                raise accounts.AccountError(f"Brigade inconnue dans l'entrepôt : {args.brigade}")
            user = accounts.add_user(engine, args.login, _read_password(), args.role,
                                 args.departement, args.brigade, dep)
            print(f"Compte créé : {user.login} ({user.role})")
        elif args.action == "list":
            for u in accounts.list_users(engine):
                state = "actif" if u["active"] else "désactivé"
                print(f"{u['login']:<20} {u['role']:<11} {u['departement'] or '-':<4} "
                      f"{u['brigade_id'] or '-':<10} {state}")
        elif args.action == "disable":
            accounts.disable_user(engine, args.login)
            print(f"Compte désactivé : {args.login}")
    except accounts.AccountError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


def _serve(settings) -> int:
    if not settings.warehouse_path.exists():
        print(
            f"Entrepôt de données introuvable : {settings.warehouse_path}\n"
            "Construisez-le d'abord avec « python -m etl build --demo » "
            "(ou réglez PRESENCE_DATA_DIR sur le dossier qui le contient).",
            file=sys.stderr,
        )
        return 1
    host = os.environ.get("PRESENCE_HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("PRESENCE_PORT", "8050"))
    except ValueError:
        print("PRESENCE_PORT doit être un numéro de port (entier).", file=sys.stderr)
        return 1

    import waitress

    from dashboard.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    print(f"Tableau de bord : http://{host}:{port}/ (Ctrl+C pour arrêter)", flush=True)
    waitress.serve(app.server, host=host, port=port, threads=8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
