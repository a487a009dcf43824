"""Ledger entries name the store and terminal that booked them.

An entry booked at a terminal for another record (a programme's
participation at a venue terminal, in the programme module) names its
terminal when the booking runs with the context key hirakata_terminal set
to the terminal's id: a hook for modules that add kinds of terminal.
"""
from trytond.model import Index, fields
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


class Entry(metaclass=PoolMeta):
    __name__ = 'hirakata.point.entry'

    store = fields.Many2One('hirakata.store', "Store", readonly=True,
        ondelete='RESTRICT')
    terminal = fields.Many2One('hirakata.terminal', "Terminal",
        readonly=True, ondelete='RESTRICT')
    clerk = fields.Many2One('hirakata.store.clerk', "Clerk", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.store, Index.Range()),
                (t.date, Index.Range()), where=t.store != None))  # noqa: E711

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['hirakata.terminal']

    def holder_description(self):
        if self.store:
            return '%s（%s）' % (self.kind_string, self.store.name)
        return super().holder_description()


class Ledger(metaclass=PoolMeta):
    __name__ = 'hirakata.point.ledger'

    @classmethod
    def entry_columns(cls, origin):
        """The store, terminal and clerk of an entry booked at a store
        terminal (its origin); the terminal only of one booked for
        another origin with the context's hirakata_terminal (the module's
        docstring)."""
        columns = super().entry_columns(origin)
        context = Transaction().context
        if getattr(origin, '__name__', None) == 'hirakata.terminal':
            columns.update(store=origin.store.id, terminal=origin.id,
                clerk=context.get('hirakata_clerk'))
        elif context.get('hirakata_terminal'):
            columns['terminal'] = context['hirakata_terminal']
        return columns
