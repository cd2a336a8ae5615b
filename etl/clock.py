"""France's clock: the date and time the product speaks of are those of Europe/Paris, whatever
the server's time zone (often UTC). Between 22:00 or 23:00 UTC and midnight, the server's
``date.today()`` is still yesterday in France: a record dated today in Paris would be « in the
future », an alert sent this evening would land on the wrong day. Every « today » of the ETL and
the dashboard comes from here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Paris")


def utc_now() -> datetime:
    """Now, aware, in UTC (a seam for tests)."""
    return datetime.now(UTC)


def now() -> datetime:
    """Now in France, naive (the forms' and files' local times are naive Paris times)."""
    return utc_now().astimezone(LOCAL_TZ).replace(tzinfo=None)


def today() -> date:
    """Today's date in France."""
    return now().date()


def local(moment: datetime) -> datetime:
    """A time as the stores keep it (UTC, naive; or aware) in France's time, naive: what the
    interface says (« décidé le 07/12/2026 à 00:31 », not 23:31 the day before)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(LOCAL_TZ).replace(tzinfo=None)
