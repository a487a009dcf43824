"""Record rules where Tryton does not apply them in SQL: exports.

Tryton checks a model's record rules in SQL on read and search, but on
export it evaluates them in Python, where a leaf through a relation
(``invoice.hirakata_store``) always holds. The models around the money
(bank accounts, invoices, their lines, stores, parties) check in SQL the
records asked for there too, as read does. (An on_change call's records
are checked for every model: hirakata_points' named_records.)"""
from trytond.modules.hirakata_points.named_records import check_read


class RulesCheckedInSQL:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        check_read({cls.__name__: {r.id for r in records}})
        return super().export_data(records, fields_names, header=header)
