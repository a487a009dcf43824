"""Invoices made by a settlement keep their period and line, so that the
reconciliation can tie every invoice line to the ledger; their lines may
use the clearing accounts of the daily moves."""
from trytond.model import fields
from trytond.pool import PoolMeta


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    hirakata_period = fields.Many2One('hirakata.settlement.period',
        "Settlement Period", readonly=True, ondelete='RESTRICT')


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    hirakata_line = fields.Many2One('hirakata.settlement.line',
        "Settlement Line", readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Prices in the invoice's currency's digits (yen: none), not
        # product's 4 decimals: a line reads ¥ 1,520, not ¥ 1,520.0000.
        cls.unit_price.digits = 'currency'

    @classmethod
    def _account_domain(cls, type_):
        # Settlement invoices empty the clearing accounts the daily moves
        # filled (points funding, point uses), which are neither revenue
        # nor expense.
        return super()._account_domain(type_) + [
            ('type.settlement_clearing', '=', True)]
