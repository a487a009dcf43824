"""The operator's books: which company keeps them, which accounts each kind
of point movement and settlement line uses, and setting them up (R23–R26).

Points are worth 1 yen. The operator holds residents' points as a
liability (ポイント預り金); a grant raises it against a clearing account
that the month's invoices to the city and the stores empty (未請求ポイント
原資), a use lowers it against one that the stores' and transit operators'
settlement empties (未精算ポイント利用)."""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import BooksError, SettlementError, ZenginError
from .zengin import ZenginError as KanaError, zengin_kana

# Codes of account_chart.xml, by the role the configuration gives them.
ACCOUNT_CODES = {
    'points_liability': '2210',
    'unbilled_funding': '1310',
    'unsettled_uses': '2220',
    'community_fund': '2230',
    'expired_income': '4120',
    'fee_income': '4110',
    'adjustment_expense': '5110',
    'bank_account': '1110',
    'city_receivable': '1210',
    'store_receivable': '1220',
    'store_payable': '2110',
    'transit_payable': '2120',
    'community_payable': '2130',
    'community_expense': '5130',
    }
ACCOUNT_ROLES = list(ACCOUNT_CODES)
# What the booked moves and confirmed invoices were made with: changed
# afterwards, the books would read one account for what another holds.
FIXED_ONCE_BOOKED = ['company', 'journal', 'fee_tax'] + ACCOUNT_ROLES
# A programme's grants are funded by the city (origin of their entries).
PROGRAMME = 'hirakata.programme,'
ZERO = Decimal(0)
# A month's date (its first day) shown and typed as the month (2026年10月):
# the context of the month fields, read by the client.
MONTH_SHOWN = {'date_format': '%Y年%m月'}


def yen(value):
    "An amount in whole yen (points are worth 1 yen each)."
    return Decimal(int(value))


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Settlement Configuration"
    __name__ = 'hirakata.settlement.configuration'

    company = fields.Many2One('company.company', "Operator Company",
        help="The company that keeps the point system's books.")
    city = fields.Many2One('party.party', "City",
        help="The party the city's programme points are invoiced to.")
    city_fee_rate = fields.Numeric("City Fee Rate (%)", digits=(5, 2),
        domain=['OR', ('city_fee_rate', '=', None),
            [('city_fee_rate', '>=', 0), ('city_fee_rate', '<=', 100)]],
        help="The operator's fee on the points the city's programmes grant.")
    expired_points_to = fields.Selection([
            ('income', "Operator's Income"),
            ('fund', "Community Fund"),
            ], "Expired Points To", required=True)
    journal = fields.Many2One('account.journal', "Journal",
        help="The journal of the daily moves of point movements.")
    booked_until = fields.Date("Booked Until", readonly=True,
        help="The last business day whose point movements are booked.")
    fee_tax = fields.Many2One('account.tax', "Fee Tax",
        help="Consumption tax on the operator's fees.")
    points_liability = fields.Many2One('account.account', "Points Liability")
    unbilled_funding = fields.Many2One('account.account',
        "Points Funding Not Yet Invoiced")
    unsettled_uses = fields.Many2One('account.account',
        "Point Uses Not Yet Settled")
    community_fund = fields.Many2One('account.account', "Community Fund")
    expired_income = fields.Many2One('account.account',
        "Expired Points Income")
    fee_income = fields.Many2One('account.account', "Fee Income")
    adjustment_expense = fields.Many2One('account.account',
        "Point Adjustments")
    bank_account = fields.Many2One('account.account', "Bank Deposits")
    city_receivable = fields.Many2One('account.account', "City Receivable")
    store_receivable = fields.Many2One('account.account',
        "Store Receivables")
    store_payable = fields.Many2One('account.account', "Store Payables")
    transit_payable = fields.Many2One('account.account',
        "Transit Operator Payables")
    community_payable = fields.Many2One('account.account',
        "Community Project Payables")
    community_expense = fields.Many2One('account.account',
        "Community Project Expenses",
        help="What the operator gives community projects out of its "
        "expired points income.")
    # the Zengin transfer file's header: who pays, from which account
    zengin_consignor_code = fields.Char("Consignor Code", size=10,
        help="The 10-digit code the paying bank gave the operator "
        "(依頼人コード).")
    zengin_consignor_name = fields.Char("Consignor Name (Kana)",
        help="The operator's name in the transfer file, in kana.")
    zengin_account = fields.Many2One('bank.account', "Paying Bank Account",
        help="The operator's account the transfers are paid from.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for role in ACCOUNT_ROLES:
            getattr(cls, role).domain = [
                ('company', '=', Eval('company', -1)),
                ('closed', '!=', True)]
        cls.journal.domain = [('type', '=', 'general')]

    @staticmethod
    def default_expired_points_to():
        return 'income'

    @staticmethod
    def default_city_fee_rate():
        return Decimal(0)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        code = values.get('zengin_consignor_code')
        if code and not (code.isascii() and code.isdigit()
                and len(code) == 10):
            raise ZenginError(gettext(
                    'hirakata_points_settlement.msg_zengin_consignor_code',
                    code=code))
        if values.get('zengin_consignor_name'):
            try:
                values['zengin_consignor_name'] = zengin_kana(
                    values['zengin_consignor_name']).strip()
            except KanaError as error:
                raise ZenginError(gettext(
                        'hirakata_points_settlement.msg_zengin_kana',
                        text=values['zengin_consignor_name'], error=error))
        return values

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and 'city' in values:
            cls.check_city(records, values['city'])
        if mode == 'write':
            cls.check_books_fixed(records, values)
        if mode == 'write' and values.get('zengin_account'):
            cls.check_zengin_account(records, values)
        # The daily booking moves it on; written back, the days after it
        # would be booked twice (refused) and the books would stop.
        if mode == 'write' and external and 'booked_until' in values:
            raise AccessError(gettext(
                    'hirakata_points.msg_field_changed_by_buttons_only',
                    **cls.__names__(field='booked_until')))
        # What the expired points pool pays projects is charged where its
        # expiries were booked (Line.account_role in community.py): the
        # choice stays once an expiry is booked or an allocation made.
        if mode == 'write' and 'expired_points_to' in values:
            pool = Pool()
            Booking = pool.get('hirakata.settlement.booking')
            Allocation = pool.get('hirakata.community.allocation')
            if any(r.expired_points_to != values['expired_points_to']
                    for r in records) and (
                    Booking.search([('kind', '=', 'expire')], limit=1)
                    or Allocation.search(
                        [('state', '=', 'approved')], limit=1)):
                raise BooksError(gettext(
                        'hirakata_points_settlement'
                        '.msg_expired_points_to_booked'))

    @classmethod
    def check_books_fixed(cls, records, values):
        """Refuse to change the company, journal, fee tax or an account
        once a day is booked or a month confirmed: the liability report and
        the next month's settlement read the accounts the configuration
        names, and the moves already made stay where they were made."""
        pool = Pool()
        Booking = pool.get('hirakata.settlement.booking')
        Period = pool.get('hirakata.settlement.period')

        def changes(record, name):
            current = getattr(record, name)
            return (current.id if current else None) != values[name]
        changed = [name for name in FIXED_ONCE_BOOKED if name in values
            and any(changes(r, name) for r in records)]
        if changed and (Booking.search([], limit=1)
                or Period.search([('state', '=', 'confirmed')], limit=1)):
            names = cls.fields_get(changed)
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_books_fixed',
                    fields='、'.join(names[n]['string'] for n in changed)))

    @classmethod
    def check_zengin_account(cls, records, values):
        """The transfers are paid from an account of the operator company's
        party: the file's header names it as the account to debit."""
        pool = Pool()
        BankAccount = pool.get('bank.account')
        Company = pool.get('company.company')
        account = BankAccount(values['zengin_account'])
        for record in records:
            company = (Company(values['company']) if values.get('company')
                else record.company)
            if not company or company.party not in account.owners:
                raise BooksError(gettext(
                        'hirakata_points_settlement.msg_zengin_account_owner',
                        account=account.rec_name))

    @classmethod
    def check_city(cls, records, city_id):
        """Refuse as the city the operator, a store, a bank, an employee, a
        transit operator or a community project's payee, and any change of
        it (to none too) once a month is confirmed: its invoices and
        receivable are the city's."""
        pool = Pool()
        Party = pool.get('party.party')
        Period = pool.get('hirakata.settlement.period')
        Project = pool.get('hirakata.community.project')
        if any(r.city != (Party(city_id) if city_id else None)
                for r in records) and Period.search(
                    [('state', '=', 'confirmed')], limit=1):
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_city_fixed'))
        if not city_id:
            return
        city = Party(city_id)
        with Transaction().set_context(_check_access=False,
                active_test=False):
            payee = Project.search([('payee', '=', city.id)], limit=1)
        if operator_relation(city) not in {None, 'city'} or payee:
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_city_refused',
                    party=city.rec_name))

    def account(self, role):
        "The account of role (a key of ACCOUNT_CODES), or an error."
        account = getattr(self, role)
        if not account:
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_books_not_set_up'))
        return account

    @classmethod
    def books(cls):
        "The configuration, checked to be set up."
        config = cls(1)
        if not config.company or not config.journal:
            raise BooksError(gettext(
                    'hirakata_points_settlement.msg_books_not_set_up'))
        return config


def operator_relation(party):
    """What party is to the operator when it is not a mere counterparty:
    'operator' (itself), 'city', 'store', 'bank', 'employee', 'transit'
    (an exchange item's operator), or None."""
    pool = Pool()
    Configuration = pool.get('hirakata.settlement.configuration')
    config = Configuration(1)
    if config.company and party == config.company.party:
        return 'operator'
    if party == config.city:
        return 'city'
    with Transaction().set_context(_check_access=False, active_test=False):
        for relation, model, field in [
                ('store', 'hirakata.store', 'party'),
                ('bank', 'bank', 'party'),
                ('employee', 'company.employee', 'party'),
                ('transit', 'hirakata.exchange.item', 'operator')]:
            if pool.get(model).search([(field, '=', party.id)], limit=1):
                return relation
    return None


def check_not_city(records, field, values=None):
    """Refuse to make the books' city (the party of records' field, or
    the one values write) a bank, an employee, a store or a transit
    operator: its invoices and receivable are the city's alone."""
    Configuration = Pool().get('hirakata.settlement.configuration')
    city = Configuration(1).city
    if not city:
        return
    if values is not None:
        parties = {values.get(field)}
    else:
        parties = {getattr(r, field).id for r in records if getattr(r, field)}
    if city.id in parties:
        raise BooksError(gettext(
                'hirakata_points_settlement.msg_city_other_role',
                party=city.rec_name))


class CityNeverAnother:
    """A model whose records name a party (_city_field) as their bank,
    employee, store or transit operator: never the city's."""
    __slots__ = ()
    _city_field = 'party'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'create' or (mode == 'write' and cls._city_field in values):
            check_not_city(records, cls._city_field,
                values if mode == 'write' else None)


def payee_party(party):
    """party, which the operator pays; refused without an address, which
    its supplier invoice needs. (Its invoice names the payable account:
    the party itself is left as it is.)"""
    Party = Pool().get('party.party')
    with Transaction().set_context(_check_access=False):
        party = Party(party.id)
        if not party.addresses:
            raise SettlementError(gettext(
                    'hirakata_points_settlement.msg_payee_address',
                    party=party.rec_name))
    return party


def set_up_books(company, first_year_start, city=None, city_fee_rate=None):
    """Give company the operator's chart of accounts, fiscal years from
    first_year_start to the coming one (April–March, the city's year),
    and point the configuration at them. Run once, as root."""
    pool = Pool()
    AccountTemplate = pool.get('account.account.template')
    Account = pool.get('account.account')
    Configuration = pool.get('hirakata.settlement.configuration')
    AccountConfiguration = pool.get('account.configuration')
    Journal = pool.get('account.journal')
    ModelData = pool.get('ir.model.data')
    Tax = pool.get('account.tax')
    Party = pool.get('party.party')
    CreateChart = pool.get('account.create_chart', type='wizard')

    with Transaction().set_user(0), Transaction().set_context(
            company=company.id, _check_access=False):
        template = AccountTemplate(ModelData.get_id(
                'hirakata_points_settlement', 'account_template_root'))
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = template
        wizard.account.company = company
        wizard.transition_create_account()
        accounts = {a.code: a for a in Account.search(
                [('company', '=', company.id), ('code', '!=', None)])}
        wizard.properties.company = company
        wizard.properties.account_receivable = accounts['1220']
        wizard.properties.account_payable = accounts['2110']
        wizard.transition_create_properties()
        AccountConfiguration.write([AccountConfiguration(1)], {
                'tax_rounding': 'document'})
        today = Pool().get('ir.date').today()
        start = first_year_start
        while start <= today:
            create_fiscal_year(company, start)
            start = start.replace(year=start.year + 1)
        create_fiscal_year(company, start)
        journal, = Journal.search([('type', '=', 'general')], limit=1)
        tax, = Tax.search([('company', '=', company.id),
                ('rate', '=', Decimal('0.10'))], limit=1)
        values = {role: accounts[code].id
            for role, code in ACCOUNT_CODES.items()}
        values.update(company=company.id, journal=journal.id,
            fee_tax=tax.id)
        if city:
            values['city'] = city.id
            # read again in the company's context: the party's accounts
            # are per company
            city = Party(city.id)
            city.account_receivable = accounts['1210']
            city.save()
        if city_fee_rate is not None:
            values['city_fee_rate'] = city_fee_rate
        Configuration.write([Configuration(1)], values)


def create_fiscal_year(company, start):
    """The fiscal year from start (1 April) for a year, with monthly
    periods and its move and invoice sequences."""
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    SequenceType = pool.get('ir.sequence.type')
    InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')
    ModelData = pool.get('ir.model.data')

    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    if FiscalYear.search([('company', '=', company.id),
                ('start_date', '<=', end), ('end_date', '>=', start)]):
        return
    name = '%d年度' % start.year

    def sequence(type_xml_id, prefix):
        type_ = SequenceType(ModelData.get_id(*type_xml_id))
        return Sequence(name='%s %s' % (name, prefix), sequence_type=type_,
            company=company, prefix='%s%d-' % (prefix, start.year),
            padding=6)
    move = sequence(('account', 'sequence_type_account_move'), 'M')
    out = sequence(
        ('account_invoice', 'sequence_type_account_invoice'), 'INV')
    in_ = sequence(
        ('account_invoice', 'sequence_type_account_invoice'), 'SUP')
    Sequence.save([move, out, in_])
    year = FiscalYear(name=name, company=company, start_date=start,
        end_date=end, move_sequence=move)
    year.invoice_sequences = [InvoiceSequence(company=company,
            out_invoice_sequence=out, out_credit_note_sequence=out,
            in_invoice_sequence=in_, in_credit_note_sequence=in_)]
    year.save()
    FiscalYear.create_period([year])
    return year
