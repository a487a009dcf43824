"""The city's clock and the ledger's rules across days (R5, R6, R7).

Every test sets the system's clock (clock.frozen) to a moment in UTC and
reads business dates as Hirakata does: 2027-03-31 15:30 UTC is 00:30 on
1 April 2027 in Japan, the first day of fiscal year 2027, while the
server's own UTC date is still 31 March.
"""
import datetime as dt
import glob
import os
import random
import re
import unittest

from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.exceptions import (
    InsufficientPoints, InvalidPoints, NotReversible)
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, ledger_sum, lots_sum, policy)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction

UTC = dt.timezone.utc


def at(year, month, day, hour=12, minute=0):
    "A moment in Japan (JST, UTC+9), for clock.frozen."
    return dt.datetime(year, month, day, hour, minute,
        tzinfo=dt.timezone(dt.timedelta(hours=9)))


# 00:30 on 1 April 2027 in Japan; still 31 March in UTC.
APRIL_FIRST_0030 = at(2027, 4, 1, 0, 30)


def fiscal_year_policy(years_after=0):
    Policy = Pool().get('hirakata.point.expiry.policy')
    return Policy.create([{'name': 'fy', 'kind': 'fiscal_year_end',
                'fiscal_years_after': years_after}])[0]


def accounts():
    pool = Pool()
    return pool.get('hirakata.point.ledger'), pool.get(
        'hirakata.point.account')


class CityClockTestCase(_DBTestCase):
    "Business dates are Hirakata's, not the server's UTC"
    module = 'hirakata_points'

    def test_frozen_moment_is_naive_utc(self):
        with clock.frozen(APRIL_FIRST_0030):
            self.assertEqual(clock.utc_now(), dt.datetime(2027, 3, 31, 15, 30))
            self.assertEqual(clock.local_now().date(), dt.date(2027, 4, 1))

    @with_transaction()
    def test_today_is_the_date_in_japan_after_midnight(self):
        Date = Pool().get('ir.date')
        with clock.frozen(APRIL_FIRST_0030):
            self.assertEqual(Date.today(), dt.date(2027, 4, 1))
            self.assertEqual(Date.today(UTC), dt.date(2027, 3, 31))

    @with_transaction()
    def test_grant_after_midnight_belongs_to_the_new_fiscal_year(self):
        Ledger, _ = accounts()
        account = create_holder().account
        with clock.frozen(APRIL_FIRST_0030):
            entry = Ledger.grant(account, 10, key='g', channel='terminal',
                policy=fiscal_year_policy())
        self.assertEqual(entry.date, dt.date(2027, 4, 1))
        self.assertEqual(entry.expiry_date, dt.date(2028, 3, 31))

    @with_transaction()
    def test_points_of_31_march_cannot_be_spent_at_0030_on_1_april(self):
        Ledger, Account = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 3, 20)):
            Ledger.grant(account, 10, key='g', channel='terminal',
                policy=fiscal_year_policy())
        with clock.frozen(APRIL_FIRST_0030):
            self.assertEqual(Account(account.id).available, 0)
            self.assertEqual(Account.expiry_schedule(account.id), [])

    @with_transaction()
    def test_nightly_job_after_midnight_expires_what_ended_on_31_march(self):
        Ledger, Account = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 3, 20)):
            Ledger.grant(account, 10, key='g', channel='terminal',
                policy=fiscal_year_policy())
        with clock.frozen(at(2027, 4, 1, 0, 5)):
            self.assertEqual(Ledger.expire_due(), 10)
        account = Account(account.id)
        self.assertEqual(account.balance, 0)
        self.assertEqual(account.entries[0].date, dt.date(2027, 4, 1))

    @with_transaction()
    def test_grant_retried_the_next_morning_answers_the_first_entry(self):
        Ledger, Account = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 3, 31, 23, 59)):
            first = Ledger.grant(account, 10, key='k', channel='terminal')
        with clock.frozen(at(2027, 4, 1, 8, 0)):
            again = Ledger.grant(account, 10, key='k', channel='terminal')
        self.assertEqual(again, first)
        self.assertEqual(first.date, dt.date(2027, 3, 31))
        self.assertEqual(Account(account.id).balance, 10)

    @with_transaction()
    def test_adjust_refuses_a_boolean(self):
        Ledger, Account = accounts()
        account = create_holder().account
        with self.assertRaises(InvalidPoints):
            Ledger.adjust(account, True, key='a', channel='backoffice',
                reason="誤り")
        self.assertEqual(Account(account.id).balance, 0)


class ReversalAfterExpiryTestCase(_DBTestCase):
    """Every point stays somewhere: reversals after expiry and donations
    move the pools, never the holder's other points"""
    module = 'hirakata_points'

    def assert_books(self, *holder_accounts):
        "Balances equal the ledger; holders' balances equal their lots."
        _, Account = accounts()
        self.assertEqual(Account.find_unbalanced(), [])
        for account in Account.browse(holder_accounts):
            self.assertEqual(account.balance, ledger_sum(account))
            self.assertEqual(account.balance, lots_sum(account))

    def pool_balance(self, kind):
        _, Account = accounts()
        return Account.pool_account(kind).balance

    def short_and_live_grants(self):
        """A holder granted 100 points on 10 January 2027 that expire on
        10 February, and 50 that stay usable: (account, the first grant)."""
        Ledger, _ = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 1, 10)):
            grant = Ledger.grant(account, 100, key='g', channel='terminal',
                policy=policy(months=1))
            Ledger.grant(account, 50, key='live', channel='terminal',
                policy=policy(months=12))
        return account, grant

    def history(self):
        """A holder with a 100-point grant expiring on 10 February 2027 of
        which 30 were spent, and 200 points that stay usable; the nightly
        job of 11 February expires the other 70."""
        Ledger, _ = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 1, 10)):
            grant = Ledger.grant(account, 100, key='g', channel='terminal',
                policy=policy(months=1))
            Ledger.grant(account, 200, key='live', channel='terminal',
                policy=policy(months=12))
        with clock.frozen(at(2027, 1, 20)):
            redemption = Ledger.redeem(account, 30, key='r',
                channel='terminal')
        with clock.frozen(at(2027, 2, 11, 0, 5)):
            self.assertEqual(Ledger.expire_due(), 70)
        return account, grant, redemption

    @with_transaction()
    def test_reversed_grant_takes_its_expired_part_from_the_pool(self):
        Ledger, Account = accounts()
        account, grant, _ = self.history()
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            reversal = Ledger.reverse(grant, key='x', channel='backoffice',
                reason="誤って付与")
        # 70 expired into the pool come back out of it; only the 30 the
        # holder spent are taken from the holder's other points.
        self.assertEqual(reversal.points, -30)
        self.assertEqual(Account(account.id).balance, 200 - 30)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before - 70)
        self.assert_books(account)

    @with_transaction()
    def test_reversed_grant_all_expired_costs_the_holder_nothing(self):
        Ledger, Account = accounts()
        account, grant = self.short_and_live_grants()
        with clock.frozen(at(2027, 2, 11, 0, 5)):
            Ledger.expire_due()
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            reversal = Ledger.reverse(grant, key='x', channel='backoffice',
                reason="誤って付与")
        self.assertEqual(reversal.points, 0)
        self.assertEqual(reversal.reversal_of, grant)
        self.assertEqual(Account(account.id).balance, 50)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before - 100)
        self.assert_books(account)

    @with_transaction()
    def test_reversed_grant_due_but_not_yet_expired_takes_its_own_lot(self):
        Ledger, Account = accounts()
        account, grant = self.short_and_live_grants()
        with clock.frozen(at(2027, 2, 15)):
            Ledger.reverse(grant, key='x', channel='backoffice',
                reason="誤って付与")
            self.assertEqual(Ledger.expire_due(), 0)
        self.assertEqual(Account(account.id).balance, 50)
        self.assert_books(account)

    @with_transaction()
    def test_reversed_redemption_from_expired_lot_goes_to_the_pool(self):
        Ledger, Account = accounts()
        account, _, redemption = self.history()
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            reversal = Ledger.reverse(redemption, key='x',
                channel='terminal', reason="返品")
        # The 30 came from the lot that expired on 10 February: had they
        # not been spent, they would have expired with the other 70.
        self.assertEqual(reversal.points, 0)
        self.assertEqual(Account(account.id).balance, 200)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before + 30)
        lots = Pool().get('hirakata.point.lot').search([
                ('account', '=', account.id), ('points', '=', 100)])
        self.assertEqual(lots[0].remaining, 0)
        self.assert_books(account)

    @with_transaction()
    def test_reversed_redemption_splits_live_and_expired_lots(self):
        Ledger, Account = accounts()
        account = create_holder().account
        with clock.frozen(at(2027, 1, 10)):
            Ledger.grant(account, 20, key='short', channel='terminal',
                policy=policy(months=1))
            Ledger.grant(account, 100, key='long', channel='terminal',
                policy=policy(months=12))
            redemption = Ledger.redeem(account, 50, key='r',
                channel='terminal')
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            reversal = Ledger.reverse(redemption, key='x',
                channel='terminal', reason="返品")
        self.assertEqual(reversal.points, 30)
        self.assertEqual(Account(account.id).balance, 100)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before + 20)
        self.assert_books(account)

    @with_transaction()
    def test_redemption_then_grant_reversed_after_expiry_restore_all(self):
        Ledger, Account = accounts()
        account, grant, redemption = self.history()
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            Ledger.reverse(redemption, key='x1', channel='terminal',
                reason="返品")
            Ledger.reverse(grant, key='x2', channel='backoffice',
                reason="誤って付与")
        # As if neither had been booked: the holder keeps the 200, the
        # pool gives back the 70 that expired and the 30 it received.
        self.assertEqual(Account(account.id).balance, 200)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before - 70)
        self.assert_books(account)

    @with_transaction()
    def test_grant_then_redemption_reversed_after_expiry_refused(self):
        Ledger, Account = accounts()
        account, grant, redemption = self.history()
        with clock.frozen(at(2027, 2, 15)):
            Ledger.reverse(grant, key='x1', channel='backoffice',
                reason="誤って付与")
            with self.assertRaises(NotReversible):
                Ledger.reverse(redemption, key='x2', channel='terminal',
                    reason="返品")
        self.assertEqual(Account(account.id).balance, 170)
        self.assert_books(account)

    @with_transaction()
    def test_donation_credits_the_donation_pool_and_its_reversal_debits_it(
            self):
        Ledger, Account = accounts()
        account = create_holder().account
        Ledger.grant(account, 100, key='g', channel='terminal')
        before = self.pool_balance('donation_pool')
        donation = Ledger.redeem(account, 40, key='d', channel='portal',
            kind='donation')
        self.assertEqual(self.pool_balance('donation_pool'), before + 40)
        Ledger.reverse(donation, key='x', channel='backoffice',
            reason="寄付の取消")
        self.assertEqual(self.pool_balance('donation_pool'), before)
        self.assertEqual(Account(account.id).balance, 100)
        self.assert_books(account)

    @with_transaction()
    def test_replayed_reversal_moves_the_pools_once(self):
        Ledger, _ = accounts()
        account, grant, _ = self.history()
        pool_before = self.pool_balance('expired_pool')
        with clock.frozen(at(2027, 2, 15)):
            first = Ledger.reverse(grant, key='x', channel='backoffice',
                reason="誤って付与")
            again = Ledger.reverse(grant, key='x', channel='backoffice',
                reason="誤って付与")
        self.assertEqual(again, first)
        self.assertEqual(self.pool_balance('expired_pool'), pool_before - 70)
        self.assert_books(account)


class ServerClockNotUsedTestCase(unittest.TestCase):
    "No module code takes a business date or time from the server's clock"

    PATTERN = re.compile(r'date\.today\(|datetime\.now\(|datetime\.utcnow\('
        r'|CURRENT_DATE|time\.localtime\(')

    def test_modules_take_dates_from_the_city_clock(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
                    os.path.abspath(__file__))))
        offenders = []
        for path in glob.glob(os.path.join(root, 'hirakata_points*', '**',
                    '*.py'), recursive=True):
            if os.sep + 'tests' + os.sep in path or path.endswith(
                    os.sep + 'clock.py'):
                continue
            with open(path, encoding='utf-8') as f:
                for number, line in enumerate(f, 1):
                    if self.PATTERN.search(line.split('#')[0]):
                        offenders.append('%s:%s' % (path, number))
        self.assertEqual(offenders, [],
            "use clock.today() / clock.utc_now(), not the server's clock")


class RandomHistoryTestCase(_DBTestCase):
    """Two years of random grants, redemptions, donations, reversals and
    nightly expiries: no point is made or lost"""
    module = 'hirakata_points'

    @with_transaction()
    def test_points_are_conserved_through_random_history(self):
        Ledger, Account = accounts()
        rng = random.Random(20270401)
        holders = [create_holder(name="乱数 %s" % i).account
            for i in range(6)]
        policies = [policy(months=1), policy(months=3),
            fiscal_year_policy()]
        booked, debits, injected = [], [], 0
        day = dt.date(2026, 12, 20)
        for step in range(400):
            day += dt.timedelta(days=rng.choice([0, 0, 1, 3]))
            with clock.frozen(at(day.year, day.month, day.day,
                        rng.choice([0, 8, 23]), 30)):
                account = Account(rng.choice(holders).id)
                action = rng.random()
                key = 'k%s' % step
                try:
                    if action < 0.35:
                        points = rng.randint(1, 200)
                        booked.append(Ledger.grant(account, points, key=key,
                                channel='terminal',
                                policy=rng.choice(policies)))
                        injected += points
                    elif action < 0.65:
                        kind = rng.choice(['redeem', 'donation', 'exchange'])
                        entry = Ledger.redeem(account, rng.randint(1, 150),
                            key=key, channel='terminal', kind=kind)
                        debits.append(entry)
                        if kind != 'donation':
                            injected += entry.points
                    elif action < 0.85 and (booked or debits):
                        entry = rng.choice(booked + debits)
                        Ledger.reverse(entry, key=key, channel='backoffice',
                            reason="訂正")
                        if entry.kind != 'donation':
                            injected -= entry.points
                    else:
                        Ledger.expire_due()
                except (InsufficientPoints, NotReversible):
                    pass
            # Every point granted and not spent outside the scheme is on
            # a holder or in a pool.
            total = sum(a.balance for a in Account.search([]))
            self.assertEqual(total, injected, "step %s" % step)
        self.assertEqual(Account.find_unbalanced(), [])
        for account in Account.browse(holders):
            self.assertEqual(account.balance, lots_sum(account))
