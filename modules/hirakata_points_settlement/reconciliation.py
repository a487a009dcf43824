"""The reconciliation of a settlement period (issue 13): for each store and
programme, the ledger's movements of the month (grants in, redemptions
out, a cancellation under its original) against the sum of the invoice
lines made for them (owed to the operator positive; fees apart), and the
difference, which is zero when the month is right. A spreadsheet (XLSX)
through Tryton's report engine, for accountants and the auditor."""
from collections import defaultdict
from decimal import Decimal

from trytond.pool import Pool

from .period import month_movements
from .statement import SpreadsheetReport

POINT_KINDS = {'grant', 'redeem'}


def ledger_by_source(period):
    "{(store id, programme id): points owed to the operator} of the month."
    totals = defaultdict(int)
    for (kind, store, programme), points in month_movements(
            period.start_date, period.end_date).items():
        if kind in POINT_KINDS:
            totals[store, programme] += points
    return totals


def invoiced_by_source(period):
    """{(store id, programme id): signed amount} of the period's invoice
    lines for points (a supplier invoice's lines are owed by the
    operator)."""
    totals = defaultdict(Decimal)
    for invoice in period.invoices:
        sign = 1 if invoice.type == 'out' else -1
        for line in invoice.lines:
            source = line.hirakata_line
            if source and not source.is_fee:
                totals[source.store and source.store.id,
                    source.programme and source.programme.id] += (
                    sign * line.amount)
    return totals


def reconciliation(period):
    """[(store, programme, ledger points, invoiced yen, difference)] of
    period, the city's programmes first, then the stores, by name."""
    pool = Pool()
    Store = pool.get('hirakata.store')
    Programme = pool.get('hirakata.programme')
    ledger = ledger_by_source(period)
    invoiced = invoiced_by_source(period)
    rows = []
    for store_id, programme_id in set(ledger) | set(invoiced):
        points = ledger.get((store_id, programme_id), 0)
        amount = invoiced.get((store_id, programme_id), Decimal(0))
        if not points and not amount:
            continue
        rows.append((Store(store_id) if store_id else None,
                Programme(programme_id) if programme_id else None,
                points, amount, amount - points))
    return sorted(rows, key=lambda r: (r[0] is not None,
            (r[0] or r[1]).rec_name if (r[0] or r[1]) else ''))


class ReconciliationSpreadsheet(SpreadsheetReport):
    "A period's reconciliation of invoices with the ledger (XLSX)."
    __name__ = 'hirakata.settlement.reconciliation'

    @classmethod
    def write_sheet(cls, book, period):
        title = book.add_format({'bold': True, 'font_size': 14})
        head = book.add_format({'bold': True, 'bg_color': '#DDDDDD',
                'border': 1})
        cell = book.add_format({'border': 1})
        yen = book.add_format({'num_format': '#,##0', 'border': 1})
        yen_bold = book.add_format({'num_format': '#,##0', 'bold': True,
                'border': 1})
        sheet = book.add_worksheet(period.rec_name)
        sheet.set_column(0, 1, 30)
        sheet.set_column(2, 4, 18)
        sheet.write(0, 0, "精算照合表 %s" % period.rec_name, title)
        sheet.write(1, 0, "請求明細（手数料を除く）と台帳の当月の動き"
            "（付与は運営会社への債権、利用は債務、取消は元の取引に計上）")
        rows = reconciliation(period)
        matched = all(not r[4] for r in rows)
        sheet.write(2, 0, "結果")
        sheet.write(2, 1, "一致" if matched else "不一致")
        sheet.write_row(4, 0, ["協力店舗", "事業", "台帳（ポイント）",
                "請求明細（円）", "差額（円）"], head)
        for number, (store, programme, points, amount, difference) in (
                enumerate(rows, 5)):
            sheet.write(number, 0, store.rec_name if store else '', cell)
            sheet.write(number, 1, programme.rec_name if programme else '',
                cell)
            sheet.write_number(number, 2, points, yen)
            sheet.write_number(number, 3, int(amount), yen)
            sheet.write_number(number, 4, int(difference), yen)
        total = len(rows) + 5
        sheet.write(total, 0, "合計", head)
        sheet.write(total, 1, '', head)
        for column, index in [(2, 2), (3, 3), (4, 4)]:
            sheet.write_number(total, column,
                int(sum(r[index] for r in rows)), yen_bold)
