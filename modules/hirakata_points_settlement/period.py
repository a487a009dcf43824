"""The monthly settlement (R24–R26): what the city and each store owe the
operator and the operator owes each store for one month of the ledger,
and the invoices that say so.

draft → computed → reviewed → confirmed. Computing reads the month's
entries afresh, so computing again gives the same lines; confirming
creates and posts the invoices, once. A confirmed month never changes: a
cancellation made later is an entry of a later month and is settled there,
under the store or programme of the entry it cancels."""
import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_DOWN, Decimal

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.clock import utc_now
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .books import MONTH_SHOWN, PROGRAMME, ZERO, yen
from .exceptions import SettlementError

CATEGORIES = [
    ('city_grant', "Programme Points (Funding)"),
    ('city_fee', "Operator's Fee on Programme Points"),
    ('store_grant', "Points Granted by the Store (Funding)"),
    ('store_grant_fee', "Grant Fee"),
    ('store_redeem', "Points Redeemed at the Store"),
    ('store_redeem_fee', "Redemption Fee"),
    ]
# Lines of the operator's fees carry consumption tax; the points are
# outside its scope (不課税).
FEE_CATEGORIES = {'city_fee', 'store_grant_fee', 'store_redeem_fee'}
# Records worked on together (lines, invoices). Each record Tryton makes
# from a list of ids checks the whole list (ModelStorage.__init__'s
# assert), a cost that grows as the square of the list: at a month's 500
# invoices and 1,800 lines at once, more than half of confirming; 50
# invoices (their 270 move lines) at once cost 5 s less than 100
# (docs/performance.md).
BATCH = 50


def fee(points, rate):
    "rate % of points in whole yen, fractions dropped (端数切捨て)."
    return (Decimal(points) * (rate or ZERO) / 100).quantize(
        Decimal(1), rounding=ROUND_DOWN)


def batches(Model, domain):
    """The records of Model matching domain (in its order), browsed BATCH
    at a time."""
    cursor = Transaction().connection.cursor()
    cursor.execute(*Model.search(domain, query=True))
    for ids in grouped_slice([id_ for id_, in cursor], BATCH):
        yield Model.browse(list(ids))


def month_movements(start, end):
    """{(kind, store id, programme id): points} of holders' entries dated
    start..end; a reversal counts under its original's kind, store and
    programme."""
    pool = Pool()
    Entry = pool.get('hirakata.point.entry')
    Account = pool.get('hirakata.point.account')
    entry, original, account = (Entry.__table__(), Entry.__table__(),
        Account.__table__())
    kind = Coalesce(original.kind, entry.kind)
    store = Coalesce(original.store, entry.store)
    origin = Coalesce(original.origin, entry.origin)
    query = entry.join(account, condition=account.id == entry.account
        ).join(original, 'LEFT', condition=original.id == entry.reversal_of
        ).select(kind, store, origin, Sum(entry.points),
            where=(account.kind == 'holder')
            & (entry.date >= start) & (entry.date <= end),
            group_by=[kind, store, origin])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    totals = defaultdict(int)
    for kind, store, origin, points in cursor:
        programme = (int(origin[len(PROGRAMME):])
            if origin and origin.startswith(PROGRAMME) else None)
        totals[kind, store, None if store else programme] += int(points)
    return totals


class Period(ButtonsForTheirGroups, ChangedByButtonsOnly, Workflow,
        ModelSQL, ModelView):
    "Settlement Period"
    __name__ = 'hirakata.settlement.period'

    month = fields.Date("Month", required=True, context=MONTH_SHOWN,
        states={'readonly': Eval('state') != 'draft'},
        help="Any day of the month to settle.")
    start_date = fields.Date("Start Date", readonly=True)
    end_date = fields.Date("End Date", readonly=True)
    lines = fields.One2Many('hirakata.settlement.line', 'period', "Lines",
        readonly=True)
    invoices = fields.One2Many('account.invoice', 'hirakata_period',
        "Invoices", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('computed', "Computed"),
            ('reviewed', "Reviewed"),
            ('confirmed', "Confirmed"),
            ], "State", readonly=True, required=True, sort=False)
    computed_by = fields.Many2One('res.user', "Computed By", readonly=True)
    computed_at = fields.DateTime("Computed At", readonly=True)
    reviewed_by = fields.Many2One('res.user', "Reviewed By", readonly=True)
    reviewed_at = fields.DateTime("Reviewed At", readonly=True)
    confirmed_by = fields.Many2One('res.user', "Confirmed By",
        readonly=True)
    confirmed_at = fields.DateTime("Confirmed At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('month_unique', Unique(t, t.start_date),
                'hirakata_points_settlement.msg_period_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.start_date, Index.Range())))
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'computed'),
            ('computed', 'computed'),
            ('computed', 'reviewed'),
            ('reviewed', 'computed'),
            ('reviewed', 'confirmed'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'computed', 'reviewed']),
                    'depends': ['state'],
                    },
                'review': {
                    'invisible': Eval('state') != 'computed',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'reviewed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # who computed, reviewed and confirmed it: its buttons say,
            # whatever a client sends (writing them is refused)
            for step in ['computed', 'reviewed', 'confirmed']:
                values.pop('%s_by' % step, None)
                values.pop('%s_at' % step, None)
        if values.get('month'):
            start = values['month'].replace(day=1)
            following = (start + dt.timedelta(days=32)).replace(day=1)
            values.update(month=start, start_date=start,
                end_date=following - dt.timedelta(days=1))
        return values

    @classmethod
    def check_modification(cls, mode, periods, values=None, external=False):
        super().check_modification(
            mode, periods, values=values, external=external)
        # A computed month's lines, invoices and statements are of that
        # month: it never moves (the screen's read-only is the client's).
        if mode == 'write' and 'month' in values:
            for period in periods:
                if period.state != 'draft':
                    raise SettlementError(gettext(
                            'hirakata_points_settlement.msg_period_month_fixed',
                            period=period.rec_name))
        # This month may be computed and reviewed as it goes (confirming
        # waits for its end); a month to come has nothing to settle.
        if mode == 'create' or (mode == 'write' and values.get('month')):
            this_month = clock.today().replace(day=1)
            for period in periods:
                month = values['month'] if mode == 'write' else period.month
                if month.replace(day=1) > this_month:
                    raise SettlementError(gettext(
                            'hirakata_points_settlement.msg_month_future',
                            month=month.strftime('%Y年%m月')))
        # A month created by mistake goes; a confirmed one stays as issued.
        if mode == 'delete':
            for period in periods:
                if period.state == 'confirmed':
                    raise SettlementError(gettext(
                            'hirakata_points_settlement.msg_period_confirmed',
                            period=period.rec_name))

    def get_rec_name(self, name):
        return self.month.strftime('%Y年%m月') if self.month else ''

    @classmethod
    @ModelView.button
    @Workflow.transition('computed')
    def compute(cls, periods):
        pool = Pool()
        Line = pool.get('hirakata.settlement.line')
        for period in periods:
            for lines in batches(Line, [('period', '=', period.id)]):
                Line.delete(lines)
            for lines in grouped_slice(period.compute_lines(), BATCH):
                Line.save(list(lines))
        cls.write(periods, cls._signed('computed'))

    @classmethod
    @ModelView.button
    @Workflow.transition('reviewed')
    def review(cls, periods):
        cls.write(periods, cls._signed('reviewed'))

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, periods):
        pool = Pool()
        Date = pool.get('ir.date')
        Invoice = pool.get('account.invoice')
        cls.lock(periods)
        today = Date.today()
        # Read again under the lock: another transaction may have
        # confirmed them since this one read them.
        for period in cls.search([('id', 'in', [p.id for p in periods]),
                    ('state', '!=', 'reviewed')], limit=1):
            raise SettlementError(gettext(
                    'hirakata_points_settlement.msg_period_confirmed',
                    period=period.rec_name))
        for period in periods:
            if period.end_date >= today:
                raise SettlementError(gettext(
                        'hirakata_points_settlement.msg_month_not_over',
                        period=period.rec_name))
        # the parties' accounts are the operator company's, whoever
        # confirms and from wherever
        company = pool.get('hirakata.settlement.configuration').books(
            ).company
        # The invoices keep the context they are made in for their every
        # save, posting's included: made with their taxes and amounts
        # (Period._invoice), where Invoice.update_taxes and _store_cache
        # do not compute them again.
        with Transaction().set_context(company=company.id,
                _hirakata_amounts_made=True):
            cls._lock_for_posting(periods, company)
            for period in cls.browse(periods):
                period.check_lines_current()
            # every day of the months booked before their books close
            if periods:
                pool.get('hirakata.settlement.booking').book_until(
                    max(p.end_date for p in periods))
            invoices = []
            for period in cls.browse(periods):
                invoices += period.make_invoices()
            for batch in grouped_slice(invoices, BATCH):
                batch = list(batch)
                Invoice.save(batch)
                Invoice.post(batch)
            # A confirmed month is never changed: its accounting period
            # closes, so that no move (a copy, a reversal, an entry by
            # hand) is dated in it any more.
            AccountPeriod = pool.get('account.period')
            AccountPeriod.close([AccountPeriod.find(company,
                        date=p.end_date, test_state=False) for p in periods])
        cls.write(periods, cls._signed('confirmed'))

    @classmethod
    def _lock_for_posting(cls, periods, company):
        """Lock first what booking the months' last days, posting the
        invoices and closing the months' accounting periods lock: the
        books' configuration, the strict sequences of the months' fiscal
        years (invoices, moves), the journal periods, the moves and the
        accounting periods (closing one checks their unique constraint
        under a table lock). Each lock Tryton asks for restarts the
        transaction with it; asked here, before any work, the restarts
        are cheap, instead of each redoing every invoice made before it
        (the periods' lock, asked last by closing, did all the work
        twice)."""
        pool = Pool()
        AccountPeriod = pool.get('account.period')
        Configuration = pool.get('hirakata.settlement.configuration')
        JournalPeriod = pool.get('account.journal.period')
        Move = pool.get('account.move')
        Sequence = pool.get('ir.sequence.strict')
        sequences = set()
        for period in periods:
            account_period = AccountPeriod.find(company,
                date=period.end_date, test_state=False)
            sequences.add(account_period.move_sequence_used)
            fiscalyear = account_period.fiscalyear
            for invoice_sequence in fiscalyear.invoice_sequences:
                sequences.update(filter(None, (
                            getattr(invoice_sequence, '%s_sequence' % name)
                            for name in ['out_invoice', 'out_credit_note',
                                'in_invoice', 'in_credit_note'])))
        Sequence.lock([s for s in sequences if s._strict])
        Configuration.lock([Configuration.books()])
        JournalPeriod.lock()
        Move.lock()
        AccountPeriod.lock()

    @classmethod
    def _signed(cls, step):
        return {'%s_by' % step: Transaction().user,
            '%s_at' % step: utc_now()}

    def compute_lines(self):
        """The month's lines: a line per programme and the city's fee, and
        per store its granted and redeemed points and their fees."""
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Line = pool.get('hirakata.settlement.line')
        Programme = pool.get('hirakata.programme')
        Store = pool.get('hirakata.store')
        config = Configuration.books()
        if not config.city:
            raise SettlementError(gettext(
                    'hirakata_points_settlement.msg_city_not_set'))
        totals = month_movements(self.start_date, self.end_date)
        lines = []
        city_points = 0
        programmes = Programme.browse(sorted(
                {p for (k, s, p) in totals if p}))
        for programme in sorted(programmes, key=lambda p: (
                    p.department.rec_name if p.department else '',
                    p.rec_name)):
            points = totals.get(('grant', None, programme.id), 0)
            if points:
                city_points += points
                lines.append(Line(period=self, category='city_grant',
                        party=config.city, programme=programme,
                        department=programme.department, points=points,
                        amount=yen(points)))
        if city_points and config.city_fee_rate:
            lines.append(Line(period=self, category='city_fee',
                    party=config.city, points=city_points,
                    rate=config.city_fee_rate,
                    amount=fee(city_points, config.city_fee_rate)))
        stores = Store.browse(sorted({s for (k, s, p) in totals if s}))
        Store.make_settlement_parties(stores)
        for store in sorted(stores, key=lambda s: s.code or ''):
            granted = totals.get(('grant', store.id, None), 0)
            redeemed = -totals.get(('redeem', store.id, None), 0)
            party = store.settlement_party()
            for category, points, rate, sign in [
                    ('store_grant', granted, None, 1),
                    ('store_grant_fee', granted, store.grant_fee_rate, 1),
                    ('store_redeem', redeemed, None, -1),
                    ('store_redeem_fee', redeemed, store.redeem_fee_rate,
                        1)]:
                amount = yen(points) * sign if rate is None else fee(
                    points, rate)
                if points and (rate is None or amount):
                    lines.append(Line(period=self, category=category,
                            party=party, store=store, points=points,
                            rate=rate, amount=amount))
        return lines

    def check_lines_current(self):
        """Refuse to confirm lines that computing the month now would not
        give: movements dated in the month since it was computed (it was
        computed and reviewed before its end, or corrected after)."""
        Line = Pool().get('hirakata.settlement.line')
        names = Line.computed_fields()

        def keys(lines):
            return Counter(tuple(getattr(v, 'id', v)
                    for v in (getattr(line, n, None) for n in names))
                for line in lines)
        saved = Counter()
        for lines in batches(Line, [('period', '=', self.id)]):
            saved += keys(lines)
        if keys(self.compute_lines()) != saved:
            raise SettlementError(gettext(
                    'hirakata_points_settlement.msg_period_changed',
                    period=self.rec_name))

    def make_invoices(self):
        "The month's invoices, from its lines: the city's and the stores'."
        Line = Pool().get('hirakata.settlement.line')
        by_party = defaultdict(list)
        for lines in batches(Line, [('period', '=', self.id)]):
            for line in lines:
                by_party[line.party].append(line)
        invoices = []
        for party, lines in by_party.items():
            invoices += [i for i in self._party_invoices(party, lines) if i]
        return invoices

    def _party_invoices(self, party, lines):
        """The invoices of party's lines: a supplier invoice per payable
        account of the lines the operator pays out (a transit operator, a
        community project: Line.payable_role), and the store's or the
        city's invoice of the rest."""
        Configuration = Pool().get('hirakata.settlement.configuration')
        payable, rest = defaultdict(list), []
        for line in lines:
            role = line.payable_role()
            (payable[role] if role else rest).append(line)
        invoices = []
        for role, paid in payable.items():
            invoice = self._invoice('in', party, paid)
            invoice.account = Configuration.books().account(role)
            invoices.append(invoice)
        if not rest:
            return invoices
        store = rest[0].store
        if store and store.settlement_method == 'gross':
            uses = [l for l in rest if l.category == 'store_redeem']
            rest = [l for l in rest if l not in uses]
            return invoices + [self._invoice('out', party, rest),
                self._invoice('in', party, uses)]
        return invoices + [self._invoice('out', party, rest)]

    def due_date(self):
        """When the month's invoices are due: at the end of the next month
        (月末締め翌月末払い), or on the day it is confirmed if later."""
        Date = Pool().get('ir.date')
        next_month_end = (self.end_date + dt.timedelta(days=1)).replace(
            day=28) + dt.timedelta(days=4)
        next_month_end -= dt.timedelta(days=next_month_end.day)
        return max(next_month_end, Date.today())

    def _invoice(self, type_, party, lines):
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        if not lines:
            return None
        config = Configuration.books()
        invoice = Invoice(type=type_, company=config.company, party=party,
            invoice_date=self.end_date, hirakata_period=self,
            description='%s 精算' % self.rec_name)
        invoice.on_change_type()  # (which calls on_change_party)
        invoice.payment_term_date = self.due_date()
        invoice_lines = []
        for line in lines:
            amount = line.amount if type_ == 'out' else -line.amount
            invoice_lines.append(InvoiceLine(invoice_type=type_,
                    type='line', company=config.company,
                    currency=config.company.currency,
                    description=line.invoice_description(),
                    quantity=1, unit_price=amount,
                    account=config.account(line.account_role()),
                    taxes=[config.fee_tax] if line.is_fee else [],
                    hirakata_line=line))
        invoice.lines = invoice_lines
        # Its taxes computed with its lines, as the invoice form does, and
        # saved with it; its amounts kept in their caches from the start:
        # Tryton reads total_amount at each of posting's writes (to
        # validate payment_lines' domain, to choose the sequence), and
        # without the caches sums the lines each time.
        for invoice_line in invoice_lines:
            invoice_line.amount = invoice_line.on_change_with_amount()
        invoice._on_change_lines_taxes()
        invoice.untaxed_amount_cache = invoice.untaxed_amount
        invoice.tax_amount_cache = invoice.tax_amount
        invoice.total_amount_cache = invoice.total_amount
        return invoice


class Line(ModelSQL, ModelView):
    "Settlement Line"
    __name__ = 'hirakata.settlement.line'

    period = fields.Many2One('hirakata.settlement.period', "Period",
        required=True, ondelete='CASCADE', readonly=True)
    category = fields.Selection(CATEGORIES, "Category", required=True,
        readonly=True)
    category_string = category.translated('category')
    party = fields.Many2One('party.party', "Party", required=True,
        readonly=True, ondelete='RESTRICT')
    store = fields.Many2One('hirakata.store', "Store", readonly=True,
        ondelete='RESTRICT')
    programme = fields.Many2One('hirakata.programme', "Programme",
        readonly=True, ondelete='RESTRICT')
    department = fields.Many2One('hirakata.department',
        "Department", readonly=True, ondelete='RESTRICT')
    points = fields.Integer("Points", required=True, readonly=True)
    rate = fields.Numeric("Fee Rate (%)", digits=(5, 2), readonly=True)
    amount = fields.Numeric("Amount (JPY)", digits=(16, 0), required=True,
        readonly=True, help="Excluding consumption tax; negative when "
        "the operator owes it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.period, Index.Equality())))
        cls._order = [('period', 'DESC'), ('party', 'ASC'), ('id', 'ASC')]

    @classmethod
    def computed_fields(cls):
        "The fields computing a month gives its lines (Period.compute_lines)."
        return ['category', 'party', 'store', 'programme', 'department',
            'points', 'rate', 'amount']

    @property
    def is_fee(self):
        return self.category in FEE_CATEGORIES

    def payable_role(self):
        """The configuration's payable account of the supplier invoice this
        line is paid with, if it is paid out on its own (None: the store's
        or the city's invoice)."""
        return None

    def account_role(self):
        "The configuration's account this line's invoice line goes to."
        if self.is_fee:
            return 'fee_income'
        if self.category == 'store_redeem':
            return 'unsettled_uses'
        return 'unbilled_funding'

    def invoice_description(self, label=None):
        """This line as its invoice line reads; label: its kind, by default
        as the user's language names it."""
        label = label or self.category_string
        points = '{:,}'.format(self.points)
        if self.programme:
            department = (self.department.rec_name + ' '
                if self.department else '')
            return '%s%s %s（%sポイント）' % (department,
                self.programme.rec_name, label, points)
        if self.rate is not None:
            # (5, not 5.00 nor 1E+1)
            return '%s（%sポイント × %s%%）' % (label, points,
                '{:f}'.format(self.rate.normalize()))
        return '%s（%sポイント）' % (label, points)
