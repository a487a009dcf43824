"""SQL statements built once per process, for the hot paths.

Building a query with python-sql costs more Python time than running it on
a warm connection; the terminal's look-up, grant and redeem run a handful
each. run() builds a statement's text the first time and reuses it, with
Arg(name) placeholders filled from keyword arguments.
"""
from sql import For, Literal

from trytond import backend
from trytond.transaction import Transaction

_STATEMENTS = {}


class Arg:
    "A named value in a statement that run() builds only once."
    __slots__ = ('name',)

    def __init__(self, name):
        self.name = name


def run(key, build, /, **args):
    """Execute the statement key with args; return the cursor.

    build() returns the python-sql query, with Arg(name) where a value
    goes; it is called once per key and backend.
    """
    cache_key = (backend.name, key)
    query = _STATEMENTS.get(cache_key)
    if query is None:
        query = _STATEMENTS[cache_key] = tuple(build())
    sql, params = query
    cursor = Transaction().connection.cursor()
    cursor.execute(sql, [args[p.name] if isinstance(p, Arg) else p
            for p in params])
    return cursor


def lock(Model, id_):
    """Lock the row id_ of Model until the transaction ends, waiting for it
    (PostgreSQL; SQLite has a single writer anyway)."""
    if backend.name != 'postgresql':
        return
    table = Model.__table__()
    run('lock:' + Model._table, lambda: table.select(Literal(1),
            where=table.id == Arg('id'), for_=For('UPDATE')), id=id_)


def forget(Model, ids=None):
    """Drop records (all of Model's if ids is None) from the transaction's
    cache after a plain SQL write."""
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            if ids is None:
                cache[Model.__name__].clear()
            for id_ in ids or []:
                cache[Model.__name__].pop(id_, None)
