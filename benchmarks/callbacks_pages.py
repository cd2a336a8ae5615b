"""Callbacks of the analysis pages timed by benchmarks/callbacks.py: one function per page, each
returning (name, scope label, request body) for the national and the département scope."""

from __future__ import annotations

VUE_ENSEMBLE = [("vue-ensemble-titre", "children"), ("vue-ensemble-periodes", "children"),
                ("vue-ensemble-indicateurs", "children"), ("vue-ensemble-tableau", "children")]
TENDANCES = [("tendances-compstat-titre", "children"), ("tendances-compstat", "children"),
             ("tendances-serie-titre", "children"), ("tendances-serie", "figure"),
             ("tendances-serie-legende", "children"), ("tendances-serie-tableau", "children"),
             ("tendances-calendrier", "figure"), ("tendances-calendrier-tableau", "children"),
             ("tendances-inhabituels", "children")]
COMPARAISON = [("tendances-comparaison-titre", "children"),
               ("tendances-comparaison-synthese", "children"),
               ("tendances-comparaison", "figure"), ("tendances-comparaison-legende", "children"),
               ("tendances-comparaison-tableau", "children"),
               ("tendances-comparaison-corps", "hidden")]


def _scopes(dep: str) -> list[tuple[str, str]]:
    return [("national", "france"), ("département", f"departement:{dep}")]


def vue_ensemble(callback_body, dep: str) -> list[tuple[str, str, dict]]:
    # no debut/fin: the default period (the last 12 months with facts), as a first visit
    return [("vue d'ensemble: indicateurs", label,
             callback_body(VUE_ENSEMBLE, [("vue-ensemble-vue", "data", {"perimetre": scope})]))
            for label, scope in _scopes(dep)]


def tendances(callback_body, dep: str) -> list[tuple[str, str, dict]]:
    out = []
    for label, scope in _scopes(dep):
        state = {"perimetre": scope, "categorie": "cambriolages_logement"}
        out.append(("tendances: série, CompStat, calendrier", label,
                    callback_body(TENDANCES, [("tendances-vue", "data", state)])))
        compared = state | {"comparer": "departement:56" if dep != "56" else "departement:29"}
        out.append(("tendances: comparaison", label,
                    callback_body(COMPARAISON, [("tendances-vue", "data", compared)])))
    return out


PAGES = [vue_ensemble, tendances]


def cases(callback_body, dep: str) -> list[tuple[str, str, dict]]:
    return [case for page in PAGES for case in page(callback_body, dep)]
