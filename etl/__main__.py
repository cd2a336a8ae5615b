"""Entry point: ``python -m etl``."""

from etl.cli import main

raise SystemExit(main())
