"""`python -m dashboard`: serve the dashboard with waitress (never in debug mode)."""

from __future__ import annotations

import logging
import os
import sys

from etl.settings import get_settings


def main() -> int:
    settings = get_settings()
    if not settings.warehouse_path.exists():
        print(
            f"Entrepôt de données introuvable : {settings.warehouse_path}\n"
            "Construisez-le d'abord avec « python -m etl build » "
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
