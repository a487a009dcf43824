"""The reconciliation of a settlement period (issue 13): for each store,
programme, transit operator and community project, the ledger's movements
of the month (grants in; redemptions, exchanges, donations and the expired
points allocated out; a cancellation under its original) against the sum
of the invoice lines made for them (owed to the operator positive; fees
apart), and the difference, which is zero when the month is right. A
spreadsheet (XLSX) through Tryton's report engine, for accountants and the
auditor."""
from collections import defaultdict
from decimal import Decimal

from trytond.pool import Pool

from .community import month_community
from .exchange import month_exchanges
from .period import month_movements
from .statement import SpreadsheetReport

POINT_KINDS = {'grant', 'redeem'}


def ledger_by_source(period):
    """{(store id, programme id, transit operator's party id, community
    project id): points owed to the operator} of the month."""
    totals = defaultdict(int)
    for (kind, store, programme), points in month_movements(
            period.start_date, period.end_date).items():
        if kind in POINT_KINDS:
            totals[store, programme, None, None] += points
    for operator, points in month_exchanges(
            period.start_date, period.end_date).items():
        totals[None, None, operator, None] -= points
    for (_, project), points in month_community(
            period.start_date, period.end_date).items():
        totals[None, None, None, project] -= points
    return totals


def invoiced_by_source(period):
    """{(store id, programme id, transit operator's party id, community
    project id): signed amount} of the period's invoice lines for points
    (a supplier invoice's lines are owed by the operator)."""
    totals = defaultdict(Decimal)
    for invoice in period.invoices:
        sign = 1 if invoice.type == 'out' else -1
        for line in invoice.lines:
            source = line.hirakata_line
            if source and not source.is_fee:
                operator = (source.party.id
                    if source.category == 'transit_exchange' else None)
                totals[source.store and source.store.id,
                    source.programme and source.programme.id,
                    operator,
                    source.project and source.project.id,
                    ] += sign * line.amount
    return totals


def reconciliation(period):
    """[(store, programme, transit operator, community project, ledger
    points, invoiced yen, difference)] of period: the city's programmes,
    the transit operators and the projects, then the stores, by name."""
    pool = Pool()
    Store = pool.get('hirakata.store')
    Programme = pool.get('hirakata.programme')
    Party = pool.get('party.party')
    Project = pool.get('hirakata.community.project')
    ledger = ledger_by_source(period)
    invoiced = invoiced_by_source(period)
    rows = []
    for key in set(ledger) | set(invoiced):
        points = ledger.get(key, 0)
        amount = invoiced.get(key, Decimal(0))
        if not points and not amount:
            continue
        rows.append(tuple(Model(id_) if id_ else None
                for Model, id_ in zip([Store, Programme, Party, Project],
                    key)) + (points, amount, amount - points))
    return sorted(rows, key=lambda r: (r[0] is not None,
            next((x.rec_name for x in r[:4] if x), '')))


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
        sheet = cls.add_sheet(book, period.rec_name, landscape=True)
        sheet.set_column(0, 3, 26)
        sheet.set_column(4, 6, 16)
        sheet.write(0, 0, "精算照合表 %s" % period.rec_name, title)
        sheet.write(1, 0, "請求明細（手数料を除く）と台帳の当月の動き"
            "（付与は運営会社への債権、利用・交換・寄付・配分は債務、"
            "取消は元の取引に計上）")
        rows = reconciliation(period)
        matched = all(not r[6] for r in rows)
        sheet.write(2, 0, "結果")
        if period.state != 'confirmed':
            # no invoice before confirming: nothing to reconcile yet
            sheet.write(2, 1, "未確定（請求書は確定時に作成されます。"
                "確定後に照合してください）")
        else:
            sheet.write(2, 1, "一致" if matched else "不一致")
        sheet.write_row(4, 0, ["協力店舗", "事業", "交通事業者",
                "地域貢献事業", "台帳（ポイント）", "請求明細（円）",
                "差額（円）"], head)
        for number, row in enumerate(rows, 5):
            for column, record in enumerate(row[:4]):
                sheet.write(number, column, record.rec_name if record else '',
                    cell)
            for column, value in enumerate(row[4:], 4):
                sheet.write_number(number, column, int(value), yen)
        total = len(rows) + 5
        sheet.write_row(total, 0, ["合計", '', '', ''], head)
        for column in [4, 5, 6]:
            sheet.write_number(total, column,
                int(sum(r[column] for r in rows)), yen_bold)
