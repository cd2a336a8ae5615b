"""The source file formats, as Markdown generated from the declarations (docs/formats.md)."""

from __future__ import annotations

from etl.sources.base import Field, Source
from etl.sources.validate import NULL_TOKENS

FILE_TYPES = ("CSV séparé par `;` ou `,`, en UTF-8 avec ou sans BOM, ou Parquet (`.parquet`)")


def _headers(f: Field) -> str:
    names = [f"`{a}`" for a in f.aliases]
    if f.header_regex:
        names.append(f"tout en-tête de la forme `{f.header_regex}`")
    return ", ".join(names) or "—"


def _type(f: Field) -> str:
    text = f.doc_type().replace("|", "\\|")
    if f.not_future:
        text += (" ; pas après l'année du chargement" if f.kind == "int"
                 else " ; pas après le jour du chargement")
    return text


def _required(f: Field, source: Source) -> str:
    if f.name in source.key:
        return "oui (clé)"
    return "oui" if f.required else "non"


def source_markdown(source: Source) -> list[str]:
    out = [f"## `{source.name}`", "", source.description, "",
           f"- Table de l'entrepôt : `{source.table}`"
           + "".join(f", table fille `{c.name}`" for c in source.children),
           "- Clé naturelle : " + ", ".join(f"`{k}`" for k in source.key)
           + " (une ligne par clé : une ligne de même clé au contenu différent remplace "
           "l'ancienne)",
           f"- Fichiers acceptés : {FILE_TYPES}",
           f"- Chargement : `python -m etl load {source.name} FICHIER...`"]
    checks = [(c.__doc__ or "").strip().splitlines()[0] for c in source.row_checks
              if c.__doc__]
    if checks:
        out.append("- Contrôles entre colonnes : " + " ".join(checks))
    if source.derived:
        out.append("- Colonnes calculées au chargement : "
                   + ", ".join(f"`{c.name}` ({c.description})" for c in source.derived))
    out += ["", "| colonne | libellé du formulaire | autres en-têtes acceptés | type | obligatoire "
            "| signification |", "|---|---|---|---|---|---|"]
    for f in source.fields:
        label = f.label.replace("|", chr(92) + "|") if f.label else "—"
        out.append(f"| `{f.name}` | {label} | {_headers(f)} | {_type(f)} | "
                   f"{_required(f, source)} | {f.description.replace('|', chr(92) + '|')} |")
    if source.example:
        out += ["", "Exemple :", "", "```csv", source.example, "```"]
    out.append("")
    return out


def formats_markdown(sources: dict[str, Source] | None = None) -> str:
    """Every source's file format: description, table, key, file types, columns, example."""
    if sources is None:
        from etl.sources.registry import SOURCES

        sources = SOURCES
    nulls = ", ".join(f"`{t}`" for t in NULL_TOKENS if t) + " ou une cellule vide"
    out = ["# Formats des fichiers sources", "",
           "Généré depuis les déclarations de `etl/sources/` par `python -m etl formats` ; "
           "ne pas modifier à la main.", "",
           "## Règles communes", "",
           f"- Fichiers : {FILE_TYPES}. Le séparateur d'un CSV est celui de sa ligne d'en-tête ; "
           "les valeurs contenant le séparateur sont entre guillemets.",
           "- En-têtes : la casse, les espaces autour et un BOM sont ignorés ; l'ordre des "
           "colonnes est libre ; une colonne inconnue est ignorée ; une colonne obligatoire "
           "absente, ou présente deux fois, fait refuser tout le fichier.",
           f"- Valeur absente : {nulls}.",
           "- Nombres : virgule ou point décimal ; espaces de milliers acceptés.",
           "- Dates et années : aucune valeur future n'est acceptée. Une date, une date et heure "
           "ou un mois postérieur au jour du chargement, une année (ou un millésime) postérieure "
           "à l'année du chargement, va en quarantaine (« date dans le futur », « année dans le "
           "futur »).",
           "- Codes INSEE : 5 caractères ; un code à 4 chiffres (zéro initial perdu par un "
           "tableur) est complété (`1001` → `01001`) ; le code doit exister dans le référentiel "
           "des communes.",
           "- Une ligne invalide (encodage, nombre de colonnes, valeur illisible, hors liste, "
           "hors bornes, inconnue du référentiel, date ou année future, identifiant en double) "
           "va en quarantaine (table `quarantine` : ligne, colonne, motif en français) ; les "
           "autres lignes du fichier sont chargées.",
           "- Lignes filles : une colonne marquée « doit exister dans `table.colonne` » désigne "
           "une ligne déjà chargée (l'alerte et le destinataire d'un accusé de réception) ; "
           "chargez donc les contacts et les alertes avant les accusés, sinon ceux-ci vont en "
           "quarantaine. Recharger le fichier ensuite les charge.",
           "- Recharger le même fichier ne change rien ; une réexportation corrigée remplace les "
           "lignes de même clé. Chaque chargement est tracé dans `load_runs`.", "",
           "## Sources", ""]
    out += [f"- [`{s.name}`](#{s.name}) : table `{s.table}`"
            for s in sources.values()]
    out.append("")
    for s in sources.values():
        out += source_markdown(s)
    return "\n".join(out)
