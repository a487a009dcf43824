import datetime as dt
import os
import unittest

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tokens import utc_now
from trytond.modules.hirakata_points_pos.store import compute_points
from trytond.modules.hirakata_points_pos.tests.tools import (
    OpenApiTestMixin, make_holder, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def store_user(store, group='group_store_staff'):
    pool = Pool()
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    user, = User.create([{'login': 'staff%s' % store.id, 'name': store.name,
                'hirakata_store': store.id,
                'groups': [('add', [Data.get_id('hirakata_points', group)])],
                }])
    return user


class OpenApiTestCase(OpenApiTestMixin, unittest.TestCase):
    "docs/openapi.yaml describes the store module's routes and errors."
    openapi_module = 'hirakata_points_pos'
    # A refusal without a code of its own (routes.endpoint), and the host
    # layer's answer to another site's Origin (hirakata_points/hosts.py).
    openapi_other_codes = {'invalid', 'forbidden_origin'}


class VendoredDecoderTestCase(unittest.TestCase):
    "The terminal app's QR decoder is the one package-lock.json pins."

    def test_vendored_files_match_node_modules(self):
        root = os.path.join(os.path.dirname(__file__), '..', '..', '..')
        vendor = os.path.join(os.path.dirname(__file__), '..',
            'terminal_app', 'vendor')
        for vendored, source in [
                ('barcode-detector.js',
                    'barcode-detector/dist/iife/ponyfill.js'),
                ('zxing_reader.wasm', 'zxing-wasm/dist/reader/zxing_reader.wasm'),
                ]:
            with open(os.path.join(vendor, vendored), 'rb') as f, \
                    open(os.path.join(root, 'node_modules', source), 'rb') as g:
                self.assertTrue(f.read() == g.read(),
                    "%s differs from node_modules: run scripts/vendor_js"
                    % vendored)


class HirakataPointsPosTestCase(ModuleTestCase):
    "Stores and terminals"
    module = 'hirakata_points_pos'

    @with_transaction()
    def test_points_for_purchase_rounds_down_and_combines_campaigns(self):
        pool = Pool()
        Campaign = pool.get('hirakata.store.campaign')
        store = make_store("テスト商店", yen_per_point=100)
        today = clock.local_now().date()
        Campaign.create([
                {'store': store.id, 'name': "2倍", 'kind': 'multiplier',
                    'multiplier': 2, 'start_date': today, 'end_date': today},
                {'store': store.id, 'name': "3倍", 'kind': 'multiplier',
                    'multiplier': 3, 'start_date': today, 'end_date': today},
                {'store': store.id, 'name': "来店", 'kind': 'bonus',
                    'bonus_points': 5, 'start_date': today,
                    'end_date': today},
                {'store': store.id, 'name': "終了", 'kind': 'bonus',
                    'bonus_points': 50,
                    'start_date': today - dt.timedelta(days=9),
                    'end_date': today - dt.timedelta(days=1)},
                ])
        points, applied = compute_points(1299, store.yen_per_point,
            pool.get('hirakata.store').campaigns_on(store.id, today), None,
            today)
        self.assertEqual(points, 12 * 3 + 5)
        self.assertEqual(sorted(c.name for c in applied), ["3倍", "来店"])

    @with_transaction()
    def test_campaign_for_a_district_applies_to_its_residents(self):
        pool = Pool()
        Campaign = pool.get('hirakata.store.campaign')
        District = pool.get('hirakata.district')
        Card = pool.get('hirakata.card')
        here, there = District.create([{'code': '01', 'name': "枚方"},
                {'code': '02', 'name': "樟葉"}])
        store = make_store("テスト商店", yen_per_point=100)
        today = clock.local_now().date()
        Campaign.create([{'store': store.id, 'name': "地元", 'kind': 'bonus',
                    'bonus_points': 10, 'district': here.id,
                    'start_date': today, 'end_date': today}])
        resident = make_holder("山田 太郎", "ヤマダ タロウ", '0102030405060708')
        resident.holder.district = here
        resident.holder.save()
        visitor = make_holder("田中 花子", "タナカ ハナコ", '0102030405060709')
        visitor.holder.district = there
        visitor.holder.save()
        campaigns = pool.get('hirakata.store').campaigns_on(store.id, today)
        for idm, points, applied in [
                ('0102030405060708', 15, ["地元"]),
                ('0102030405060709', 5, [])]:
            total, used = compute_points(500, 100, campaigns,
                Card.find('felica', idm), today)
            self.assertEqual((total, [c.name for c in used]),
                (points, applied))

    @with_transaction()
    def test_store_rate_within_city_bounds(self):
        with self.assertRaises(ValidationError):
            make_store("高還元商店", yen_per_point=10)

    @with_transaction()
    def test_approval_by_city_then_activation(self):
        pool = Pool()
        Store = pool.get('hirakata.store')
        Category = pool.get('hirakata.store.category')
        category, = Category.create([{'name': "小売"}])
        store, = Store.create([{'name': "新規店", 'category': category.id,
                    'address': "枚方市"}])
        self.assertEqual(store.state, 'applied')
        self.assertTrue(store.code.startswith('S'))
        Store.approve([store])
        self.assertEqual(store.state, 'approved')
        self.assertTrue(store.approved_at)
        Store.activate([store])
        self.assertEqual(store.state, 'active')

    @with_transaction()
    def test_store_staff_see_only_their_store(self):
        pool = Pool()
        Store = pool.get('hirakata.store')
        Terminal = pool.get('hirakata.terminal')
        mine, other = make_store("自店"), make_store("他店")
        make_terminal(mine), make_terminal(other)
        user = store_user(mine)
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Store.search([]), [mine])
            self.assertEqual([t.store for t in Terminal.search([])], [mine])
            with self.assertRaises(AccessError):
                Store.read([other.id], ['name'])
            with self.assertRaises(AccessError):
                Store.write([Store(mine.id)], {'yen_per_point': 50})

    @with_transaction()
    def test_store_staff_learn_nothing_of_another_store_on_a_path(self):
        "(Tryton applies a model's rules where it is searched, not on paths)"
        pool = Pool()
        Store = pool.get('hirakata.store')
        User = pool.get('res.user')
        mine, other = make_store("自店"), make_store("他店")
        make_terminal(mine), make_terminal(other)
        user = store_user(mine)
        theirs = store_user(other)
        rate = Store(other.id).grant_fee_rate
        for domain in [[('hirakata_store.grant_fee_rate', '=', rate)],
                [('hirakata_store', 'where', [('name', '=', "他店")])],
                [('hirakata_store.name', 'like', "他%")],
                [('hirakata_store', 'ilike', "他%")],
                [('hirakata_store.terminals.store', '=', other.id)],
                [('hirakata_store.campaigns', '=', None)]]:
            with self.subTest(domain=domain), \
                    Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                self.assertNotIn(theirs, User.search(domain))
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            # their own store, on the same paths
            self.assertEqual(User.search(
                    [('hirakata_store.name', '=', "自店")]), [user])
        # the server's own code (the root user) searches every store's
        self.assertEqual(User.search([('hirakata_store.name', '=', "他店")]),
            [theirs])

    @with_transaction()
    def test_store_not_activated_nor_created_active_by_a_write(self):
        pool = Pool()
        Store = pool.get('hirakata.store')
        User = pool.get('res.user')
        Data = pool.get('ir.model.data')
        Category = pool.get('hirakata.store.category')
        category, = Category.create([{'name': "飲食"}])
        store, = Store.create([{'name': "申請店", 'address': "枚方市",
                    'category': category.id}])
        operator, = User.create([{'login': 'store_operator', 'name': "事務局",
                    'groups': [('add', [Data.get_id('hirakata_points',
                                    'group_operator')])]}])
        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            for values in [{'state': 'active'}, {'approved_at': utc_now()}]:
                with self.assertRaises(AccessError):
                    Store.write([Store(store.id)], values)
            with self.assertRaises(AccessError):
                Store.create([{'name': "攻撃店", 'address': "枚方市",
                            'category': category.id, 'state': 'active'}])
        self.assertEqual(Store(store.id).state, 'applied')

    @with_transaction()
    def test_store_staff_cannot_move_to_another_store(self):
        pool = Pool()
        User = pool.get('res.user')
        Store = pool.get('hirakata.store')
        mine, other = make_store("自店"), make_store("他店")
        user = store_user(mine)
        # As JSON-RPC calls it: without access checks (its own).
        with Transaction().set_user(user.id):
            User.set_preferences({'hirakata_store': other.id})
        self.assertEqual(User(user.id).hirakata_store, mine)
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Store.search([]), [mine])

    @with_transaction()
    def test_store_staff_cannot_read_holders(self):
        Holder = Pool().get('hirakata.holder')
        store = make_store("自店")
        make_holder("山田 太郎", "ヤマダ タロウ", '0102030405060708')
        user = store_user(store)
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Holder.search([])

    @with_transaction()
    def test_entry_booked_at_terminal_names_store_and_terminal(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        store = make_store("自店")
        terminal = make_terminal(store)
        card = make_holder("山田 太郎", "ヤマダ タロウ", '0102030405060708')
        entry = Ledger.grant(card.account, 10, key='k', channel='terminal',
            origin=terminal)
        self.assertEqual(entry.store, store)
        self.assertEqual(entry.terminal, terminal)
        self.assertEqual(entry.origin, terminal)

    @with_transaction()
    def test_expired_activation_code_refused(self):
        Terminal = Pool().get('hirakata.terminal')
        terminal = make_terminal(make_store("自店"))
        Terminal.write([terminal], {
                'activation_expires': utc_now()
                - dt.timedelta(minutes=1)})
        with self.assertRaises(AccessError):
            Terminal.activate(terminal.activation_code)


del ModuleTestCase
