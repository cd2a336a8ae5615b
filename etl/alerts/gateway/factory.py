"""The gateway the settings name (``PRESENCE_SMS_GATEWAY``), and its description."""

from __future__ import annotations

from pathlib import Path

from etl.alerts.gateway.base import Gateway
from etl.alerts.gateway.http import HttpGateway
from etl.alerts.gateway.simulated import SimulatedGateway
from etl.alerts.gateway.smpp import SmppGateway


def simulated_path(settings) -> Path:
    return Path(settings.data_dir) / "sms-simule.sqlite"


def sent_log_path(settings) -> Path:
    return Path(settings.data_dir) / "sms-envoyes.sqlite"


def gateway_from_settings(settings) -> Gateway:
    """The gateway ``PRESENCE_SMS_GATEWAY`` names, configured from the settings
    (``etl.settings.SettingsError``, in French, when one it needs is missing)."""
    from etl.settings import SettingsError

    kind = getattr(settings, "sms_gateway", "simulated")
    rate = float(getattr(settings, "sms_rate", 50) or 50)
    if kind == "simulated":
        return SimulatedGateway(simulated_path(settings))
    if kind == "http":
        if not settings.sms_url:
            raise SettingsError("PRESENCE_SMS_URL est obligatoire avec "
                                "PRESENCE_SMS_GATEWAY=http.")
        try:
            return HttpGateway(settings.sms_url, settings.sms_user, settings.sms_password,
                               rate, sender=settings.sms_source,
                               sent_log=sent_log_path(settings))
        except ValueError as exc:
            raise SettingsError(f"PRESENCE_SMS_URL : {exc}.") from exc
    if kind == "smpp":
        if not settings.sms_host:
            raise SettingsError("PRESENCE_SMS_HOST est obligatoire avec "
                                "PRESENCE_SMS_GATEWAY=smpp.")
        return SmppGateway(settings.sms_host, settings.sms_port, settings.sms_user,
                           settings.sms_password, settings.sms_source, rate_per_second=rate,
                           sent_log=sent_log_path(settings))
    raise SettingsError(f"PRESENCE_SMS_GATEWAY inconnu : {kind}")


def describe(gateway) -> str:
    """The gateway in a few French words, for the worker's first line."""
    if isinstance(gateway, SimulatedGateway):
        return f"passerelle simulée ({gateway.path})"
    if isinstance(gateway, HttpGateway):
        return f"passerelle HTTP ({gateway.url})"
    if isinstance(gateway, SmppGateway):
        return f"passerelle SMPP ({gateway.host}:{gateway.port})"
    return type(gateway).__name__
