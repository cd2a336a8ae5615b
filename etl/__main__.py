"""Entry point: ``python -m etl``. Every file it writes is private (``etl.privacy``)."""

from etl import privacy

privacy.restrict_new_files()

from etl.cli import main  # noqa: E402 - after the umask: nothing written before it
from etl.settings import SettingsError, get_settings  # noqa: E402

try:
    privacy.warn_if_loose(get_settings().data_dir)
except SettingsError:
    pass  # the command says so itself
raise SystemExit(main())
