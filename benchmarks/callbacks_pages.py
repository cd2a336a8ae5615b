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


CARTE = [("carte-carte", "figure"), ("carte-titre", "children"), ("carte-info", "children"),
         ("carte-legende-gris", "children"), ("carte-legende", "children"),
         ("carte-dessin", "data")]
CARTE_CONTROLS = ("categorie", "comparaison", "theme", "ssmsi", "annee")


def carte(callback_body, dep: str) -> list[tuple[str, str, dict]]:
    """The map callback (the first map of a page comes with its layout; this one redraws it
    for a new indicator): facts per 1,000 inhabitants and DCAS satisfaction."""
    out = []
    for label, scope, maille in (("national", "france", "brigade"),
                                 ("national", "france", "departement"),
                                 ("département", f"departement:{dep}", "commune"),
                                 ("département", f"departement:{dep}", "brigade")):
        for indicator in ("faits_taux", "satisfaction"):
            inputs = [("carte-vue", "data", {"perimetre": scope, "maille": maille}),
                      ("carte-indicateur", "value", indicator),
                      *[(f"carte-{c}", "value", None) for c in CARTE_CONTROLS]]
            out.append((f"carte: {maille}s, {indicator}", label,
                        callback_body(CARTE, inputs, [("carte-dessin", "data", None)])))
    return out


def profils(callback_body, dep: str) -> list[tuple[str, str, dict]]:
    """The commune and brigade profiles' figures and sections (a département's unit: the
    profiles have no national scope). For Ille-et-Vilaine in the demo warehouse: Vitré, and
    the brigade of Pacé (10 communes, 62,000 inhabitants: among the département's largest)."""
    commune, brigade = ("35360", "B35210") if dep == "35" else (None, None)
    if commune is None:
        return []
    return [
        ("profil commune: chiffres et sections", "département",
         callback_body([("fiche-commune-chiffres", "children"),
                        ("fiche-commune-sections", "children")],
                       [("fiche-commune-vue", "data", {"perimetre": f"commune:{commune}"})])),
        ("profil brigade: chiffres et sections", "département",
         callback_body([("fiche-brigade-chiffres", "children"),
                        ("fiche-brigade-sections", "children")],
                       [("fiche-brigade-vue", "data", {"perimetre": f"brigade:{brigade}"})])),
    ]


PAGES = [vue_ensemble, tendances, carte, profils]


def carte_page(page_body, dep: str) -> list[tuple[str, str, dict]]:
    """The Carte page rendered by the router, with its first map (facts per 1,000 inhabitants
    over the default period)."""
    return [("carte: page (1re carte comprise)", label, page_body("/carte", search))
            for label, search in (("national", "?perimetre=france&maille=brigade"),
                                  ("département",
                                   f"?perimetre=departement:{dep}&maille=commune"))]


def cases(callback_body, page_body, dep: str) -> list[tuple[str, str, dict]]:
    return ([case for page in PAGES for case in page(callback_body, dep)]
            + carte_page(page_body, dep))
