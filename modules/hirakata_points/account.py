"""The point ledger's records (R5, R6): accounts, entries, lots, lot moves.

Entries and lot moves are append-only; an account's balance and a lot's
remaining points are kept in step with them by the ledger service
(ledger.py), the only code that moves points.
"""

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    Check, Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import clock, statement
from .statement import Arg

ACCOUNT_KINDS = [
    ('holder', "Holder"),
    ('expired_pool', "Expired Points Pool"),
    ('donation_pool', "Donation Pool"),
    ]
ENTRY_KINDS = [
    ('grant', "Grant"),
    ('redeem', "Redemption"),
    ('reversal', "Reversal"),
    ('adjust', "Adjustment"),
    ('expire', "Expiry"),
    ('expired_in', "Expired Points Received"),
    ('donation', "Donation"),
    ('donated_in', "Donation Received"),
    ('exchange', "Exchange"),
    ('allocation', "Allocation"),
    ]
CHANNELS = [
    ('backoffice', "Back Office"),
    ('terminal', "Store Terminal"),
    ('portal', "Resident Portal"),
    ('batch', "Scheduled Job"),
    ('api', "API"),
    ]


class Account(ModelSQL, ModelView):
    "Point Account"
    __name__ = 'hirakata.point.account'

    holder = fields.Many2One('hirakata.holder', "Holder", readonly=True,
        ondelete='RESTRICT',
        states={'required': Eval('kind') == 'holder'})
    kind = fields.Selection(ACCOUNT_KINDS, "Kind", required=True,
        readonly=True)
    name = fields.Char("Name", readonly=True,
        states={'invisible': Eval('kind') == 'holder'})
    balance = fields.Integer("Balance", readonly=True,
        help="The sum of the account's ledger entries.")
    available = fields.Function(fields.Integer("Available",
            help="Points not yet past their expiry date."),
        'get_available')
    entries = fields.One2Many('hirakata.point.entry', 'account', "Entries",
        readonly=True, order=[('id', 'DESC')])
    lots = fields.One2Many('hirakata.point.lot', 'account', "Lots",
        readonly=True, filter=[('remaining', '>', 0)],
        order=[('expiry_date', 'ASC'), ('id', 'ASC')])
    cards = fields.One2Many('hirakata.card', 'account', "Cards",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('balance_not_negative', Check(t, t.balance >= 0),
                'hirakata_points.msg_balance_not_negative'),
            ('holder_unique', Unique(t, t.holder),
                'hirakata_points.msg_account_holder_unique'),
            ]

    @staticmethod
    def default_balance():
        return 0

    @classmethod
    def check_modification(cls, mode, accounts, values=None, external=False):
        super().check_modification(
            mode, accounts, values=values, external=external)
        # Only the ledger service moves a balance, with its entry.
        if ((mode == 'write' and 'balance' in values)
                or (mode == 'create' and any(a.balance for a in accounts))):
            raise AccessError(gettext(
                    'hirakata_points.msg_ledger_append_only'))

    @staticmethod
    def default_kind():
        return 'holder'

    def get_rec_name(self, name):
        if self.kind == 'holder' and self.holder:
            return self.holder.rec_name
        return self.name or ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('holder.rec_name',) + tuple(clause[1:]),
            ('name',) + tuple(clause[1:]),
            ]

    @classmethod
    def get_available(cls, accounts, name):
        pool = Pool()
        Lot = pool.get('hirakata.point.lot')
        lot = Lot.__table__()
        cursor = Transaction().connection.cursor()
        result = {a.id: 0 for a in accounts}
        cursor.execute(*lot.select(lot.account, Sum(lot.remaining),
                where=lot.account.in_(list(result))
                & (lot.remaining > 0)
                & (lot.expiry_date >= clock.today()),
                group_by=[lot.account]))
        for account_id, total in cursor:
            result[account_id] = int(total or 0)
        return result

    @classmethod
    def expiry_schedule(cls, account_id, today=None):
        """[(expiry date, points)] of the account's points usable on today,
        the soonest first: a terminal's look-up and the resident portal."""
        Lot = Pool().get('hirakata.point.lot')

        def query():
            lot = Lot.__table__()
            return lot.select(lot.expiry_date, Sum(lot.remaining),
                where=(lot.account == Arg('account')) & (lot.remaining > 0)
                & (lot.expiry_date >= Arg('today')),
                group_by=[lot.expiry_date], order_by=[lot.expiry_date.asc])
        cursor = statement.run('hirakata.point.account:expiry_schedule',
            query, account=account_id, today=today or clock.today())
        return [(date, int(points)) for date, points in cursor]

    @classmethod
    def pool_account(cls, kind):
        "The system account of kind (e.g. the expired points pool, R7)."
        accounts = cls.search([('kind', '=', kind)], limit=1)
        if not accounts:
            raise AccessError(gettext(
                    'hirakata_points.msg_pool_account_missing', kind=kind))
        return accounts[0]

    @classmethod
    def find_unbalanced(cls, accounts=None):
        """Accounts whose balance differs from the sum of their entries.

        Always empty unless something wrote around the ledger service.
        """
        pool = Pool()
        Entry = pool.get('hirakata.point.entry')
        account = cls.__table__()
        entry = Entry.__table__()
        sums = entry.select(entry.account.as_('account'),
            Sum(entry.points).as_('total'), group_by=[entry.account])
        query = account.join(sums, 'LEFT',
            condition=sums.account == account.id).select(account.id,
                where=account.balance != Coalesce(sums.total, 0))
        if accounts is not None:
            query.where &= account.id.in_([a.id for a in accounts])
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        return cls.browse([r[0] for r in cursor])


class _AppendOnly:
    """Ledger records are written once, by the ledger service; a correction
    is a new record. (A lot's remaining points change, but only through the
    service's SQL, never through the ORM.) On PostgreSQL the database
    refuses the rest too (ledger_guard.py)."""
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        # The ledger service inserts with SQL; nothing else may.
        raise AccessError(gettext('hirakata_points.msg_ledger_append_only'))

    @classmethod
    def write(cls, *args):
        raise AccessError(gettext('hirakata_points.msg_ledger_append_only'))

    @classmethod
    def delete(cls, records):
        if records:
            raise AccessError(gettext(
                    'hirakata_points.msg_ledger_append_only'))

    @classmethod
    def copy(cls, records, default=None):
        if records:
            raise AccessError(gettext(
                    'hirakata_points.msg_ledger_append_only'))
        return []


class Entry(_AppendOnly, ModelSQL, ModelView):
    "Ledger Entry"
    __name__ = 'hirakata.point.entry'

    account = fields.Many2One('hirakata.point.account', "Account",
        required=True, readonly=True, ondelete='RESTRICT')
    kind = fields.Selection(ENTRY_KINDS, "Kind", required=True,
        readonly=True)
    kind_string = kind.translated('kind')
    points = fields.Integer("Points", required=True, readonly=True)
    balance_after = fields.Integer("Balance After", readonly=True,
        help="The account's balance once this entry was booked.")
    date = fields.Date("Date", required=True, readonly=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True,
        readonly=True)
    origin = fields.Reference("Origin", selection='get_origin',
        readonly=True,
        help="The store, terminal, programme or record that caused it.")
    reason = fields.Text("Reason", readonly=True)
    idempotency_key = fields.Char("Idempotency Key", required=True,
        readonly=True)
    request_digest = fields.Char("Request Digest", readonly=True)
    reversal_of = fields.Many2One('hirakata.point.entry', "Reversal Of",
        readonly=True, ondelete='RESTRICT')
    reversals = fields.One2Many('hirakata.point.entry', 'reversal_of',
        "Reversals", readonly=True)
    lot_moves = fields.One2Many('hirakata.point.lot.move', 'entry',
        "Lot Moves", readonly=True)
    expired_lots = fields.One2Many('hirakata.point.lot', 'expiry_entry',
        "Expired Lots", readonly=True)
    expiry_date = fields.Function(fields.Date("Expiry Date"),
        'get_expiry_date')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('idempotency_key_unique', Unique(t, t.idempotency_key),
                'hirakata_points.msg_entry_key_unique'),
            ('reversal_unique', Unique(t, t.reversal_of),
                'hirakata_points.msg_entry_already_reversed'),
            # A reversal of what has all expired since moves the pools only.
            ('points_not_zero',
                Check(t, (t.points != 0) | (t.kind == 'reversal')),
                'hirakata_points.msg_points_positive'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.account, Index.Range()), (t.id, Index.Range())),
                Index(t, (t.date, Index.Range()), (t.kind, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]

    @classmethod
    def _get_origin(cls):
        """Models an entry can come from: a hook, by Tryton's idiom for a
        Reference's selection (hence its underscore), to which modules add
        theirs through the pool."""
        return ['hirakata.point.entry']

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        models = cls._get_origin()
        return [(None, '')] + [(m, IrModel.get_name(m)) for m in models]

    @classmethod
    def get_expiry_date(cls, entries, name):
        pool = Pool()
        Lot = pool.get('hirakata.point.lot')
        lots = Lot.search([('entry', 'in', [e.id for e in entries])])
        result = {e.id: None for e in entries}
        result.update({lot.entry.id: lot.expiry_date for lot in lots})
        return result

    def get_rec_name(self, name):
        return '%s #%s' % (self.account.rec_name, self.id)

    def holder_description(self):
        """The entry as its holder reads it (the portal): what, and where.

        A hook: modules whose records book entries override it through
        the pool for theirs (a store's name, a programme's)."""
        return self.kind_string


class Lot(_AppendOnly, ModelSQL, ModelView):
    """Points granted together, spent and expired together.

    Redemptions take from the lot expiring first (R6).
    """
    __name__ = 'hirakata.point.lot'

    account = fields.Many2One('hirakata.point.account', "Account",
        required=True, readonly=True, ondelete='RESTRICT')
    entry = fields.Many2One('hirakata.point.entry', "Grant Entry",
        required=True, readonly=True, ondelete='RESTRICT')
    points = fields.Integer("Points", required=True, readonly=True)
    remaining = fields.Integer("Remaining", required=True, readonly=True)
    grant_date = fields.Date("Grant Date", required=True, readonly=True)
    expiry_date = fields.Date("Expiry Date", required=True, readonly=True)
    moves = fields.One2Many('hirakata.point.lot.move', 'lot', "Moves",
        readonly=True)
    expiry_entry = fields.Many2One('hirakata.point.entry', "Expiry Entry",
        readonly=True, ondelete='RESTRICT',
        help="The entry that expired what was left of the lot.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('remaining_range',
                Check(t, (t.remaining >= 0) & (t.remaining <= t.points)),
                'hirakata_points.msg_lot_remaining_range'),
            ]
        cls._sql_indexes.update({
                # Spending order of one account's open lots.
                Index(t, (t.account, Index.Range()),
                    (t.expiry_date, Index.Range()),
                    where=t.remaining > 0),
                # The nightly expiry's scan.
                Index(t, (t.expiry_date, Index.Range()),
                    where=t.remaining > 0),
                Index(t, (t.entry, Index.Range())),
                })
        cls._order = [('expiry_date', 'ASC'), ('id', 'ASC')]


class LotMove(_AppendOnly, ModelSQL, ModelView):
    """How an entry changed a lot; lets a reversal restore the same lots.

    Expiry is not recorded here but on the lot (Lot.expiry_entry): it
    always takes all that is left, and at 2,000,000 lots a night a move
    row for each would be most of the job's cost.
    """
    __name__ = 'hirakata.point.lot.move'

    entry = fields.Many2One('hirakata.point.entry', "Entry", required=True,
        readonly=True, ondelete='RESTRICT')
    lot = fields.Many2One('hirakata.point.lot', "Lot", required=True,
        readonly=True, ondelete='RESTRICT')
    points = fields.Integer("Points", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.entry, Index.Range())),
                Index(t, (t.lot, Index.Range())),
                })

