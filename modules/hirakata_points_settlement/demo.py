"""Demo data of the operator's books, for scripts/demo_data.py: the
operator's company in yen, the city as a party, the books from the fiscal
year of the oldest demo entry, every past day booked, and every past month
settled but the last, which waits for the accountant to compute it."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

from .books import set_up_books

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
    oldest, = Entry.search([], order=[('date', 'ASC')], limit=1)
    with Transaction().set_context(company=company.id):
        set_up_books(company, fiscal_year_start(oldest.date), city=city,
            city_fee_rate=Decimal(5))
        stores = Store.search([], order=[('id', 'ASC')])
        Store.write(stores, {'grant_fee_rate': Decimal(3),
                'redeem_fee_rate': Decimal(2)})
        Store.write(stores[1:2], {'settlement_method': 'gross'})
        Booking.book_until()
        settle_months_before(today.replace(day=1) - dt.timedelta(days=1),
            oldest.date)


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
