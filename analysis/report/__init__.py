"""Excel report builder: analysis tables → workbook bytes (openpyxl)."""

from .analysis_book import analysis_sheets, analysis_workbook
from .workbook import Sheet, workbook_bytes, write_text_safe

__all__ = ["Sheet", "analysis_sheets", "analysis_workbook", "workbook_bytes", "write_text_safe"]
