"""Exchanging points for transit value (R28): the ledger entry and the
request, refusals that leave nothing done, the file for each transit
operator, and the operator's payment in the monthly settlement; on
PostgreSQL, stock and limits under parallel connections."""
import csv
import datetime as dt
import io
import threading
import unittest
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.exceptions import (
    IdempotencyConflict, InsufficientPoints)
from trytond.modules.hirakata_points.tests.test_concurrency import run, state
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user, load_japanese)
from trytond.modules.hirakata_points_settlement.exceptions import (
    ExchangeError, OutOfStock, OverLimit)
from trytond.modules.hirakata_points_settlement.reconciliation import (
    reconciliation)
from trytond.modules.hirakata_points_settlement.tests.test_statement import (
    QUALIFIED_INVOICE, odt_text, run_report)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    _DBTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from .tools import at, grant_at, set_up_operator

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def day(month, number):
    return month.replace(day=number)


def make_operator(name):
    "A transit operator's party."
    Party = Pool().get('party.party')
    party, = Party.create([{'name': name, 'addresses': [('create', [{
                            'street_unstructured': "枚方市岡東町"}])]}])
    return party


def make_item(operator, code, name, points, kind='ticket', **values):
    Item = Pool().get('hirakata.exchange.item')
    item, = Item.create([dict(code=code, name=name, kind=kind,
                operator=operator.id, points=points, **values)])
    return item


def holder_with(points, name="枚方 花子"):
    holder = create_holder(name)
    grant_at(clock.local_now(), holder.account, points, None)
    return holder


def exchange(holder, item, quantity=1, key=None, **kwargs):
    Request = Pool().get('hirakata.exchange.request')
    return Request.exchange(holder, item, quantity,
        key=key or uuid.uuid4().hex, channel='backoffice', **kwargs)


def exchange_at(moment, holder, item, quantity=1, **kwargs):
    with clock.frozen(moment):
        return exchange(holder, item, quantity, **kwargs)


def cancel(request, reason="窓口で取消の申出"):
    Request = Pool().get('hirakata.exchange.request')
    Request.write([request], {'cancel_reason': reason})
    Request.cancel([request])
    return Request(request.id)


def snapshot(holder, item):
    "What a refusal must leave as it was."
    pool = Pool()
    Account = pool.get('hirakata.point.account')
    Entry = pool.get('hirakata.point.entry')
    Request = pool.get('hirakata.exchange.request')
    Item = pool.get('hirakata.exchange.item')
    return (Account(holder.account.id).balance, Item(item.id).stock,
        Entry.search([], count=True), Request.search([], count=True))


class ExchangeTestCase(_DBTestCase):
    "Points exchanged for transit value"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_exchange_books_an_exchange_entry_and_a_new_request(self):
        pool = Pool()
        Item = pool.get('hirakata.exchange.item')
        Account = pool.get('hirakata.point.account')
        bus = make_operator("京阪バス")
        ticket = make_item(bus, 'BUS', "バス回数券", 300, stock=10)
        holder = holder_with(1000)

        request = exchange(holder, ticket, 2, key='k1')

        self.assertEqual((request.state, request.quantity, request.points,
                request.operator, request.channel),
            ('new', 2, 600, bus, 'backoffice'))
        entry = request.entry
        self.assertEqual((entry.kind, entry.points, entry.origin),
            ('exchange', -600, request))
        load_japanese()
        with Transaction().set_context(language='ja'):
            self.assertEqual(Pool().get('hirakata.point.entry')(
                    entry.id).holder_description(), "交換（バス回数券）")
        self.assertEqual(Account(holder.account.id).balance, 400)
        self.assertEqual(Item(ticket.id).stock, 8)
        self.assertEqual(Account.find_unbalanced(), [])

    @with_transaction()
    def test_a_retry_with_the_same_key_exchanges_once(self):
        Account = Pool().get('hirakata.point.account')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300, stock=10)
        holder = holder_with(1000)
        first = exchange(holder, ticket, 1, key='same')
        again = exchange(holder, ticket, 1, key='same')
        self.assertEqual(again, first)
        self.assertEqual(Account(holder.account.id).balance, 700)
        with self.assertRaises(IdempotencyConflict):
            exchange(holder, ticket, 2, key='same')

    @with_transaction()
    def test_refusals_in_japanese_leave_nothing_done(self):
        load_japanese()
        bus = make_operator("京阪バス")
        ticket = make_item(bus, 'BUS', "バス回数券", 300, stock=2,
            holder_monthly_limit=3)
        charge = make_item(bus, 'ICOCA', "ICOCAへのチャージ", 1000,
            kind='ic_charge')
        withdrawn = make_item(bus, 'OLD', "旧回数券", 100, active=False)
        holder = holder_with(1000)
        refusals = [
            (lambda: exchange(holder, ticket, 3), OutOfStock, "在庫"),
            (lambda: exchange(holder, ticket, 0), ExchangeError, "数量"),
            (lambda: exchange(holder, charge, 2), ExchangeError,
                "交通系ICカード"),
            (lambda: exchange(holder, charge, 2, transit_card='JE80 1234'),
                InsufficientPoints, "ポイントが不足"),
            (lambda: exchange(holder, withdrawn, 1), ExchangeError,
                "交換できません"),
            ]
        with Transaction().set_context(language='ja'):
            for call, error, words in refusals:
                before = snapshot(holder, ticket)
                with self.assertRaises(error) as raised:
                    call()
                self.assertIn(words, raised.exception.message)
                self.assertEqual(snapshot(holder, ticket), before)

    @with_transaction()
    def test_limit_per_holder_and_month(self):
        load_japanese()
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            100, holder_monthly_limit=3)
        hanako, taro = holder_with(2000), holder_with(2000, "枚方 太郎")
        exchange_at(at(day(OCTOBER, 3)), hanako, ticket, 2)
        last = exchange_at(at(day(OCTOBER, 9)), hanako, ticket, 1)
        before = snapshot(hanako, ticket)
        with Transaction().set_context(language='ja'), \
                self.assertRaises(OverLimit) as raised:
            exchange_at(at(day(OCTOBER, 31)), hanako, ticket, 1)
        self.assertIn("1人1か月に3まで", raised.exception.message)
        self.assertEqual(snapshot(hanako, ticket), before)
        # another holder, a cancelled request, a new month: allowed
        exchange_at(at(day(OCTOBER, 10)), taro, ticket, 3)
        with clock.frozen(at(day(OCTOBER, 10))):
            cancel(last)
        exchange_at(at(day(OCTOBER, 11)), hanako, ticket, 1)
        exchange_at(at(day(NOVEMBER, 1)), hanako, ticket, 3)

    @with_transaction()
    def test_cancelling_a_new_request_returns_points_and_stock(self):
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Item = pool.get('hirakata.exchange.item')
        Request = pool.get('hirakata.exchange.request')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300, stock=5)
        holder = holder_with(1000)
        request = exchange(holder, ticket, 2)
        with self.assertRaises(ExchangeError):
            Request.cancel([request])
        self.assertEqual(Request(request.id).state, 'new')

        request = cancel(request)

        self.assertEqual(request.state, 'cancelled')
        self.assertEqual((request.reversal.kind, request.reversal.points,
                request.reversal.reversal_of),
            ('reversal', 600, request.entry))
        self.assertEqual(request.reversal.reason, "窓口で取消の申出")
        self.assertEqual(Account(holder.account.id).balance, 1000)
        self.assertEqual(Item(ticket.id).stock, 5)
        self.assertEqual(Account.find_unbalanced(), [])

    @with_transaction()
    def test_requests_sent_per_operator_as_csv_then_fulfilled(self):
        pool = Pool()
        Batch = pool.get('hirakata.exchange.batch')
        Request = pool.get('hirakata.exchange.request')
        bus, taxi = make_operator("京阪バス"), make_operator("枚方タクシー")
        ticket = make_item(bus, 'BUS', "バス回数券", 300)
        charge = make_item(bus, 'ICOCA', "ICOCAへのチャージ", 1000,
            kind='ic_charge')
        coupon = make_item(taxi, 'TAXI', "タクシー券", 500, kind='coupon')
        holder = holder_with(5000)
        with clock.frozen(at(day(OCTOBER, 3))):
            first = exchange(holder, ticket, 2)
            second = exchange(holder, charge, 1,
                transit_card='je80-0123 4567 8901')
            by_taxi = exchange(holder, coupon, 1)

            batch = Batch.send(bus)

        self.assertEqual(sorted(batch.requests), sorted([first, second]))
        self.assertEqual(batch.points, 1600)
        self.assertEqual([r.state for r in Request.browse(
                    [first, second, by_taxi])], ['sent', 'sent', 'new'])
        self.assertTrue(batch.filename.endswith('.csv'))
        text = batch.file.decode('utf-8')
        self.assertTrue(text.startswith('\ufeff'))
        rows = list(csv.reader(io.StringIO(text[1:])))
        self.assertEqual(rows[0], ['申込番号', '申込日', '交換品コード',
                '交換品', '数量', 'ポイント数', '交通系ICカード番号',
                '利用者番号'])
        self.assertEqual(rows[1:], [
                [str(first.id), '2026/10/03', 'BUS', "バス回数券", '2',
                    '600', '', holder.number],
                [str(second.id), '2026/10/03', 'ICOCA', "ICOCAへのチャージ",
                    '1', '1000', 'JE80012345678901', holder.number]])
        with self.assertRaises(ExchangeError):
            Batch.send(bus)
        # a sent request is no longer cancelled, it is fulfilled
        Request.write([first], {'cancel_reason': "送付後の取消"})
        Request.cancel([Request(first.id)])
        self.assertEqual(Request(first.id).state, 'sent')
        Request.fulfil([Request(first.id)])
        self.assertEqual(Request(first.id).state, 'fulfilled')
        self.assertFalse(Request(first.id).reversal)

    @with_transaction()
    def test_desk_exchanges_through_the_wizard(self):
        pool = Pool()
        Request = pool.get('hirakata.exchange.request')
        Exchange = pool.get('hirakata.exchange.exchange', type='wizard')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300)
        holder = holder_with(1000)
        desk = create_user('desk', 'group_operator')
        load_japanese()
        with Transaction().set_user(desk.id), Transaction().set_context(
                active_model='hirakata.holder', active_id=holder.id,
                active_ids=[holder.id], language='ja'):
            session_id, start, _ = Exchange.create()
            view = Exchange.execute(session_id, {}, start)
            self.assertEqual(view['view']['defaults']['available'], 1000)
            # a part of a unit, as sent (the form's record would cut it)
            for quantity in [1.5, 0, '2']:
                with self.subTest(quantity=quantity):
                    with self.assertRaisesRegex(ExchangeError, "整数"):
                        Exchange.execute(session_id, {start: {
                                    'holder': holder.id, 'item': ticket.id,
                                    'quantity': quantity}}, 'exchange')
            # none chosen (the form requires them; a client may not)
            for chosen in [{'holder': None}, {'item': None}]:
                with self.subTest(chosen=chosen):
                    with self.assertRaisesRegex(ExchangeError, "選んで"):
                        Exchange.execute(session_id, {start: dict({
                                        'holder': holder.id,
                                        'item': ticket.id, 'quantity': 1},
                                    **chosen)}, 'exchange')
            self.assertEqual(Request.search([]), [])
            data = {start: {'holder': holder.id, 'item': ticket.id,
                    'quantity': 2}}
            result = Exchange.execute(session_id, data, 'exchange')
            again = Exchange.execute(session_id, data, 'exchange')
        request, = Request.search([])
        self.assertEqual(result['actions'][0][1]['res_id'], [request.id])
        self.assertEqual(again['actions'][0][1]['res_id'], [request.id])
        self.assertEqual(request.entry.reason, "「バス回数券」×2 との交換")

    @with_transaction()
    def test_desk_keeps_stock_and_accountants_the_money_side(self):
        Item = Pool().get('hirakata.exchange.item')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300, stock=5)
        desk = create_user('desk', 'group_operator')
        accountant = create_user('books', 'group_accountant')
        with Transaction().set_context(_check_access=True):
            with Transaction().set_user(desk.id):
                Item.write([ticket], {'stock': 50})
                with self.assertRaises(AccessError):
                    Item.write([ticket], {'points': 1})
                with self.assertRaises(AccessError):
                    Item.create([{'code': 'X', 'name': "X",
                                'operator': ticket.operator.id,
                                'points': 1}])
            with Transaction().set_user(accountant.id):
                Item.write([ticket], {'points': 350})
        self.assertEqual((Item(ticket.id).stock, Item(ticket.id).points),
            (50, 350))

    @with_transaction()
    def test_catalogue_numbers_whole_and_within_their_ceilings(self):
        Item = Pool().get('hirakata.exchange.item')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300, stock=5)
        for values in [{'points': 1.5}, {'points': '100'}, {'points': 0},
                {'points': 10 ** 12}, {'points': 2 ** 31}, {'stock': -1},
                {'stock': True}, {'holder_monthly_limit': 10 ** 6}]:
            with self.subTest(values=values):
                with self.assertRaisesRegex(ExchangeError, "whole number"):
                    Item.write([ticket], values)
        self.assertEqual((Item(ticket.id).points, Item(ticket.id).stock),
            (300, 5))
        Item.write([ticket], {'points': 20000.0, 'stock': 0})
        self.assertEqual((Item(ticket.id).points, Item(ticket.id).stock),
            (20000, 0))

    @with_transaction()
    def test_transit_operator_is_none_of_the_operators_others(self):
        pool = Pool()
        Bank = pool.get('bank')
        Item = pool.get('hirakata.exchange.item')
        company = set_up_operator()
        with set_company(company):
            ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
                300)
            bank = Bank.from_zengin_code('0159')
            for party in [company.party, bank.party]:
                with self.subTest(party=party.rec_name):
                    with self.assertRaisesRegex(ExchangeError,
                            "cannot be a transit operator"):
                        Item.write([ticket], {'operator': party.id})
                    with self.assertRaisesRegex(ExchangeError,
                            "cannot be a transit operator"):
                        make_item(party, 'TAXI%d' % party.id, "タクシー券",
                            500)
            self.assertEqual(Item(ticket.id).operator.name, "京阪バス")
            # another transit operator's party is one
            Item.write([ticket], {'operator': make_operator("京阪交通").id})

    @with_transaction()
    def test_only_the_desk_and_accountants_cancel_a_request(self):
        "(accountants: test_roles.py)"
        Request = Pool().get('hirakata.exchange.request')
        ticket = make_item(make_operator("京阪バス"), 'BUS', "バス回数券",
            300)
        request = exchange(holder_with(1000), ticket)
        Request.write([request], {'cancel_reason': "取消"})
        auditor = create_user('auditor', 'group_auditor')
        with Transaction().set_user(auditor.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(UserError):
                Request.cancel([request])
            with self.assertRaises(AccessError):
                Request.write([request], {'cancel_reason': "別の理由"})
        self.assertEqual(Request(request.id).state, 'new')

    @with_transaction()
    def test_month_settlement_pays_each_transit_operator(self):
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Booking = pool.get('hirakata.settlement.booking')
        Configuration = pool.get('hirakata.settlement.configuration')
        Line = pool.get('account.move.line')
        company = set_up_operator()
        with set_company(company):
            config = Configuration(1)
            bus, taxi = make_operator("京阪バス"), make_operator(
                "枚方タクシー")
            ticket = make_item(bus, 'BUS', "バス回数券", 300)
            coupon = make_item(taxi, 'TAXI', "タクシー券", 500,
                kind='coupon')
            hanako = create_holder("枚方 花子")
            grant_at(at(day(OCTOBER, 1)), hanako.account, 10000, None)
            exchange_at(at(day(OCTOBER, 3)), hanako, ticket, 2)
            exchange_at(at(day(OCTOBER, 4)), hanako, coupon, 1)
            same = exchange_at(at(day(OCTOBER, 5)), hanako, ticket, 1)
            with clock.frozen(at(day(OCTOBER, 6))):
                cancel(same)
            # exchanged on the last day, cancelled in November
            late = exchange_at(at(day(OCTOBER, 31), 23), hanako, coupon, 2)
            with clock.frozen(at(day(NOVEMBER, 1), 9)):
                cancel(late)

            with clock.frozen(at(day(NOVEMBER, 5))):
                Booking.book_until(day(OCTOBER, 31))
                period, = Period.create([{'month': OCTOBER}])
                Period.compute([period])
                Period.review([period])
                Period.confirm([period])
            period = Period(period.id)
            self.assertEqual(sorted((l.category, l.party.name, l.points,
                        l.amount) for l in period.lines), [
                    ('transit_exchange', "京阪バス", 600, Decimal(-600)),
                    ('transit_exchange', "枚方タクシー", 1500,
                        Decimal(-1500)),
                    ])
            invoices = {i.party.name: i for i in period.invoices}
            self.assertEqual(sorted(invoices), ["京阪バス", "枚方タクシー"])
            for name, total in [("京阪バス", 600), ("枚方タクシー", 1500)]:
                invoice = invoices[name]
                self.assertEqual((invoice.type, invoice.state,
                        invoice.total_amount, invoice.tax_amount),
                    ('in', 'posted', Decimal(total), Decimal(0)))
                self.assertEqual(invoice.account, config.transit_payable)
                self.assertEqual(invoice.lines[0].account,
                    config.unsettled_uses)
            # (the invoice names the payable account; the operator's
            # party is left as the accountant keeps it)
            with Transaction().set_context(company=company.id):
                self.assertEqual(Pool().get('party.party')(
                        bus.id).account_payable, None)
            # reconciliation: what each operator is paid is what holders
            # exchanged with it in October, entry by entry
            self.assertEqual({i.party.id: i.total_amount
                    for i in period.invoices},
                {k: Decimal(v) for k, v in ledger_exchanges(
                        OCTOBER, day(OCTOBER, 31)).items()})
            # each operator's payment notice prints
            _, content, _, _ = run_report(QUALIFIED_INVOICE,
                [invoices["京阪バス"].id])
            notice = odt_text(content).splitlines()
            self.assertEqual(notice[0], "支払通知書")
            self.assertIn("交通事業者との交換ポイント（600ポイント）", notice)
            self.assertIn("お支払金額　600 円", notice)
            # (no tax on it to include)
            self.assertIn("合計", notice)
            self.assertNotIn("合計（税込）", notice)
            # and so does the accountant's reconciliation, operator by
            # operator
            # (the holder's points were granted by nobody the month
            # invoices: a row of their own)
            self.assertEqual(sorted((r[2].name, r[4], r[5], r[6])
                    for r in reconciliation(period) if r[2]), [
                    ("京阪バス", -600, Decimal(-600), Decimal(0)),
                    ("枚方タクシー", -1500, Decimal(-1500), Decimal(0))])
            # and the daily moves' clearing account is empty for October
            moves = Line.search([('account', '=', config.unsettled_uses.id),
                    ('move.state', '=', 'posted')])
            self.assertTrue(moves)
            self.assertEqual(sum(l.debit - l.credit for l in moves), 0)

            # November pays back the cancellation of October's coupons
            with clock.frozen(at(day(NOVEMBER, 30), 23)):
                november, = Period.create([{'month': NOVEMBER}])
                Period.compute([november])
            self.assertEqual([(l.category, l.party.name, l.points)
                    for l in november.lines],
                [('transit_exchange', "枚方タクシー", -1000)])

    @with_transaction()
    def test_an_operator_without_address_is_refused_at_computing(self):
        pool = Pool()
        Party = pool.get('party.party')
        Period = pool.get('hirakata.settlement.period')
        company = set_up_operator()
        with set_company(company):
            bus, = Party.create([{'name': "住所のないバス"}])
            ticket = make_item(bus, 'BUS', "バス回数券", 300)
            hanako = create_holder("枚方 花子")
            grant_at(at(day(OCTOBER, 1)), hanako.account, 1000, None)
            exchange_at(at(day(OCTOBER, 3)), hanako, ticket, 1)
            with clock.frozen(at(day(NOVEMBER, 5))):
                period, = Period.create([{'month': OCTOBER}])
                with self.assertRaises(UserError):
                    Period.compute([period])
            self.assertEqual(Period(period.id).state, 'draft')


def ledger_exchanges(start, end):
    """{operator id: points} owed to each transit operator for holders'
    entries dated start..end, from the ledger entry by entry."""
    Entry = Pool().get('hirakata.point.entry')
    totals = defaultdict(int)
    for entry in Entry.search([('account.kind', '=', 'holder'),
                ('date', '>=', start), ('date', '<=', end)]):
        source = entry.reversal_of or entry
        if source.kind == 'exchange':
            totals[source.origin.operator.id] -= entry.points
    return {k: v for k, v in totals.items() if v}


@unittest.skipUnless(backend.name == 'postgresql',
    "concurrent writers need PostgreSQL")
class ParallelExchangeTestCase(unittest.TestCase):
    "Exchanges with parallel connections on PostgreSQL"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('hirakata_points_settlement')

    def test_parallel_exchanges_never_oversell_the_stock(self):
        item_id, holder_ids = new_item_and_holders(holders=12, stock=5)
        results = parallel_exchanges(
            [(h, item_id, 1, uuid.uuid4().hex) for h in holder_ids])
        done = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, OutOfStock)]
        self.assertEqual((len(done), len(refused)), (5, 7))
        self.assertEqual(item_stock(item_id), 0)
        for holder_id, result in zip(holder_ids, results):
            balance = 700 if isinstance(result, int) else 1000
            self.assertEqual(state(account_of(holder_id)), (balance,) * 3)

    def test_parallel_exchanges_of_one_holder_keep_the_monthly_limit(self):
        item_id, (holder_id,) = new_item_and_holders(holders=1, limit=3)
        results = parallel_exchanges(
            [(holder_id, item_id, 1, uuid.uuid4().hex) for _ in range(10)])
        done = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, OverLimit)]
        self.assertEqual((len(done), len(refused)), (3, 7))
        self.assertEqual(state(account_of(holder_id)), (100,) * 3)

    def test_parallel_retries_of_one_key_exchange_once(self):
        item_id, (holder_id,) = new_item_and_holders(holders=1, stock=10)
        key = uuid.uuid4().hex
        results = parallel_exchanges(
            [(holder_id, item_id, 2, key) for _ in range(8)])
        self.assertEqual(len(set(results)), 1)
        self.assertIsInstance(results[0], int)
        self.assertEqual(item_stock(item_id), 8)
        self.assertEqual(state(account_of(holder_id)), (400,) * 3)


def new_item_and_holders(holders, stock=None, limit=None):
    "Commit an item of 300 points and holders with 1000 points each."
    def create():
        item = make_item(make_operator("京阪バス"),
            'BUS-%s' % uuid.uuid4().hex[:8], "バス回数券", 300,
            stock=stock, holder_monthly_limit=limit)
        return item.id, [holder_with(1000, "並行 %s" % i).id
            for i in range(holders)]
    return run(create)


def account_of(holder_id):
    return run(lambda: Pool().get('hirakata.holder')(holder_id).account.id)


def item_stock(item_id):
    return run(lambda: Pool().get('hirakata.exchange.item')(item_id).stock)


def parallel_exchanges(calls):
    "Exchange (holder id, item id, quantity, key) all at the same moment."
    barrier = threading.Barrier(len(calls))

    def call(args):
        holder_id, item_id, quantity, key = args

        def book():
            pool = Pool()
            return exchange(pool.get('hirakata.holder')(holder_id),
                pool.get('hirakata.exchange.item')(item_id), quantity,
                key=key).id
        barrier.wait(timeout=10)
        return run(book)
    with ThreadPoolExecutor(len(calls)) as executor:
        return list(executor.map(call, calls))


del _DBTestCase
