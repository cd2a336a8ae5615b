"""Who may do what: the one table of roles, their capabilities and their reach.

Every permission of the product is read here, by the dashboard (pages, callbacks, exports) and by
the ETL's own checks (``etl.alerts``): a role is a reach (the territory it sees) and a set of
capabilities (what it may do inside that territory). Nothing else in the code names a group of
roles — ``tests/unit/test_roles.py`` greps for role tuples and role comparisons elsewhere.

Adding a role or a capability is an edit of :data:`ROLES` (and the README's table, which a test
compares with it). This module imports nothing but the standard library: views, queries and the
ETL may all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    """What a role may do, inside its reach."""

    READ_TERRITORY = "lire_territoire"      #: dashboards, maps, profiles and exports
    FOLLOW_DCAS = "suivre_dcas"             #: the DCAS work list (reading it)
    ENTER_RECORDS = "saisir"                #: the input forms and DCAS follow-up
    READ_PLANS = "lire_plans"               #: the recommendations page
    APPLY_PLANS = "appliquer_plans"         #: « Appliquer ce plan »
    COMPOSE_ALERTS = "rediger_alertes"      #: write an SMS alert (sent after validation)
    VALIDATE_ALERTS = "valider_alertes"     #: the second pair of eyes (never on one's own)
    SEE_PHONE_NUMBERS = "voir_numeros"      #: the élus' numbers in clear, contacts' opt-out
    MANAGE_ACCOUNTS = "gerer_comptes"       #: accounts (command line)


class Reach(StrEnum):
    """The territory a role sees (the scope rule, :func:`sees`)."""

    NATIONAL = "national"          #: every territory; a département only when the account has one
    DEPARTEMENT = "departement"    #: its département and what lies in it
    BRIGADE = "brigade"            #: its brigade and its brigade's communes, never its département


@dataclass(frozen=True)
class Role:
    code: str
    label: str  #: with its reach, for account lists and tooltips
    short: str  #: in a sentence (« rédigée par x (commandant) »)
    reach: Reach
    capabilities: frozenset[Capability]

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities


C = Capability
_READ = {C.READ_TERRITORY}
ROLES: dict[str, Role] = {r.code: r for r in (
    Role("prefet", "Préfet (un département, lecture)", "préfet", Reach.DEPARTEMENT,
         frozenset(_READ | {C.FOLLOW_DCAS, C.READ_PLANS})),
    Role("commandant", "Commandant de groupement (un département)", "commandant",
         Reach.DEPARTEMENT,
         frozenset(_READ | {C.FOLLOW_DCAS, C.ENTER_RECORDS, C.READ_PLANS, C.APPLY_PLANS,
                            C.COMPOSE_ALERTS, C.VALIDATE_ALERTS, C.SEE_PHONE_NUMBERS})),
    Role("brigade", "Brigade (ses formulaires et ses données)", "brigade", Reach.BRIGADE,
         frozenset(_READ | {C.FOLLOW_DCAS, C.ENTER_RECORDS, C.COMPOSE_ALERTS,
                            C.SEE_PHONE_NUMBERS})),
    Role("analyste", "Analyste (national, lecture, exports)", "analyste", Reach.NATIONAL,
         frozenset(_READ | {C.READ_PLANS})),
    Role("admin", "Administrateur", "administrateur", Reach.NATIONAL, frozenset(Capability)),
)}
del C

#: what a refusal says, per capability (French, shown to the user with the 403)
REFUSALS: dict[Capability, str] = {
    Capability.READ_TERRITORY: "Votre rôle ne donne pas accès à cette page.",
    Capability.FOLLOW_DCAS: (
        "La liste de suivi des attentes DCAS est réservée aux brigades, aux commandants de "
        "groupement, aux préfets et aux administrateurs : les chiffres des consultations DCAS "
        "sont sur les pages d'analyse."),
    Capability.ENTER_RECORDS: (
        "Lecture seule : votre rôle permet de consulter les données, pas de saisir. Les "
        "formulaires de saisie sont réservés aux brigades, aux commandants de groupement et aux "
        "administrateurs."),
    Capability.READ_PLANS: (
        "Votre rôle donne accès aux données de votre brigade : les recommandations sont "
        "réservées aux commandants de groupement, aux préfets et aux analystes."),
    Capability.APPLY_PLANS: (
        "Votre rôle permet de consulter les recommandations, pas d'appliquer un plan : seuls "
        "les commandants de groupement et les administrateurs le peuvent."),
    Capability.COMPOSE_ALERTS: (
        "Votre rôle ne permet pas de rédiger d'alerte SMS : les alertes sont rédigées par les "
        "brigades, les commandants de groupement et les administrateurs."),
    Capability.VALIDATE_ALERTS: (
        "Seul un commandant de groupement du département de l'alerte ou un administrateur peut "
        "la valider ou la refuser."),
    Capability.SEE_PHONE_NUMBERS: (
        "Lecture seule : votre rôle permet de consulter les contacts des élus (numéros "
        "masqués), pas de les modifier."),
    Capability.MANAGE_ACCOUNTS: "Seul un administrateur gère les comptes.",
}


class UnknownRole(KeyError):
    pass


def role(code: str) -> Role:
    try:
        return ROLES[code]
    except KeyError:
        raise UnknownRole(code) from None


def can(role_code: str | None, capability: Capability) -> bool:
    """Whether the role ``role_code`` has ``capability`` (False for an unknown role)."""
    found = ROLES.get(role_code) if isinstance(role_code, str) else None
    return found is not None and found.can(capability)


def reach(role_code: str) -> Reach:
    return role(role_code).reach


def roles_with(capability: Capability) -> tuple[str, ...]:
    """The roles that have ``capability``, in the table's order (for help texts and docs)."""
    return tuple(code for code, r in ROLES.items() if r.can(capability))


# --- the scope rule --------------------------------------------------------------------------

@dataclass(frozen=True)
class Holder:
    """What the scope rule needs of an account: its role and its attachment."""

    role: str
    departement: str | None = None
    brigade_id: str | None = None

    @property
    def reach(self) -> Reach:
        return reach(self.role)


def sees(holder, level: str, code: str | None, departement: str | None,
         brigade_of_commune: Callable[[str], str | None] | None = None) -> bool:
    """Whether an account (``role``, ``departement``, ``brigade_id``) sees the territory of
    ``level`` (france, region, departement, compagnie, brigade, commune) and ``code``, lying in
    ``departement`` (None for France and a région).

    National reach sees everything; département reach its département and what lies in it;
    brigade reach its brigade and its brigade's communes (``brigade_of_commune(code)``), never
    a whole département.
    """
    kind = reach(holder.role)
    if kind is Reach.NATIONAL:
        return True
    if level in ("france", "region"):
        return False
    if kind is Reach.BRIGADE:
        if level == "brigade":
            return code == holder.brigade_id
        if level == "commune" and brigade_of_commune is not None and holder.brigade_id:
            return brigade_of_commune(code) == holder.brigade_id
        return False
    return departement is not None and departement == holder.departement


def sees_departement(holder, code: str | None) -> bool:
    """Whether an account sees a whole département (``None``: the national view)."""
    kind = reach(holder.role)
    if kind is Reach.NATIONAL:
        return True
    if kind is Reach.BRIGADE:
        return False
    return code is not None and code == holder.departement


def works_nationally(holder) -> bool:
    """An account of national reach not attached to a département (an administrator with one
    works on it like a commandant)."""
    return reach(holder.role) is Reach.NATIONAL and not holder.departement


def may_review_alert(holder, alert_departement: str | None) -> bool:
    """The alerts' second pair of eyes: a validator of national reach (administrator), or of
    the alert's département (commandant). Never its author (checked where the author is
    known)."""
    if not can(holder.role, Capability.VALIDATE_ALERTS):
        return False
    return reach(holder.role) is Reach.NATIONAL or (
        alert_departement is not None and alert_departement == holder.departement)


# --- the README's table ----------------------------------------------------------------------

ROLES_TABLE_HEADER = ("| Capability | What it allows | " + " | ".join(f"`{code}`" for code in ROLES)
                      + " |")
#: what each capability allows, for the README
DESCRIPTIONS: dict[Capability, str] = {
    Capability.READ_TERRITORY: "dashboards, maps, profiles and their exports, in its reach",
    Capability.FOLLOW_DCAS: "the DCAS work list (« Suivi DCAS »)",
    Capability.ENTER_RECORDS: "the input forms (« Saisie ») and the DCAS follow-up",
    Capability.READ_PLANS: "the recommendations page",
    Capability.APPLY_PLANS: "« Appliquer ce plan »",
    Capability.COMPOSE_ALERTS: "write an SMS alert (sent once validated)",
    Capability.VALIDATE_ALERTS: "validate or refuse another's alert (its département)",
    Capability.SEE_PHONE_NUMBERS: "the élus' numbers in clear; opt a contact out",
    Capability.MANAGE_ACCOUNTS: "accounts (`python -m dashboard users`)",
}


def roles_markdown() -> str:
    """The README's table of roles: reach, then one row per capability (a test compares)."""
    rows = [ROLES_TABLE_HEADER, "|---|---|" + "---|" * len(ROLES),
            "| reach | the territory it sees | " + " | ".join(
                r.reach.value for r in ROLES.values()) + " |"]
    for capability in Capability:
        rows.append(f"| `{capability.value}` | {DESCRIPTIONS[capability]} | " + " | ".join(
            "yes" if r.can(capability) else "" for r in ROLES.values()) + " |")
    return "\n".join(rows)
