"""Record rules where Tryton does not apply them in SQL.

Tryton checks a model's record rules in SQL on read and search, but on
export it evaluates them in Python, where a leaf through a relation
(``invoice.hirakata_store``) always holds, and an on_change call with an
id reads the record's stored fields without them. The money's models
(bank accounts, invoice lines) check the records asked for in SQL there
too, as read does."""
from trytond.pool import Pool
from trytond.transaction import Transaction


class RulesCheckedOnExport:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        cls.check_rules([r.id for r in records])
        return super().export_data(records, fields_names, header=header)

    def on_change(self, fieldnames):
        self.check_rules([self.id])
        return super().on_change(fieldnames)

    def on_change_with(self, fieldnames):
        self.check_rules([self.id])
        return super().on_change_with(fieldnames)

    @classmethod
    def check_rules(cls, ids):
        "Refuse a client the records of ids its rules do not let it read."
        ids = [i for i in ids if i is not None and i >= 0]
        if ids and Transaction().check_access:
            Pool().get('ir.rule').check(cls.__name__, ids, 'read')
