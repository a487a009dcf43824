"""Account types of the clearing accounts between the daily moves and the
month's invoices: an invoice line may use them (invoice.py)."""
from trytond.model import fields
from trytond.pool import PoolMeta


class _Clearing:
    __slots__ = ()
    settlement_clearing = fields.Boolean("Settlement Clearing",
        help="Settlement invoices may use accounts of this type.")

    @classmethod
    def default_settlement_clearing(cls):
        return False


class TypeTemplate(_Clearing, metaclass=PoolMeta):
    __name__ = 'account.account.type.template'

    def _get_type_value(self, type=None):
        values = super()._get_type_value(type=type)
        if not type or type.settlement_clearing != self.settlement_clearing:
            values['settlement_clearing'] = self.settlement_clearing
        return values


class Type(_Clearing, metaclass=PoolMeta):
    __name__ = 'account.account.type'
