"""The accounting effect of the ledger: one posted move per business day
and kind of movement (R23), and the liability on the books beside the
points outstanding in the ledger.

A day is booked once it is over in Hirakata: entries are dated with the
city's business date when they are made, so no entry joins a past day and
a booked day never changes. A reversal is booked as its original's kind
(a cancelled grant lowers what the grant raised)."""
import datetime as dt

from sql import Null
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, dualmethod, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from .books import PROGRAMME, ZERO, yen
from .exceptions import BooksError

# The account that takes the other side of the liability, by kind.
COUNTER_ACCOUNTS = {
    'grant': 'unbilled_funding',
    'adjust': 'adjustment_expense',
    'redeem': 'unsettled_uses',
    'exchange': 'unsettled_uses',
    'donation': 'community_fund',
    }
BOOKED_KINDS = list(COUNTER_ACCOUNTS) + ['expire']


def movements_by_day_and_kind(start, end):
    """[(date, kind, points)] of holders' entries dated start..end, a
    reversal counted under its original's kind. A grant neither a store
    nor a programme funds is the operator's own, booked as an adjustment."""
    pool = Pool()
    Entry = pool.get('hirakata.point.entry')
    Account = pool.get('hirakata.point.account')
    entry, original, account = (Entry.__table__(), Entry.__table__(),
        Account.__table__())
    kind = Coalesce(original.kind, entry.kind)
    origin = Coalesce(original.origin, entry.origin, '')
    funded = (Coalesce(original.store, entry.store) != Null) | (
        origin.like(PROGRAMME + '%'))
    kind = Case(((kind == 'grant') & ~funded, 'adjust'), else_=kind)
    # grouped outside: PostgreSQL does not match a parametrised CASE in
    # GROUP BY with the same CASE in SELECT
    movements = entry.join(account, condition=(account.id == entry.account)
        ).join(original, 'LEFT', condition=original.id == entry.reversal_of
        ).select(entry.date.as_('date'), kind.as_('kind'),
            entry.points.as_('points'),
            where=(account.kind == 'holder')
            & (entry.date >= start) & (entry.date <= end))
    query = movements.select(movements.date, movements.kind,
        Sum(movements.points),
        group_by=[movements.date, movements.kind],
        order_by=[movements.date, movements.kind])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    return [(as_date(d), k, int(p)) for d, k, p in cursor]


def as_date(value):
    "A date from the database (SQLite answers text)."
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class Booking(ModelSQL, ModelView):
    "Daily Booking of Point Movements"
    __name__ = 'hirakata.settlement.booking'

    date = fields.Date("Date", required=True, readonly=True)
    kind = fields.Selection('get_kinds', "Kind", required=True,
        readonly=True)
    points = fields.Integer("Points", required=True, readonly=True,
        help="The change of the points liability (positive: raised).")
    move = fields.Many2One('account.move', "Move", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('date_kind_unique', Unique(t, t.date, t.kind),
                'hirakata_points_settlement.msg_booking_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('kind', 'ASC'), ('id', 'DESC')]

    @classmethod
    def get_kinds(cls):
        Entry = Pool().get('hirakata.point.entry')
        return Entry.fields_get(['kind'])['kind']['selection']

    @classmethod
    def book_until(cls, date=None):
        """Book every business day up to date (yesterday by default) that
        is not booked yet; a day not over in Hirakata is refused."""
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Date = pool.get('ir.date')
        Move = pool.get('account.move')
        today = Date.today()
        date = date or today - dt.timedelta(days=1)
        if date >= today:
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_day_not_over',
                    date=date.strftime('%Y/%m/%d')))
        with Transaction().set_context(_check_access=False):
            config = Configuration.books()
            # One booking run at a time: the configuration row is the lock.
            Configuration.lock([config])
            start = (config.booked_until + dt.timedelta(days=1)
                if config.booked_until else dt.date.min)
            if start > date:
                return []
            cls._lock_for_posting(config, start, date)
            bookings, moves = [], []
            for day, kind, points in movements_by_day_and_kind(start, date):
                booking = cls(date=day, kind=kind, points=points)
                if points:
                    booking.move = cls._move(config, day, kind, points)
                    moves.append(booking.move)
                bookings.append(booking)
            with Transaction().set_user(0), \
                    Transaction().set_context(_hirakata_booking=True):
                Move.save(moves)
                Move.post(moves)
                cls.save(bookings)
                config.booked_until = date
                config.save()
        return bookings

    @classmethod
    def _lock_for_posting(cls, config, start, end):
        """Lock first what posting the moves of start..end locks one at a
        time: the move sequences of their periods and, when one of them
        has no move in the journal yet, the journal periods. Each lock
        restarts the transaction with it; asked before any work, not
        after reading and booking the days before it."""
        pool = Pool()
        AccountPeriod = pool.get('account.period')
        JournalPeriod = pool.get('account.journal.period')
        Sequence = pool.get('ir.sequence.strict')
        periods = AccountPeriod.search([
                ('company', '=', config.company.id),
                ('type', '=', 'standard'),
                ('start_date', '<=', end),
                ('end_date', '>=', start),
                ])
        journal_periods = JournalPeriod.search([
                ('journal', '=', config.journal.id),
                ('period', 'in', [p.id for p in periods]),
                ])
        if len(journal_periods) < len(periods):
            JournalPeriod.lock()
        Sequence.lock(list({p.move_sequence_used for p in periods
                    if p.move_sequence_used._strict}))

    @classmethod
    def book_until_cron(cls):
        cls.book_until()

    @classmethod
    def _move(cls, config, date, kind, points):
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        company = config.company
        counter = config.account(cls.counter_account(config, kind))
        liability = config.account('points_liability')
        amount = yen(points)

        def line(account, credit):
            return Line(account=account,
                debit=-credit if credit < 0 else ZERO,
                credit=credit if credit > 0 else ZERO)
        return Move(company=company, journal=config.journal,
            period=Period.find(company, date=date), date=date,
            description='%s %s' % (date.strftime('%Y/%m/%d'),
                cls.kind_label(kind)),
            lines=[line(liability, amount), line(counter, -amount)])

    @classmethod
    def counter_account(cls, config, kind):
        "The role of the account opposite the liability for kind."
        if kind == 'expire':
            return ('expired_income' if config.expired_points_to == 'income'
                else 'community_fund')
        if kind not in COUNTER_ACCOUNTS:
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_kind_not_booked',
                    kind=kind))
        return COUNTER_ACCOUNTS[kind]

    @classmethod
    def kind_label(cls, kind):
        return dict(cls.get_kinds()).get(kind, kind)


def outstanding_points(date):
    """The points holders held at the end of date, summed from the smaller
    side of the ledger: today's balances less what was booked after date
    for a recent date, the entries up to date for an older one (the
    entries' dates tell which, through their index)."""
    pool = Pool()
    Entry = pool.get('hirakata.point.entry')
    Account = pool.get('hirakata.point.account')
    entry, account = Entry.__table__(), Account.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*entry.select(Min(entry.date), Max(entry.date)))
    first, last = map(as_date, cursor.fetchone())
    holders = entry.join(account, condition=account.id == entry.account)
    if first and date - first < last - date:
        cursor.execute(*holders.select(Coalesce(Sum(entry.points), 0),
                where=(account.kind == 'holder') & (entry.date <= date)))
        points, = cursor.fetchone()
        return int(points)
    cursor.execute(*account.select(Coalesce(Sum(account.balance), 0),
            where=account.kind == 'holder'))
    balance, = cursor.fetchone()
    cursor.execute(*holders.select(Coalesce(Sum(entry.points), 0),
            where=(account.kind == 'holder') & (entry.date > date)))
    later, = cursor.fetchone()
    return int(balance) - int(later)


def liability_on_books(date):
    "The points liability account's credit balance of posted moves to date."
    pool = Pool()
    Configuration = pool.get('hirakata.settlement.configuration')
    Line = pool.get('account.move.line')
    Move = pool.get('account.move')
    account = Configuration.books().account('points_liability')
    line, move = Line.__table__(), Move.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*line.join(move, condition=move.id == line.move).select(
            Coalesce(Sum(line.credit - line.debit), 0),
            where=(line.account == account.id) & (move.date <= date)
            & (move.state == 'posted')))
    amount, = cursor.fetchone()
    return int(amount)


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    def cancel(self, default=None, reversal=False):
        self.check_not_booked()
        return super().cancel(default=default, reversal=reversal)

    @dualmethod
    def post(cls, moves):
        # The points liability is the ledger's outstanding points: only
        # the daily booking posts on it (not a copy of a booking, not an
        # entry by hand), or the books part from the ledger.
        if not Transaction().context.get('_hirakata_booking'):
            Configuration = Pool().get('hirakata.settlement.configuration')
            config = Configuration(1)
            liability = config.points_liability
            for move in moves:
                if liability and any(l.account == liability
                        for l in move.lines):
                    raise AccessError(gettext(
                            'hirakata_points_settlement.msg_move_liability',
                            move=move.rec_name, account=liability.rec_name))
        super().post(moves)

    def check_not_booked(self):
        """A day's booking and a confirmed month's invoice stay booked: a
        cancelling move would part the books from the ledger and the
        settlement; corrections go into the next month."""
        pool = Pool()
        Booking = pool.get('hirakata.settlement.booking')
        Invoice = pool.get('account.invoice')
        if isinstance(self.origin, Invoice):
            Invoice.check_not_settled([self.origin])
        if Booking.search([('move', '=', self.id)], limit=1):
            raise AccessError(gettext(
                    'hirakata_points_settlement.msg_move_booked',
                    move=self.rec_name))


class LiabilityStart(ModelView):
    "Points Liability"
    __name__ = 'hirakata.settlement.liability.start'

    date = fields.Date("Date", required=True)
    booked_until = fields.Date("Booked Until", readonly=True)
    ledger_points = fields.Integer("Outstanding Points (Ledger)",
        readonly=True)
    books_amount = fields.Integer("Points Liability (Books, JPY)",
        readonly=True)
    difference = fields.Integer("Difference", readonly=True)
    unbooked = fields.Boolean("Days Not Booked Yet", readonly=True)

    @staticmethod
    def default_date():
        Date = Pool().get('ir.date')
        return Date.today() - dt.timedelta(days=1)

    @fields.depends('date')
    def on_change_date(self):
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Date = pool.get('ir.date')
        # (a client may call on_change without the wizard: the figures are
        # for those who read the books' bookings, as the wizard's groups)
        pool.get('ir.model.access').check(
            'hirakata.settlement.booking', 'read')
        if not self.date or not Configuration(1).company:
            return
        today = Date.today()
        if self.date > today:
            # the books and the ledger of a day not come yet would read as
            # today's: nothing to compare
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_liability_future',
                    date=self.date.strftime('%Y/%m/%d'),
                    today=today.strftime('%Y/%m/%d')))
        report = liability_report(self.date)
        for name, value in report.items():
            setattr(self, name, value)


def liability_report(date):
    "The ledger's outstanding points and the books' liability at date."
    Configuration = Pool().get('hirakata.settlement.configuration')
    config = Configuration.books()
    ledger_points = outstanding_points(date)
    books_amount = liability_on_books(date)
    return {
        'booked_until': config.booked_until,
        'ledger_points': ledger_points,
        'books_amount': books_amount,
        'difference': books_amount - ledger_points,
        'unbooked': not config.booked_until or config.booked_until < date,
        }


class Liability(Wizard):
    "Points Liability"
    __name__ = 'hirakata.settlement.liability'

    start = StateView('hirakata.settlement.liability.start',
        'hirakata_points_settlement.liability_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        Configuration = Pool().get('hirakata.settlement.configuration')
        date = LiabilityStart.default_date()
        if not Configuration(1).company:
            # opens on a database whose books are not set up yet
            return {'date': date, 'unbooked': True}
        return dict(liability_report(date), date=date)

