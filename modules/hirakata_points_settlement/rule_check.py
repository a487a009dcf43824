"""Record rules where Tryton does not apply them in SQL.

Tryton checks a model's record rules in SQL on read and search, but on
export it evaluates them in Python, where a leaf through a relation
(``invoice.hirakata_store``) always holds, and an on_change call reads the
records it names (its own id, the ids in its values: an invoice's lines, a
store's payout account) without them, answering what it computes from
them and their names. The models around the money (bank accounts,
invoices, their lines, stores, parties) and the desk's forms that name a
holder (donating, exchanging) check the records asked for there too, as
read does: the access rights, and the rules in SQL."""
from collections import defaultdict

from trytond.model import ModelSQL
from trytond.pool import Pool
from trytond.transaction import Transaction


class RulesCheckedInSQL:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        check_rules({cls.__name__: {r.id for r in records}})
        return super().export_data(records, fields_names, header=header)

    def on_change(self, fieldnames):
        check_rules(named_records(self))
        return super().on_change(fieldnames)

    def on_change_with(self, fieldnames):
        check_rules(named_records(self))
        return super().on_change_with(fieldnames)


def named_records(record):
    """{model: ids} of record and the records its values name, at any
    depth (what a client sent, not what was read since)."""
    named, todo, seen = defaultdict(set), [record], set()
    while todo:
        record = todo.pop()
        if id(record) in seen:
            continue
        seen.add(id(record))
        if isinstance(record, ModelSQL) and record.id is not None:
            named[record.__name__].add(record.id)
        sent = getattr(record, '_values', None)
        for _, value in (sent._items() if sent is not None else []):
            values = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(v for v in values if isinstance(v, ModelSQL))
    return named


def check_rules(named):
    """Refuse a client the records of named its access rights or rules do
    not let it read."""
    if not Transaction().check_access:
        return
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    Rule = pool.get('ir.rule')
    for model, ids in named.items():
        ids = [i for i in ids if i is not None and i >= 0]
        if ids:
            ModelAccess.check(model, 'read')
            Rule.check(model, ids, 'read')
