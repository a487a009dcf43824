"""The monthly settlement: lines from the ledger, the workflow, invoices
to the city and the stores, and the reconciliation of invoices with the
ledger (R24–R26)."""
import datetime as dt
import io
import random
from collections import defaultdict
from decimal import Decimal

import openpyxl

from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user, load_japanese)
from trytond.modules.hirakata_points_pos.tests.tools import (
    make_store, make_terminal)
from trytond.modules.hirakata_points_programme.tests.test_programme import (
    create_programme)
from trytond.modules.hirakata_points_settlement.exceptions import (
    SettlementError)
from trytond.modules.hirakata_points_settlement.reconciliation import (
    invoiced_by_source)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_community import donate, make_project
from .test_statement import as_user, run_report, to_pdf
from .tools import (
    at, grant_at, redeem_at, reverse_at, set_up_operator, settle)

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def day(month, number):
    return month.replace(day=number)


def ledger_movements(start, end):
    """{(store id, programme id, None, community project id): points} owed
    to the operator for the holders' entries dated start..end (grants in,
    redemptions and donations out), computed entry by entry from the
    ledger."""
    Entry = Pool().get('hirakata.point.entry')
    totals = defaultdict(int)
    for entry in Entry.search([('account.kind', '=', 'holder'),
                ('date', '>=', start), ('date', '<=', end)]):
        source = entry.reversal_of or entry
        if source.kind not in {'grant', 'redeem', 'donation'}:
            continue
        origin = getattr(source.origin, '__name__', None)
        programme = (source.origin.id if origin == 'hirakata.programme'
            else None)
        project = (source.origin.id
            if origin == 'hirakata.community.project' else None)
        totals[source.store and source.store.id,
            None if source.store else programme, None,
            project] += entry.points
    return totals


def assert_amounts_as_tryton_computes(test, invoices):
    """Each invoice's taxes and amount caches, made with it in memory
    (Period._invoice), are what Tryton computes from its saved lines and
    taxes (posting no longer computes them again)."""
    for invoice in invoices:
        computed = {key: (value['base'], value['amount'], value['account'])
            for key, value in invoice._compute_taxes()}
        saved = {tax._key: (tax.base, tax.amount, tax.account)
            for tax in invoice.taxes}
        test.assertEqual(saved, computed, invoice.rec_name)
        untaxed = sum(l.amount for l in invoice.line_lines)
        tax = sum(t.amount for t in invoice.taxes)
        test.assertEqual((invoice.untaxed_amount_cache,
                invoice.tax_amount_cache, invoice.total_amount_cache),
            (untaxed, tax, untaxed + tax), invoice.rec_name)
        test.assertEqual(invoice.move.state, 'posted')
        test.assertEqual(sum(l.debit - l.credit for l in invoice.move.lines),
            0)


class SettlementTestCase(_DBTestCase):
    "A month's settlement"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    def stores(self):
        netting = make_store("枚方パン", grant_fee_rate=Decimal(3),
            redeem_fee_rate=Decimal(2))
        gross = make_store("くずは書店", grant_fee_rate=Decimal('2.5'),
            redeem_fee_rate=Decimal(1), settlement_method='gross')
        return netting, gross

    @with_transaction()
    def test_month_invoices_for_city_and_stores(self):
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Invoice = pool.get('account.invoice')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            netting, gross = self.stores()
            at_netting, at_gross = make_terminal(netting), make_terminal(
                gross)
            programme = create_programme()
            hanako, taro = create_holder("花子"), create_holder("太郎")
            grant_at(at(day(OCTOBER, 3)), hanako.account, 1000, at_netting)
            grant_at(at(day(OCTOBER, 4)), taro.account, 400, at_gross)
            grant_at(at(day(OCTOBER, 5)), hanako.account, 300, programme)
            redeem_at(at(day(OCTOBER, 6)), hanako.account, 500, at_gross)
            redeem_at(at(day(OCTOBER, 7)), taro.account, 100, at_netting)
            # cancelled the same month: nets out
            same = grant_at(at(day(OCTOBER, 8)), taro.account, 50,
                at_netting)
            reverse_at(at(day(OCTOBER, 9)), same)
            # granted on the last day, cancelled in November
            late = grant_at(at(day(OCTOBER, 31), 23), taro.account, 70,
                at_netting)
            reverse_at(at(day(NOVEMBER, 1), 0), late)

            with clock.frozen(at(day(NOVEMBER, 5))):
                period, = Period.create([{'month': day(OCTOBER, 15)}])
                self.assertEqual((period.start_date, period.end_date),
                    (OCTOBER, day(OCTOBER, 31)))
                Period.compute([period])
                first = sorted((l.category, l.party.name, l.points,
                        l.amount) for l in period.lines)
                Period.compute([period])
                again = sorted((l.category, l.party.name, l.points,
                        l.amount) for l in Period(period.id).lines)
            self.assertEqual(first, again)
            self.assertEqual(first, sorted([
                        ('city_grant', "枚方市", 300, Decimal(300)),
                        ('city_fee', "枚方市", 300, Decimal(15)),
                        ('store_grant', "枚方パン", 1070, Decimal(1070)),
                        ('store_grant_fee', "枚方パン", 1070, Decimal(32)),
                        ('store_redeem', "枚方パン", 100, Decimal(-100)),
                        ('store_redeem_fee', "枚方パン", 100, Decimal(2)),
                        ('store_grant', "くずは書店", 400, Decimal(400)),
                        ('store_grant_fee', "くずは書店", 400, Decimal(10)),
                        ('store_redeem', "くずは書店", 500, Decimal(-500)),
                        ('store_redeem_fee', "くずは書店", 500,
                            Decimal(5)),
                        ]))
            with clock.frozen(at(day(NOVEMBER, 5))):
                Period.review([period])
                Period.confirm([period])
                # a second confirmation changes nothing
                Period.confirm([Period(period.id)])
            period = Period(period.id)
            self.assertEqual(len(Invoice.search([])), 4)
            self.assertEqual(period.state, 'confirmed')
            invoices = {(i.party.name, i.type): i for i in period.invoices}
            self.assertEqual(sorted(invoices), [
                    ("くずは書店", 'in'), ("くずは書店", 'out'),
                    ("枚方パン", 'out'), ("枚方市", 'out')])
            self.assertTrue(all(i.state == 'posted'
                    for i in period.invoices))
            assert_amounts_as_tryton_computes(self, period.invoices)
            # due at the end of November (月末締め翌月末払い), not overdue
            # on the day they are confirmed
            self.assertEqual({(i.payment_term_date,)
                    + tuple({l.maturity_date for l in i.lines_to_pay})
                    for i in period.invoices}, {(day(NOVEMBER, 30),) * 2})
            city = invoices["枚方市", 'out']
            # 300 points (outside tax) + fee 15 + 10% tax, rounded once
            # per rate on the invoice, its fraction dropped (1.5 → 1, where
            # rounding half to even would make 2)
            self.assertEqual((city.untaxed_amount, city.tax_amount,
                    city.total_amount), (Decimal(315), Decimal(1),
                    Decimal(316)))
            # netting: 1070 + 32 − 100 + 2, tax on the fees 3
            bakery = invoices["枚方パン", 'out']
            self.assertEqual((bakery.untaxed_amount, bakery.tax_amount),
                (Decimal(1004), Decimal(3)))
            # gross: invoice 400 + 10 + 5 (+ tax 1.5 → 1), notice 500
            books = invoices["くずは書店", 'out']
            self.assertEqual((books.untaxed_amount, books.tax_amount),
                (Decimal(415), Decimal(1)))
            self.assertEqual(invoices["くずは書店", 'in'].total_amount,
                Decimal(500))
            self.assertEqual(invoiced_by_source(period),
                {k: Decimal(v) for k, v in ledger_movements(
                        OCTOBER, day(OCTOBER, 31)).items() if v})

            # November settles the cancellation of October's grant
            with clock.frozen(at(day(NOVEMBER, 30), 23)):
                november, = Period.create([{'month': NOVEMBER}])
                Period.compute([november])
            self.assertEqual([(l.category, l.store.name, l.points)
                    for l in november.lines],
                [('store_grant', "枚方パン", -70),
                    ('store_grant_fee', "枚方パン", -70)])

    @with_transaction()
    def test_a_month_is_confirmed_only_when_over(self):
        Period = Pool().get('hirakata.settlement.period')
        company = set_up_operator()
        with set_company(company), clock.frozen(at(day(OCTOBER, 31), 23)):
            period, = Period.create([{'month': OCTOBER}])
            Period.compute([period])
            Period.review([period])
            with self.assertRaises(SettlementError):
                Period.confirm([period])
            self.assertEqual(Period(period.id).state, 'reviewed')

    @with_transaction()
    def test_a_month_computed_before_its_end_is_computed_again(self):
        """Confirming lines computed before a movement of the month is
        refused (in Japanese, nothing made): the movement would never be
        invoiced."""
        load_japanese()
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Invoice = pool.get('account.invoice')
        company = set_up_operator()
        with set_company(company):
            holder = create_holder()
            terminal = make_terminal(make_store("枚方パン"))
            grant_at(at(day(OCTOBER, 3)), holder.account, 100, terminal)
            with clock.frozen(at(day(OCTOBER, 20))):
                period, = Period.create([{'month': OCTOBER}])
                Period.compute([period])
                Period.review([period])
            grant_at(at(day(OCTOBER, 25)), holder.account, 40, terminal)
            with clock.frozen(at(day(NOVEMBER, 5))), \
                    Transaction().set_context(language='ja'):
                with self.assertRaises(SettlementError) as raised:
                    Period.confirm([Period(period.id)])
                self.assertIn("計算の後に取引が変わりました",
                    raised.exception.message)
                self.assertEqual(Period(period.id).state, 'reviewed')
                self.assertEqual(Invoice.search([]), [])
                Period.compute([period])
                Period.review([period])
                Period.confirm([period])
            invoice, = Invoice.search([])
            self.assertEqual(sum(l.hirakata_line.points
                    for l in invoice.lines if l.hirakata_line
                    and l.hirakata_line.category == 'store_grant'), 140)

    @with_transaction()
    def test_reconciliation_of_a_month_not_confirmed_says_so(self):
        "(no invoice yet: not 不一致 on every line)"
        Period = Pool().get('hirakata.settlement.period')
        company = set_up_operator()
        with set_company(company):
            holder = create_holder()
            grant_at(at(day(OCTOBER, 3)), holder.account, 100,
                make_terminal(make_store("枚方パン")))
            with clock.frozen(at(day(NOVEMBER, 2))):
                october, = Period.create([{'month': OCTOBER}])
                Period.compute([october])
            accountant = create_user('accountant', 'group_accountant')
            with as_user(accountant):
                _, content, _, _ = run_report(
                    'hirakata.settlement.reconciliation', [october.id])
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertTrue(sheet['B3'].value.startswith("未確定"),
            sheet['B3'].value)

    @with_transaction()
    def test_random_month_reconciles_with_the_ledger(self):
        """Many stores, programmes and community projects, cancellations
        across the month boundary: the invoice lines of each store,
        programme and project sum to its ledger movements of the
        month."""
        rng = random.Random(7)
        company = set_up_operator(fee_rate='3')
        with set_company(company):
            terminals = []
            for number in range(6):
                store = make_store("店舗 %d" % number,
                    grant_fee_rate=Decimal(rng.choice([0, 1, 2, 3])),
                    redeem_fee_rate=Decimal(rng.choice([0, 1, 2])),
                    settlement_method=rng.choice(['netting', 'gross']))
                terminals.append(make_terminal(store))
            programmes = [create_programme(code='P%d' % n)
                for n in range(4)]
            holders = [create_holder("市民 %d" % n) for n in range(10)]
            payee, = Pool().get('party.party').create([{
                        'name': "地域団体", 'addresses': [('create', [{
                                        'street_unstructured': "枚方市"}])]}])
            projects = [make_project('C%d' % n, "地域貢献 %d" % n,
                    payee=payee.id) for n in range(2)]
            entries = []
            days = [day(OCTOBER, 20) + dt.timedelta(days=n)
                for n in range(20)]
            for date in days:
                for _ in range(rng.randint(3, 7)):
                    holder = rng.choice(holders)
                    moment = at(date, rng.randint(8, 22))
                    if rng.random() < 0.55:
                        entries.append(grant_at(moment, holder.account,
                                rng.randint(1, 900),
                                rng.choice(terminals + programmes)))
                    elif holder.account.available and rng.random() < 0.8:
                        entries.append(redeem_at(moment, holder.account,
                                rng.randint(1, holder.account.available),
                                rng.choice(terminals)))
                    elif holder.account.available:
                        entries.append(donate(rng.choice(projects), holder,
                                rng.randint(1, holder.account.available),
                                moment=moment))
                    if entries and rng.random() < 0.2:
                        entry = rng.choice(entries)
                        try:
                            reverse_at(moment, entry)
                        except Exception:
                            pass  # already cancelled, or points spent
            october = settle(OCTOBER, at(day(NOVEMBER, 12)))
            assert_amounts_as_tryton_computes(self, october.invoices)
            self.assertEqual(invoiced_by_source(october),
                {k: Decimal(v) for k, v in ledger_movements(
                        OCTOBER, day(OCTOBER, 31)).items() if v})
            self.assertEqual({k[3] for k in invoiced_by_source(october)
                    if k[3]}, {p.id for p in projects})
            self.assertTrue(any(e.date.month == 11 and e.reversal_of
                    and e.reversal_of.date.month == 10 for e in
                    Pool().get('hirakata.point.entry').search([])))
            # The accountant's reconciliation shows the same, in yen.
            accountant = create_user('accountant', 'group_accountant')
            with as_user(accountant):
                oext, content, _, _ = run_report(
                    'hirakata.settlement.reconciliation', [october.id])
            ledger = ledger_movements(OCTOBER, day(OCTOBER, 31))
        self.assertEqual(oext, 'xlsx')
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual(sheet['A1'].value, "精算照合表 2026年10月")
        self.assertEqual(sheet['B3'].value, "一致")
        self.assertEqual([c.value for c in sheet[5]], ["協力店舗", "事業",
                "交通事業者", "地域貢献事業", "台帳（ポイント）",
                "請求明細（円）", "差額（円）"])
        rows = list(sheet.iter_rows(min_row=6, values_only=True))
        body, total = rows[:-1], rows[-1]
        self.assertEqual(len(body), len([v for v in ledger.values() if v]))
        self.assertTrue(all(r[6] == 0 and r[4] == r[5] for r in body))
        self.assertEqual((total[0], total[4]), ("合計", sum(ledger.values())))
        # printed on A4 landscape, every column on the page's width (one
        # page wide, as many long as the rows need)
        self.assertEqual((sheet.page_setup.paperSize,
                sheet.page_setup.orientation,
                sheet.page_setup.fitToWidth or 1,
                sheet.page_setup.fitToHeight,
                sheet.sheet_properties.pageSetUpPr.fitToPage),
            (9, 'landscape', 1, 0, True))
        self.assertTrue(to_pdf(content, 'reconciliation.xlsx').startswith(
                b'%PDF'))


del _DBTestCase
