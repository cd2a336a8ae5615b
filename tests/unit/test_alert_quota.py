"""Issue #21 item 6: the département's alert quota counts alerts sent (validated) only, never
those waiting or closed without sending, and keeps a share for the commandants: brigades' alerts
may use at most PRESENCE_ALERTS_BRIGADE_SHARE percent of it. Checked at creation and again at
validation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from etl.alerts import workflow
from etl.ops import records, store
from etl.ops.store import alertes

LIMITS = workflow.RateLimit(per_user=100, per_departement=4, brigade_share=50)


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    eng = store.get_engine(url)
    yield eng
    store._engines.pop(url).dispose()


def add(engine, n, statut, role="brigade", minutes=10):
    now = store.utcnow() - timedelta(minutes=minutes)
    sent = statut in ("validee", "envoyee")
    with engine.begin() as con:
        for _ in range(n):
            i = con.execute(insert(alertes).values(
                id_alerte=f"tmp-{statut}-{role}-{minutes}-{add.count}", version=1,
                created_at=now, created_by=f"{role}.x", author_role=role, unite_auteur="B35047",
                departement="35", categorie="autre", message="Gendarmerie : test.",
                communes="35001", faits_le=now, encoding="GSM-7", parts=1, recipients=1,
                statut=statut, validated_by="cdt.y" if sent else None,
                validated_at=now if sent else None, updated_at=now,
                idempotency_key=f"k-{add.count}")).inserted_primary_key[0]
            add.count += 1
    return f"tmp-{statut}-{role}-{minutes}-{add.count - 1}", i


add.count = 0


def refusal(engine, role, login="someone"):
    with engine.connect() as con:
        return workflow.quota_refusal(con, login=login, role=role, departement="35",
                                      limits=LIMITS, now=store.utcnow())


def test_alerts_waiting_or_closed_unsent_do_not_count(engine):
    for statut in ("a_valider", "annulee", "refusee"):
        add(engine, 10, statut)
    assert refusal(engine, "brigade") is None
    assert refusal(engine, "commandant") is None


def test_brigades_use_their_share_and_the_rest_is_kept_for_commandants(engine):
    add(engine, 2, "envoyee")
    refused = refusal(engine, "brigade")
    assert refused.startswith("trop d'alertes envoyées par les brigades (2 en une heure au "
                              "plus, 50 % du quota du département) : réessayez dans ")
    assert refusal(engine, "commandant") is None
    add(engine, 2, "validee", role="commandant")
    assert "pour le département" in refusal(engine, "commandant")
    # an hour later: the quota is free again
    with engine.begin() as con:
        con.execute(alertes.update().values(validated_at=store.utcnow() - timedelta(minutes=61)))
    assert refusal(engine, "brigade") is None


def test_a_validation_is_refused_once_the_quota_is_used(engine):
    contact = records.submit(engine, "contacts", {
        "code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 01",
        "opt_in": True, "date_opt_in": "2025-01-02", "canal_opt_in": "courriel"},
        "bta35051", lambda _v: True, "k-contact", {"35001"}, today=date(2026, 12, 5))
    assert contact.ok
    waiting, _ = add(engine, 1, "a_valider")
    add(engine, 2, "envoyee")  # the brigades' share is used
    review = {"login": "cdt.35", "role": "commandant", "departement": "35"}
    refused = workflow.validate(engine, None, waiting, limits=LIMITS, **review)
    assert not refused.ok and "par les brigades" in refused.errors["*"]
    assert workflow.get(engine, waiting)["statut"] == "a_valider"
    mine, _ = add(engine, 1, "a_valider", role="commandant")
    assert workflow.validate(engine, None, mine, limits=LIMITS, **review).ok
