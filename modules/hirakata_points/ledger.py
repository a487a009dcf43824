"""The ledger service: the only code that moves points (R5, R6, R8).

Every channel (back office, terminal API, imports, portal, jobs) calls one
of grant, redeem, adjust, reverse or expire_due; none writes balances.

How it stays right under concurrency (PostgreSQL runs every transaction at
REPEATABLE READ):
- a movement first locks the account row (SELECT … FOR UPDATE), so two
  movements on one account run one after the other: the second waits in
  PostgreSQL until the first commits. As the row then changed after the
  second's snapshot, PostgreSQL refuses it ("could not serialize") and the
  whole request runs again at once with a fresh snapshot (Tryton's retry
  of operational errors, or the terminal API's own). Waiting in the
  database rather than failing at once (NOWAIT) queues a busy card's
  requests instead of spinning; locking in place rather than through
  Model.lock() spares the common, uncontended case a restart;
- the idempotency key is looked up after the lock: a replay returns the
  first entry, the same key with another request is refused;
- the account's balance cannot go below zero (a CHECK constraint backs the
  service's own test).

The statements are plain SQL on purpose: this is the hot path of every
terminal transaction, and the ORM's per-record work would dominate it.
"""
import datetime as dt
import hashlib
import json
import logging

from sql import Cast, Literal
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Model, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from . import statement
from .exceptions import (
    IdempotencyConflict, InsufficientPoints, InvalidPoints, NotReversible,
    ReasonRequired)
from .statement import Arg

logger = logging.getLogger(__name__)

# Kinds whose entry put points on lots (a reversal takes them back) and
# kinds whose entry took points off lots (a reversal puts them back).
_CREDITS = {'grant', 'adjust'}
_DEBITS = {'redeem', 'adjust', 'donation', 'exchange'}
# Channels where a person acts and must say why (R5).
_PERSON_CHANNELS = {'backoffice'}


class Ledger(Model):
    "Point Ledger"
    __name__ = 'hirakata.point.ledger'

    @classmethod
    def grant(cls, account, points, *, key, channel, origin=None,
            reason=None, policy=None, date=None, request=None):
        """Add points to account on a new lot and return the entry.

        The lot's expiry date comes from policy, else from the policy the
        city set for channel. request holds what else the channel was asked
        (e.g. a purchase amount): a replayed key must ask for it again.
        """
        pool = Pool()
        Configuration = pool.get('hirakata.point.configuration')
        _check_points(points)
        date = date or dt.date.today()
        if policy is None:
            expiry_date = Configuration.expiry_date(channel, date)
        else:
            expiry_date = policy.expiry_date(date)
        request = _request('grant', account, points, channel, origin, reason,
            policy=policy.id if policy else None, date=date, request=request)
        return cls._book(account, 'grant', points, key, request,
            channel=channel, origin=origin, reason=reason, date=date,
            expiry_date=expiry_date)

    @classmethod
    def redeem(cls, account, points, *, key, channel, origin=None,
            reason=None, kind='redeem', request=None):
        """Take points from account, earliest-expiring first.

        kind names the use: 'redeem' at a store, 'donation', 'exchange'.
        """
        assert kind in _DEBITS - {'adjust'}
        _check_points(points)
        request = _request(kind, account, points, channel, origin, reason,
            request=request)
        return cls._book(account, kind, -points, key, request,
            channel=channel, origin=origin, reason=reason)

    @classmethod
    def adjust(cls, account, points, *, key, channel, reason, origin=None,
            policy=None):
        "A correction by a person: points may be negative; reason required."
        pool = Pool()
        Configuration = pool.get('hirakata.point.configuration')
        if not points or not isinstance(points, int):
            raise InvalidPoints(gettext('hirakata_points.msg_points_positive'))
        _check_reason(reason, required=True)
        date = dt.date.today()
        expiry_date = None
        if points > 0 and policy is None:
            expiry_date = Configuration.expiry_date(channel, date)
        elif points > 0:
            expiry_date = policy.expiry_date(date)
        request = _request('adjust', account, points, channel, origin,
            reason, policy=policy.id if policy else None)
        return cls._book(account, 'adjust', points, key, request,
            channel=channel, origin=origin, reason=reason,
            expiry_date=expiry_date)

    @classmethod
    def reverse(cls, entry, *, key, channel, reason, origin=None):
        """Cancel entry with a new entry of the opposite sign.

        A reversed redemption puts the points back on the lots it took
        them from, with their expiry dates; a reversed grant takes its
        points from its own lot first.
        """
        _check_reason(reason, required=True)
        if entry.kind not in _CREDITS | _DEBITS:
            raise NotReversible(gettext(
                    'hirakata_points.msg_entry_not_reversible',
                    entry=entry.id))
        request = _request('reversal', entry.account, -entry.points, channel,
            origin, reason, reversal_of=entry.id)
        return cls._book(entry.account, 'reversal', -entry.points, key,
            request, channel=channel, origin=origin, reason=reason,
            reversal_of=entry)

    @classmethod
    def _entry_columns(cls, origin):
        """Columns other modules add to an entry, from its origin.

        E.g. the store module records the store and terminal of an entry
        booked at a terminal.
        """
        return {}

    @classmethod
    def _book(cls, account, kind, points, key, request, *, channel,
            origin=None, reason=None, date=None, expiry_date=None,
            reversal_of=None):
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Entry = pool.get('hirakata.point.entry')
        if not key:
            raise InvalidPoints(gettext('hirakata_points.msg_key_required'))
        if channel in _PERSON_CHANNELS:
            _check_reason(reason, required=kind != 'grant' or not origin)
        digest = _digest(request)

        _lock_account(account.id)
        replay = _replay(key, digest)
        if replay:
            return replay
        if reversal_of is not None and reversal_of.reversals:
            raise NotReversible(gettext(
                    'hirakata_points.msg_entry_already_reversed'))

        date = date or dt.date.today()
        extra = cls._entry_columns(origin)
        if points > 0 and reversal_of is None:
            balance = _move_balance(account.id, points)
            entry_id = _insert_entry(account.id, kind, points, balance, date,
                channel, origin, reason, key, digest, extra=extra)
            _insert_lot(account.id, entry_id, points, date, expiry_date)
        elif points > 0:
            # Reversal of a debit: the same lots get their points back.
            balance = _move_balance(account.id, points)
            entry_id = _insert_entry(account.id, kind, points, balance, date,
                channel, origin, reason, key, digest, reversal_of.id,
                extra=extra)
            _restore_lots(reversal_of.id, entry_id)
        else:
            prefer = _lot_of(reversal_of.id) if reversal_of else None
            takes = _plan_debit(account.id, -points, date, prefer)
            balance = _move_balance(account.id, points)
            entry_id = _insert_entry(account.id, kind, points, balance, date,
                channel, origin, reason, key, digest,
                reversal_of.id if reversal_of else None, extra=extra)
            _change_lots(entry_id, [(l, -take) for l, take in takes])
        statement.forget(Account, [account.id])
        return Entry(entry_id)

    @classmethod
    def expire_due(cls, date=None, chunk_size=2000, commit_chunks=None):
        """Expire every lot whose expiry date is before date (R6).

        Runs in chunks of accounts, each in its own committed transaction,
        so the nightly job never holds many accounts at once; an account a
        terminal is using at that moment is skipped and taken next night.
        Each account gets one expire entry; the expired points go to the
        expired points pool (R7). Returns the number of points expired.
        """
        date = date or dt.date.today()
        total, after = 0, 0
        while True:
            done, after = _run_chunk(date, after, chunk_size, commit_chunks)
            if after is None:
                return total
            total += done

    @classmethod
    def expire_due_cron(cls):
        "The nightly job (ir.cron)."
        points = cls.expire_due()
        logger.info("expired %s points", points)


def _check_points(points):
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidPoints(gettext('hirakata_points.msg_points_positive'))


def _check_reason(reason, required):
    if required and not (reason or '').strip():
        raise ReasonRequired(gettext('hirakata_points.msg_reason_required'))


def _request(kind, account, points, channel, origin, reason, **extra):
    "What the caller asked for; a replayed key must ask for the same."
    return dict(kind=kind, account=account.id, points=points,
        channel=channel, origin=str(origin) if origin else None,
        reason=reason or None,
        **{k: str(v) if v is not None else None for k, v in extra.items()})


def _digest(request):
    return hashlib.sha256(
        json.dumps(request, sort_keys=True).encode()).hexdigest()


def _tables():
    pool = Pool()
    return (pool.get('hirakata.point.account').__table__(),
        pool.get('hirakata.point.entry').__table__(),
        pool.get('hirakata.point.lot').__table__(),
        pool.get('hirakata.point.lot.move').__table__())


def _cursor():
    return Transaction().connection.cursor()


def _run_sql(name, build, /, **args):
    "Run a statement of the ledger, built once (statement.run)."
    return statement.run('hirakata.point.ledger:' + name,
        lambda: build(*_tables()), **args)


def _returning():
    return Transaction().database.has_returning()


def _lock_account(account_id):
    statement.lock(Pool().get('hirakata.point.account'), account_id)


def _replay(key, digest):
    Entry = Pool().get('hirakata.point.entry')
    row = _run_sql('replay', lambda _, entry, *__: entry.select(
            entry.id, entry.request_digest,
            where=entry.idempotency_key == Arg('key')), key=key).fetchone()
    if not row:
        return None
    if row[1] != digest:
        raise IdempotencyConflict(gettext(
                'hirakata_points.msg_idempotency_conflict'))
    return Entry(row[0])


def _move_balance(account_id, points):
    "Add points (maybe negative) to the balance and return the new balance."
    def update(account, *_):
        query = account.update([account.balance],
            [account.balance + Arg('points')],
            where=(account.id == Arg('id'))
            & (account.balance + Arg('points') >= 0))
        if _returning():
            query.returning = [account.balance]
        return query
    cursor = _run_sql('move_balance', update, id=account_id, points=points)
    if _returning():
        row = cursor.fetchone()
    else:
        row = cursor.rowcount and _run_sql('balance',
            lambda account, *_: account.select(account.balance,
                where=account.id == Arg('id')), id=account_id).fetchone()
    if not row:
        raise InsufficientPoints(gettext(
                'hirakata_points.msg_insufficient_points',
                points=-points, available=0))
    return row[0]


def _insert(name, table_index, columns, **args):
    """Insert one row of args into the table_index-th table; its id.

    columns are the column names, in the order of args' names."""
    def build(*tables):
        table = tables[table_index]
        query = table.insert(
            [getattr(table, c) for c in columns] + [
                table.create_uid, table.create_date],
            [[Arg(c) for c in columns] + [Arg('_user'),
                    CurrentTimestamp()]])
        if _returning():
            query.returning = [table.id]
        return query
    cursor = _run_sql(name, build, _user=Transaction().user, **args)
    if _returning():
        return cursor.fetchone()[0]
    return Transaction().database.lastid(cursor)


def _insert_entry(account_id, kind, points, balance, date, channel, origin,
        reason, key, digest, reversal_of=None, extra=None):
    if origin is not None and not isinstance(origin, str):
        origin = str(origin)
    extra = extra or {}
    try:
        return _insert('insert_entry:' + ','.join(sorted(extra)), 1,
            ['account', 'kind', 'points', 'balance_after', 'date', 'channel',
                'origin', 'reason', 'idempotency_key', 'request_digest',
                'reversal_of'] + sorted(extra),
            account=account_id, kind=kind, points=points,
            balance_after=balance, date=date, channel=channel, origin=origin,
            reason=reason, idempotency_key=key, request_digest=digest,
            reversal_of=reversal_of, **extra)
    except backend.DatabaseIntegrityError:
        # The key was used at the same moment on another account.
        raise IdempotencyConflict(gettext(
                'hirakata_points.msg_idempotency_conflict'))


def _insert_lot(account_id, entry_id, points, date, expiry_date):
    _insert('insert_lot', 2,
        ['account', 'entry', 'points', 'remaining', 'grant_date',
            'expiry_date'],
        account=account_id, entry=entry_id, points=points, remaining=points,
        grant_date=date, expiry_date=expiry_date)


def _lot_of(entry_id):
    row = _run_sql('lot_of', lambda _, __, lot, ___: lot.select(lot.id,
            where=lot.entry == Arg('entry')), entry=entry_id).fetchone()
    return row[0] if row else None


def _plan_debit(account_id, points, date, prefer=None):
    """Which lots give points: [(lot id, points)], earliest expiry first.

    Lots past their expiry date are not spent even before the nightly job
    has booked their expiry.
    """
    lots = _run_sql('open_lots', lambda _, __, lot, ___: lot.select(
            lot.id, lot.remaining,
            where=(lot.account == Arg('account')) & (lot.remaining > 0)
            & (lot.expiry_date >= Arg('date')),
            order_by=[lot.expiry_date.asc, lot.id.asc]),
        account=account_id, date=date).fetchall()
    if prefer:
        lots.sort(key=lambda l: l[0] != prefer)
    available = sum(r for _, r in lots)
    if available < points:
        raise InsufficientPoints(gettext(
                'hirakata_points.msg_insufficient_points',
                points=points, available=available))
    takes = []
    for lot_id, remaining in lots:
        take = min(points, remaining)
        takes.append((lot_id, take))
        points -= take
        if not points:
            break
    return takes


def _change_lots(entry_id, changes):
    "Add points to lots and record each change as a lot move of entry_id."
    for lot_id, points in changes:
        _run_sql('change_lot', lambda _, __, lot, ___: lot.update(
                [lot.remaining], [lot.remaining + Arg('points')],
                where=lot.id == Arg('id')), id=lot_id, points=points)
        _insert('insert_move', 3, ['entry', 'lot', 'points'],
            entry=entry_id, lot=lot_id, points=points)


def _restore_lots(reversed_id, entry_id):
    "Give back to each lot what the reversed entry took from it."
    moves = _run_sql('moves_of', lambda _, __, ___, move: move.select(
            move.lot, move.points, where=move.entry == Arg('entry')),
        entry=reversed_id).fetchall()
    _change_lots(entry_id, [(lot_id, -points) for lot_id, points in moves])


def _run_chunk(date, after, size, commit, attempts=10):
    "Expire one chunk, in its own transaction when commit."
    if not commit:
        return _expire_chunk(date, after, size)
    for attempt in range(attempts):
        with Transaction().new_transaction() as transaction:
            try:
                result = _expire_chunk(date, after, size)
                transaction.commit()
                return result
            except backend.DatabaseOperationalError:
                # A terminal committed on one of these accounts between our
                # snapshot and our lock: take the chunk again.
                transaction.rollback()
                if attempt + 1 == attempts:
                    raise
                logger.info("expiry chunk after %s retried", after)


def _expire_chunk(date, after, size):
    """Expire the due lots of up to size accounts numbered above after.

    Set-based: a handful of statements whatever the number of lots.
    Returns (points expired, last account id) or (0, None) when done.
    """
    pool = Pool()
    Account = pool.get('hirakata.point.account')
    account, entry, lot, _ = _tables()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    user = transaction.user
    due = (lot.remaining > 0) & (lot.expiry_date < date)

    candidates = lot.select(lot.account, where=due & (lot.account > after),
        group_by=[lot.account], order_by=[lot.account.asc], limit=size)
    cursor.execute(*candidates)
    ids = [r[0] for r in cursor]
    if not ids:
        return 0, None
    last = ids[-1]
    if backend.name == 'postgresql':
        # Skip the accounts a terminal holds right now.
        cursor.execute(
            'SELECT id FROM "%s" WHERE id = ANY(%%s) ORDER BY id '
            'FOR UPDATE SKIP LOCKED' % Account._table, (ids,))
        ids = [r[0] for r in cursor]
        if not ids:
            return 0, last
    in_ = fields.SQL_OPERATORS['in']  # = ANY(array) on PostgreSQL
    chunk = in_(lot.account, ids)

    cursor.execute(*entry.select(Max(entry.id)))
    watermark = cursor.fetchone()[0] or 0

    # One expire entry per account; the key names the entry it follows,
    # which no other expiry of that account can share.
    previous = entry.select(Max(entry.id), where=entry.account == lot.account)
    expired = lot.join(account, condition=account.id == lot.account).select(
        lot.account, Literal('expire'), -Sum(lot.remaining),
        account.balance - Sum(lot.remaining), Literal(date),
        Literal('batch'),
        Concat(Concat('expire:', Cast(lot.account, 'VARCHAR')),
            Concat(':', Cast(Coalesce(previous, 0), 'VARCHAR'))),
        Literal(user), CurrentTimestamp(),
        where=due & chunk, group_by=[lot.account, account.balance])
    cursor.execute(*entry.insert(
            [entry.account, entry.kind, entry.points, entry.balance_after,
                entry.date, entry.channel, entry.idempotency_key,
                entry.create_uid, entry.create_date],
            expired))

    new = (entry.id > watermark) & (entry.kind == 'expire') & in_(
        entry.account, ids)
    # The new entries carry the balance each account now has.
    cursor.execute(*account.update([account.balance], [entry.balance_after],
            from_=[entry], where=(entry.account == account.id) & new))
    cursor.execute(*lot.update([lot.remaining, lot.expiry_entry],
            [0, entry.id], from_=[entry],
            where=due & chunk & new & (entry.account == lot.account)))

    cursor.execute(*entry.select(Coalesce(-Sum(entry.points), 0),
            Min(entry.id), where=new))
    points, first = cursor.fetchone()
    if points:
        _credit_pool('expired_pool', int(points), 'expired_in',
            'expire-pool:%s' % first, date)
    statement.forget(Account, ids)
    return int(points or 0), last


def _credit_pool(kind, points, entry_kind, key, date):
    "Book points into a system pool account (no lots: pools do not expire)."
    Account = Pool().get('hirakata.point.account')
    pool_account = Account.pool_account(kind)
    balance = _move_balance(pool_account.id, points)
    _insert_entry(pool_account.id, entry_kind, points, balance, date,
        'batch', None, None, key, None)
    statement.forget(Account, [pool_account.id])

