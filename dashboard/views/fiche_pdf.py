"""The préfet's brief as a PDF, written on the server with fpdf2 (pure: a :class:`Brief` and its
two pictures in, PDF bytes out; nothing fetched, no browser).

A4 portrait for the brief itself (key figures and trend, then the map and the DCAS follow-up,
then alerts, trainings and immersions), A4 landscape for the table of every commune (its header
repeated on each page), then the sources. Every page repeats the territory, the generation date
and, for demo data, that the figures are synthetic. The fonts are matplotlib's DejaVu, embedded
(French accents, the narrow no-break space of French numbers, « »)."""

from __future__ import annotations

import io

import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard.views.fiche import COMMUNE_COLUMNS, Brief
from dashboard.views.fiche_charts import FONT_BOLD, FONT_REGULAR

FONT = "DejaVu"
MARGIN = 12
INK, MUTED, ACCENT = (33, 37, 41), (90, 96, 104), (31, 78, 121)
WARNING_FILL, WARNING_INK = (255, 243, 205), (102, 77, 3)
HEADER_FILL = (226, 234, 243)
STRIPE = (244, 246, 248)
SECTION_GAP = 4
#: the commune table's column widths in mm (landscape: 273 mm between the margins)
COMMUNE_WIDTHS = {"nom": 42, "population": 16, "zone_texte": 12}
PERIOD_COLUMNS = {"indicateur": "Indicateur", "courante": "Période",
                  "annee_precedente": "Un an plus tôt", "evolution_annee": "Évolution"}


class _Document(FPDF):
    def __init__(self, brief: Brief) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.brief = brief
        self.add_font(FONT, "", str(FONT_REGULAR))
        self.add_font(FONT, "B", str(FONT_BOLD))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(brief.title)
        self.set_author("Présents pour les élus — tableau de bord territorial")
        self.set_subject(brief.period_text)
        self.set_creator("Présents pour les élus")
        self.set_lang("fr-FR")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.brief.title, new_x="LMARGIN", new_y="NEXT")
        if self.brief.synthetic:
            self.set_text_color(*WARNING_INK)
            self.cell(0, 4, "Données de démonstration : chiffres synthétiques, pas réels.",
                      new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.brief.title} · {self.brief.generated}", align="L")
        self.cell(0, 4, f"page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(*INK)


# --- pieces ------------------------------------------------------------------------------------

def _heading(pdf: _Document, text: str, needs: float = 30) -> None:
    """A section title, on a new page when the section's start would not fit."""
    if pdf.will_page_break(needs):
        pdf.add_page()
    pdf.ln(SECTION_GAP)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*ACCENT)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(*INK)


def _lines(pdf: _Document, lines: list[tuple[str, str]]) -> None:
    """« label : value » lines, the label in bold."""
    for name, value in lines:
        pdf.set_font(FONT, "B", 9)
        pdf.write(5, f"{name} : ")
        pdf.set_font(FONT, "", 9)
        pdf.write(5, value)
        pdf.ln(5)


def _note(pdf: _Document, text: str, size: float = 8) -> None:
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _banner(pdf: _Document, text: str) -> None:
    pdf.set_fill_color(*WARNING_FILL)
    pdf.set_text_color(*WARNING_INK)
    pdf.set_font(FONT, "B", 8.5)
    pdf.multi_cell(0, 4.5, text, fill=True, border=0, padding=2, new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(1)


def _table(pdf: _Document, frame: pd.DataFrame, columns: dict[str, str],
           widths: list[float] | None = None, size: float = 8, empty: str = "") -> None:
    """A table whose header repeats after a page break; text columns left, figures right."""
    if frame.empty:
        _note(pdf, empty)
        return
    pdf.set_font(FONT, "", size)
    pdf.set_fill_color(*STRIPE)
    headings = FontFace(emphasis="BOLD", fill_color=HEADER_FILL)
    align = ["LEFT"] + ["RIGHT" if _numeric(frame[c]) else "LEFT" for c in list(columns)[1:]]
    with pdf.table(col_widths=widths, headings_style=headings, line_height=size * 0.5,
                   text_align=align, repeat_headings=1, borders_layout="HORIZONTAL_LINES",
                   cell_fill_color=STRIPE, cell_fill_mode="ROWS", padding=(0.6, 1)) as table:
        table.row(list(columns.values()))
        for record in frame[list(columns)].itertuples(index=False, name=None):
            table.row(["" if v is None else str(v) for v in record])


def _numeric(column: pd.Series) -> bool:
    """A column of figures as text (« 1 234 », « +3,2 % », « — »)."""
    texts = [str(v) for v in column if str(v) not in ("", "—")]
    return bool(texts) and all(t[:1].isdigit() or t[:1] in "+\u2212" for t in texts)


def _image(pdf: _Document, png: bytes | None, width: float, height: float, alt: str) -> None:
    if png is None:
        return
    if pdf.will_page_break(height):
        pdf.add_page()
    pdf.image(io.BytesIO(png), x=pdf.l_margin, y=pdf.get_y(), w=width, h=height,
              alt_text=alt)
    pdf.set_y(pdf.get_y() + height + 1)


# --- the document ------------------------------------------------------------------------------

def _first_page(pdf: _Document, brief: Brief, trend_png: bytes | None) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 5, "PRÉSENTS POUR LES ÉLUS · FICHE PRÉFET", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, brief.label, new_x="LMARGIN", new_y="NEXT")
    _note(pdf, f"{brief.period_text} {brief.generated}.", size=8.5)
    pdf.ln(2)
    if brief.synthetic:
        _banner(pdf, brief.synthetic)
    _heading(pdf, "Le territoire", needs=20)
    _lines(pdf, brief.territory)
    _heading(pdf, "Chiffres clés : la période et un an plus tôt", needs=40)
    for section, part in brief.key_figures.groupby("section", sort=False):
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*ACCENT)
        if pdf.will_page_break(12):
            pdf.add_page()
        pdf.cell(0, 6, str(section), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        _table(pdf, part, PERIOD_COLUMNS, widths=[96, 30, 30, 30], size=7.5)
    _heading(pdf, "Tendance : faits enregistrés chaque mois", needs=70)
    _image(pdf, trend_png, 186, 64, "Faits enregistrés par mois de la période et un an plus "
                                    "tôt (le tableau des chiffres clés donne les totaux).")


def document(brief: Brief, trend_png: bytes | None, map_png: bytes | None) -> bytes:
    """The PDF of ``brief`` with its trend chart and its map (PNG, or None)."""
    pdf = _Document(brief)
    _first_page(pdf, brief, trend_png)
    if map_png is not None:
        _heading(pdf, "Carte des communes", needs=150)
        _image(pdf, map_png, 186, 155, brief.map_title)
        _note(pdf, "Gris clair : commune de la zone police sans valeur ; gris foncé : aucune "
                   "valeur. Le tableau des communes en fin de fiche donne chaque valeur.")
    _heading(pdf, "Suivi des attentes DCAS des élus", needs=45)
    _lines(pdf, brief.dcas)
    pdf.ln(1)
    _table(pdf, brief.dcas_overdue, {"commune": "Commune", "date": "Consultation",
                                     "age": "Âge (jours)", "priorite": "Priorité",
                                     "themes": "Attentes"},
           widths=[40, 24, 18, 18, 86], size=7.5,
           empty="Aucune attente en retard.")
    _heading(pdf, "Alertes SMS envoyées aux élus", needs=45)
    _lines(pdf, brief.alerts)
    pdf.ln(1)
    _table(pdf, brief.alerts_list, {"date": "Date", "categorie": "Catégorie",
                                    "communes": "Communes ciblées", "sms": "SMS remis"},
           widths=[30, 70, 40, 40], size=7.5, empty="Aucune alerte envoyée sur la période.")
    _heading(pdf, "Formations et immersions", needs=40)
    _lines(pdf, brief.engagement)
    _communes(pdf, brief)
    _heading(pdf, "Sources et méthode", needs=30)
    for line in brief.sources:
        _note(pdf, line)
        pdf.ln(1)
    return bytes(pdf.output())


def _communes(pdf: _Document, brief: Brief) -> None:
    pdf.add_page(orientation="L")
    _heading(pdf, f"Toutes les communes : chaque indicateur ({len(brief.communes)} communes)",
             needs=0)
    _note(pdf, brief.period_text + " « — » : sans valeur (zone police pour les indicateurs de "
               "l'opération, trop peu de faits pour une évolution, aucune note…).")
    pdf.ln(1)
    rest = len(COMMUNE_COLUMNS) - len(COMMUNE_WIDTHS)
    other = (pdf.w - 2 * MARGIN - sum(COMMUNE_WIDTHS.values())) / rest
    _grid(pdf, brief.communes, COMMUNE_COLUMNS,
          [COMMUNE_WIDTHS.get(c, other) for c in COMMUNE_COLUMNS])


def _fitted(pdf: _Document, text: str, width: float) -> str:
    """``text`` cut with « … » to fit ``width``."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _grid_header(pdf: _Document, columns: dict[str, str], widths: list[float],
                 right: list[bool], size: float) -> None:
    size -= 0.5  # the headers' longest words fit their columns
    pdf.set_font(FONT, "B", size)
    pdf.set_fill_color(*HEADER_FILL)
    top, x = pdf.get_y(), pdf.l_margin
    height = 3 * size * 0.42 + 1.5
    pdf.rect(x, top, sum(widths), height, style="F")
    for label, width, align in zip(columns.values(), widths, right, strict=True):
        pdf.set_xy(x, top + 0.5)
        pdf.multi_cell(width, size * 0.42, label, align="R" if align else "L", padding=(0, 1))
        x += width
    pdf.set_xy(pdf.l_margin, top + height)


def _grid(pdf: _Document, frame: pd.DataFrame, columns: dict[str, str], widths: list[float],
          size: float = 6.5) -> None:
    """A long table of one-line rows, drawn cell by cell with ``text`` (fpdf2's tables take
    ~2 ms a cell: 5,000 cells of a département's communes took 10 s); striped rows, the
    header again on each page."""
    right = [_numeric(frame[c]) for c in columns]
    right[0] = False
    _grid_header(pdf, columns, widths, right, size)
    row, pad = size * 0.5 + 0.6, 1.0
    pdf.set_fill_color(*STRIPE)
    for i, record in enumerate(frame[list(columns)].itertuples(index=False, name=None)):
        if pdf.will_page_break(row):
            pdf.add_page(orientation="L")
            _grid_header(pdf, columns, widths, right, size)
            pdf.set_fill_color(*STRIPE)
        top, x = pdf.get_y(), pdf.l_margin
        if i % 2:
            pdf.rect(x, top, sum(widths), row, style="F")
        pdf.set_font(FONT, "", size)
        for value, width, align in zip(record, widths, right, strict=True):
            text = _fitted(pdf, "" if value is None else str(value), width - 2 * pad)
            left = x + width - pad - pdf.get_string_width(text) if align else x + pad
            pdf.text(left, top + row * 0.72, text)
            x += width
        pdf.set_y(top + row)
