"""Community projects (R7, R29): residents' donations, the city's
allocations of the expired points pool (approved by a city approver, never
more than the pool holds) and the report per project; on PostgreSQL,
parallel approvals."""
import datetime as dt
import threading
import unittest
import uuid
from decimal import Decimal
from concurrent.futures import ThreadPoolExecutor

from trytond import backend
from trytond.exceptions import UserError
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.exceptions import (
    InsufficientPoints, InvalidPoints)
from trytond.modules.hirakata_points.tests.test_concurrency import run
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user, load_japanese)
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points_settlement.exceptions import (
    BooksError, CommunityError)
from trytond.modules.hirakata_points_settlement.reconciliation import (
    reconciliation)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    _DBTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from .test_statement import QUALIFIED_INVOICE, odt_text, run_report
from .tools import at, payable_lines, reverse_at, set_up_operator, settle

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def day(month, number):
    return month.replace(day=number)


def make_project(code, name, **values):
    Project = Pool().get('hirakata.community.project')
    project, = Project.create([dict(code=code, name=name, **values)])
    return project


def holder_with(points, name="枚方 花子", moment=None):
    Ledger = Pool().get('hirakata.point.ledger')
    holder = create_holder(name)
    with clock.frozen(moment or clock.utc_now()):
        Ledger.grant(holder.account, points, key=uuid.uuid4().hex,
            channel='backoffice', reason="テスト")
    return holder


def donate(project, holder, points, key=None, moment=None):
    Project = Pool().get('hirakata.community.project')
    with clock.frozen(moment or clock.utc_now()):
        return Project.donate(project, holder, points,
            key=key or uuid.uuid4().hex, channel='backoffice')


def fill_expired_pool(points):
    "Points granted long ago that the nightly job expires into the pool."
    pool = Pool()
    Ledger = pool.get('hirakata.point.ledger')
    Policy = pool.get('hirakata.point.expiry.policy')
    short, = Policy.create([{'name': '1か月', 'kind': 'months',
                'months': 1}])
    holder = create_holder("失効 太郎")
    Ledger.grant(holder.account, points, key=uuid.uuid4().hex,
        channel='terminal', policy=short,
        date=clock.today() - dt.timedelta(days=60))
    Ledger.expire_due(commit_chunks=False)


def pool_balance(kind='expired_pool'):
    Account = Pool().get('hirakata.point.account')
    return Account(Account.pool_account(kind).id).balance


def allocation(project, points, reason="食材費の支援"):
    "A draft allocation proposed by the server's code (user 0): by nobody."
    Allocation = Pool().get('hirakata.community.allocation')
    with Transaction().set_user(0):
        allocation, = Allocation.create([{'project': project.id,
                    'points': points, 'description': reason}])
    return allocation


class CommunityTestCase(_DBTestCase):
    "Donations to community projects and allocations of expired points"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_donation_books_a_donation_entry_for_the_project(self):
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Project = pool.get('hirakata.community.project')
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        holder = holder_with(1000)
        donation_pool = pool_balance('donation_pool')

        entry = donate(kitchen, holder, 300, key='d1')
        again = donate(kitchen, holder, 300, key='d1')

        self.assertEqual(again, entry)
        self.assertEqual((entry.kind, entry.points, entry.origin),
            ('donation', -300, kitchen))
        load_japanese()
        with Transaction().set_context(language='ja'):
            self.assertEqual(Pool().get('hirakata.point.entry')(
                    entry.id).holder_description(),
                "寄付（子ども食堂 ひらかた）")
        self.assertEqual(Account(holder.account.id).balance, 700)
        self.assertEqual(pool_balance('donation_pool'), donation_pool + 300)
        self.assertEqual(Project(kitchen.id).donated, 300)
        self.assertEqual(Account.find_unbalanced(), [])

    @with_transaction()
    def test_donation_refused_with_nothing_done(self):
        load_japanese()
        Account = Pool().get('hirakata.point.account')
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        closed = make_project('K0', "閉じた事業", active=False)
        holder = holder_with(100)
        with Transaction().set_context(language='ja'):
            for project, points, error, words in [
                    (closed, 10, CommunityError, "寄付を受け付けていません"),
                    (kitchen, 101, InsufficientPoints, "ポイントが不足"),
                    (kitchen, 0, InvalidPoints, "ポイント")]:
                with self.assertRaises(error) as raised:
                    donate(project, holder, points)
                self.assertIn(words, raised.exception.message)
        self.assertEqual(Account(holder.account.id).balance, 100)

    @with_transaction()
    def test_desk_donates_through_the_wizard(self):
        pool = Pool()
        Entry = pool.get('hirakata.point.entry')
        Donate = pool.get('hirakata.community.donate', type='wizard')
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        holder = holder_with(500)
        desk = create_user('desk', 'group_operator')
        load_japanese()
        with Transaction().set_user(desk.id), Transaction().set_context(
                active_model='hirakata.holder', active_id=holder.id,
                active_ids=[holder.id], language='ja'):
            session_id, start, _ = Donate.create()
            view = Donate.execute(session_id, {}, start)
            self.assertEqual(view['view']['defaults']['available'], 500)
            data = {start: {'holder': holder.id, 'project': kitchen.id,
                    'points': 200}}
            Donate.execute(session_id, data, 'donate')
            Donate.execute(session_id, data, 'donate')
        entry, = Entry.search([('kind', '=', 'donation')])
        self.assertEqual((entry.points, entry.channel, entry.reason),
            (-200, 'backoffice', "「子ども食堂 ひらかた」への寄付"))

    @with_transaction()
    def test_only_a_city_approver_approves_an_allocation(self):
        pool = Pool()
        Allocation = pool.get('hirakata.community.allocation')
        fill_expired_pool(1000)
        before = pool_balance()
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        staff = create_user('city', 'group_city_staff')
        approver = create_user('approver', 'group_city_approver')
        with Transaction().set_user(staff.id), \
                Transaction().set_context(_check_access=True):
            proposed, = Allocation.create([{'project': kitchen.id,
                        'points': 400, 'description': "食材費の支援"}])
            with self.assertRaises(UserError):
                Allocation.approve([proposed])
        self.assertEqual(Allocation(proposed.id).state, 'draft')
        with Transaction().set_user(approver.id), \
                Transaction().set_context(_check_access=True):
            Allocation.approve([Allocation(proposed.id)])
        approved = Allocation(proposed.id)
        self.assertEqual((approved.state, approved.approved_by),
            ('approved', approver))
        self.assertEqual((approved.entry.kind, approved.entry.points,
                approved.entry.origin, approved.entry.reason),
            ('allocation', -400, approved, "食材費の支援"))
        self.assertEqual(approved.entry.account.kind, 'expired_pool')
        self.assertEqual(pool_balance(), before - 400)
        self.assertEqual(kitchen.allocated, 400)
        with self.assertRaises(CommunityError):
            Allocation.write([approved], {'points': 1})
        with self.assertRaises(CommunityError):
            Allocation.delete([approved])

    @with_transaction()
    def test_allocations_never_overdraw_the_expired_pool(self):
        load_japanese()
        Allocation = Pool().get('hirakata.community.allocation')
        fill_expired_pool(100)
        available = pool_balance()
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        too_much = allocation(kitchen, available + 1)
        with Transaction().set_context(language='ja'), \
                self.assertRaises(CommunityError) as raised:
            Allocation.approve([too_much])
        self.assertIn("失効ポイントの残高は%sポイント" % available,
            raised.exception.message)
        self.assertEqual(Allocation(too_much.id).state, 'draft')
        self.assertEqual(pool_balance(), available)
        Allocation.approve([allocation(kitchen, available)])
        with self.assertRaises(CommunityError):
            Allocation.approve([allocation(kitchen, 1)])
        self.assertEqual(pool_balance(), 0)

    @with_transaction()
    def test_report_per_project_of_donations_and_allocations(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Allocation = pool.get('hirakata.community.allocation')
        Report = pool.get('hirakata.community.report')
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        park = make_project('K2', "公園の花壇")
        make_project('K3', "まだ寄付のない事業")
        hanako = holder_with(5000, moment=at(OCTOBER))
        taro = holder_with(5000, "枚方 太郎", moment=at(OCTOBER))
        donate(kitchen, hanako, 300, moment=at(OCTOBER.replace(day=5)))
        donate(kitchen, taro, 200, moment=at(OCTOBER.replace(day=6)))
        cancelled = donate(park, taro, 50, moment=at(OCTOBER.replace(day=7)))
        with clock.frozen(at(OCTOBER.replace(day=8))):
            Ledger.reverse(cancelled, key='rev', channel='backoffice',
                reason="誤操作")
        donate(park, hanako, 100, moment=at(NOVEMBER.replace(day=2)))
        fill_expired_pool(1000)
        with clock.frozen(at(NOVEMBER.replace(day=3))):
            Allocation.approve([allocation(kitchen, 250)])
            allocation(park, 999)  # a draft: not counted

        def rows(**context):
            with Transaction().set_context(**context):
                return {r.project.code: (r.donations, r.donated,
                        r.allocated, r.total) for r in Report.search([])}
        self.assertEqual(rows(), {
                'K1': (2, 500, 250, 750),
                'K2': (1, 100, 0, 100),
                'K3': (0, 0, 0, 0)})
        self.assertEqual(rows(from_date=OCTOBER,
                to_date=NOVEMBER - dt.timedelta(days=1)), {
                'K1': (2, 500, 0, 500),
                'K2': (0, 0, 0, 0),
                'K3': (0, 0, 0, 0)})
        self.assertEqual(rows(from_date=NOVEMBER), {
                'K1': (0, 0, 250, 250),
                'K2': (1, 100, 0, 100),
                'K3': (0, 0, 0, 0)})

    def payee(self, name="ひらかた子ども食堂ネットワーク", address=True):
        Party = Pool().get('party.party')
        party, = Party.create([{'name': name, 'addresses': [('create', [{
                                'street_unstructured': "枚方市大垣内町"}])]
                    if address else []}])
        return party

    @with_transaction()
    def test_month_pays_each_project_its_donations_and_allocations(self):
        """The settlement pays a project's payee the month's donations and
        allocations with a supplier invoice on 2130, against the community
        fund and the expired points income they were booked to; a
        donation cancelled the next month is settled there."""
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Allocation = pool.get('hirakata.community.allocation')
        MoveLine = pool.get('account.move.line')
        company = set_up_operator()
        with set_company(company):
            config = Configuration(1)
            network = self.payee()
            kitchen = make_project('K1', "子ども食堂 ひらかた",
                payee=network.id)
            watch = make_project('W1', "地域見守り", payee=network.id)
            make_project('P1', "公園の花壇")  # no movement: no line
            holder = holder_with(2000, moment=at(day(OCTOBER, 1)))
            donate(kitchen, holder, 300, moment=at(day(OCTOBER, 5)))
            donate(watch, holder, 200, moment=at(day(OCTOBER, 6)))
            same = donate(kitchen, holder, 40, moment=at(day(OCTOBER, 7)))
            reverse_at(at(day(OCTOBER, 8)), same)
            late = donate(kitchen, holder, 50,
                moment=at(day(OCTOBER, 31), 23))
            reverse_at(at(day(NOVEMBER, 1), 0), late)
            with clock.frozen(at(day(OCTOBER, 10))):
                fill_expired_pool(1000)
                Allocation.approve([allocation(kitchen, 250)])
                allocation(watch, 999)  # a draft: not paid

            october = settle(OCTOBER, at(day(NOVEMBER, 5)))
            self.assertEqual(sorted((l.category, l.project.code,
                        l.party.name, l.points, l.amount)
                    for l in october.lines if l.project), [
                    ('community_allocation', 'K1', network.name, 250,
                        Decimal(-250)),
                    ('community_donation', 'K1', network.name, 350,
                        Decimal(-350)),
                    ('community_donation', 'W1', network.name, 200,
                        Decimal(-200))])
            invoice, = [i for i in october.invoices if i.party == network]
            self.assertEqual((invoice.type, invoice.state,
                    invoice.account, invoice.total_amount),
                ('in', 'posted', config.community_payable, Decimal(800)))
            self.assertEqual(sorted((l.account.code, l.amount,
                        l.description) for l in invoice.lines), [
                    ('2230', Decimal(200),
                        "W1 地域見守り Donations to the Community Project"
                        "（200ポイント）"),
                    ('2230', Decimal(350),
                        "K1 子ども食堂 ひらかた Donations to the Community "
                        "Project（350ポイント）"),
                    ('5130', Decimal(250),
                        "K1 子ども食堂 ひらかた Expired Points Allocated"
                        "（250ポイント）")])
            # the payee is owed 800 on 2130, and October's donations have
            # left the community fund
            self.assertEqual([(l.account.code, l.credit)
                    for l in payable_lines(network)],
                [('2130', Decimal(800))])
            fund = MoveLine.search([
                    ('account', '=', config.community_fund.id),
                    ('move.date', '<=', day(OCTOBER, 31))])
            self.assertEqual(sum(l.credit - l.debit for l in fund), 0)
            self.assertEqual(sorted((r[3].code, r[4], r[5], r[6])
                    for r in reconciliation(october) if r[3]), [
                    ('K1', -600, Decimal(-600), Decimal(0)),
                    ('W1', -200, Decimal(-200), Decimal(0))])

            # November gives the cancelled donation back: the payee owes it
            november = settle(NOVEMBER, at(dt.date(2026, 12, 2)))
            self.assertEqual([(l.category, l.points, l.amount)
                    for l in november.lines if l.project],
                [('community_donation', -50, Decimal(50))])
            # its notice asks the payee for it, and says why no tax
            owed, = [i for i in november.invoices if i.party == network]
            _, content, _, _ = run_report(QUALIFIED_INVOICE, [owed.id])
            notice = odt_text(content).splitlines()
            self.assertEqual((notice[0], owed.total_amount),
                ("精算通知書", Decimal(-50)))
            self.assertIn("差引ご請求金額（当社へお支払いください）　50 円",
                notice)
            self.assertIn("寄付と失効ポイントの配分は消費税の課税対象外（不課税）です。",
                notice)
            self.assertEqual([(r[3].code, r[4], r[5], r[6])
                    for r in reconciliation(november) if r[3]],
                [('K1', 50, Decimal(50), Decimal(0))])

    @with_transaction()
    def test_expired_points_stay_where_they_were_booked(self):
        """Where expired points go is chosen before any is booked: the
        allocations the city makes of them are charged there."""
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Booking = pool.get('hirakata.settlement.booking')
        company = set_up_operator()
        with set_company(company):
            config = Configuration(1)
            Configuration.write([config], {'expired_points_to': 'fund'})
            with clock.frozen(at(day(OCTOBER, 10))):
                fill_expired_pool(100)
            with clock.frozen(at(day(OCTOBER, 12))):
                Booking.book_until()
            self.assertTrue(Booking.search([('kind', '=', 'expire')]))
            with self.assertRaises(BooksError):
                Configuration.write([config], {'expired_points_to': 'income'})
            Configuration.write([config], {'expired_points_to': 'fund'})
            self.assertEqual(Configuration(1).expired_points_to, 'fund')

    @with_transaction()
    def test_expired_points_stay_where_they_were_allocated(self):
        "(an allocation approved before any expiry is booked)"
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Allocation = pool.get('hirakata.community.allocation')
        company = set_up_operator()
        with set_company(company):
            with clock.frozen(at(day(OCTOBER, 10))):
                fill_expired_pool(100)
                Allocation.approve([allocation(
                            make_project('K1', "子ども食堂"), 10)])
            with self.assertRaises(BooksError):
                Configuration.write([Configuration(1)],
                    {'expired_points_to': 'fund'})

    @with_transaction()
    def test_month_with_donations_refused_without_a_payee(self):
        """(in Japanese, the period left as it was), and with a payee the
        operator no longer pays for a project"""
        load_japanese()
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        company = set_up_operator()
        with set_company(company):
            kitchen = make_project('K1', "子ども食堂 ひらかた")
            holder = holder_with(500, moment=at(day(OCTOBER, 1)))
            donate(kitchen, holder, 100, moment=at(day(OCTOBER, 5)))
            with clock.frozen(at(day(NOVEMBER, 5))):
                period, = Period.create([{'month': OCTOBER}])
                for payee, words in [
                        (None, "「K1 子ども食堂 ひらかた」に支払先がありません。"
                            "経理担当者が事業の画面で支払先を選んでください"),
                        (self.payee("住所のない団体", address=False),
                            "支払先「住所のない団体」の住所を登録")]:
                    kitchen.payee = payee
                    kitchen.save()
                    with Transaction().set_context(language='ja'), \
                            self.assertRaises(UserError) as raised:
                        Period.compute([period])
                    self.assertIn(words, raised.exception.message)
                    self.assertEqual((Period(period.id).state,
                            Period(period.id).lines), ('draft', ()))
                # A payee chosen when it could be, become since one the
                # operator never pays for a project (here its employee).
                kitchen.payee = self.payee()
                kitchen.save()
                pool.get('company.employee').create([{
                            'party': kitchen.payee.id,
                            'company': company.id}])
                with Transaction().set_context(language='ja'), \
                        self.assertRaises(CommunityError) as raised:
                    Period.compute([period])
                self.assertIn("ひらかた子ども食堂ネットワーク",
                    raised.exception.message)
                self.assertEqual(Period(period.id).state, 'draft')


@unittest.skipUnless(backend.name == 'postgresql',
    "concurrent writers need PostgreSQL")
class ParallelAllocationTestCase(unittest.TestCase):
    "Approvals of allocations with parallel connections on PostgreSQL"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('hirakata_points_settlement')

    def test_parallel_approvals_never_overdraw_the_pool(self):
        def prepare():
            fill_expired_pool(100)
            available = pool_balance()
            # Each a little over a third: two fit, a third never does.
            size = available // 3 + 1
            project = make_project('P-%s' % uuid.uuid4().hex[:8],
                "子ども食堂")
            return available, size, [allocation(project, size).id
                for _ in range(8)]
        available, size, ids = run(prepare)
        barrier = threading.Barrier(len(ids))

        def approve(allocation_id):
            def book():
                Allocation = Pool().get('hirakata.community.allocation')
                Allocation.approve([Allocation(allocation_id)])
                return Allocation(allocation_id).state
            barrier.wait(timeout=10)
            return run(book)
        with ThreadPoolExecutor(len(ids)) as executor:
            results = list(executor.map(approve, ids))
        self.assertEqual(results.count('approved'), 2)
        self.assertEqual(len([r for r in results
                    if isinstance(r, CommunityError)]), 6)
        self.assertEqual(run(pool_balance), available - 2 * size)


del _DBTestCase
