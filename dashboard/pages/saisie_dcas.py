"""Page « Saisie » — a DCAS consultation: what an élu expects from the gendarmerie (themes,
priority, preferred time slots) and the follow-up decided. The form is built from the source's
declaration (``etl/sources/dcas.py``); its brigade is the user's (a brigade) or the commune's (a
commandant), never a value from the browser. The rest is every form page's
(``_formulaire.FormPage``: roles, ids, submission).
"""

from __future__ import annotations

from dashboard.pages import _formulaire as formulaire
from etl import clock
from etl.sources.dcas import DCAS


def _defaults(_user) -> dict:
    return {"statut": "a_traiter", "date_consultation": clock.today().isoformat()}


PAGE = formulaire.register_page(
    __name__, "dcas", DCAS, path="/saisie/dcas", name="Saisie", order=7, nav=True,
    description="Enregistrer une consultation d'élu (DCAS) : attentes par thème, priorité, "
                "créneaux souhaités et suivi ; les autres formulaires de saisie.",
    title="Saisie d'une consultation DCAS", heading="Consultation", defaults=_defaults,
    intro="Une consultation par élu rencontré. Les champs marqués « obligatoire » sont à "
          "remplir ; l'identifiant de la consultation est attribué à l'enregistrement.",
    said=formulaire.saying("Consultation enregistrée", "Consultation déjà enregistrée"))
layout = PAGE.layout
