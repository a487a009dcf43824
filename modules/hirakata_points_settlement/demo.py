"""Demo data of the operator's books, for scripts/demo_data.py: the
operator's company in yen, the city as a party, a transit operator with
its exchange catalogue and the residents' exchanges, community projects
with donations and allocations, the books from the fiscal year of the
oldest demo entry, every past day booked, and every past month settled
but the last, which waits for the accountant to compute it."""
import datetime as dt
import random
import uuid
from decimal import Decimal

from trytond.modules.hirakata_points import clock
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

from .books import set_up_books
from .payment import next_bank_day, zengin_journal

# Tryton's groups an accountant works in, beside ours: the books,
# invoices and payments.
ACCOUNTANT_GROUPS = [('account', 'group_account'),
    ('account_payment', 'group_payment'),
    ('account_payment', 'group_payment_approval')]


def fiscal_year_start(date):
    "1 April of the city's fiscal year of date."
    return dt.date(date.year if date.month >= 4 else date.year - 1, 4, 1)


def load_books_committed(database_name):
    """load_books in a transaction of its own, committed; started again
    with the tables and records it locks locked first, as trytond's
    dispatcher does for a request (setting up books creates singletons)."""
    extras = {}
    while True:
        try:
            with Transaction().start(database_name, 0, **extras) as t:
                load_books(Pool().get('ir.date').today())
                t.commit()
            return
        except TransactionError as error:
            error.fix(extras)


def load_books(today):
    """The operator's books with the demo history booked and settled.
    Every staff user works for the operator's company."""
    pool = Pool()
    Currency = pool.get('currency.currency')
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    Entry = pool.get('hirakata.point.entry')
    Data = pool.get('ir.model.data')
    Store = pool.get('hirakata.store')
    Booking = pool.get('hirakata.settlement.booking')

    yen, = Currency.search([('code', '=', 'JPY')]) or Currency.create([{
                'name': "日本円", 'code': 'JPY', 'symbol': '¥', 'digits': 0,
                'rounding': Decimal(1)}])
    operator, city = Party.create([{
                'name': "一般社団法人 ひらかたポイント運営機構",
                'invoice_registration_number': 'T5835678256246',
                'addresses': [('create', [{
                                'street_unstructured': "大阪府枚方市大垣内町2丁目"}])],
                }, {
                'name': "枚方市",
                'addresses': [('create', [{
                                'street_unstructured': "大阪府枚方市大垣内町2丁目1番20号"}])],
                }])
    company, = Company.create([{'party': operator.id, 'currency': yen.id,
                'timezone': 'Asia/Tokyo'}])
    staff = User.search([('login', '!=', 'admin')]) + User.search(
        [('login', '=', 'admin')])
    User.write(staff, {'companies': [('add', [company.id])],
            'company': company.id})
    accountants = User.search([('groups', '=',
                Data.get_id('hirakata_points', 'group_accountant'))])
    User.write(accountants, {'groups': [('add', [
                        Data.get_id(*g) for g in ACCOUNTANT_GROUPS])]})
    # an employee of the operator each: Tryton records who submitted,
    # approved and posted (payments, invoices) by the user's employee
    Employee = pool.get('company.employee')
    for user in accountants:
        employee, = Employee.create([{'company': company.id,
                    'party': Party.create([{'name': user.name}])[0].id}])
        User.write([user], {'employees': [('add', [employee.id])],
                'employee': employee.id})
    oldest, = Entry.search([], order=[('date', 'ASC')], limit=1)
    with Transaction().set_context(company=company.id):
        set_up_books(company, fiscal_year_start(oldest.date), city=city,
            city_fee_rate=Decimal(5))
        stores = Store.search([], order=[('id', 'ASC')])
        Store.write(stores, {'grant_fee_rate': Decimal(3),
                'redeem_fee_rate': Decimal(2)})
        Store.write(stores[1:2], {'settlement_method': 'gross'})
        load_uses(today)
        Booking.book_until()
        settle_months_before(today.replace(day=1) - dt.timedelta(days=1),
            oldest.date)
        set_up_payments(company, stores)
        send_transfers_before(company, today.replace(day=1))


# The community projects' organisers: name, address, account holder.
ORGANISERS = [
    ("社会福祉法人 枚方市社会福祉協議会", "大阪府枚方市新町2丁目1番35号",
        "フク）ヒラカタシシヤカイフクシキヨウギカイ"),
    ("ひらかた見守りネットワーク", "大阪府枚方市大垣内町2丁目1番20号",
        "ヒラカタミマモリネツトワーク"),
    ]
# The demo stores' account holders, as their banks know them (the
# demo's stores are scripts/demo_data.py's; another store: its number).
STORE_HOLDERS = {
    "ひらかた青果店": "ヒラカタセイカテン",
    "くずは書店": "クズハシヨテン",
    "牧野薬局": "マキノヤツキヨク",
    "津田カフェ": "ツダカフエ",
    "香里ヶ丘クリーニング": "コウリガオカクリーニング",
    }
# The demo's banks and branches (Zengin codes; zengin-code names them):
# the operator's account at 関西みらい 枚方, the stores' at banks in
# Hirakata or the big three.
OPERATOR_ACCOUNT = ('0159', '103', '1234567')
STORE_BRANCHES = [('0158', '520'), ('0159', '330'), ('0009', '001'),
    ('0005', '001'), ('0001', '001')]


def set_up_payments(company, stores):
    """The Zengin payment journal, the operator as consignor and a payout
    account for each store, transit operator and community project's
    payee, so that the demo's accountant can pay them by a transfer
    file."""
    pool = Pool()
    Bank = pool.get('bank')
    Account = pool.get('bank.account')
    Configuration = pool.get('hirakata.settlement.configuration')

    def account(party, bank_code, branch, number, holder):
        return {'bank': Bank.from_zengin_code(bank_code).id,
            'owners': [('add', [party.id])], 'zengin_branch': branch,
            'zengin_deposit_type': '1', 'zengin_number': number,
            'zengin_holder': holder}
    bank_code, branch, number = OPERATOR_ACCOUNT
    paying, = Account.create([account(company.party, bank_code, branch,
                number, "ヒラカタポイントウンエイキコウ")])
    Configuration.write([Configuration(1)], {
            'zengin_consignor_code': '0000012345',
            'zengin_consignor_name': "ヒラカタポイントウンエイキコウ",
            'zengin_account': paying.id})
    zengin_journal("全銀 総合振込")
    accounts = Account.create([account(store.settlement_party(),
                *STORE_BRANCHES[n % len(STORE_BRANCHES)],
                '%07d' % (1000001 + n),
                STORE_HOLDERS.get(store.name, "テンポ %03d" % (n + 1)))
            for n, store in enumerate(stores)])
    for store, payout in zip(stores, accounts):
        store.payout_account = payout
    pool.get('hirakata.store').save(stores)
    # transit operators are paid into their first complete account
    operators = {i.operator for i in pool.get('hirakata.exchange.item'
            ).search([])}
    Account.create([account(party, '0158', '520', '%07d' % (2000001 + n),
                "ヒラカタコウツウ(カ")
            for n, party in enumerate(operators)])
    payees = {p.payee for p in pool.get('hirakata.community.project'
            ).search([('payee', '!=', None)])}
    holders = {name: holder for name, _, holder in ORGANISERS}
    Account.create([account(party, '0159', '330', '%07d' % (3000001 + n),
                holders[party.name])
            for n, party in enumerate(sorted(payees, key=lambda p: p.id))])


def send_transfers_before(company, month_start):
    """A week ago, the accountant sent the bank the transfers of what the
    operator owed for the months settled before the last confirmed one
    (month_start's month is computed, the month before confirmed): a
    payment group the demo's accountant can mark 成功, its transfer date
    past. The last confirmed month's payables are left to pay."""
    pool = Pool()
    Line = pool.get('account.move.line')
    Payment = pool.get('account.payment')
    Group = pool.get('account.payment.group')
    Journal = pool.get('account.payment.journal')
    journal, = Journal.search([('process_method', '=', 'zengin')], limit=1)
    before = (month_start - dt.timedelta(days=1)).replace(day=1)
    lines = Line.search([('move_state', '=', 'posted'),
            ('reconciliation', '=', None), ('party', '!=', None),
            ('account.type.payable', '=', True), ('credit', '>', 0),
            ('move.date', '<', before)], order=[('id', 'ASC')])
    sent = clock.today() - dt.timedelta(days=7)
    with clock.frozen(at_noon(sent)):
        payments = Payment.create([{'company': company.id,
                    'journal': journal.id, 'kind': 'payable',
                    'party': line.party.id, 'line': line.id,
                    'amount': line.payment_amount,
                    'date': next_bank_day(sent)} for line in lines])
        Payment.submit(payments)
        Payment.approve(payments)

        def group():
            group = Group(company=company, journal=journal, kind='payable')
            group.save()
            return group
        if payments:
            Payment.process(payments, group)


def settle_months_before(last_month_end, first):
    """Confirm the settlement of each month from first's up to the month
    before last_month_end's; compute, not confirm, the last one."""
    pool = Pool()
    Period = pool.get('hirakata.settlement.period')
    User = pool.get('res.user')
    # Done by the demo's accountant, whose name the periods then show.
    accountant = User.search([('login', '=', 'accountant')])
    with Transaction().set_user(accountant[0].id if accountant else 0):
        month = first.replace(day=1)
        while month <= last_month_end:
            period, = Period.create([{'month': month}])
            Period.compute([period])
            if month < last_month_end.replace(day=1):
                Period.review([period])
                Period.confirm([period])
            month = (month + dt.timedelta(days=32)).replace(day=1)


def at_noon(day):
    return dt.datetime.combine(day, dt.time(12), tzinfo=clock.city_timezone())


def months_back(today, count):
    "The first days of the count months before today's, and today's."
    first = today.replace(day=1)
    months = [first]
    for _ in range(count):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


def send_and_fulfil(operator, month_start):
    """What the desk does on a month's first day: the requests sent the
    month before were fulfilled; the month before's new ones are sent."""
    pool = Pool()
    Request = pool.get('hirakata.exchange.request')
    Batch = pool.get('hirakata.exchange.batch')
    with clock.frozen(at_noon(month_start)):
        Request.fulfil(Request.search([('operator', '=', operator.id),
                    ('state', '=', 'sent')]))
        if Request.search([('operator', '=', operator.id),
                    ('state', '=', 'new')]):
            Batch.send(operator)


def load_uses(today):
    """Points used outside the stores over the last months, as residents
    would at the desk: bus tickets, taxi coupons and IC card charges of a
    transit operator, sent to it each month and fulfilled; donations to
    community projects; the city's allocations of the expired points pool,
    one approved, one waiting for its approver."""
    pool = Pool()
    Party = pool.get('party.party')
    Item = pool.get('hirakata.exchange.item')
    Request = pool.get('hirakata.exchange.request')
    Project = pool.get('hirakata.community.project')
    Allocation = pool.get('hirakata.community.allocation')
    User = pool.get('res.user')
    Account = pool.get('hirakata.point.account')
    Entry = pool.get('hirakata.point.entry')

    transit, = Party.create([{'name': "ひらかた交通株式会社",
                'addresses': [('create', [{
                                'street_unstructured': "大阪府枚方市岡東町1番1号"}])],
                }])
    items = Item.create([
            {'code': 'BUS-1000', 'name': "路線バス回数券（1,000円分）",
                'kind': 'ticket', 'operator': transit.id, 'points': 1000,
                'stock': 200, 'holder_monthly_limit': 2},
            {'code': 'TAXI-500', 'name': "タクシー利用券（500円分）",
                'kind': 'coupon', 'operator': transit.id, 'points': 500,
                'stock': 100, 'holder_monthly_limit': 4},
            {'code': 'IC-500', 'name': "交通系ICカードへのチャージ（500円）",
                'kind': 'ic_charge', 'operator': transit.id, 'points': 500},
            ])
    # the organisers, paid each month what residents and the city give
    organisers = Party.create([{'name': name, 'addresses': [('create', [{
                            'street_unstructured': street}])]}
            for name, street, _ in ORGANISERS])
    projects = Project.create([
            {'code': 'KODOMO', 'name': "ひらかた子ども食堂",
                'organiser': "枚方市社会福祉協議会",
                'description': "地域の子どもたちに温かい食事を届けます。"},
            {'code': 'MIMAMORI', 'name': "地域見守り活動",
                'organiser': "ひらかた見守りネットワーク",
                'description': "ひとり暮らしの高齢者の見守り活動を支えます。"},
            ])
    # the payees chosen by the demo's accountant, as they are in use
    accountant = User.search([('login', '=', 'accountant')], limit=1)
    with Transaction().set_user(accountant[0].id if accountant else 0):
        for project, organiser in zip(projects, organisers):
            Project.write([project], {'payee': organiser.id})
    months = months_back(today, 2)
    accounts = Account.search([('kind', '=', 'holder'),
            ('balance', '>=', 500)], order=[('id', 'ASC')])
    plan = []
    window = (today - months[0]).days
    for account in random.sample(accounts, min(40, len(accounts))):
        # on a day after the holder's latest grant or use (as in the
        # stores' demo), within the last months
        latest, = Entry.search([('account', '=', account.id),
                ('kind', '!=', 'expire')], order=[('date', 'DESC')], limit=1)
        plan.append((max(latest.date,
                    months[0] + dt.timedelta(days=random.randint(0, window))),
                account.id))
    plan.sort()
    # Each month's first day: the requests of the month before are sent
    # to the operator, and those sent the month before were fulfilled.
    month_starts = months[1:]
    for n, (day, account_id) in enumerate(plan):
        while month_starts and month_starts[0] <= day:
            send_and_fulfil(transit, month_starts.pop(0))
        with clock.frozen(at_noon(day)):
            account = Account(account_id)
            available = account.available
            fitting = [i for i in items if i.points <= available]
            if not fitting:
                continue
            if n % 3 == 2:
                Project.donate(random.choice(projects), account.holder,
                    random.choice([100, 300, 500]), key=uuid.uuid4().hex,
                    channel='backoffice')
                continue
            item = random.choice(fitting)
            Request.exchange(account.holder, item, key=uuid.uuid4().hex,
                channel='backoffice',
                transit_card=('JE%014d' % n) if item.kind == 'ic_charge'
                else None)
    for month_start in month_starts:
        send_and_fulfil(transit, month_start)
    city, = User.search([('login', '=', 'city')]) or [None]
    approver, = User.search([('login', '=', 'approver')]) or [None]
    if not (city and approver):
        return
    with clock.frozen(at_noon(months[1] + dt.timedelta(days=14))):
        with Transaction().set_user(city.id):
            approved, = Allocation.create([{'project': projects[0].id,
                        'points': 100, 'description':
                        "子ども食堂の食材費として（失効ポイントから）"}])
        with Transaction().set_user(approver.id):
            Allocation.approve([approved])
    with Transaction().set_user(city.id):
        Allocation.create([{'project': projects[1].id, 'points': 50,
                    'description': "見守り活動の連絡用はがき代として"}])
