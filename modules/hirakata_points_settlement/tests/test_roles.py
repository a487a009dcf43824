"""Who does what in the settlement (issue 13, Roles), from the user's seat:
every call goes through tools.rpc as a client's JSON-RPC call, so the
access rights, button and action groups and record rules of the user's
groups apply. Allocations under four eyes, exchange requests worked by
accountants and read by city staff, invoices per store, city and
auditor."""
import datetime as dt
from decimal import Decimal

from trytond.exceptions import UserWarning
from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos.tests.tools import make_store
from trytond.modules.hirakata_points_settlement.exceptions import (
    BooksError, CommunityError, SettlementError)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_community import fill_expired_pool, make_project, pool_balance
from .test_exchange import exchange, holder_with, make_item, make_operator
from .test_statement import (
    DOCUMENT, QUALIFIED_INVOICE, SPREADSHEET, confirmed_october)
from .tools import at, bank_account, rpc, set_up_operator

ALLOCATION = 'hirakata.community.allocation'
PROJECT = 'hirakata.community.project'
REQUEST = 'hirakata.exchange.request'
INVOICE = 'account.invoice'
STATEMENT = 'hirakata.settlement.statement'


def make_user(login, group, store=None, language=None):
    """A user in one of our groups, of the operator's company when there
    is one (as the administrator sets them up), store staff of store."""
    pool = Pool()
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    Company = pool.get('company.company')
    Lang = pool.get('ir.lang')
    values = {'login': login, 'name': login,
        'groups': [('add', [Data.get_id('hirakata_points', group)])]}
    companies = Company.search([])
    if companies:
        values['companies'] = [('add', [c.id for c in companies])]
        values['company'] = companies[0].id
    if store:
        values['hirakata_store'] = store.id
    if language:
        values['language'], = Lang.search([('code', '=', language)])
    user, = User.create([values])
    return user


def propose(user, project, points):
    "user proposes an allocation of points to project: its id."
    allocation_id, = rpc(user, ALLOCATION, 'create', [{
                'project': project.id, 'points': points,
                'description': "食材費の支援"}])
    return allocation_id


def report(user, name, ids):
    """Execute report name on ids as user's sao does: with the action's id
    (the engine checks the action's groups, the access and the rules)."""
    ActionReport = Pool().get('ir.action.report')
    action, = ActionReport.search([('report_name', '=', name)])
    return rpc(user, name, 'execute', ids, {'action_id': action.id,
            'model': action.model, 'id': ids[0], 'ids': ids},
        type='report')


class RolesTestCase(_DBTestCase):
    "Each role's settlement tasks through JSON-RPC"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_allocation_proposer_is_recorded_and_never_approves(self):
        Allocation = Pool().get(ALLOCATION)
        load_japanese()
        fill_expired_pool(1000)
        before = pool_balance()
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        first = make_user('approver1', 'group_city_approver', language='ja')
        second = make_user('approver2', 'group_city_approver')

        # A client cannot name another proposer.
        allocation_id, = rpc(first, ALLOCATION, 'create', [{
                    'project': kitchen.id, 'points': 300,
                    'description': "食材費の支援", 'proposed_by': second.id}])
        self.assertEqual(Allocation(allocation_id).proposed_by, first)
        with self.assertRaises(AccessError):
            rpc(first, ALLOCATION, 'write', [allocation_id],
                {'proposed_by': second.id})

        with self.assertRaises(CommunityError) as refused:
            rpc(first, ALLOCATION, 'approve', [allocation_id])
        self.assertIn("ご自身が起案", refused.exception.message)
        self.assertEqual(Allocation(allocation_id).state, 'draft')
        self.assertEqual(pool_balance(), before)

        rpc(second, ALLOCATION, 'approve', [allocation_id])
        approved = Allocation(allocation_id)
        self.assertEqual((approved.state, approved.proposed_by,
                approved.approved_by), ('approved', first, second))
        self.assertEqual(pool_balance(), before - 300)

    @with_transaction()
    def test_allocation_proposed_again_is_proposed_by_who_did_it(self):
        Allocation = Pool().get(ALLOCATION)
        fill_expired_pool(1000)
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        first = make_user('approver1', 'group_city_approver')
        second = make_user('approver2', 'group_city_approver')
        allocation_id = propose(first, kitchen, 100)
        rpc(first, ALLOCATION, 'cancel', [allocation_id])
        rpc(second, ALLOCATION, 'draft', [allocation_id])
        self.assertEqual(Allocation(allocation_id).proposed_by, second)
        with self.assertRaises(CommunityError):
            rpc(second, ALLOCATION, 'approve', [allocation_id])
        rpc(first, ALLOCATION, 'approve', [allocation_id])
        self.assertEqual(Allocation(allocation_id).state, 'approved')

    @with_transaction()
    def test_allocation_rewritten_is_proposed_by_who_rewrote_it(self):
        "An approver who changes another's proposal may not approve it"
        Allocation = Pool().get(ALLOCATION)
        fill_expired_pool(10000)
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        watch = make_project('W1', "見守り隊")
        staff = make_user('city1', 'group_city_staff')
        approver = make_user('approver1', 'group_city_approver')
        allocation_id = propose(staff, kitchen, 100)
        rpc(approver, ALLOCATION, 'write', [allocation_id],
            {'points': 5000, 'project': watch.id})
        self.assertEqual(Allocation(allocation_id).proposed_by, approver)
        with self.assertRaises(CommunityError):
            rpc(approver, ALLOCATION, 'approve', [allocation_id])
        self.assertEqual(Allocation(allocation_id).state, 'draft')

    @with_transaction()
    def test_accountants_propose_allocations_and_do_not_approve(self):
        Allocation = Pool().get(ALLOCATION)
        fill_expired_pool(1000)
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        accountant = make_user('accountant', 'group_accountant')
        staff = make_user('city', 'group_city_staff')
        approver = make_user('approver', 'group_city_approver')

        for proposer in [accountant, staff]:
            allocation_id = propose(proposer, kitchen, 100)
            rpc(proposer, ALLOCATION, 'write', [allocation_id],
                {'points': 120})
            for user in [accountant, staff]:
                with self.assertRaises(AccessButtonError):
                    rpc(user, ALLOCATION, 'approve', [allocation_id])
            rpc(approver, ALLOCATION, 'approve', [allocation_id])
            allocation = Allocation(allocation_id)
            self.assertEqual((allocation.state, allocation.points,
                    allocation.proposed_by, allocation.approved_by),
                ('approved', 120, proposer, approver))

    @with_transaction()
    def test_refused_button_reads_japanese_without_its_method_name(self):
        # Tryton names the button by its method (approve); the Japanese
        # message names the screen only.
        fill_expired_pool(1000)
        load_japanese()
        kitchen = make_project('K1', "子ども食堂 ひらかた")
        staff = make_user('city', 'group_city_staff', language='ja')
        allocation_id = propose(staff, kitchen, 100)
        with self.assertRaises(AccessButtonError) as refused:
            rpc(staff, ALLOCATION, 'approve', [allocation_id])
        self.assertRegex(refused.exception.message,
            "^「[^」]+」でこの操作を行う権限がありません。$")
        self.assertNotIn('approve', refused.exception.message)

    @with_transaction()
    def test_accountants_send_fulfil_and_cancel_exchange_requests(self):
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Request = pool.get(REQUEST)
        Batch = pool.get('hirakata.exchange.batch')
        Item = pool.get('hirakata.exchange.item')
        bus = make_operator("京阪バス")
        taxi = make_operator("ひらかたタクシー")
        ticket = make_item(bus, 'BUS', "バス回数券", 300, stock=10)
        coupon = make_item(taxi, 'TAXI', "タクシー券", 500, kind='coupon')
        holder = holder_with(2000)
        sent, kept, by_taxi = (exchange(holder, ticket),
            exchange(holder, ticket), exchange(holder, coupon))
        accountant = make_user('accountant', 'group_accountant')

        # 交通事業者へ送付: the bus operator's new requests, in one file.
        wizard = 'hirakata.exchange.send'
        session_id, start, _ = rpc(accountant, wizard, 'create',
            type='wizard')
        shown = rpc(accountant, wizard, 'execute', session_id, {}, start,
            type='wizard')
        self.assertEqual(
            sorted(shown['view']['defaults']['operators']),
            sorted([bus.id, taxi.id]))
        rpc(accountant, wizard, 'execute', session_id,
            {start: {'operator': bus.id}}, 'send', type='wizard')
        batch, = Batch.search([])
        self.assertEqual((batch.operator, set(batch.requests)),
            (bus, {sent, kept}))
        read, = rpc(accountant, 'hirakata.exchange.batch', 'read',
            [batch.id], ['file'])
        self.assertEqual(len(read['file'].decode('utf-8-sig').splitlines()),
            3)
        self.assertEqual(Request(by_taxi.id).state, 'new')

        rpc(accountant, REQUEST, 'fulfil', [sent.id])
        self.assertEqual(Request(sent.id).state, 'fulfilled')

        balance = Account(holder.account.id).balance
        rpc(accountant, REQUEST, 'write', [by_taxi.id],
            {'cancel_reason': "窓口で取消の申出"})
        rpc(accountant, REQUEST, 'cancel', [by_taxi.id])
        cancelled = Request(by_taxi.id)
        self.assertEqual(cancelled.state, 'cancelled')
        self.assertEqual((cancelled.reversal.kind,
                cancelled.reversal.reversal_of, cancelled.reversal.points),
            ('reversal', cancelled.entry, 500))
        self.assertEqual(Account(holder.account.id).balance, balance + 500)
        self.assertEqual(Account.find_unbalanced(), [])
        self.assertEqual(Item(coupon.id).stock, coupon.stock)
        # the reason stays as the ledger booked it, and so does a sent
        # request's empty one
        for request in [by_taxi, sent]:
            with self.subTest(state=Request(request.id).state), \
                    self.assertRaises(AccessError):
                rpc(accountant, REQUEST, 'write', [request.id],
                    {'cancel_reason': "書き換え"})
        self.assertEqual((Request(by_taxi.id).cancel_reason,
                cancelled.reversal.reason), ("窓口で取消の申出",) * 2)

    @with_transaction()
    def test_city_staff_read_exchange_requests_and_change_nothing(self):
        Request = Pool().get(REQUEST)
        bus = make_operator("京阪バス")
        ticket = make_item(bus, 'BUS', "バス回数券", 300, stock=10)
        holder = holder_with(2000)
        sent = exchange(holder, ticket)
        Pool().get('hirakata.exchange.batch').send(bus)
        fresh = exchange(holder, ticket)
        Request.write([fresh], {'cancel_reason': "窓口で取消の申出"})
        staff = make_user('city', 'group_city_staff')

        found = rpc(staff, REQUEST, 'search', [])
        self.assertEqual(sorted(found), sorted([fresh.id, sent.id]))
        self.assertEqual(len(rpc(staff, 'hirakata.exchange.batch', 'search',
                    [])), 1)
        with self.assertRaises(AccessError):
            rpc(staff, REQUEST, 'write', [fresh.id],
                {'cancel_reason': "市の取消"})
        for method, request in [('cancel', fresh), ('fulfil', sent)]:
            with self.assertRaises(AccessButtonError):
                rpc(staff, REQUEST, method, [request.id])
        with self.assertRaises(AccessError):
            rpc(staff, 'hirakata.exchange.send', 'create', type='wizard')
        self.assertEqual([Request(fresh.id).state, Request(sent.id).state],
            ['new', 'sent'])

    @with_transaction()
    def test_store_staff_read_and_print_their_store_invoices_only(self):
        pool = Pool()
        Invoice = pool.get(INVOICE)
        Statement = pool.get(STATEMENT)
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            mine = [i for i in period.invoices if i.hirakata_store == bakery]
            theirs = [i for i in period.invoices
                if i.hirakata_store == books]
            self.assertEqual((len(mine), len(theirs)), (1, 2))
            staff = make_user('bakery', 'group_store_staff', store=bakery)

            self.assertEqual(rpc(staff, INVOICE, 'search', []),
                [mine[0].id])
            self.assertEqual(rpc(staff, INVOICE, 'search',
                    [('party', '=', books.party.id)]), [])
            line_ids = rpc(staff, 'account.invoice.line', 'search', [])
            self.assertEqual(sorted(line_ids),
                sorted(l.id for l in mine[0].lines))
            read, = rpc(staff, INVOICE, 'read', [mine[0].id],
                ['number', 'total_amount'])
            self.assertEqual(read['number'], mine[0].number)
            oext, content, _, _ = report(staff, QUALIFIED_INVOICE,
                [mine[0].id])
            self.assertEqual(oext, 'odt')
            for invoice in theirs:
                with self.assertRaises(AccessError):
                    rpc(staff, INVOICE, 'read', [invoice.id], ['number'])
                with self.assertRaises(AccessError):
                    report(staff, QUALIFIED_INVOICE, [invoice.id])
                with self.assertRaises(AccessError):
                    rpc(staff, 'account.invoice.line', 'read',
                        [invoice.lines[0].id], ['amount'])
                # (an export checks the rules in Python, where the lines'
                # rule through their invoice always held)
                for model, ids, names in [
                        (INVOICE, [invoice.id], ['number']),
                        ('account.invoice.line', [invoice.lines[0].id],
                            ['description', 'amount'])]:
                    with self.assertRaises(AccessError):
                        rpc(staff, model, 'export_data', ids, names)
                with self.assertRaises(AccessError):
                    rpc(staff, INVOICE, 'on_change_with',
                        {'id': invoice.id}, ['party_lang'])
                # nor its lines named in a new invoice (their amounts
                # summed) nor the invoice in a new line
                with self.assertRaises(AccessError):
                    rpc(staff, INVOICE, 'on_change', {'id': None,
                            'type': 'out', 'currency': invoice.currency.id,
                            'company': invoice.company.id, 'taxes': [],
                            'lines': [{'id': l.id} for l in invoice.lines]},
                        ['lines'])
                with self.assertRaises(AccessError):
                    rpc(staff, 'account.invoice.line', 'on_change_with',
                        {'id': None, 'invoice': invoice.id},
                        ['invoice_party'])
            self.assertEqual(rpc(staff, 'account.invoice.line',
                    'export_data', [mine[0].lines[0].id], ['amount']),
                [[mine[0].lines[0].amount]])
            with self.assertRaises(AccessError):
                rpc(staff, INVOICE, 'write', [mine[0].id],
                    {'description': "x"})
            city, = Invoice.search([('hirakata_city', '=', True)])
            with self.assertRaises(AccessError):
                rpc(staff, INVOICE, 'read', [city.id], ['number'])

            # and their store's statement, as document and spreadsheet
            statements = {s.store: s.id for s in Statement.search([])}
            self.assertEqual(rpc(staff, STATEMENT, 'search', []),
                [statements[bakery]])
            for name in [DOCUMENT, SPREADSHEET]:
                report(staff, name, [statements[bakery]])
                with self.assertRaises(AccessError):
                    report(staff, name, [statements[books]])

    @with_transaction()
    def test_city_staff_read_the_city_invoices_only(self):
        Invoice = Pool().get(INVOICE)
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            city, = Invoice.search([('hirakata_city', '=', True)])
            staff = make_user('city', 'group_city_staff')
            self.assertEqual(rpc(staff, INVOICE, 'search', []), [city.id])
            report(staff, QUALIFIED_INVOICE, [city.id])
            store_invoice = next(i for i in period.invoices if i != city)
            with self.assertRaises(AccessError):
                rpc(staff, INVOICE, 'read', [store_invoice.id], ['number'])

    @with_transaction()
    def test_auditor_reads_every_invoice_and_changes_none(self):
        Invoice = Pool().get(INVOICE)
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            auditor = make_user('auditor', 'group_auditor')
            ids = rpc(auditor, INVOICE, 'search', [])
            self.assertEqual(sorted(ids),
                sorted(i.id for i in period.invoices))
            for invoice_id in ids:
                report(auditor, QUALIFIED_INVOICE, [invoice_id])
            with self.assertRaises(AccessError):
                rpc(auditor, INVOICE, 'write', ids, {'description': "x"})
            for button in ['post', 'cancel', 'draft']:
                # (the button's check asks for write access first)
                with self.assertRaises(AccessError):
                    rpc(auditor, INVOICE, button, ids)
            with self.assertRaises(AccessError):
                rpc(auditor, INVOICE, 'delete', ids)
            self.assertEqual({i.state for i in Invoice.browse(ids)},
                {'posted'})

    @with_transaction()
    def test_a_confirmed_month_stays_as_issued(self):
        """Not its month, not its invoices, even for an accountant who is
        also in Tryton's accounting group"""
        pool = Pool()
        Data = pool.get('ir.model.data')
        Invoice = pool.get(INVOICE)
        Period = pool.get('hirakata.settlement.period')
        User = pool.get('res.user')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            accountant = make_user('accountant', 'group_accountant')
            User.write([accountant], {'groups': [('add', [
                                Data.get_id('account', 'group_account')])]})
            with self.assertRaises(SettlementError):
                rpc(accountant, 'hirakata.settlement.period', 'write',
                    [period.id], {'month': dt.date(2025, 1, 1)})
            # nor a new month said to be confirmed by someone
            new_id, = rpc(accountant, 'hirakata.settlement.period', 'create',
                [{'month': dt.date(2026, 11, 1), 'computed_by': 1,
                        'confirmed_by': 1,
                        'confirmed_at': dt.datetime(2026, 11, 5)}])
            new = Period(new_id)
            self.assertEqual((new.state, new.computed_by, new.confirmed_by,
                    new.confirmed_at), ('draft', None, None, None))
            # a month made by mistake goes, a confirmed one stays; a month
            # to come is not made
            with self.assertRaises(SettlementError):
                rpc(accountant, 'hirakata.settlement.period', 'delete',
                    [period.id])
            rpc(accountant, 'hirakata.settlement.period', 'delete', [new_id])
            self.assertEqual(Period.search([]), [period])
            with clock.frozen(dt.datetime(2026, 11, 30, 14, 59)), \
                    self.assertRaises(SettlementError):
                rpc(accountant, 'hirakata.settlement.period', 'create',
                    [{'month': dt.date(2026, 12, 1)}])
            self.assertEqual(Period(period.id).start_date,
                dt.date(2026, 10, 1))
            ids = [i.id for i in period.invoices]
            for button in ['cancel', 'draft']:
                with self.assertRaises(AccessError):
                    rpc(accountant, INVOICE, button, ids)
            self.assertEqual({i.state for i in Invoice.browse(ids)},
                {'posted'})
            # nor the texts and state Tryton lets be written on a posted
            # invoice
            invoice = Invoice(ids[0])
            line = invoice.lines[0]
            for values in [{'description': "書き換え"},
                    {'comment': "書き換え"}, {'reference': "書き換え"},
                    {'state': 'draft'}, {'state': 'cancelled'},
                    {'state': 'validated'}]:
                with self.subTest(values=values), \
                        self.assertRaises(AccessError):
                    rpc(accountant, INVOICE, 'write', [invoice.id], values)
            self.assertEqual(Invoice(invoice.id).state, 'posted')
            for field in ['description', 'note']:
                with self.subTest(field=field), \
                        self.assertRaises(AccessError):
                    rpc(accountant, 'account.invoice.line', 'write',
                        [line.id], {field: "書き換え"})
            self.assertEqual((Invoice(invoice.id).description,
                    Invoice(invoice.id).lines[0].description),
                (invoice.description, line.description))

    @with_transaction()
    def test_settled_invoices_their_moves_and_bookings_stay(self):
        """Not marked paid by a client, not copied into the month nor
        attached to it, their moves and the days' bookings not cancelled;
        the daily booking's date not written back"""
        pool = Pool()
        Booking = pool.get('hirakata.settlement.booking')
        Configuration = pool.get('hirakata.settlement.configuration')
        Data = pool.get('ir.model.data')
        Invoice = pool.get(INVOICE)
        User = pool.get('res.user')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            # (confirming booked October's days)
            bookings = Booking.search([('date', '<=', dt.date(2026, 10, 31))])
            self.assertTrue(bookings)
            accountant = make_user('accountant', 'group_accountant')
            User.write([accountant], {'groups': [('add', [
                                Data.get_id('account', 'group_account')])]})
            invoice = next(i for i in period.invoices
                if i.hirakata_store == bakery)
            with self.assertRaisesRegex(AccessError, "only through its"):
                rpc(accountant, INVOICE, 'write', [invoice.id],
                    {'state': 'paid'})
            self.assertEqual(Invoice(invoice.id).state, 'posted')
            # nor its amounts, which its documents print (Tryton lets a
            # posted invoice's caches be written)
            amounts = (invoice.untaxed_amount, invoice.tax_amount,
                invoice.total_amount)
            for name in ['untaxed_amount_cache', 'tax_amount_cache',
                    'total_amount_cache']:
                with self.subTest(field=name), \
                        self.assertRaisesRegex(AccessError, "only through"):
                    rpc(accountant, INVOICE, 'write', [invoice.id],
                        {name: Decimal(1)})
            invoice = Invoice(invoice.id)
            self.assertEqual((invoice.untaxed_amount, invoice.tax_amount,
                    invoice.total_amount), amounts)
            copy_id, = rpc(accountant, INVOICE, 'copy', [invoice.id], {})
            copy = Invoice(copy_id)
            self.assertEqual((copy.state, copy.hirakata_period,
                    copy.hirakata_store, copy.hirakata_city,
                    {l.hirakata_line for l in copy.lines}),
                ('draft', None, None, False, {None}))
            for values in [{'hirakata_period': period.id},
                    {'hirakata_store': bakery.id}, {'hirakata_city': True},
                    {'hirakata_document': b'PK fake'}]:
                with self.subTest(values=values), \
                        self.assertRaises(AccessError):
                    rpc(accountant, INVOICE, 'write', [copy_id], values)
            with self.assertRaises(AccessError):
                rpc(accountant, 'account.invoice.line', 'write',
                    [copy.lines[0].id],
                    {'hirakata_line': invoice.lines[0].hirakata_line.id})
            self.assertEqual(len(Invoice(invoice.id).hirakata_period.invoices),
                len(period.invoices))
            # a cancelling move would part the books from the settlement
            # and from the ledger (Tryton's cancel wizard calls cancel)
            for move in [invoice.move, bookings[0].move]:
                with self.subTest(move=move.rec_name), \
                        self.assertRaises(AccessError):
                    move.cancel()
            # nor copied, nor any move dated in the month: its accounting
            # period is closed
            AccountPeriod = pool.get('account.period')
            self.assertEqual(AccountPeriod.find(company,
                    date=dt.date(2026, 10, 31), test_state=False).state,
                'closed')
            for move in [invoice.move, bookings[0].move]:
                with self.subTest(move=move.rec_name), \
                        self.assertRaisesRegex(UserWarning, "closed"):
                    rpc(accountant, 'account.move', 'copy', [move.id], {})
            # and the points liability is posted on by the daily booking
            # only, in any month (a copy of a booking, an entry by hand)
            Move = pool.get('account.move')
            liability = Configuration(1).points_liability
            move_id, = rpc(accountant, 'account.move', 'create', [{
                        'journal': bookings[0].move.journal.id,
                        'date': dt.date(2026, 11, 5),
                        'period': AccountPeriod.find(company,
                            date=dt.date(2026, 11, 5)).id,
                        'lines': [('create', [{'account': liability.id,
                                        'debit': Decimal(100)}, {
                                        'account': Configuration(1).account(
                                            'adjustment_expense').id,
                                        'credit': Decimal(100)}])]}])
            with self.assertRaisesRegex(AccessError, "only the daily booking"):
                rpc(accountant, 'account.move', 'post', [move_id])
            self.assertEqual(Move(move_id).state, 'draft')
            with self.assertRaises(AccessError):
                rpc(accountant, 'hirakata.settlement.configuration', 'write',
                    [1], {'booked_until': dt.date(2026, 10, 1)})
            self.assertEqual(Configuration(1).booked_until,
                dt.date(2026, 10, 31))

    @with_transaction()
    def test_auditor_finds_payments_their_groups_and_moves(self):
        pool = Pool()
        Data = pool.get('ir.model.data')
        company = set_up_operator()
        with set_company(company):
            auditor = make_user('auditor', 'group_auditor')
            clerk = make_user('clerk', 'group_store_staff',
                store=make_store("枚方パン"))
            menus = {Data.get_id(m, n) for m, n in [
                    ('account', 'menu_account'),
                    ('account_payment', 'menu_payments'),
                    ('account_payment', 'menu_payment_form_payable'),
                    ('account_payment', 'menu_payment_group_form'),
                    ('account', 'menu_move_form')]}
            for user, seen in [(auditor, menus), (clerk, set())]:
                with self.subTest(user=user.login):
                    self.assertEqual(set(rpc(user, 'ir.ui.menu', 'search',
                                [('id', 'in', list(menus))])), seen)

    @with_transaction()
    def test_store_staff_read_their_store_bank_accounts_only(self):
        def found(user, model, domain):
            "What user's search finds; nothing if it is refused."
            try:
                return rpc(user, model, 'search', domain)
            except AccessError:
                return []

        pool = Pool()
        Account = pool.get('bank.account')
        company = set_up_operator()
        with set_company(company):
            bakery = make_store("枚方パン", code='S001')
            books = make_store("くずは書店", code='S002')
            ours = bank_account(bakery.settlement_party(), '0009', '001',
                '1111111', "ｶ)ﾋﾗｶﾀﾊﾟﾝ")
            theirs = bank_account(books.settlement_party(), '0005', '001',
                '2222222', "ｸｽﾞﾊｼﾖﾃﾝ")
            # (an account may also carry Tryton's own numbers)
            pool.get('bank.account.number').create([
                    {'account': a.id, 'type': 'other', 'number': n}
                    for a, n in [(ours, '1111111'), (theirs, '2222222')]])
            bakery.payout_account, books.payout_account = ours, theirs
            type(bakery).save([bakery, books])
            clerk = make_user('clerk', 'group_store_staff', store=bakery)
            accountant = make_user('accountant', 'group_accountant')
            self.assertEqual(rpc(clerk, 'bank.account', 'search', []),
                [ours.id])
            with self.assertRaises(AccessError):
                rpc(clerk, 'bank.account', 'read', [theirs.id],
                    ['bank', 'zengin_holder'])
            self.assertEqual(rpc(clerk, 'bank.account.number', 'search',
                    []), [n.id for n in Account(ours.id).numbers])
            self.assertEqual(
                sorted(rpc(accountant, 'bank.account', 'search', [])),
                sorted(a.id for a in Account.search([])))
            # nor through the parties and stores they read: a search on
            # another store's account would tell its holder letter by
            # letter
            theirs_party = books.settlement_party().id
            for model, path in [('party.party', 'bank_accounts'),
                    ('hirakata.store', 'payout_account'),
                    ('hirakata.store', 'party.bank_accounts')]:
                for field, value in [('zengin_holder', 'ｸ%'),
                        ('zengin_number', '2222222'),
                        ('numbers.number', '%2222222%')]:
                    domain = [('%s.%s' % (path, field), 'like', value)]
                    with self.subTest(model=model, domain=domain):
                        self.assertEqual(found(clerk, model, domain), [])
                        self.assertTrue(
                            rpc(accountant, model, 'search', domain))
            self.assertEqual(rpc(clerk, 'party.party', 'search',
                    [('rec_name', 'ilike', '%2222222%')]), [])
            # nor through exports (Tryton evaluates the rules in Python
            # there) or on_change calls with the account's id
            theirs_number, = Account(theirs.id).numbers
            for model, call, args in [
                    ('bank.account', 'export_data',
                        [[theirs.id], ['zengin_holder', 'zengin_branch']]),
                    ('bank.account.number', 'export_data',
                        [[theirs_number.id], ['number']]),
                    ('party.party', 'export_data',
                        [[theirs_party], ['bank_accounts/zengin_holder']]),
                    ('bank.account', 'on_change_with',
                        [{'id': theirs.id}, ['zengin_branch_kana']]),
                    ('bank.account', 'on_change',
                        [{'id': theirs.id}, ['bank']]),
                    # (named in an on_change's values: its name answered)
                    ('hirakata.store', 'on_change',
                        [{'id': None, 'payout_account': theirs.id},
                            ['payout_account']]),
                    ]:
                with self.subTest(model=model, call=call):
                    with self.assertRaises(AccessError):
                        rpc(clerk, model, call, *args)
            self.assertEqual(rpc(clerk, 'bank.account', 'export_data',
                    [ours.id], ['zengin_holder']), [["ｶ)ﾋﾗｶﾀﾊﾟﾝ"]])
            # (an export of every party they may read: their store's, and
            # the banks, without the accounts they keep)
            self.assertCountEqual(rpc(clerk, 'party.party',
                    'export_data_domain', [],
                    ['name', 'bank_accounts/zengin_holder']),
                [["枚方パン", "ｶ)ﾋﾗｶﾀﾊﾟﾝ"], ["三井住友", ""], ["三菱ＵＦＪ", ""]])
            # the accountant finds an account by its number, its holder
            # (typed in full-width kana or hiragana) or its owner
            for text in ['%2222222%', '%クズハ%', '%くずは%', '%くずは書店%']:
                with self.subTest(text=text):
                    self.assertEqual(rpc(accountant, 'bank.account',
                            'search', [('rec_name', 'ilike', text)]),
                        [theirs.id])
            self.assertEqual(rpc(accountant, 'bank.account', 'export_data',
                    [theirs.id], ['zengin_holder']), [["ｸｽﾞﾊｼﾖﾃﾝ"]])
            self.assertIn(theirs_party, rpc(accountant, 'party.party',
                    'search', [('rec_name', 'ilike', '%2222222%')]))

    @with_transaction()
    def test_invoices_made_before_their_store_was_kept_get_it(self):
        "Migration: the settlement lines tell an invoice's store"
        Invoice = Pool().get(INVOICE)
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            made = {i.id: i.hirakata_store for i in period.invoices}
            table = Invoice.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.hirakata_store], [None]))
            Invoice._fill_hirakata_store()
            self.assertEqual(
                {i.id: i.hirakata_store for i in Invoice.browse(made)},
                made)
        self.assertEqual(sorted(s.name for s in made.values() if s),
            ["くずは書店", "くずは書店", "枚方パン"])

    @with_transaction()
    def test_accountants_change_a_store_payout_and_method_only(self):
        Store = Pool().get('hirakata.store')
        company = set_up_operator()
        with set_company(company):
            load_japanese()
            bakery = make_store("枚方パン", grant_fee_rate=Decimal(3))
            payout = bank_account(bakery.settlement_party(), '0009', '001',
                '1111111', "カ)ヒラカタパン")
            accountant = make_user('accountant', 'group_accountant',
                language='ja')
            operator = make_user('operator', 'group_operator')
            rpc(accountant, 'hirakata.store', 'write', [bakery.id],
                {'payout_account': payout.id, 'settlement_method': 'gross'})
            for values in [{'name': "別の店"},
                    {'grant_fee_rate': Decimal(0)},
                    {'payout_account': None, 'name': "別の店"}]:
                with self.subTest(values=values), \
                        self.assertRaisesRegex(AccessError,
                            "振込先口座と精算方法だけです"):
                    rpc(accountant, 'hirakata.store', 'write', [bakery.id],
                        values)
            rpc(operator, 'hirakata.store', 'write', [bakery.id],
                {'name': "枚方パン工房"})
            bakery = Store(bakery.id)
            self.assertEqual((bakery.payout_account, bakery.settlement_method,
                    bakery.grant_fee_rate, bakery.name),
                (payout, 'gross', Decimal(3), "枚方パン工房"))

    @with_transaction()
    def test_accountants_choose_a_project_payee_and_nothing_else(self):
        """Where a project's money goes is the accountants' (who keep the
        parties and their accounts), recorded with who and when; city staff
        keep the rest; the operator, the city, a bank or a store is never a
        project's payee."""
        pool = Pool()
        Party = pool.get('party.party')
        Project = pool.get('hirakata.community.project')
        company = set_up_operator()
        with set_company(company):
            load_japanese()
            network, = Party.create([{'name': "子ども食堂ネットワーク"}])
            store = make_store("枚方パン")
            bank = pool.get('bank').from_zengin_code('0009')
            city = make_user('city', 'group_city_staff', language='ja')
            approver = make_user('approver', 'group_city_approver',
                language='ja')
            accountant = make_user('accountant', 'group_accountant',
                language='ja')
            operator = make_user('operator', 'group_operator')
            kitchen_id, = rpc(city, PROJECT, 'create', [{'code': 'K1',
                        'name': "子ども食堂"}])
            for user in [city, approver]:
                with self.subTest(user=user.login), \
                        self.assertRaisesRegex(AccessError,
                            "支払先は経理担当者だけが設定できます"):
                    rpc(user, PROJECT, 'write', [kitchen_id],
                        {'payee': network.id})
                with self.subTest(user=user.login), \
                        self.assertRaisesRegex(AccessError,
                            "支払先は経理担当者だけが設定できます"):
                    rpc(user, PROJECT, 'create', [{
                                'code': 'K-%s' % user.login,
                                'name': "別の事業", 'payee': network.id}])
            with self.assertRaises(AccessError):
                rpc(operator, PROJECT, 'write', [kitchen_id],
                    {'payee': network.id})
            with clock.frozen(at(dt.date(2026, 10, 5))):
                rpc(accountant, PROJECT, 'write', [kitchen_id],
                    {'payee': network.id, 'payee_set_by': city.id})
            kitchen = Project(kitchen_id)
            self.assertEqual((kitchen.payee, kitchen.payee_set_by,
                    kitchen.payee_set_at),
                (network, accountant, at(dt.date(2026, 10, 5)).astimezone(
                        dt.timezone.utc).replace(tzinfo=None)))
            for values in [{'name': "別の名前"}, {'active': False},
                    {'payee': network.id, 'organiser': "別の団体"}]:
                with self.subTest(values=values), \
                        self.assertRaisesRegex(AccessError,
                            "変更できるのは地域貢献事業の支払先だけです"):
                    rpc(accountant, PROJECT, 'write', [kitchen_id], values)
            rpc(city, PROJECT, 'write', [kitchen_id], {'name': "子ども食堂 枚方"})
            self.assertEqual((Project(kitchen_id).payee,
                    Project(kitchen_id).name), (network, "子ども食堂 枚方"))
            # (each refusal below is a call whose transaction the server
            # rolls back)
            employee, = pool.get('company.employee').create([{
                        'company': company.id, 'party': Party.create([{
                                    'name': "経理 担当"}])[0].id}])
            # a copy is a new project, its payee chosen anew
            copy_id, = rpc(city, PROJECT, 'copy', [kitchen_id],
                {'code': 'K1-COPY'})
            self.assertEqual((Project(copy_id).payee,
                    Project(copy_id).payee_set_by), (None, None))
            for party in [company.party, Party(Pool().get(
                            'hirakata.settlement.configuration')(1).city.id),
                    store.settlement_party(), bank.party, employee.party]:
                with self.subTest(party=party.rec_name), \
                        self.assertRaisesRegex(CommunityError,
                            "「%s」は地域貢献事業" % party.rec_name):
                    rpc(accountant, PROJECT, 'write', [kitchen_id],
                        {'payee': party.id})

    @with_transaction()
    def test_on_change_calls_refuse_the_records_one_cannot_read(self):
        """Every form's on_change calls (the whole form's and each field's)
        answer only about records the caller may read: store staff naming
        a holder, a card or another store's invoice or bank account are
        refused; the desk still gets a holder's points."""
        pool = Pool()
        company = set_up_operator()
        with set_company(company):
            store = make_store("枚方パン")
            other = make_store("くずは書店")
            holder = holder_with(500)
            account = bank_account(other.settlement_party(), '0009', '001',
                '7654321', "カ)クズハショテン")
            clerk = make_user('store', 'group_store_staff', store=store)
            desk = make_user('operator', 'group_operator')
            for name in ['hirakata.community.donate.start',
                    'hirakata.exchange.exchange.start']:
                for method, args in [
                        ('on_change_with', [{'holder': holder.id},
                                ['available']]),
                        ('on_change_with_available', [{'holder': holder.id}]),
                        ]:
                    with self.subTest(name=name, method=method):
                        self.assertEqual(rpc(desk, name, method, *args)[
                                'available'], 500)
                        with self.assertRaises(AccessError):
                            rpc(clerk, name, method, *args)
            calls = [
                ('hirakata.card', 'on_change', {'holder': holder.id}, []),
                ('bank.account', 'on_change_with_zengin_branch_kana',
                    {'id': account.id}),
                ('hirakata.store', 'on_change', {'id': other.id}, []),
                ('hirakata.point.account', 'on_change',
                    {'holder': holder.id}, []),
                ]
            for name, method, *args in calls:
                with self.subTest(name=name, method=method), \
                        self.assertRaises(AccessError):
                    rpc(clerk, name, method, *args)

    @with_transaction()
    def test_party_balances_for_accountants_and_the_auditor_only(self):
        "A store's receivable and payable total invoices others may not read"
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            fields = ['receivable', 'payable', 'receivable_today']
            for group in ['group_accountant', 'group_auditor']:
                reader = make_user(group, group)
                rpc(reader, 'party.party', 'read', [books.party.id], fields)
            for group in ['group_store_staff', 'group_city_staff',
                    'group_operator']:
                # (store staff read their store's party only)
                store = bakery if group == 'group_store_staff' else books
                user = make_user(group, group,
                    store=bakery if group == 'group_store_staff' else None)
                rpc(user, 'party.party', 'read', [store.party.id], ['name'])
                with self.assertRaises(AccessError, msg=group):
                    rpc(user, 'party.party', 'read', [store.party.id],
                        fields)

    @with_transaction()
    def test_the_city_is_never_another_counterparty(self):
        """An accountant cannot point the books' city at a store, a payee,
        the operator, nor at another party once a month is confirmed (its
        invoices and receivable are the city's)."""
        load_japanese()
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Party = pool.get('party.party')
        CONFIG = 'hirakata.settlement.configuration'
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            city = Configuration(1).city
            bakery = make_store("枚方パン")
            project = make_project('K1', "子ども食堂")
            payee, other = Party.create([{'name': name, 'addresses': [
                            ('create', [{'street_unstructured': "枚方市"}])]}
                    for name in ["ひらかた子ども食堂ネットワーク", "寝屋川市"]])
            project.payee = payee
            project.save()
            bus = make_operator("京阪バス")
            make_item(bus, 'BUS1', "バス回数券", 1000)
            accountant = make_user('accountant', 'group_accountant',
                language='ja')
            for party in [bakery.settlement_party(), payee,
                    company.party, bus]:
                with self.subTest(party=party.name), \
                        self.assertRaises(BooksError) as raised:
                    rpc(accountant, CONFIG, 'write', [1], {'city': party.id})
                self.assertIn("市に設定できません", raised.exception.message)
            self.assertEqual(Configuration(1).city, city)
            # (the city itself, written again, and a fee rate: fine)
            rpc(accountant, CONFIG, 'write', [1],
                {'city': city.id, 'city_fee_rate': Decimal(4)})
            rpc(accountant, CONFIG, 'write', [1], {'city': other.id})
            rpc(accountant, CONFIG, 'write', [1], {'city': city.id})
            confirmed_october()
            # (nor by way of none)
            for values in [{'city': other.id}, {'city': None}]:
                with self.subTest(values=values), \
                        self.assertRaises(BooksError) as raised:
                    rpc(accountant, CONFIG, 'write', [1], values)
                self.assertIn("市を別の取引先に変えることはできません",
                    raised.exception.message)
            self.assertEqual(Configuration(1).city, city)
            # nor does the city become one of them (last: a refused create
            # leaves its row in the test's transaction, not in a client's)
            item = make_item(bus, 'BUS2', "バス1日券", 500)
            for model, method, args in [
                    ('bank', 'create', [[{'party': city.id}]]),
                    ('hirakata.exchange.item', 'write',
                        [[item.id], {'operator': city.id}])]:
                with self.subTest(model=model), \
                        self.assertRaises(BooksError) as raised:
                    rpc(accountant, model, method, *args)
                self.assertIn("精算の市です", raised.exception.message)
            with self.assertRaises(BooksError):
                pool.get('company.employee').create([{'party': city.id,
                            'company': company.id}])


del _DBTestCase
