"""Expiry date arithmetic for the policies the city sets (R6)."""
import datetime as dt

from dateutil.relativedelta import relativedelta

FIXED = 'fixed'
FISCAL_YEAR_END = 'fiscal_year_end'
MONTHS = 'months'


def fiscal_year(date):
    "The Japanese fiscal year (April to March) holding date, by its start year."
    return date.year if date.month >= 4 else date.year - 1


def fiscal_year_end(date, years_after=0):
    """31 March ending the fiscal year years_after the one holding date.

    years_after=0 is the end of the current fiscal year (今年度末),
    1 the end of the next (翌年度末), 2 the one after (翌々年度末).
    """
    return dt.date(fiscal_year(date) + years_after + 1, 3, 31)


def months_after(date, months):
    "The day N months after date (the last day of a shorter month)."
    return date + relativedelta(months=months)
