"""Qualified invoices (適格請求書) and payment notices (支払通知書) of the
settlement, printed through Tryton's report engine, and who reads the
settlement's invoices (R24–R26, issue 13).

A qualified invoice names its issuer and the issuer's registration number
(T and 13 digits, on the operator company's party), the recipient (and
the recipient's number where it has one), the date, the transactions with
the lines outside the tax's scope (不課税: points) told apart from those
with 10% (the operator's fees), and per tax rate the total and the tax.
An in invoice (the points redeemed at a store, paid by the operator) is
printed as a payment notice.

Who reads invoices. Tryton gives invoices to its accounting group
(account.group_account) only, and a global rule limits everybody to the
invoices of their companies (a user reads the operator's invoices only
when the operator's company is among the user's companies). Our groups get
read access, never more (qualified_invoice.xml): accountants, auditors
and administrators read every invoice and its lines and taxes; city staff
only the city's (`hirakata_city`, set when a settlement invoices the
configuration's city) and store staff only their store's (`hirakata_store`,
set when a settlement invoices a store), through record rules on invoices
(their taxes follow them, Tryton's __access__) and on invoice lines. The
settlement's
invoices have a read-only list and form of their own under 精算; Tryton's
own invoice report, which stores the printed file on the invoice (a write
our read-only groups may not do), stays with Tryton's accountants."""
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Min

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

NOT_TAXED = "不課税"
# The documents are Japanese business documents, whatever the language of
# the user who prints them or of the database: what they print is in
# Japanese here and in the templates, the categories of settlement lines
# as the module's catalogue (locale/ja.po) has them.
CATEGORY_TEXTS = {
    'city_grant': "事業の付与ポイント（原資）",
    'city_fee': "事業の付与ポイントの運営手数料",
    'store_grant': "協力店舗の付与ポイント（原資）",
    'store_grant_fee': "付与手数料",
    'store_redeem': "協力店舗での利用ポイント",
    'store_redeem_fee': "利用手数料",
    'transit_exchange': "交通事業者との交換ポイント",
    'community_donation': "住民からの寄付ポイント",
    'community_allocation': "失効ポイントの配分",
    }
METHOD_TEXTS = {
    'netting': "相殺（差額で精算）",
    'gross': "総額（請求書と支払通知書）",
    }


def format_yen(amount):
    "amount in whole yen with thousands separators: 1,234 / -1,234."
    if amount is None:
        return ''
    return '{:,}'.format(int(Decimal(amount).quantize(Decimal(1))))


def format_date(date):
    "date as YYYY/MM/DD."
    return date.strftime('%Y/%m/%d') if date else ''


def rate_label(rate):
    "A tax rate (0.10) as 10%."
    return '%s%%' % (Decimal(rate) * 100).normalize().to_eng_string()


def address_lines(address):
    "The lines of address, without the party's name."
    if not address:
        return []
    with Transaction().set_context(address_with_party=False):
        text = address.full_address or ''
    return [l for l in text.splitlines() if l.strip()]


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    hirakata_city = fields.Boolean("City's Invoice", readonly=True,
        help="Made by a settlement for the city: city staff read it.")

    hirakata_store = fields.Many2One('hirakata.store', "Store",
        readonly=True, ondelete='RESTRICT',
        help="Made by a settlement for this store: its staff read it.")

    # The qualified invoice as first printed, printed again as it was
    # issued (the issuer keeps a copy of what it issued), whatever its
    # parties' names or numbers become.
    hirakata_document = fields.Binary("Issued Document", readonly=True)
    # Who issued it to whom, as they were when the month was confirmed:
    # what its first print names, however late it comes.
    hirakata_issuer = fields.Char("Issuer", readonly=True)
    hirakata_issuer_address = fields.Text("Issuer's Address", readonly=True)
    hirakata_issuer_number = fields.Char("Issuer's Registration Number",
        readonly=True)
    hirakata_recipient = fields.Char("Recipient", readonly=True)
    hirakata_recipient_address = fields.Text("Recipient's Address",
        readonly=True)
    hirakata_recipient_number = fields.Char(
        "Recipient's Registration Number", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= {'hirakata_document'}

    @classmethod
    def default_hirakata_city(cls):
        return False

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if module == 'hirakata_points_settlement':
            cls._fill_hirakata_store()

    @classmethod
    def _fill_hirakata_store(cls):
        """Migration: the store of settlement invoices made before
        hirakata_store existed, from their settlement lines, so that its
        staff read them (the record rules go by hirakata_store)."""
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        SettlementLine = pool.get('hirakata.settlement.line')
        invoice = cls.__table__()
        line = InvoiceLine.__table__()
        settlement_line = SettlementLine.__table__()
        store = line.join(settlement_line,
            condition=line.hirakata_line == settlement_line.id
            ).select(Min(settlement_line.store),
                where=(line.invoice == invoice.id)
                & (settlement_line.store != Null))
        cursor = Transaction().connection.cursor()
        cursor.execute(*invoice.update([invoice.hirakata_store], [store],
                where=(invoice.hirakata_period != Null)
                & (invoice.hirakata_store == Null)))


class Period(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.period'

    def make_invoices(self):
        Configuration = Pool().get('hirakata.settlement.configuration')
        invoices = super().make_invoices()
        issuer = Configuration.books().company.party
        address = '\n'.join(address_lines(issuer.address_get()))
        for invoice in invoices:
            invoice.hirakata_issuer = issuer.name
            invoice.hirakata_issuer_address = address
            invoice.hirakata_issuer_number = (
                issuer.invoice_registration_number)
        return invoices

    def _invoice(self, type_, party, lines):
        Configuration = Pool().get('hirakata.settlement.configuration')
        invoice = super()._invoice(type_, party, lines)
        if invoice:
            invoice.hirakata_city = party == Configuration.books().city
            # A party's lines are all of one store, or of none.
            invoice.hirakata_store = lines[0].store
            invoice.hirakata_recipient = party.name
            invoice.hirakata_recipient_address = '\n'.join(address_lines(
                    invoice.invoice_address or party.address_get()))
            invoice.hirakata_recipient_number = (
                party.invoice_registration_number)
        return invoice


def settlement_description(line):
    """A settlement line described in Japanese, as the invoice describes
    it in the language of whoever confirmed the month (Line.
    invoice_description)."""
    return line.invoice_description(CATEGORY_TEXTS[line.category])


def line_description(line):
    "An invoice line's description, in Japanese for a settlement's line."
    if line.hirakata_line:
        return settlement_description(line.hirakata_line)
    return line.description or ''


def document_title(invoice):
    "What the document printed of invoice is."
    if invoice.type == 'in':
        # (less than nothing to pay: a cancellation owed back)
        return "精算通知書" if invoice.total_amount < 0 else "支払通知書"
    if invoice.total_amount < 0:
        # A netting store owed money: the operator pays the balance, and
        # the document is still the qualified invoice of its fees.
        return "支払通知書 兼 適格請求書"
    return "適格請求書"


def issued_by_and_to(invoice):
    """The issuer and the recipient as invoice keeps them from its
    confirmation; as its parties are now for an invoice made before it
    kept them."""
    if invoice.hirakata_issuer is None:
        issuer, recipient = invoice.company.party, invoice.party
        return {
            'issuer': issuer.name,
            'issuer_address': address_lines(issuer.address_get()),
            'issuer_number': issuer.invoice_registration_number or '',
            'recipient': recipient.name,
            'recipient_address': address_lines(
                invoice.invoice_address or recipient.address_get()),
            'recipient_number': recipient.invoice_registration_number or '',
            }
    return {
        'issuer': invoice.hirakata_issuer,
        'issuer_address': (invoice.hirakata_issuer_address or '').splitlines(),
        'issuer_number': invoice.hirakata_issuer_number or '',
        'recipient': invoice.hirakata_recipient,
        'recipient_address': (
            invoice.hirakata_recipient_address or '').splitlines(),
        'recipient_number': invoice.hirakata_recipient_number or '',
        }


def qualified_invoice(invoice):
    """What a qualified invoice or payment notice prints of invoice, as
    plain values: titles, parties, lines, totals per tax rate."""
    period = invoice.hirakata_period
    notice = invoice.type == 'in'
    lines, not_taxed = [], Decimal(0)
    for line in invoice.lines:
        if line.type != 'line':
            continue
        rates = [t.rate for t in line.taxes if t.rate is not None]
        if not rates:
            not_taxed += line.amount
        lines.append({
                'description': line_description(line),
                'amount': format_yen(line.amount),
                'tax': (' '.join(rate_label(r) for r in rates)
                    if rates else NOT_TAXED),
                })
    by_rate = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for tax in invoice.taxes:
        rate = tax.tax.rate if tax.tax and tax.tax.rate is not None else 0
        by_rate[rate][0] += tax.base
        by_rate[rate][1] += tax.amount
    taxes = [{'label': '%s対象' % rate_label(rate),
            'base': format_yen(base), 'amount': format_yen(amount)}
        for rate, (base, amount) in sorted(by_rate.items(), reverse=True)]
    if not_taxed or not taxes:
        taxes.append({'label': NOT_TAXED, 'base': format_yen(not_taxed),
                'amount': '—'})
    total = invoice.total_amount
    title = document_title(invoice)
    if notice and total < 0:
        # (a donation cancelled after its month was paid: the payee owes)
        total_label = "差引ご請求金額（当社へお支払いください）"
    elif notice:
        total_label = "お支払金額"
    elif total < 0:
        total_label = "差引お支払金額（当社からお支払いします）"
    else:
        total_label = "ご請求金額"
    return {
        'title': title,
        'number': invoice.number or '',
        'date': format_date(invoice.invoice_date),
        'period': ('%s〜%s' % (format_date(period.start_date),
                format_date(period.end_date)) if period else ''),
        **issued_by_and_to(invoice),
        'description': invoice.description or '',
        'lines': lines,
        'taxes': taxes,
        'untaxed': format_yen(invoice.untaxed_amount),
        'tax': format_yen(invoice.tax_amount),
        'total': format_yen(total),
        'total_label': total_label,
        'amount_due': format_yen(abs(total)),
        # (a notice of points only carries no tax to include)
        'tax_included': "（税込）" if invoice.taxes else "",
        'note': ("寄付と失効ポイントの配分は消費税の課税対象外（不課税）です。"
            if any(l.hirakata_line and l.hirakata_line.project
                for l in invoice.lines) else
            "ポイントの原資と利用ポイントは消費税の課税対象外（不課税）です。")
        + ("" if notice else "運営手数料には消費税がかかります。"),
        }


class QualifiedInvoice(Report):
    "The settlement's qualified invoice or payment notice (ODT)."
    __name__ = 'hirakata.settlement.qualified_invoice'

    @classmethod
    def execute(cls, ids, data):
        oext, content, direct_print, filename = super().execute(ids, data)
        # The file is named as its document: a payment notice is not
        # downloaded as 「適格請求書-…」.
        if len(ids) == 1:
            Invoice = Pool().get('account.invoice')
            with without_check_access():
                invoice = Invoice(ids[0])
                title = document_title(invoice)
            # (Tryton names it "<the action's name>-<the invoice>")
            filename = '-'.join([title] + filename.split('-', 1)[1:])
        return oext, content, direct_print, filename

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # (its first print of a posted invoice is kept: a write)
        cls.__rpc__['execute'] = RPC(False)

    @classmethod
    def _execute(cls, records, header, data, action):
        # Report.execute has checked that the user may read these invoices
        # (the action's groups, access, record rules): they print the
        # invoice whole, with the parties, taxes and period it refers to.
        Invoice = Pool().get('account.invoice')
        with without_check_access():
            invoice, = Invoice.browse([r.id for r in records])
            if invoice.hirakata_document:
                return 'odt', invoice.hirakata_document
            oext, content = super()._execute(records, header, data, action)
            if oext == 'odt' and invoice.state in {'posted', 'paid'}:
                Invoice.write([invoice], {'hirakata_document': content})
            return oext, content

    @classmethod
    def get_context(cls, records, header, data):
        Invoice = Pool().get('account.invoice')
        context = super().get_context(records, header, data)
        invoice, = Invoice.browse([r.id for r in records])
        context['document'] = qualified_invoice(invoice)
        return context
