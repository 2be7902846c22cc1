"""Synthetic annual reports with known numbers, rendered as txt, HTML and Word (for round-trip tests)."""
from synth.render import ReportSpec, consistent_cells, default_template, render_docx, render_html, render_txt

__all__ = ["ReportSpec", "consistent_cells", "default_template", "render_docx", "render_html", "render_txt"]
