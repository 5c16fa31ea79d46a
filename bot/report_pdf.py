"""The report card as a PDF, drawn with fpdf2 (pure Python, no system libraries).

The text is the card's (bot/report.py) and is drawn as plain text, never read as markup, so what
a candidate or a grader wrote shows as written. The font is DejaVu Sans from matplotlib's own
files (a pinned dependency), which covers Latin, Greek and Cyrillic; characters it lacks (CJK,
emoji) are left out of the PDF, and the Markdown download keeps them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.report import (
    ALL_COVERED,
    NO_CLAIMS,
    NO_GAPS,
    NO_STRENGTHS,
    NOTHING_ANSWERED,
    TIMED_OUT_NOTE,
    WHERE_TO_PRACTISE,
    ReportCard,
    TopicResult,
    ended_early,
    headline,
    score_cell,
    topic_detail,
)

FONT = "DejaVu"


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def report_pdf(card: ReportCard) -> bytes:
    """The card as the bytes of a PDF (A4)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    logging.getLogger("fpdf").setLevel(logging.ERROR)  # a glyph the font lacks is left out, not logged per page
    pdf = FPDF(format="A4")
    pdf.set_title("Report card: mock interview")
    pdf.set_creator("Mock-interview coach")
    fonts = _font_dir()
    pdf.add_font(FONT, "", fonts / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.add_font(FONT, "I", fonts / "DejaVuSans-Oblique.ttf")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def text(body: str, size: float = 10, style: str = "", indent: float = 0, gap: float = 1.5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, size * 0.5, body, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    def heading(body: str) -> None:
        pdf.ln(2)
        text(body, 13, "B", gap=1)

    def bullets(items: list[str], indent: float = 4) -> None:
        for item in items:
            text(f"•  {item}", indent=indent, gap=0.8)

    def topics(found: list[TopicResult], none: str) -> None:
        bullets([f"{' · '.join(t.topics)} — {topic_detail(t)}" for t in found] or [none])

    text("Report card: mock interview", 18, "B", gap=2)
    text(" · ".join(headline(card)), 10, gap=3)
    if not card.answered:
        text(NOTHING_ANSWERED)
        return bytes(pdf.output())
    text(f"Overall: {card.overall or 0.0:.1f} / 10", 15, "B", gap=2)
    if note := ended_early(card):
        text(note, style="I")

    pdf.set_font(FONT, "", 9)
    with pdf.table(col_widths=(8, 112, 22, 48), text_align=("CENTER", "LEFT", "CENTER", "LEFT"),
                   line_height=4.5, padding=1.5) as table:
        table.row(["#", "question", "score", "points"])
        for q in card.questions:
            table.row([str(q.number), " ".join(q.question.split()), *score_cell(q)])
    pdf.ln(2)
    if any(q.timed_out for q in card.questions):
        text(TIMED_OUT_NOTE, 9, "I")

    heading("Strengths")
    topics(card.strengths, NO_STRENGTHS)
    heading("Gaps")
    topics(card.gaps, NO_GAPS)
    if card.middle:
        text("In between", style="B", gap=0.5)
        topics(card.middle, "")
    heading("What you got wrong")
    bullets([f"Question {c.number}: You said “{c.quote}” — in fact, {c.fact}" for c in card.claims] or [NO_CLAIMS])
    heading("What to practise next")
    practise = card.practise_next()
    for t, points in practise:
        text(f"•  {' · '.join(t.topics)}", style="B", indent=4, gap=0.5)
        bullets(points, indent=10)
    pdf.ln(1)
    text(WHERE_TO_PRACTISE if practise else ALL_COVERED, gap=1)
    if spoken := [q for q in card.questions if q.delivery]:
        heading("How you spoke")
        bullets([f"Question {q.number}: {q.delivery}" for q in spoken])
    return bytes(pdf.output())
