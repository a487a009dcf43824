"""The ledger under real parallel connections (R8).

These tests commit, from many threads each with its own database
connection, as terminals and the nightly job do in production. Only
PostgreSQL has concurrent writers; SQLite runs one writer at a time, so
there is nothing to race there and the class runs on PostgreSQL only
(the test command runs the suite on both).
"""
import datetime as dt
import random
import threading
import time
import unittest
import unittest.mock
import uuid
from concurrent.futures import ThreadPoolExecutor

from trytond import backend
from trytond.exceptions import UserError
from trytond.modules.hirakata_points import clock, ledger
from trytond.modules.hirakata_points.exceptions import (
    IdempotencyConflict, InsufficientPoints)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction, TransactionError


def run(func, *args):
    """Run func in its own committed transaction, as the dispatcher does.

    Restarts for Model.lock() and retries on serialization failures; a
    UserError is returned, not raised, so each caller gets an answer.
    """
    extras, attempts = {}, 0
    while True:
        try:
            with Transaction().start(DB_NAME, 0, **extras) as transaction:
                try:
                    return func(*args)
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
                    continue
        except UserError as error:
            return error
        except backend.DatabaseOperationalError:
            attempts += 1
            if attempts > 100:
                raise
            time.sleep(0.005 * attempts)


def new_account(points, expired=0):
    "Commit a holder with points (and some already past expiry)."
    return new_accounts(1, points, expired)[0]


def state(account_id):
    "(balance, ledger sum, lots remaining) of an account, freshly read."
    def read():
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        account = Account(account_id)
        return (account.balance,
            sum(e.points for e in account.entries),
            sum(l.remaining for l in pool.get('hirakata.point.lot').search(
                    [('account', '=', account_id)])))
    return run(read)


def grant(account_id, points):
    "A terminal's grant of points, committed: the entry's id."
    def book():
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        return Ledger.grant(Account(account_id), points,
            key=uuid.uuid4().hex, channel='terminal').id
    return run(book)


def redeem(account_id, points, key):
    def book():
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        return Ledger.redeem(Account(account_id), points, key=key,
            channel='terminal').id
    return run(book)


@unittest.skipUnless(backend.name == 'postgresql',
    "concurrent writers need PostgreSQL")
class ParallelLedgerTestCase(unittest.TestCase):
    "The ledger with parallel connections on PostgreSQL"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('hirakata_points')

    def parallel(self, calls, workers=16):
        barrier = threading.Barrier(min(workers, len(calls)))

        def call(args):
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            return redeem(*args)
        with ThreadPoolExecutor(workers) as executor:
            return list(executor.map(call, calls))

    def test_parallel_redemptions_never_overdraw(self):
        account = new_account(100)
        results = self.parallel(
            [(account, 7, uuid.uuid4().hex) for _ in range(30)])
        booked = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, InsufficientPoints)]
        self.assertEqual(len(booked), 14)
        self.assertEqual(len(booked) + len(refused), 30)
        self.assertEqual(state(account), (2, 2, 2))

    def test_parallel_retries_of_one_key_move_points_once(self):
        account = new_account(100)
        key = uuid.uuid4().hex
        results = self.parallel([(account, 10, key) for _ in range(16)])
        self.assertEqual(len(set(results)), 1)
        self.assertIsInstance(results[0], int)
        self.assertEqual(state(account), (90, 90, 90))

    def test_parallel_same_key_other_request_books_one(self):
        account = new_account(100)
        key = uuid.uuid4().hex
        results = self.parallel(
            [(account, 10 if i % 2 else 20, key) for i in range(16)])
        booked = {r for r in results if isinstance(r, int)}
        conflicts = [r for r in results
            if isinstance(r, IdempotencyConflict)]
        self.assertEqual(len(booked), 1)
        self.assertEqual(len(conflicts), 8)
        balance = state(account)[0]
        self.assertIn(balance, {80, 90})
        self.assertEqual(state(account), (balance,) * 3)

    def test_nightly_expiry_beside_terminals_loses_nothing(self):
        accounts = [new_account(50, expired=30) for _ in range(40)]

        def expire():
            def job():
                Ledger = Pool().get('hirakata.point.ledger')
                return Ledger.expire_due(chunk_size=7)
            return run(job)
        with ThreadPoolExecutor(9) as executor:
            job = executor.submit(expire)
            redemptions = list(executor.map(lambda a: redeem(
                        a, 20, uuid.uuid4().hex), accounts * 2))
            job.result()
        # Accounts a terminal held were skipped; the next run takes them.
        expire()
        for account, result in zip(accounts * 2, redemptions):
            self.assertIsInstance(result, int)
        for account in accounts:
            # 50 fresh points, two redemptions of 20, 30 expired.
            self.assertEqual(state(account), (10, 10, 10))

    def test_scheduled_expiry_commits_chunks_beside_terminals(self):
        "The nightly job as trytond-cron runs it, while 4 terminals grant."
        accounts = new_accounts(1500, points=50, expired=30)
        schedule_expiry_now()
        stop = threading.Event()

        def terminal(seed):
            rng, booked = random.Random(seed), 0
            while not stop.is_set():
                account = rng.choice(accounts)
                booked += isinstance(grant(account, 1), int)
            return booked

        def cron():
            try:
                Pool(DB_NAME).get('ir.cron').run(DB_NAME)
            finally:
                stop.set()
        with unittest.mock.patch.object(ledger, 'CRON_CHUNK_SIZE', 250), \
                ThreadPoolExecutor(5) as executor:
            terminals = [executor.submit(terminal, i) for i in range(4)]
            executor.submit(cron).result()
            granted = sum(t.result() for t in terminals)

        self.assertGreater(granted, 0)
        self.assertEqual(due_lots(accounts), 0)
        balances = [state(a) for a in accounts]
        self.assertTrue(all(len(set(s)) == 1 for s in balances))
        # 50 fresh points each and the terminals' grants; 30 each expired.
        self.assertEqual(sum(s[0] for s in balances),
            50 * len(accounts) + granted)


def new_accounts(count, points, expired=0):
    """Commit count holders with points, and expired points that were due
    yesterday, in one transaction: their account ids."""
    def create():
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        Ledger = pool.get('hirakata.point.ledger')
        Policy = pool.get('hirakata.point.expiry.policy')
        short, = Policy.create([{'name': '1m', 'kind': 'months',
                    'months': 1}])
        past = clock.local_now().date() - dt.timedelta(days=32)
        holders = Holder.create([{'name': "期限 %s" % i,
                    'name_kana': "キゲン タロウ",
                    'birth_date': dt.date(1950, 1, 1)} for i in range(count)])
        accounts = pool.get('hirakata.point.account').search([
                ('holder', 'in', [h.id for h in holders])])
        for account in accounts:
            if points:
                Ledger.grant(account, points, key=uuid.uuid4().hex,
                    channel='terminal')
            if expired:
                Ledger.grant(account, expired, key=uuid.uuid4().hex,
                    channel='terminal', policy=short, date=past)
        return [a.id for a in accounts]
    return run(create)


def schedule_expiry_now():
    "Make the nightly expiry the only job due, as at 00:05 in Hirakata."
    def schedule():
        pool = Pool()
        Cron = pool.get('ir.cron')
        Data = pool.get('ir.model.data')
        expiry = Cron(Data.get_id('hirakata_points', 'cron_expire_due'))
        now = dt.datetime.now()
        Cron.write(Cron.search([]), {
                'next_call': now + dt.timedelta(days=1)})
        Cron.write([expiry], {'next_call': now - dt.timedelta(minutes=1),
                'active': True})
    run(schedule)


def due_lots(accounts):
    "How many of accounts' lots are past their expiry with points left."
    def count():
        Lot = Pool().get('hirakata.point.lot')
        return Lot.search([('account', 'in', accounts),
                ('remaining', '>', 0),
                ('expiry_date', '<', clock.today())], count=True)
    return run(count)
