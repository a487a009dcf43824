"""Lists the city sends as CSV (UTF-8) or XLSX, read as rows."""
import csv
import io


def read_rows(data, filename):
    """The file's rows as dicts keyed by the header's names, lower case,
    every value a stripped string (an XLSX date as YYYY-MM-DD…)."""
    if (filename or '').lower().endswith('.xlsx'):
        import openpyxl
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
            data_only=True).active
        rows = [[('' if v is None else str(v)).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)]
    else:
        text = data.decode('utf-8-sig')
        rows = [[v.strip() for v in row] for row in csv.reader(
                io.StringIO(text))]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = [h.lower() for h in rows[0]]
    return [dict(zip(header, row)) for row in rows[1:]]
