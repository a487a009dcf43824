"""The ledger service: the only code that moves points (R5, R6, R8).

Every channel (back office, terminal API, imports, portal, jobs) calls one
of grant, redeem, adjust, reverse, expire_due or, for the system pools,
allocate; none writes balances.

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
import hashlib
import json
import logging
import time

from sql import Cast, Literal
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Concat, Exists

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Model, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from . import clock, ledger_guard, statement
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
# Accounts the nightly job expires in one transaction.
CRON_CHUNK_SIZE = 2000
# Seconds the nightly job waits before trying busy accounts again.
_BUSY_PAUSES = [0.1, 0.5, 2, 5]


class Ledger(Model):
    "Point Ledger"
    __name__ = 'hirakata.point.ledger'

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        ledger_guard.install()

    @classmethod
    def grant(cls, account, points, *, key, channel, origin=None,
            reason=None, policy=None, date=None, request=None):
        """Add points to account on a new lot and return the entry.

        The lot's expiry date comes from policy, else from the policy the
        city set for channel; the grant's date is today unless date says.
        request is what the channel was asked when it derived the points
        from it (a purchase amount at today's campaigns, a session's
        hours): a replay is matched on it instead of the points, which a
        retry on a later day may compute otherwise.
        """
        pool = Pool()
        Configuration = pool.get('hirakata.point.configuration')
        _check_points(points)
        digested = _grant_request(account, points, channel, origin, reason,
            policy, date, request)

        def expiry_date(date):
            if policy is None:
                return Configuration.expiry_date(channel, date)
            return policy.expiry_date(date)
        return cls._book(account, 'grant', points, key, digested,
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
        if (not points or not isinstance(points, int)
                or isinstance(points, bool)):
            raise InvalidPoints(gettext('hirakata_points.msg_points_positive'))
        _check_reason(reason, required=True)

        def expiry_date(date):
            if policy is None:
                return Configuration.expiry_date(channel, date)
            return policy.expiry_date(date)
        request = _request('adjust', account, points, channel, origin,
            reason, policy=policy.id if policy else None)
        return cls._book(account, 'adjust', points, key, request,
            channel=channel, origin=origin, reason=reason,
            expiry_date=expiry_date)

    @classmethod
    def reverse(cls, entry, *, key, channel, reason, origin=None):
        """Cancel entry with a new entry on its account (R5).

        Every point goes back where it would be had entry never been
        booked (docs/architecture.md, "Reversals"):
        - a reversed redemption (donation, exchange) puts the points back
          on the lots it took them from, with their expiry dates; what it
          took from lots expired since goes to the expired points pool;
        - a reversed grant takes back what is left of its own lot, what
          expired of it from the expired points pool, and only what the
          holder spent of it from the holder's other lots.
        The holder's entry may then be of 0 points (all of it expired).
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
    def allocate(cls, pool_kind, points, *, key, channel, origin, reason):
        """Take points out of the system pool pool_kind (e.g. the expired
        points pool) for what origin decided, e.g. a community project
        the city gives them to (R7), and return the pool's entry.

        Refused beyond what the pool holds. Pools have no lots, so this
        is not a redemption; nothing reverses it (a person decides anew).
        """
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        _check_points(points)
        _check_reason(reason, required=True)
        if not key:
            raise InvalidPoints(gettext('hirakata_points.msg_key_required'))
        account = Account.pool_account(pool_kind)
        assert account.kind != 'holder'
        digest = _digest(_request('allocation', account, points, channel,
                origin, reason))
        _lock_account(account.id)
        replay = _replay(key, digest)
        if replay:
            return replay
        balance, = _run_sql('balance', lambda account, *_: account.select(
                account.balance, where=account.id == Arg('id')),
            id=account.id).fetchone()
        if balance < points:
            raise InsufficientPoints(gettext(
                    'hirakata_points.msg_insufficient_points',
                    points='{:,}'.format(points),
                    available='{:,}'.format(balance)))
        balance = _move_balance(account.id, -points)
        entry_id = _insert_entry(account.id, 'allocation', -points, balance,
            clock.today(), channel, origin, reason, key, digest,
            extra=cls.entry_columns(origin))
        statement.forget(Account, [account.id])
        return pool.get('hirakata.point.entry')(entry_id)

    @classmethod
    def replayed(cls, key, kind, points=None, *, channel, origin=None,
            request=None):
        """The entry booked under key, if the same caller asked the same;
        None if nothing was booked under key; IdempotencyConflict if
        something else was.

        For a channel that must answer a retry before it can work the
        request out again: the card blocked since, the day's campaign
        over."""
        Entry = Pool().get('hirakata.point.entry')
        entries = Entry.search([('idempotency_key', '=', key)], limit=1)
        if not entries:
            return None
        account = entries[0].account
        if kind == 'grant':
            asked = _grant_request(account, points, channel, origin, None,
                None, None, request)
        else:
            asked = _request(kind, account, points, channel, origin, None,
                request=request)
        return _replay(key, _digest(asked))

    @classmethod
    def entry_columns(cls, origin):
        """Columns other modules add to an entry, from its origin: a hook
        for modules that add columns to hirakata.point.entry, which
        override it through the pool and add theirs to super()'s.

        E.g. the store module records the store and terminal of an entry
        booked at a terminal. It runs for every movement, inside the
        account's lock: an override should read nothing from the database.
        """
        return {}

    @classmethod
    def _book(cls, account, kind, points, key, request, *, channel,
            origin=None, reason=None, date=None, expiry_date=None,
            reversal_of=None):
        """Book points (a credit > 0, a debit < 0) on account under key.

        expiry_date(date) gives a credit's lot its expiry date; request is
        what the key's replays must ask again."""
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

        date = date or clock.today()
        extra = cls.entry_columns(origin)

        def book(points, reversed_id=None):
            balance = _move_balance(account.id, points)
            return _insert_entry(account.id, kind, points, balance, date,
                channel, origin, reason, key, digest, reversed_id,
                extra=extra)

        if reversal_of is None and points > 0:
            lot_expiry = expiry_date(date)
            entry_id = book(points)
            _insert_lot(account.id, entry_id, points, date, lot_expiry)
        elif reversal_of is None:
            takes = _plan_debit(account.id, -points, date)
            entry_id = book(points)
            _change_lots(entry_id, [(l, -take) for l, take in takes])
            if kind == 'donation':
                _book_pool('donation_pool', -points, 'donated_in',
                    key + ':pool', date, channel, entry_id)
        elif points > 0:
            live, expired = _restorable(reversal_of.id, date)
            entry_id = book(sum(p for _, p in live), reversal_of.id)
            _change_lots(entry_id, live)
            if expired:
                # What went out of lots expired since goes to the expired
                # pool, as it would have had it not been spent: through
                # those lots (moves, their remaining unchanged), so that a
                # later reversal of their grant finds it in the pool.
                _record_moves(entry_id, expired)
                pool_entry = _book_pool('expired_pool',
                    sum(p for _, p in expired), 'expired_in',
                    key + ':expired', date, channel, entry_id)
                _record_moves(pool_entry, [(l, -p) for l, p in expired])
            if reversal_of.kind == 'donation':
                _book_pool('donation_pool', -points, 'reversal',
                    key + ':pool', date, channel, entry_id)
        else:
            # The grant's own lot gives what is left of it, the holder's
            # other lots what the holder spent of it, the expired pool the
            # rest, which expired.
            lot_id, left, spent = _grant_lot(reversal_of.id)
            pooled = -points - left - spent
            takes = [(lot_id, left)] if left else []
            if spent:
                takes += _plan_debit(account.id, spent, date, exclude=lot_id)
            entry_id = book(-(left + spent), reversal_of.id)
            _change_lots(entry_id, [(l, -take) for l, take in takes])
            if pooled:
                _book_pool('expired_pool', -pooled, 'reversal',
                    key + ':expired', date, channel, entry_id)
        statement.forget(Account, [account.id])
        return Entry(entry_id)

    @classmethod
    def expire_due(cls, date=None, chunk_size=2000, commit_chunks=False):
        """Expire every lot whose expiry date is before date (R6).

        Works in chunks of accounts, each booked as a whole. With
        commit_chunks (the nightly job), each chunk is its own committed
        transaction, so the job never holds many accounts at once, and an
        account a terminal holds at that moment is skipped and tried again
        after the others (its due lots cannot be spent meanwhile). Each
        account gets one expire entry; the expired points go to the
        expired points pool (R7). Returns the number of points expired.
        """
        date = date or clock.today()
        total, busy, after = 0, [], 0
        while True:
            ids = _due_accounts(date, after, chunk_size)
            if not ids:
                break
            after = ids[-1]
            points, skipped = _run_chunk(date, ids, commit_chunks)
            total += points
            busy += skipped
        for pause in _BUSY_PAUSES:
            if not busy:
                break
            time.sleep(pause)
            retry, busy = busy, []
            for ids in grouped_slice(retry, chunk_size):
                points, skipped = _run_chunk(date, list(ids), commit_chunks)
                total += points
                busy += skipped
        if busy:
            logger.warning("expiry: %s accounts busy, left for next night",
                len(busy))
        return total

    @classmethod
    def expire_due_cron(cls):
        "The nightly job (ir.cron): one committed transaction per chunk."
        points = cls.expire_due(chunk_size=CRON_CHUNK_SIZE, commit_chunks=True)
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


def _grant_request(account, points, channel, origin, reason, policy, date,
        request):
    """What a grant's caller asked. Only that is digested: a retry the next
    morning must find its entry although "today" (and the day's campaigns)
    changed."""
    return _request('grant', account, points if request is None else None,
        channel, origin, reason, policy=policy.id if policy else None,
        date=date, request=request)


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
                points='{:,}'.format(-points), available=0))
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


def _plan_debit(account_id, points, date, exclude=None):
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
    lots = [(l, r) for l, r in lots if l != exclude]
    available = sum(r for _, r in lots)
    if available < points:
        raise InsufficientPoints(gettext(
                'hirakata_points.msg_insufficient_points',
                points='{:,}'.format(points),
                available='{:,}'.format(available)))
    takes = []
    for lot_id, remaining in lots:
        take = min(points, remaining)
        takes.append((lot_id, take))
        points -= take
        if not points:
            break
    return takes


def _grant_lot(entry_id):
    """(lot id, points left, points spent) of the lot entry_id opened.

    Spent is what its holder's entries took from it net (redemptions less
    their reversals); the rest of what is not left went to the expired
    pool, by the nightly job or through a reversal (_restorable)."""
    def query(_, entry, lot, move):
        spent = move.join(entry, condition=entry.id == move.entry).select(
            Coalesce(-Sum(move.points), 0),
            where=(move.lot == lot.id) & (entry.account == lot.account))
        return lot.select(lot.id, lot.remaining, spent,
            where=lot.entry == Arg('entry'))
    lot_id, left, spent = _run_sql('grant_lot', query,
        entry=entry_id).fetchone()
    return lot_id, left, int(spent)


def _change_lots(entry_id, changes):
    "Add points to lots and record each change as a lot move of entry_id."
    _record_moves(entry_id, changes)
    for lot_id, points in changes:
        _run_sql('change_lot', lambda _, __, lot, ___: lot.update(
                [lot.remaining], [lot.remaining + Arg('points')],
                where=lot.id == Arg('id')), id=lot_id, points=points)


def _record_moves(entry_id, changes):
    """Record [(lot id, points)] as lot moves of entry_id (first: the
    database lets a lot change only after its move, ledger_guard.py)."""
    for lot_id, points in changes:
        _insert('insert_move', 3, ['entry', 'lot', 'points'],
            entry=entry_id, lot=lot_id, points=points)


def _restorable(reversed_id, date):
    """What reversing the debit reversed_id gives back, by lot: ([(lot id,
    points)] of the lots still usable on date, [(lot id, points)] of those
    expired since).

    Refused for points of an expired lot whose grant was reversed: that
    reversal made the holder pay them back already; a person decides
    (adjust)."""
    def query(_, entry, lot, move):
        reversed_grant = entry.select(entry.id,
            where=entry.reversal_of == lot.entry)
        return move.join(lot, condition=lot.id == move.lot).select(
            move.lot, move.points, lot.expiry_date,
            Exists(reversed_grant),
            where=move.entry == Arg('entry'), order_by=[move.id.asc])
    live, expired = [], []
    for lot_id, points, expiry_date, grant_reversed in _run_sql(
            'moves_of', query, entry=reversed_id):
        if expiry_date >= date:
            live.append((lot_id, -points))
        elif grant_reversed:
            raise NotReversible(gettext(
                    'hirakata_points.msg_reversal_of_reversed_grant'))
        else:
            expired.append((lot_id, -points))
    return live, expired


def _due_accounts(date, after, size):
    "Up to size accounts numbered above after that have lots due on date."
    lot = Pool().get('hirakata.point.lot').__table__()
    cursor = _cursor()
    cursor.execute(*lot.select(lot.account,
            where=(lot.remaining > 0) & (lot.expiry_date < date)
            & (lot.account > after),
            group_by=[lot.account], order_by=[lot.account.asc], limit=size))
    return [r[0] for r in cursor]


def _run_chunk(date, ids, commit, attempts=10):
    """Expire the due lots of accounts ids, in its own transaction when
    commit: (points expired, ids skipped as busy)."""
    if not commit:
        return _expire_chunk(date, ids)
    for attempt in range(attempts):
        with Transaction().new_transaction() as transaction:
            try:
                result = _expire_chunk(date, ids)
                transaction.commit()
                return result
            except backend.DatabaseOperationalError:
                # A terminal committed on one of these accounts as we
                # locked it: take the chunk again.
                transaction.rollback()
                if attempt + 1 == attempts:
                    raise
                logger.info("expiry chunk from %s retried", ids[0])
            except backend.DatabaseIntegrityError as error:
                # The database refused an account's books (ledger_guard):
                # expire the others one by one, report that one.
                transaction.rollback()
                refused = error
                break
    if len(ids) == 1:
        logger.error("expiry: account %s refused by the ledger's checks: %s",
            ids[0], refused)
        return 0, []
    points, skipped = 0, []
    for account_id in ids:
        done, busy = _run_chunk(date, [account_id], commit, attempts)
        points += done
        skipped += busy
    return points, skipped


def _expire_chunk(date, ids):
    """Expire the due lots of the accounts ids not held by a terminal.

    Set-based: a handful of statements whatever the number of lots.
    Returns (points expired, ids skipped as busy).
    """
    pool = Pool()
    Account = pool.get('hirakata.point.account')
    account, entry, lot, _ = _tables()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    user = transaction.user
    due = (lot.remaining > 0) & (lot.expiry_date < date)

    skipped = []
    if backend.name == 'postgresql':
        # The chunk's first statement, so that its snapshot is taken as it
        # locks: accounts a terminal holds right now are skipped.
        cursor.execute(
            'SELECT id FROM "%s" WHERE id = ANY(%%s) ORDER BY id '
            'FOR UPDATE SKIP LOCKED' % Account._table, (ids,))
        locked = {r[0] for r in cursor}
        skipped = [i for i in ids if i not in locked]
        ids = sorted(locked)
        if not ids:
            return 0, skipped
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
        _book_pool('expired_pool', int(points), 'expired_in',
            'expire-pool:%s' % first, date)
    statement.forget(Account, ids)
    return int(points or 0), skipped


def _book_pool(kind, points, entry_kind, key, date, channel='batch',
        origin_id=None):
    """Book points (maybe negative) on a system pool account, e.g. what
    expired (R7) or was donated; pools have no lots: they do not expire.

    origin_id: the holder's entry the pool's entry answers."""
    Account = Pool().get('hirakata.point.account')
    pool_account = Account.pool_account(kind)
    _lock_account(pool_account.id)
    balance = _move_balance(pool_account.id, points)
    origin = 'hirakata.point.entry,%s' % origin_id if origin_id else None
    entry_id = _insert_entry(pool_account.id, entry_kind, points, balance,
        date, channel, origin, None, key, None)
    statement.forget(Account, [pool_account.id])
    return entry_id
