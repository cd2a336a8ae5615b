"""Élus' alert contacts (personal data): commune, function, phone, opt-in with its date and
channel. No names are kept.

A file of contacts is loaded as any source; a contact is also a form source (the operational
store's ``saisie_contacts``, ``etl.ops.records``), which is how an opt-out is recorded at once
(``etl.alerts.contacts.opt_out``). Numbers are parsed with ``phonenumbers`` and stored in
E.164 (``etl.sources.phones``); the alerts go by SMS, so a number must be a mobile's: a
landline, a premium-rate or any other number that cannot receive an SMS is refused with its
reason (quarantined in a file, a field error in the form).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.sources.phones import normalise_phone, sms_refusal

FONCTIONS_CONTACT = ("maire", "adjoint", "conseiller_municipal", "secretaire_mairie")
#: how the élu agreed to receive SMS alerts
CANAUX_OPT_IN = ("formulaire_papier", "courriel", "application_gendelus", "entretien_mairie")
BAD_PHONE = "numéro de téléphone invalide (format français attendu)"


def _phone(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers in E.164; one that cannot be read is kept as written, for the check to name."""
    if "telephone" in frame:
        frame["telephone"] = frame["telephone"].map(
            lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)
    return frame


def _phone_check(frame, _known):
    """The number is a valid French one, in E.164, and a mobile's (an SMS reaches it)."""
    valid = frame["telephone"].map(lambda v: isinstance(v, str) and normalise_phone(v) == v)
    bad = frame["telephone"].notna() & ~valid
    refusals = frame["telephone"].where(valid).map(
        lambda v: sms_refusal(v) if isinstance(v, str) else None)
    return [(bad, "telephone", BAD_PHONE)] + [
        (refusals == reason, "telephone", reason)
        for reason in sorted(refusals.dropna().unique())]


CONTACTS = Source(
    name="contacts",
    table="elu_contacts",
    description="Alert contacts of élus (personal data: access restricted; no names). Demo "
    "numbers are in the ranges ARCEP reserves for fiction.",
    fields=(
        F("id_contact", "code", "Contact id", label="Identifiant du contact"),
        F("code_commune", "insee", "Commune", label="Commune"),
        F("fonction", "enum", "Function", enum=FONCTIONS_CONTACT, label="Fonction de l'élu"),
        F("telephone", "text", "Mobile number (an SMS reaches it; a landline is refused), "
          "stored in E.164 (+33…)", label="Numéro de téléphone mobile"),
        F("opt_in", "bool", "Agreed to receive SMS alerts",
          label="Accepte de recevoir les alertes SMS"),
        F("date_opt_in", "date", "Date of the agreement", required=False, not_future=True,
          label="Date de l'accord"),
        F("canal_opt_in", "enum", "Channel through which the agreement was given",
          enum=CANAUX_OPT_IN, required=False, label="Canal de l'accord"),
    ),
    key=("id_contact",),
    normalise=_phone,
    row_checks=(_phone_check,),
    example="id_contact;code_commune;fonction;telephone;opt_in;date_opt_in;canal_opt_in\n"
    "CT-35001-1;35001;maire;06 39 98 00 01;oui;2024-11-02;formulaire_papier",
)

#: the contacts as a form source (``etl.ops.record_tables.FORM_SOURCES``): the same
#: declaration, but for the example, whose id gives the format of the ids the store makes for
#: the contacts entered through the forms (``CT-S000001``: ``etl.ops.records.make_id``); the
#: files' ids (``CT-35001-1``) have no number of their own to make one from
CONTACTS_FORM = replace(
    CONTACTS,
    example="id_contact;code_commune;fonction;telephone;opt_in;date_opt_in;canal_opt_in\n"
    "CT-000042;35001;maire;06 39 98 00 01;oui;2024-11-02;formulaire_papier")
