"""Invoices made by a settlement keep their period and line, so that the
reconciliation can tie every invoice line to the ledger; their lines may
use the clearing accounts of the daily moves."""
from decimal import ROUND_DOWN

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, dualmethod, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .rule_check import RulesCheckedInSQL

# What Tryton lets change on a posted invoice and its lines, and a
# confirmed settlement's invoices keep as issued.
SETTLED_TEXTS = {'description', 'comment', 'reference', 'lines'}
SETTLED_LINE_TEXTS = {'description', 'note', 'origin'}
# What ties an invoice to a settlement (and its readers: the city, a
# store; the document it was issued as, by whom and to whom): set by
# confirming a month (and its first print) only, never by a client nor
# copied.
SETTLEMENT_LINKS = {
    'account.invoice': {'hirakata_period', 'hirakata_city',
        'hirakata_store', 'hirakata_document', 'hirakata_issuer',
        'hirakata_issuer_address', 'hirakata_issuer_number',
        'hirakata_recipient', 'hirakata_recipient_address',
        'hirakata_recipient_number'},
    'account.invoice.line': {'hirakata_line'},
    }


# An invoice's amounts as posting stored them (a settlement's, as it made
# them): what its documents print and its payments read. Tryton lets them
# be written on a posted invoice, for its own posting.
AMOUNT_CACHES = {'untaxed_amount_cache', 'tax_amount_cache',
    'total_amount_cache'}


def check_settlement_links(Model, records, values, external):
    """Refuse a client's create or write of a settlement's links, and of an
    invoice's state (the workflow's: paid is what payments reconcile) and
    amounts."""
    if not external:
        return
    names = SETTLEMENT_LINKS[Model.__name__]
    if Model.__name__ == 'account.invoice':
        names = names | AMOUNT_CACHES
    if values is not None:
        refused = values.keys() & names
        if Model.__name__ == 'account.invoice':
            refused |= values.keys() & {'state'}
    else:
        refused = {n for n in names for r in records
            if (getattr(r, n) is not None if n in AMOUNT_CACHES
                else getattr(r, n))}
    for name in sorted(refused):
        raise AccessError(gettext(
                'hirakata_points.msg_field_changed_by_buttons_only',
                **Model.__names__(field=name)))


def settlement_copy_default(Model, default):
    "A copy is nobody's settlement: its links are not copied."
    default = dict(default or {})
    for name in SETTLEMENT_LINKS[Model.__name__]:
        default.setdefault(name, False if name == 'hirakata_city' else None)
    return default


class Invoice(RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'account.invoice'

    hirakata_period = fields.Many2One('hirakata.settlement.period',
        "Settlement Period", readonly=True, ondelete='RESTRICT')

    @classmethod
    def draft(cls, invoices):
        cls.check_not_settled(invoices)
        super().draft(invoices)

    @classmethod
    def cancel(cls, invoices):
        cls.check_not_settled(invoices)
        super().cancel(invoices)

    @classmethod
    def copy(cls, invoices, default=None):
        return super().copy(invoices,
            default=settlement_copy_default(cls, default))

    @classmethod
    def check_modification(cls, mode, invoices, values=None, external=False):
        super().check_modification(
            mode, invoices, values=values, external=external)
        if mode in {'create', 'write'}:
            check_settlement_links(cls, invoices, values, external)
        # Tryton lets a posted invoice's texts and state be written (its
        # workflow writes the state); what a settlement printed and sent
        # (a qualified invoice) keeps both: posted, or paid once its
        # payments reconcile it.
        if mode == 'write' and (values.keys() & SETTLED_TEXTS
                or values.get('state', 'posted') not in {'posted', 'paid'}):
            cls.check_not_settled(invoices)

    @classmethod
    def check_not_settled(cls, invoices):
        """A confirmed month's invoices stay as issued, even for Tryton's
        accountants: corrections go into the next month's settlement."""
        for invoice in invoices:
            period = invoice.hirakata_period
            if period and period.state == 'confirmed':
                raise AccessError(gettext(
                        'hirakata_points_settlement.msg_invoice_settled',
                        invoice=invoice.rec_name, period=period.rec_name))

    @fields.depends('currency')
    def _round_taxes(self, taxes):
        # 適格請求書: the tax of each rate is rounded once per invoice
        # (the books' tax_rounding is 'document'), its fraction of a yen
        # dropped (端数切捨て) as the fees' are (period.fee). Tryton's
        # rounds half to even and carries the rates' remainders over.
        if not self.currency:
            return
        for taxline in taxes.values():
            taxline.amount = self.currency.round(taxline.amount,
                rounding=ROUND_DOWN)

    @dualmethod
    def update_taxes(cls, invoices, exception=False):
        # A settlement makes its invoices with their taxes and amounts,
        # computed by Tryton's own code from their lines (Period._invoice),
        # and posts them in the same transaction: every save of them
        # (posting saves them several times) would compute the taxes
        # again, and posting's check (get_move, exception=True) would
        # compare them with what was just computed from the same lines.
        if Transaction().context.get('_hirakata_amounts_made'):
            return
        super().update_taxes(invoices, exception=exception)

    @classmethod
    def _store_cache(cls, invoices):
        # (see update_taxes: their amounts are cached since they were made)
        if Transaction().context.get('_hirakata_amounts_made'):
            return
        super()._store_cache(invoices)

    @classmethod
    def _check_taxes(cls, invoices):
        # It compares each line's taxes with its product's defaults and
        # reads every line again to do so; lines without a product (all
        # of a settlement's) have no defaults to compare with.
        super()._check_taxes([i for i in invoices
                if any(l.product for l in i.line_lines)])


class InvoiceLine(RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def copy(cls, lines, default=None):
        return super().copy(lines,
            default=settlement_copy_default(cls, default))

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode in {'create', 'write'}:
            check_settlement_links(cls, lines, values, external)
        if mode == 'write' and values.keys() & SETTLED_LINE_TEXTS:
            Invoice = Pool().get('account.invoice')
            Invoice.check_not_settled({l.invoice for l in lines
                    if l.invoice})

    hirakata_line = fields.Many2One('hirakata.settlement.line',
        "Settlement Line", readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Unit prices in whole yen (the books are kept in yen only), not
        # product's 4 decimals: a line reads ¥ 1,520, not ¥ 1,520.0000.
        # (A tuple: Tryton's invoice report reads its digits[1].)
        cls.unit_price.digits = (16, 0)
        # (recomputing a month deletes its settlement lines: the foreign
        # key's check finds their invoice lines by this index)
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.hirakata_line, Index.Equality()),
                where=t.hirakata_line != Null))

    @classmethod
    def _account_domain(cls, type_):
        # Settlement invoices empty the clearing accounts the daily moves
        # filled (points funding, point uses), which are neither revenue
        # nor expense.
        return super()._account_domain(type_) + [
            ('type.settlement_clearing', '=', True)]
