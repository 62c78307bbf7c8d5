"""Spreadsheets, feature-free: the report-style .xlsx writer (`workbook`), the Vietnamese sort
order (`collation`) and the reader of uploaded lists with their blank templates (`reader`).

Shared infrastructure like `app.text`: pure (no Flask, no database), imports no feature package.
"""
