#!/usr/bin/python3
"""Prints every sheet of an .xlsx workbook as JSON, for tests that read workbooks back.

usage: read_xlsx.py FILE.xlsx

{"sheets": ["Summary", ...],
 "Summary": {"rows": [[cell, ...], ...],     # values as stored: formulas as "=SUM(...)" text
             "cached": [[cell, ...], ...],   # the cached results of formulas instead
             "types": [["s", "n", "d", "f", "b", null], ...],   # openpyxl's data_type per cell
             "formats": [["General", "dd-mm-yyyy", ...], ...],  # number formats
             "freeze": "A2", "autofilter": "A1:F4"}}
Dates are written as "YYYY-MM-DD" (with "THH:MM:SS" when they carry a time).
"""
import datetime
import json
import sys

import openpyxl


def plain(value):
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def main():
    path = sys.argv[1]
    stored = openpyxl.load_workbook(path, data_only=False)
    cached = openpyxl.load_workbook(path, data_only=True)
    out = {"sheets": stored.sheetnames}
    for name in stored.sheetnames:
        ws, wc = stored[name], cached[name]
        rows, values, types, formats = [], [], [], []
        for row_s, row_c in zip(ws.iter_rows(), wc.iter_rows()):
            rows.append([plain(c.value) for c in row_s])
            values.append([plain(c.value) for c in row_c])
            types.append([c.data_type if c.value is not None else None for c in row_s])
            formats.append([c.number_format for c in row_s])
        out[name] = {
            "rows": rows,
            "cached": values,
            "types": types,
            "formats": formats,
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
