"""Excel report builder: analysis tables → workbook bytes (openpyxl)."""

from .analysis_book import analysis_sheets, analysis_workbook
from .workbook import NUMBER_FORMAT_RULES, Sheet, number_format_for, workbook_bytes, write_text_safe

__all__ = ["NUMBER_FORMAT_RULES", "Sheet", "analysis_sheets", "analysis_workbook",
           "number_format_for", "workbook_bytes", "write_text_safe"]
