"""A store's statement of a confirmed month (R24–R26, issue 13): the
store's settlement lines, what it was invoiced and paid, the tax, and
the balance with who pays whom; made when the month is confirmed, never
changed after, downloaded as a printable document (ODT) or a spreadsheet
(XLSX) through Tryton's report engine.

Store staff read their own store's statements only (a record rule on the
user's store, as for the store itself), with their lines; accountants,
auditors and administrators read all. Nobody writes them."""
import io
from collections import defaultdict

import xlsxwriter

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.hirakata_points import clock
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import without_check_access

from .books import MONTH_SHOWN, ZERO
from .period import batches
from .qualified_invoice import (
    CATEGORY_TEXTS, METHOD_TEXTS, format_date, format_yen)
from .store import SETTLEMENT_METHODS

PAYERS = [
    ('store', "The Store Pays the Operator"),
    ('operator', "The Operator Pays the Store"),
    ('both', "Each Pays Its Document (Gross)"),
    ('none', "Nothing to Pay"),
    ]
# What the documents print of who pays (see CATEGORY_TEXTS).
PAYER_TEXTS = {
    'store': "協力店舗様から運営会社へお支払いいただく額",
    'operator': "運営会社から協力店舗様へお支払いする額",
    'none': "お支払いはありません",
    }


class Statement(ModelSQL, ModelView):
    "Store Settlement Statement"
    __name__ = 'hirakata.settlement.statement'

    period = fields.Many2One('hirakata.settlement.period', "Period",
        required=True, readonly=True, ondelete='RESTRICT')
    month = fields.Date("Month", required=True, readonly=True,
        context=MONTH_SHOWN)
    store = fields.Many2One('hirakata.store', "Store", required=True,
        readonly=True, ondelete='RESTRICT')
    party = fields.Many2One('party.party', "Party", required=True,
        readonly=True, ondelete='RESTRICT')
    lines = fields.Function(fields.Many2Many('hirakata.settlement.line',
            None, None, "Lines"), 'get_lines')
    invoices = fields.Function(fields.Many2Many('account.invoice', None,
            None, "Invoices"), 'get_invoices')
    invoice_numbers = fields.Char("Invoice Numbers", readonly=True)
    granted_points = fields.Integer("Points Granted", readonly=True)
    grant_fee = fields.Numeric("Grant Fee (JPY)", digits=(16, 0),
        readonly=True)
    redeemed_points = fields.Integer("Points Redeemed", readonly=True)
    redeem_fee = fields.Numeric("Redemption Fee (JPY)", digits=(16, 0),
        readonly=True)
    untaxed_amount = fields.Numeric("Untaxed Balance (JPY)",
        digits=(16, 0), readonly=True,
        help="What the store owes less what it is owed, before tax.")
    tax_amount = fields.Numeric("Consumption Tax (JPY)", digits=(16, 0),
        readonly=True, help="The tax on the operator's fees.")
    balance = fields.Numeric("Balance (JPY)", digits=(16, 0), readonly=True,
        help="With tax; positive: the store pays the operator.")
    payer = fields.Selection(PAYERS, "Who Pays", readonly=True)
    # What its documents print of the store, its party and the issuer, as
    # they were when the month was confirmed: a store renamed or settled
    # otherwise since does not change an issued statement.
    settlement_method = fields.Selection(SETTLEMENT_METHODS,
        "Settlement Method", readonly=True)
    store_name = fields.Char("Store Name", readonly=True)
    store_code = fields.Char("Store Code", readonly=True)
    party_name = fields.Char("Party Name", readonly=True)
    party_number = fields.Char("Party's Registration Number", readonly=True)
    issuer_name = fields.Char("Issuer", readonly=True)
    issuer_number = fields.Char("Issuer's Registration Number",
        readonly=True)
    amount_due = fields.Numeric("Amount to Pay (JPY)", digits=(16, 0),
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('period_store_unique', Unique(t, t.period, t.store),
                'hirakata_points_settlement.msg_statement_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.store, Index.Equality()),
                    (t.month, Index.Range())),
                Index(t, (t.period, Index.Equality())),
                })
        cls._order = [('month', 'DESC'), ('store', 'ASC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        # (the store as the statement names it, however renamed since)
        return '%s %s' % (self.month.strftime('%Y年%m月'),
            self.store_name or self.store.rec_name)

    @classmethod
    def get_lines(cls, statements, name):
        Line = Pool().get('hirakata.settlement.line')
        lines = defaultdict(list)
        for line in Line.search([
                    ('period', 'in', list({s.period.id for s in statements})),
                    ('store', 'in', list({s.store.id for s in statements})),
                    ], order=[('id', 'ASC')]):
            lines[line.period.id, line.store.id].append(line.id)
        return {s.id: lines[s.period.id, s.store.id] for s in statements}

    @classmethod
    def get_invoices(cls, statements, name):
        Invoice = Pool().get('account.invoice')
        invoices = defaultdict(list)
        for invoice in Invoice.search([
                    ('hirakata_period', 'in',
                        list({s.period.id for s in statements})),
                    ('party', 'in', list({s.party.id for s in statements})),
                    ], order=[('type', 'DESC'), ('id', 'ASC')]):
            invoices[invoice.hirakata_period.id, invoice.party.id].append(
                invoice.id)
        return {s.id: invoices[s.period.id, s.party.id] for s in statements}

    @classmethod
    def create_for(cls, periods):
        """The statements of the stores with lines in periods (confirmed),
        each made once."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('hirakata.settlement.line')
        made = {(s.period.id, s.store.id) for s in cls.search([
                    ('period', 'in', [p.id for p in periods])])}
        statements = []
        for period in periods:
            if period.state != 'confirmed':
                continue
            lines = defaultdict(list)
            for batch in batches(Line, [('period', '=', period.id)]):
                for line in batch:
                    if line.store:
                        lines[line.store].append(line)
            invoices = defaultdict(list)
            for batch in batches(Invoice,
                    [('hirakata_period', '=', period.id)]):
                for invoice in batch:
                    invoices[invoice.party].append(invoice)
            for store in sorted(lines, key=lambda s: (s.code or '', s.id)):
                if (period.id, store.id) not in made:
                    party = lines[store][0].party
                    statements.append(cls.from_lines(period, store, party,
                            lines[store], invoices[party]))
        cls.save(statements)
        return statements

    @classmethod
    def from_lines(cls, period, store, party, lines, invoices):
        "The statement of store's lines and invoices of period."
        posted = [i for i in invoices if i.state != 'cancelled']

        def signed(invoice, name):
            amount = getattr(invoice, name)
            return amount if invoice.type == 'out' else -amount
        balance = sum((signed(i, 'total_amount') for i in posted), ZERO)
        payer = 'store' if balance > 0 else (
            'operator' if balance < 0 else 'none')
        amount_due = abs(balance)
        if {i.type for i in posted} == {'out', 'in'}:
            # gross: the store pays its invoice and is paid its payment
            # notice, in full; the balance is nobody's to pay
            payer, amount_due = 'both', None
        return cls(period=period, month=period.start_date, store=store,
            party=party, settlement_method=store.settlement_method,
            store_name=store.name, store_code=store.code,
            party_name=party.name,
            party_number=party.invoice_registration_number,
            issuer_name=_issuer_name(), issuer_number=_issuer_number(),
            invoice_numbers=', '.join(i.number or '' for i in sorted(posted,
                    key=lambda i: (i.type != 'out', i.number or ''))),
            granted_points=sum(l.points for l in lines
                if l.category == 'store_grant'),
            grant_fee=sum((l.amount for l in lines
                    if l.category == 'store_grant_fee'), ZERO),
            redeemed_points=sum(l.points for l in lines
                if l.category == 'store_redeem'),
            redeem_fee=sum((l.amount for l in lines
                    if l.category == 'store_redeem_fee'), ZERO),
            untaxed_amount=sum((signed(i, 'untaxed_amount') for i in posted),
                ZERO),
            tax_amount=sum((signed(i, 'tax_amount') for i in posted), ZERO),
            balance=balance, payer=payer, amount_due=amount_due)


class Period(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.period'

    statements = fields.One2Many('hirakata.settlement.statement', 'period',
        "Store Statements", readonly=True)

    @classmethod
    def confirm(cls, periods):
        Statement = Pool().get('hirakata.settlement.statement')
        super().confirm(periods)
        with without_check_access():
            Statement.create_for(cls.browse([p.id for p in periods]))


def statement_document(statement):
    "What a statement prints, as plain values."
    period = statement.period
    lines = []
    for line in statement.lines:
        lines.append({
                'category': CATEGORY_TEXTS[line.category],
                'points': '{:,}'.format(line.points),
                'rate': ('%s%%' % line.rate.normalize().to_eng_string()
                    if line.rate is not None else ''),
                'amount': format_yen(line.amount),
                })
    return {
        'title': "協力店舗精算書",
        'month': statement.month.strftime('%Y年%m月分'),
        'period': '%s〜%s' % (format_date(period.start_date),
            format_date(period.end_date)),
        'store': statement.store_name or '',
        'store_code': statement.store_code or '',
        'party': statement.party_name or '',
        'party_number': statement.party_number or '',
        'method': METHOD_TEXTS.get(statement.settlement_method, ''),
        'issuer': statement.issuer_name or '',
        'issuer_number': statement.issuer_number or '',
        'confirmed': format_date(clock.city_time(period.confirmed_at).date()
            if period.confirmed_at else None),
        'lines': lines,
        'granted_points': '{:,}'.format(statement.granted_points or 0),
        'grant_fee': format_yen(statement.grant_fee),
        'redeemed_points': '{:,}'.format(statement.redeemed_points or 0),
        'redeem_fee': format_yen(statement.redeem_fee),
        'untaxed': format_yen(statement.untaxed_amount),
        'tax': format_yen(statement.tax_amount),
        'totals': [{'label': label, 'amount': format_yen(amount),
                'tax_included': "（税込）" if taxed else ""}
            for label, amount, taxed in payments(statement)],
        'invoice_numbers': statement.invoice_numbers or '',
        }


def payments(statement):
    """[(what it is, yen, whether it includes tax)]: who pays whom how
    much, a line per document for a gross store. (The points a store is
    paid for carry no tax: a gross store's payment notice has none.)"""
    if statement.payer != 'both':
        return [(PAYER_TEXTS[statement.payer or 'none'],
                statement.amount_due or ZERO, bool(statement.tax_amount))]
    posted = [i for i in statement.invoices if i.state != 'cancelled']
    totals = []
    for payer, document, type_ in [
            ('store', "（請求書）", 'out'),
            ('operator', "（支払通知書）", 'in')]:
        invoices = [i for i in posted if i.type == type_]
        totals.append((PAYER_TEXTS[payer] + document,
                sum((i.total_amount for i in invoices), ZERO),
                any(i.tax_amount for i in invoices)))
    return totals


def _issuer_name():
    Configuration = Pool().get('hirakata.settlement.configuration')
    return Configuration(1).company.party.name


def _issuer_number():
    Configuration = Pool().get('hirakata.settlement.configuration')
    return Configuration(1).company.party.invoice_registration_number or ''


class StatementReport(Report):
    "A store's statement as a printable document (ODT)."
    __name__ = 'hirakata.settlement.statement.report'

    @classmethod
    def _execute(cls, records, header, data, action):
        # Report.execute has checked that the user may read these
        # statements (the action's groups, access, the own-store rule):
        # what they print is the statement whole, with its period and the
        # operator's name.
        with without_check_access():
            return super()._execute(records, header, data, action)

    @classmethod
    def get_context(cls, records, header, data):
        Statement = Pool().get('hirakata.settlement.statement')
        context = super().get_context(records, header, data)
        statement, = Statement.browse([r.id for r in records])
        context['document'] = statement_document(statement)
        return context


class SpreadsheetReport(Report):
    """A report written with xlsxwriter: a sheet per record of the action's
    model (write_sheet)."""

    @classmethod
    def _execute(cls, records, header, data, action):
        Model = Pool().get(action.model)
        # Access is checked by Report.execute (the action's groups, the
        # access rights and rules on the records asked for).
        with without_check_access():
            output = io.BytesIO()
            book = xlsxwriter.Workbook(output, {'in_memory': True})
            for record in Model.browse([r.id for r in records]):
                cls.write_sheet(book, record)
            book.close()
        return 'xlsx', output.getvalue()

    @classmethod
    def write_sheet(cls, book, record):
        raise NotImplementedError

    @classmethod
    def add_sheet(cls, book, name, landscape=False):
        "A sheet that prints on A4, all its columns on one page's width."
        sheet = book.add_worksheet(name)
        sheet.set_paper(9)  # A4
        if landscape:
            sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        return sheet


class StatementSpreadsheet(SpreadsheetReport):
    "A store's statement as a spreadsheet (XLSX), in Japanese."
    __name__ = 'hirakata.settlement.statement.spreadsheet'

    @classmethod
    def write_sheet(cls, book, statement):
        period = statement.period
        title = book.add_format({'bold': True, 'font_size': 14})
        bold = book.add_format({'bold': True})
        head = book.add_format({'bold': True, 'bg_color': '#DDDDDD',
                'border': 1})
        yen = book.add_format({'num_format': '#,##0', 'border': 1})
        yen_bold = book.add_format({'num_format': '#,##0', 'bold': True,
                'border': 1})
        date = book.add_format({'num_format': 'yyyy/mm/dd'})
        cell = book.add_format({'border': 1})
        sheet = cls.add_sheet(book, statement.month.strftime('%Y年%m月'))
        # (wide enough for its longest label, 27 full-width characters)
        sheet.set_column(0, 0, 56)
        sheet.set_column(1, 3, 16)
        sheet.write(0, 0, "協力店舗精算書", title)
        rows = [
            ("対象月", statement.month.strftime('%Y年%m月'), None),
            ("期間（開始）", period.start_date, date),
            ("期間（終了）", period.end_date, date),
            ("協力店舗", statement.store_name or '', None),
            ("協力店舗コード", statement.store_code or '', None),
            ("取引先", statement.party_name or '', None),
            ("登録番号", statement.party_number or '', None),
            ("精算方式", METHOD_TEXTS.get(statement.settlement_method, ''),
                None),
            ("発行者", statement.issuer_name or '', None),
            ("発行者の登録番号", statement.issuer_number or '', None),
            ("請求書番号", statement.invoice_numbers or '', None),
            ]
        row = 2
        for label, value, format_ in rows:
            sheet.write(row, 0, label, bold)
            if format_ is date:
                sheet.write_datetime(row, 1, value, date)
            else:
                sheet.write_string(row, 1, value)
            row += 1
        row += 1
        sheet.write_row(row, 0, ["区分", "ポイント数", "手数料率（%）",
                "金額（円）"], head)
        for line in statement.lines:
            row += 1
            sheet.write(row, 0, CATEGORY_TEXTS[line.category], cell)
            sheet.write_number(row, 1, line.points, yen)
            if line.rate is not None:
                sheet.write_number(row, 2, float(line.rate), cell)
            else:
                sheet.write_blank(row, 2, None, cell)
            sheet.write_number(row, 3, int(line.amount), yen)
        row += 2
        totals = [
            ("付与ポイント", statement.granted_points),
            ("付与手数料（円）", statement.grant_fee),
            ("利用ポイント", statement.redeemed_points),
            ("利用手数料（円）", statement.redeem_fee),
            ("差引（税抜・円）", statement.untaxed_amount),
            ("消費税（円）", statement.tax_amount),
            # (a gross store pays and is paid each document in full: its
            # balance is for reference)
            ("差引（税込・円・参考）" if statement.payer == 'both'
                else "差引（税込・円）", statement.balance),
            ]
        for label, value in totals:
            sheet.write(row, 0, label, bold)
            sheet.write_number(row, 1, int(value or 0), yen)
            row += 1
        for label, amount, taxed in payments(statement):
            sheet.write(row, 0, label + ("（税込）" if taxed else ""), bold)
            sheet.write_number(row, 1, int(amount), yen_bold)
            row += 1
