"""What the settlement tests share: the operator's company and books,
point movements at a given moment in Hirakata, and calls as a client
makes them (rpc)."""
import datetime as dt
import uuid
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points_settlement.books import set_up_books
from trytond.modules.hirakata_points_settlement.payment import (
    zengin_journal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

JST = dt.timezone(dt.timedelta(hours=9))


def at(day, hour=12):
    "Noon (or hour) of day in Hirakata, for clock.frozen."
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=JST)


def committed(function, *args, database_name=DB_NAME, user=1, **kwargs):
    """function(*args, **kwargs) in a transaction of its own, committed,
    and its result: for a scenario, whose proteus calls each run in their
    own transaction. As the administrator without access checks, as
    with_transaction runs the unit tests that share these tools. Started
    again with what it locks locked first, as trytond's dispatcher does for
    a request (setting up the books creates singletons)."""
    extras = {}
    while True:
        try:
            with Transaction().start(database_name, user, **extras) as t:
                result = function(*args, **kwargs)
                t.commit()
            return result
        except TransactionError as error:
            error.fix(extras)


def set_up_operator(first_year_start=dt.date(2026, 4, 1), fee_rate='2'):
    """The operator's company (JPY), the city's party and the books.
    Returns the company; use inside set_company(company)."""
    pool = Pool()
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    yen, = Currency.search([('code', '=', 'JPY')]) or Currency.create([{
                'name': "日本円", 'code': 'JPY', 'symbol': '¥',
                'digits': 0, 'rounding': Decimal(1)}])
    company = create_company(name="枚方ポイント運営株式会社", currency=yen)
    with set_company(company):
        company.party.invoice_registration_number = 'T5835678256246'
        company.party.save()
        city, = Party.create([{'name': "枚方市",
                    'addresses': [('create', [{
                                    'street_unstructured': "大垣内町2-1-20"}])]}])
        set_up_books(company, first_year_start, city=city,
            city_fee_rate=Decimal(fee_rate))
    return company


def grant_at(moment, account, points, origin):
    Ledger = Pool().get('hirakata.point.ledger')
    with clock.frozen(moment):
        return Ledger.grant(account, points, key=uuid.uuid4().hex,
            channel='backoffice', origin=origin,
            reason=None if origin else "テスト")


def redeem_at(moment, account, points, origin):
    Ledger = Pool().get('hirakata.point.ledger')
    with clock.frozen(moment):
        return Ledger.redeem(account, points, key=uuid.uuid4().hex,
            channel='backoffice', origin=origin, reason="テスト")


def reverse_at(moment, entry):
    Ledger = Pool().get('hirakata.point.ledger')
    with clock.frozen(moment):
        return Ledger.reverse(entry, key=uuid.uuid4().hex,
            channel='backoffice', reason="取消")


def bank_account(party, bank_code, branch, number, holder,
        deposit_type='1'):
    "A Japanese bank account of party for the Zengin transfer file."
    pool = Pool()
    Bank = pool.get('bank')
    Account = pool.get('bank.account')
    account, = Account.create([{
                'bank': Bank.from_zengin_code(bank_code).id,
                'owners': [('add', [party.id])],
                'zengin_branch': branch,
                'zengin_deposit_type': deposit_type,
                'zengin_number': number,
                'zengin_holder': holder,
                }])
    return account


def set_up_zengin(company):
    """The operator as the consignor of the transfer file, paying from an
    account at 関西みらい 枚方, and a payment journal of the Zengin method.
    Returns the journal."""
    pool = Pool()
    Configuration = pool.get('hirakata.settlement.configuration')
    paying = bank_account(company.party, '0159', '103', '1234567',
        "ﾋﾗｶﾀﾎﾟｲﾝﾄｳﾝｴｲ(ｶ")
    Configuration.write([Configuration(1)], {
            'zengin_consignor_code': '0000012345',
            'zengin_consignor_name': "ヒラカタポイントウンエイ(カ",
            'zengin_account': paying.id,
            })
    return zengin_journal("全銀 総合振込")


def payable_lines(party):
    "party's posted lines the operator owes and has not paid yet."
    Line = Pool().get('account.move.line')
    return Line.search([('party', '=', party.id),
            ('move_state', '=', 'posted'), ('reconciliation', '=', None),
            ['OR', ('account.type.payable', '=', True),
                ('account.type.receivable', '=', True)],
            ('credit', '>', 0)])


def rpc(user, name, method, *args, type='model', context=None):
    """Call method of model (or wizard, report) name as user's client does
    through JSON-RPC, in the test's transaction: only what its __rpc__
    exposes, with the arguments instantiated and the context made as
    trytond's dispatcher makes them (the user's preferences, as sao sends
    them, with context added, and access checks on), so that access
    rights, button and action groups and record rules apply. Arguments are
    what a client sends (ids, dicts)."""
    pool = Pool()
    User = pool.get('res.user')
    Model = pool.get(name, type=type)
    spec = Model.__rpc__[method]
    with Transaction().set_user(user.id):
        sent = User.get_preferences(context_only=True)
        sent.update(context or {})
        with Transaction().set_context(_check_access=False):
            args, kwargs, context, _ = spec.convert(Model, *args, sent)
        # The client's context only, not the test's.
        with Transaction().reset_context(), \
                Transaction().set_context(context):
            return spec.result(spec.decorate(getattr(Model, method))(
                    *args, **kwargs))


def settle(month, moment):
    "A period for month, computed, reviewed and confirmed at moment."
    Period = Pool().get('hirakata.settlement.period')
    with clock.frozen(moment):
        period, = Period.create([{'month': month}])
        Period.compute([period])
        Period.review([period])
        Period.confirm([period])
    return period
