"""The ledger's accounting effect: daily moves per kind, and the
liability on the books equal to the points outstanding (R23)."""
import datetime as dt
import random

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user)
from trytond.modules.hirakata_points_pos.tests.tools import (
    make_store, make_terminal)
from trytond.modules.hirakata_points_programme.tests.test_programme import (
    create_programme)
from trytond.modules.hirakata_points_settlement.exceptions import BooksError
from trytond.modules.hirakata_points_settlement.posting import (
    liability_on_books, outstanding_points)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction

from .tools import (
    at, bank_account, grant_at, redeem_at, reverse_at, rpc, set_up_operator)


def ledger_outstanding(date):
    "The points of holders' entries dated up to date, summed one by one."
    Entry = Pool().get('hirakata.point.entry')
    return sum(e.points for e in Entry.search([
                ('account.kind', '=', 'holder'), ('date', '<=', date)]))


def random_days(rng, days, holders, terminals, programmes):
    """Grants, redemptions and reversals on each day, at random."""
    Account = Pool().get('hirakata.point.account')
    entries = []
    for day in days:
        for _ in range(rng.randint(2, 6)):
            account = rng.choice(holders).account
            moment = at(day, rng.randint(9, 20))
            action = rng.random()
            if action < 0.45:
                origin = rng.choice(terminals + programmes)
                entries.append(grant_at(moment, account,
                        rng.randint(1, 500), origin))
            elif action < 0.8:
                available = Account(account.id).available
                if available:
                    entries.append(redeem_at(moment, account,
                            rng.randint(1, available), rng.choice(terminals)))
            elif entries:
                entry = rng.choice(entries)
                if not entry.reversals and entry.kind != 'reversal':
                    try:
                        reverse_at(moment, entry)
                    except Exception:
                        pass  # e.g. the points of a grant are spent
    return entries


class BooksTestCase(_DBTestCase):
    "Daily moves and the liability"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_liability_on_books_equals_outstanding_points_any_day(self):
        "On random movements across a month end, for every day"
        pool = Pool()
        Booking = pool.get('hirakata.settlement.booking')
        Move = pool.get('account.move')
        rng = random.Random(13)
        company = set_up_operator()
        with set_company(company):
            store = make_store("枚方パン")
            terminals = [make_terminal(store)]
            programmes = [create_programme()]
            holders = [create_holder("市民 %d" % i, "シミン") for i in
                range(12)]
            first = dt.date(2026, 10, 20)
            days = [first + dt.timedelta(days=i) for i in range(22)]
            random_days(rng, days, holders, terminals, programmes)
            with clock.frozen(at(days[-1] + dt.timedelta(days=1))):
                bookings = Booking.book_until()
            self.assertTrue(bookings)
            for day in [first - dt.timedelta(days=1)] + days:
                self.assertEqual(outstanding_points(day),
                    ledger_outstanding(day), day)
                self.assertEqual(liability_on_books(day),
                    outstanding_points(day), day)
            moves = Move.search([])
            self.assertTrue(all(m.state == 'posted' for m in moves))
            for move in moves:
                self.assertEqual(sum(l.debit for l in move.lines),
                    sum(l.credit for l in move.lines))
            # one move per day and kind
            keys = [(b.date, b.kind) for b in bookings]
            self.assertEqual(len(keys), len(set(keys)))

    @with_transaction()
    def test_a_day_is_booked_once_and_only_when_over(self):
        pool = Pool()
        Booking = pool.get('hirakata.settlement.booking')
        company = set_up_operator()
        with set_company(company):
            store = make_store("枚方パン")
            terminal = make_terminal(store)
            holder = create_holder()
            day = dt.date(2026, 11, 2)
            grant_at(at(day), holder.account, 100, terminal)
            # granted by the operator itself (no store, no programme)
            grant_at(at(day), holder.account, 5, None)
            with clock.frozen(at(day, 23)):
                with self.assertRaises(BooksError):
                    Booking.book_until(day)
            with clock.frozen(at(day + dt.timedelta(days=1), 0)):
                first = Booking.book_until(day)
                again = Booking.book_until(day)
            self.assertEqual([(b.date, b.kind, b.points) for b in first],
                [(day, 'adjust', 5), (day, 'grant', 100)])
            self.assertEqual(again, [])
            self.assertEqual(liability_on_books(day), 105)

    @with_transaction()
    def test_accounts_fixed_once_a_day_is_booked(self):
        "The moves made keep the accounts the liability report reads"
        pool = Pool()
        Account = pool.get('account.account')
        Booking = pool.get('hirakata.settlement.booking')
        Configuration = pool.get('hirakata.settlement.configuration')
        company = set_up_operator()
        with set_company(company):
            config = Configuration(1)
            fee_income, = Account.search([('code', '=', '4110')])
            bank, = Account.search([('code', '=', '1110')])
            # before any booking, the accounts are set up as wanted
            Configuration.write([config], {'fee_income': bank.id})
            Configuration.write([config], {'fee_income': fee_income.id})
            holder = create_holder()
            day = dt.date(2026, 11, 2)
            grant_at(at(day), holder.account, 100, None)
            with clock.frozen(at(day + dt.timedelta(days=1))):
                Booking.book_until(day)
            for values in [{'points_liability': fee_income.id},
                    {'fee_tax': None}, {'journal': None}]:
                with self.subTest(values=values):
                    with self.assertRaisesRegex(BooksError, "stay as they are"):
                        Configuration.write([config], values)
            # written as they are, or the rest of the configuration: saved
            Configuration.write([config], {
                    'points_liability': config.points_liability.id,
                    'city_fee_rate': 3})
            self.assertEqual(liability_on_books(day), 100)

    @with_transaction()
    def test_transfers_paid_from_the_operators_own_account(self):
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Party = pool.get('party.party')
        company = set_up_operator()
        with set_company(company):
            store, = Party.create([{'name': "枚方パン"}])
            stores = bank_account(store, '0159', '103', '7654321',
                "ﾋﾗｶﾀﾊﾟﾝ")
            own = bank_account(company.party, '0159', '103', '1234567',
                "ﾋﾗｶﾀﾎﾟｲﾝﾄｳﾝｴｲ(ｶ")
            with self.assertRaisesRegex(BooksError,
                    "not an account of the operator"):
                Configuration.write([Configuration(1)],
                    {'zengin_account': stores.id})
            Configuration.write([Configuration(1)], {'zengin_account': own.id})
            self.assertEqual(Configuration(1).zengin_account, own)

    @with_transaction()
    def test_liability_report_refuses_a_day_not_come_yet(self):
        Start = Pool().get('hirakata.settlement.liability.start')
        company = set_up_operator()
        with set_company(company):
            holder = create_holder()
            day = dt.date(2026, 11, 2)
            grant_at(at(day), holder.account, 100, None)
            # midnight of the 3rd in Hirakata (still the 2nd in UTC): the
            # 3rd is today, the 4th is to come
            with clock.frozen(at(day + dt.timedelta(days=1), 0)):
                Pool().get('hirakata.settlement.booking').book_until(day)
                start = Start(date=day + dt.timedelta(days=1))
                start.on_change_date()
                self.assertEqual((start.ledger_points, start.books_amount,
                        start.difference), (100, 100, 0))
                start = Start(date=day + dt.timedelta(days=2))
                with self.assertRaises(BooksError) as refused:
                    start.on_change_date()
                self.assertIn("2026/11/04", refused.exception.message)
                self.assertIsNone(getattr(start, 'ledger_points', None))
                # the figures are the accountants' and the auditor's, not
                # a store's asking by hand
                clerk = create_user('clerk', 'group_store_staff')
                with self.assertRaises(AccessError):
                    rpc(clerk, 'hirakata.settlement.liability.start',
                        'on_change', {'date': day}, ['date'])
                auditor = create_user('kansa', 'group_auditor')
                changes = rpc(auditor, 'hirakata.settlement.liability.start',
                    'on_change', {'date': day}, ['date'])
                self.assertEqual(changes['ledger_points'], 100)


del _DBTestCase
