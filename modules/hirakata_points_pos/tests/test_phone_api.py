"""Codes shown on the resident portal, read at terminals (R1b)."""
import datetime as dt
import unittest
import unittest.mock
import uuid

from trytond import backend
from trytond.modules.hirakata_points import phone_code
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos import routes
from trytond.modules.hirakata_points_pos.tests.tools import (
    ApiClient, activate, make_holder, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

FELICA = '0102030405060708'


class PhoneCodeApiTestCase(ApiClient, RouteTestCase):
    "Phone codes at terminals"
    module = 'hirakata_points_pos'

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        store = make_store("ひらかた商店", yen_per_point=100)
        terminals = {'main': make_terminal(store)}
        terminals.update({'till%s' % i: make_terminal(store, "レジ%s" % i)
                for i in range(2, 9)})
        cls.credentials = activate(terminals)
        cls.holder_id = make_holder("山田 太郎", "ヤマダ タロウ", FELICA,
            points=500, birth=dt.date(1950, 5, 5)).holder.id

    def setUp(self):
        super().setUp()
        for limiter in [routes.LOOKUPS, routes.UNAUTHENTICATED_BY_ADDRESS,
                routes.WRITES]:
            limiter.reset()

    def new_code(self):
        "A code as the portal shows it, committed."
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            code, _ = pool.get('hirakata.phone_code').issue(
                pool.get('hirakata.holder')(self.holder_id))
            transaction.commit()
        return {'technology': 'phone', 'identifier': code}

    def lookup(self, card, terminal='main'):
        return self.call('POST', '/cards/lookup', {'card': card},
            terminal=terminal)

    def grant(self, card, amount=1000, key=None, terminal='main'):
        return self.call('POST', '/grants', {'card': card, 'amount': amount},
            key=key or uuid.uuid4().hex, terminal=terminal)

    def balance(self):
        return self.lookup({'technology': 'felica',
                'identifier': FELICA})[1]['balance']

    def test_look_up_then_grant_once(self):
        card, before = self.new_code(), self.balance()
        status, data = self.lookup(card)
        self.assertEqual(status, 200, data)
        self.assertEqual(data['holder']['name'], "ヤマダ ●●")
        self.assertEqual(data['balance'], before)
        self.assertEqual(self.call('POST', '/grants/quote',
                {'card': card, 'amount': 1000})[1]['points'], 10)
        granted = self.grant(card, key='phone-grant-1')
        self.assertEqual(granted[0], 200, granted)
        self.assertEqual(self.grant(card, key='phone-grant-1'), granted)
        self.assertError(self.grant(card), 409, 'phone_code_used')
        self.assertEqual(self.lookup(card)[1]['balance'], before + 10)
        self.assertEqual(self.balance(), before + 10)

    def test_screenshot_at_another_terminal_refused(self):
        card, before = self.new_code(), self.balance()
        self.assertEqual(self.lookup(card)[0], 200)
        self.assertError(self.lookup(card, terminal='till2'), 409,
            'phone_code_used')
        self.assertError(self.grant(card, terminal='till2'), 409,
            'phone_code_used')
        self.assertEqual(self.balance(), before)

    def test_old_code_refused(self):
        card = self.new_code()
        moment = phone_code.utc_now() + dt.timedelta(seconds=91)
        with unittest.mock.patch.object(phone_code, 'utc_now', lambda: moment):
            self.assertError(self.lookup(card), 404, 'phone_code_invalid')

    def test_malformed_code_refused(self):
        self.assertError(self.lookup({'technology': 'phone',
                    'identifier': 'HK123'}), 404, 'phone_code_invalid')

    def test_refused_write_leaves_the_code_usable(self):
        card, before = self.new_code(), self.balance()
        self.assertError(self.call('POST', '/redemptions',
                {'card': card, 'points': before + 1},
                key=uuid.uuid4().hex), 409, 'insufficient_points')
        status, data = self.call('POST', '/redemptions',
            {'card': card, 'points': 1}, key=uuid.uuid4().hex)
        self.assertEqual(status, 200, data)
        self.assertEqual(self.balance(), before - 1)

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_one_code_at_eight_terminals_at_once_grants_once(self):
        card, before = self.new_code(), self.balance()
        # Eight terminals: the in-process queue keyed by card would line
        # them up; without it only the database decides.
        self.without_card_queue()
        answers = self.in_parallel([(lambda t=t: self.grant(card, terminal=t))
                for t in ['main'] + ['till%s' % i for i in range(2, 9)]])
        statuses = sorted(status for status, _ in answers)
        self.assertEqual(statuses, [200] + [409] * 7, answers)
        self.assertEqual({a[1]['error']['code'] for a in answers
                if a[0] == 409}, {'phone_code_used'})
        self.assertEqual(self.balance(), before + 10)
        with Transaction().start(DB_NAME, 0):
            Account = Pool().get('hirakata.point.account')
            self.assertEqual(Account.find_unbalanced(), [])


del RouteTestCase
