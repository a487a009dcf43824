"""Invoices made by a settlement keep their period and line, so that the
reconciliation can tie every invoice line to the ledger."""
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

