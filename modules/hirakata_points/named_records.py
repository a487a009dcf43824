"""The records a client's on_change call names are read as the client may
read them.

Tryton answers an on_change call (``on_change``, ``on_change_with`` and
each field's ``on_change_<field>`` and ``on_change_with_<field>``) by
making a record of the values the client sent and computing from it, and
it reads the records those values name (a holder, a store's payout
account, an invoice's lines) without their access rights or record rules:
store staff calling a desk form's ``on_change_with_available`` with a
holder's id got that resident's name and points. Every model takes this
mixin (tryton.cfg, register_mixin on ModelView): its on_change calls
through RPC check first that the user may read, by access rights and by
record rules in SQL, every record the call names. Calls made by the
server's own code are not RPC calls and are left alone."""
import functools
from collections import defaultdict

from trytond.model import ModelSQL
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.transaction import Transaction


class NamedRecordsChecked:
    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        # Pool.setup_mixin makes the class the pool serves from this mixin
        # and the model, once the model is set up: its __rpc__ is whole.
        super().__init_subclass__(**kwargs)
        methods = getattr(cls, '__rpc__', None)
        if methods:
            cls.__rpc__ = {name: checked(spec) if is_on_change(name, spec)
                else spec for name, spec in methods.items()}


def is_on_change(name, spec):
    return name.startswith('on_change') and spec.instantiate == 0


def checked(spec):
    "spec, its method called once the records it names are checked."
    decorator = spec.decorator

    def decorate(func):
        inner = decorator(func) if decorator else func

        @functools.wraps(func)
        def wrapper(record, *args, **kwargs):
            check_read(named_records(record))
            return inner(record, *args, **kwargs)
        return wrapper
    return RPC(readonly=spec.readonly, instantiate=spec.instantiate,
        decorator=decorate, result=spec.result,
        check_access=spec.check_access, fresh_session=spec.fresh_session,
        unique=spec.unique, cache=spec.cache, timeout=spec.timeout,
        size_limits=spec.size_limits)


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


def check_read(named):
    """Refuse a client the records of named its access rights or record
    rules do not let it read."""
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
