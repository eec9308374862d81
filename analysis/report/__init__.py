"""Excel report builder: analysis tables → workbook bytes (openpyxl)."""

from .workbook import Sheet, workbook_bytes, write_text_safe

__all__ = ["Sheet", "workbook_bytes", "write_text_safe"]
