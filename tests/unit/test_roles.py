"""The one table of permissions (etl.roles): what each role may do, its reach, and that no other
module keeps a list of roles of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl import roles
from etl.roles import Capability as C
from etl.roles import Holder, Reach

ROOT = Path(__file__).resolve().parents[2]

#: the product's permissions as the README states them: a change to etl.roles must be a
#: decision (this table changes with it), never an accident
EXPECTED = {
    "prefet": {C.READ_TERRITORY, C.FOLLOW_DCAS, C.READ_PLANS},
    "commandant": {C.READ_TERRITORY, C.FOLLOW_DCAS, C.ENTER_RECORDS, C.READ_PLANS,
                   C.APPLY_PLANS, C.COMPOSE_ALERTS, C.VALIDATE_ALERTS, C.SEE_PHONE_NUMBERS},
    "brigade": {C.READ_TERRITORY, C.FOLLOW_DCAS, C.ENTER_RECORDS, C.COMPOSE_ALERTS,
                C.SEE_PHONE_NUMBERS},
    "analyste": {C.READ_TERRITORY, C.READ_PLANS},
    "admin": set(C),
}


def test_each_role_has_exactly_its_capabilities():
    assert set(roles.ROLES) == set(EXPECTED)
    for code, wanted in EXPECTED.items():
        assert set(roles.ROLES[code].capabilities) == wanted, code
        for capability in C:
            assert roles.can(code, capability) is (capability in wanted)
    assert not roles.can("inconnu", C.READ_TERRITORY) and not roles.can(None, C.READ_TERRITORY)
    assert roles.roles_with(C.APPLY_PLANS) == ("commandant", "admin")
    assert set(roles.REFUSALS) == set(C)  # every refusal has its French sentence


def test_the_scope_rule():
    brigade = Holder("brigade", "35", "B1")
    commandant, prefet = Holder("commandant", "35"), Holder("prefet", "35")
    analyste = Holder("analyste")

    def brigade_of(code):
        return {"35001": "B1", "35002": "B2"}.get(code)

    for national in (analyste, Holder("admin")):
        assert roles.sees(national, "france", None, None)
        assert roles.sees_departement(national, "2A") and roles.works_nationally(national)
    assert not roles.works_nationally(Holder("admin", "35"))
    for dep_role in (commandant, prefet):
        assert roles.sees(dep_role, "departement", "35", "35")
        assert roles.sees(dep_role, "brigade", "B2", "35")
        assert not roles.sees(dep_role, "departement", "22", "22")
        assert not roles.sees(dep_role, "region", "53", None)
        assert roles.sees_departement(dep_role, "35") and not roles.sees_departement(dep_role,
                                                                                     None)
    assert roles.sees(brigade, "brigade", "B1", "35")
    assert not roles.sees(brigade, "brigade", "B2", "35")
    assert roles.sees(brigade, "commune", "35001", "35", brigade_of)
    assert not roles.sees(brigade, "commune", "35002", "35", brigade_of)
    assert not roles.sees(brigade, "departement", "35", "35")
    assert not roles.sees_departement(brigade, "35")
    assert [r.reach for r in roles.ROLES.values()] == [
        Reach.DEPARTEMENT, Reach.DEPARTEMENT, Reach.BRIGADE, Reach.NATIONAL, Reach.NATIONAL]


@pytest.mark.parametrize(("holder", "alert_dep", "expected"), [
    (Holder("commandant", "35"), "35", True), (Holder("commandant", "35"), "22", False),
    (Holder("admin"), "22", True), (Holder("brigade", "35", "B1"), "35", False),
    (Holder("prefet", "35"), "35", False), (Holder("analyste"), "35", False),
])
def test_who_reviews_an_alert(holder, alert_dep, expected):
    assert roles.may_review_alert(holder, alert_dep) is expected


_ROLE = r"""["'](?:prefet|commandant|brigade|analyste|admin)["']"""
#: a group of two role names or more (tuple, list, set), a role compared with a name or a group
FORBIDDEN = [
    re.compile(_ROLE + r"\s*,\s*" + _ROLE),
    re.compile(r"\brole\s*(?:==|!=)\s*" + _ROLE),
    re.compile(_ROLE + r"\s*(?:==|!=)\s*[\w.]*\brole\b"),
    re.compile(r"\brole\s+(?:not\s+)?in\s+(?:[(\[{]|(?!ROLES\b|ROLE_TABLE\b)[A-Z])"),
]


def test_no_role_list_outside_the_table():
    """Permissions are read from etl.roles only: no module keeps a group of roles of its own,
    or compares a role with a name (a new role or capability would miss it)."""
    found = []
    for folder in ("dashboard", "etl", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "etl" / "roles.py" or "migrations" in path.parts \
                    or "demo" in path.parts:
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if any(p.search(code) for p in FORBIDDEN):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "role lists or role comparisons outside etl/roles.py:\n" + "\n".join(found)


def test_the_grep_catches_what_it_forbids():
    for line in ['WRITERS = ("brigade", "commandant", "admin")', 'if user.role == "brigade":',
                 'if role in ("prefet", "commandant"):', 'ok = user.role not in READERS',
                 '"admin" == user.role']:
        assert any(p.search(line) for p in FORBIDDEN), line
    for line in ['if user.by_brigade:', 'level == "brigade"', 'kind in ("insee", "brigade")']:
        assert not any(p.search(line) for p in FORBIDDEN), line


def test_the_readme_table_is_the_declared_one():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert roles.roles_markdown() in readme, "README's roles table is stale: paste " \
        "etl.roles.roles_markdown()"
