"""Store statements, qualified invoices and who reads them (R24–R26,
issue 13): a statement per store of a confirmed month with the figures of
its lines and invoices, downloads that LibreOffice opens, and least
privilege for store staff, city staff, accountants and auditors."""
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from contextlib import contextmanager
from decimal import Decimal

import openpyxl
from lxml import etree

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user)
from trytond.modules.hirakata_points_pos.tests.test_module import store_user
from trytond.modules.hirakata_points_pos.tests.tools import (
    make_store, make_terminal)
from trytond.modules.hirakata_points_programme.tests.test_programme import (
    create_programme)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import at, grant_at, redeem_at, set_up_operator, settle

# LibreOffice (scripts/install --browser installs it for the tests).
SOFFICE = os.environ.get('SOFFICE', '/usr/bin/soffice')
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)
OPERATOR_NUMBER = 'T5835678256246'  # tools.set_up_operator
BAKERY_NUMBER = 'T6100000000001'
QUALIFIED_INVOICE = 'hirakata.settlement.qualified_invoice'
DOCUMENT = 'hirakata.settlement.statement.report'
SPREADSHEET = 'hirakata.settlement.statement.spreadsheet'
TEXT = 'urn:oasis:names:tc:opendocument:xmlns:text:1.0'


def day(month, number):
    return month.replace(day=number)


def confirmed_october():
    """A netting store (枚方パン, with a registration number) and a gross
    one (くずは書店), a city programme, October's movements, and October
    confirmed on 5 November. Inside set_company: (period, bakery, books)."""
    Period = Pool().get('hirakata.settlement.period')
    bakery = make_store("枚方パン", code='S001', grant_fee_rate=Decimal(3),
        redeem_fee_rate=Decimal(2))
    books = make_store("くずは書店", code='S002',
        grant_fee_rate=Decimal('2.5'), redeem_fee_rate=Decimal(1),
        settlement_method='gross')
    party = bakery.settlement_party()
    party.invoice_registration_number = BAKERY_NUMBER
    party.save()
    at_bakery, at_books = make_terminal(bakery), make_terminal(books)
    programme = create_programme()
    hanako, taro = create_holder("花子"), create_holder("太郎")
    grant_at(at(day(OCTOBER, 3)), hanako.account, 1070, at_bakery)
    grant_at(at(day(OCTOBER, 4)), taro.account, 400, at_books)
    grant_at(at(day(OCTOBER, 5)), hanako.account, 300, programme)
    redeem_at(at(day(OCTOBER, 6)), hanako.account, 500, at_books)
    redeem_at(at(day(OCTOBER, 7)), taro.account, 100, at_bakery)
    period = settle(OCTOBER, at(day(NOVEMBER, 5)))
    return Period(period.id), bakery, books


def odt_text(content):
    "The paragraphs of an ODT file, one a line."
    with zipfile.ZipFile(io.BytesIO(content)) as odt:
        root = etree.fromstring(odt.read('content.xml'))
    return '\n'.join(''.join(p.itertext())
        for p in root.iter('{%s}p' % TEXT))


def to_pdf(content, name):
    "Convert a document with LibreOffice: the PDF's bytes."
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, 'wb') as f:
            f.write(content)
        run = subprocess.run([SOFFICE, '--headless',
                '-env:UserInstallation=file://%s/profile' % folder,
                '--convert-to', 'pdf', '--outdir', folder, path],
            capture_output=True, timeout=180)
        pdf = os.path.splitext(path)[0] + '.pdf'
        assert run.returncode == 0 and os.path.exists(pdf), run
        if os.environ.get('HP_REPORTS'):
            # HP_REPORTS=<folder> keeps the documents and their PDFs.
            for kept in [path, pdf]:
                shutil.copy(kept, os.environ['HP_REPORTS'])
        with open(pdf, 'rb') as f:
            return f.read()


def pdf_pages(pdf):
    "How many pages a PDF LibreOffice made has."
    return len(re.findall(rb'/Type\s*/Page\b(?!s)', pdf))


@contextmanager
def as_user(user):
    "A client's call as user: access rights and record rules apply."
    with Transaction().set_user(user.id), \
            Transaction().set_context(_check_access=True):
        yield


def run_report(name, ids):
    """Execute report name on ids as sao does: with the action's id (the
    engine then checks the action's groups, the access and the rules)."""
    pool = Pool()
    ActionReport = pool.get('ir.action.report')
    Report = pool.get(name, type='report')
    with Transaction().set_user(0):
        action, = ActionReport.search([('report_name', '=', name)])
        data = {'action_id': action.id, 'model': action.model,
            'id': ids[0], 'ids': ids}
    return Report.execute(ids, data)


class StatementTestCase(_DBTestCase):
    "Store statements and qualified invoices"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    def statements(self, period):
        Statement = Pool().get('hirakata.settlement.statement')
        return {s.store.name: s for s in Statement.search(
                [('period', '=', period.id)])}

    @with_transaction()
    def test_statement_figures_are_the_lines_and_invoices_of_the_month(self):
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Statement = pool.get('hirakata.settlement.statement')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            statements = self.statements(period)
            self.assertEqual(sorted(statements), ["くずは書店", "枚方パン"])
            for name, statement in statements.items():
                store = statement.store
                lines = [l for l in period.lines if l.store == store]
                self.assertEqual(set(statement.lines), set(lines))
                self.assertEqual(statement.month, OCTOBER)
                self.assertEqual(statement.party, store.party)
                by_category = {l.category: l for l in lines}
                self.assertEqual(statement.granted_points,
                    by_category['store_grant'].points)
                self.assertEqual(statement.grant_fee,
                    by_category['store_grant_fee'].amount)
                self.assertEqual(statement.redeemed_points,
                    by_category['store_redeem'].points)
                self.assertEqual(statement.redeem_fee,
                    by_category['store_redeem_fee'].amount)
                invoices = [i for i in period.invoices
                    if i.party == store.party]
                self.assertEqual(set(statement.invoices), set(invoices))
                sign = {'out': 1, 'in': -1}
                self.assertEqual(statement.untaxed_amount,
                    sum(sign[i.type] * i.untaxed_amount for i in invoices))
                self.assertEqual(statement.untaxed_amount,
                    sum(l.amount for l in lines))
                self.assertEqual(statement.tax_amount,
                    sum(sign[i.type] * i.tax_amount for i in invoices))
                self.assertEqual(statement.balance,
                    sum(sign[i.type] * i.total_amount for i in invoices))
                self.assertEqual(set(statement.invoice_numbers.split(', ')),
                    {i.number for i in invoices})

            # netting: 1070 + 32 − 100 + 2, tax on the fees 34 → 3
            bakery_statement = statements["枚方パン"]
            self.assertEqual((bakery_statement.granted_points,
                    bakery_statement.grant_fee,
                    bakery_statement.redeemed_points,
                    bakery_statement.redeem_fee,
                    bakery_statement.tax_amount, bakery_statement.balance,
                    bakery_statement.payer, bakery_statement.amount_due),
                (1070, Decimal(32), 100, Decimal(2), Decimal(3),
                    Decimal(1007), 'store', Decimal(1007)))
            # gross: the invoice 400 + 10 + 5 + tax 1 (1.5, its fraction
            # dropped), the notice 500, each paid in full (84 is the
            # balance, nobody's to pay)
            books_statement = statements["くずは書店"]
            self.assertEqual((books_statement.tax_amount,
                    books_statement.balance, books_statement.payer,
                    books_statement.amount_due),
                (Decimal(1), Decimal(-84), 'both', None))
            self.assertEqual(len(books_statement.invoices), 2)

            # confirming again makes none twice; the city has none
            with clock.frozen(at(day(NOVEMBER, 6))):
                Period.confirm([period])
            self.assertEqual(len(Statement.search([])), 2)
            self.assertEqual(set(Period(period.id).statements),
                set(Statement.search([])))

    @with_transaction()
    def test_statements_are_made_only_when_the_month_is_confirmed(self):
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Statement = pool.get('hirakata.settlement.statement')
        company = set_up_operator()
        with set_company(company):
            store = make_store("枚方パン", grant_fee_rate=Decimal(3))
            grant_at(at(day(OCTOBER, 3)), create_holder("花子").account, 50,
                make_terminal(store))
            with clock.frozen(at(day(NOVEMBER, 5))):
                period, = Period.create([{'month': OCTOBER}])
                Period.compute([period])
                Period.review([period])
            self.assertEqual(Statement.search([]), [])
            with clock.frozen(at(day(NOVEMBER, 5))):
                Period.confirm([period])
            statement, = Statement.search([])
            self.assertEqual((statement.granted_points, statement.grant_fee,
                    statement.redeemed_points, statement.balance),
                (50, Decimal(1), 0, Decimal(51)))

    @with_transaction()
    def test_statement_spreadsheet_in_japanese_with_yen_and_dates(self):
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            statement = self.statements(period)["枚方パン"]
            # changed since the month was confirmed: the statement prints
            # them as they were
            bakery.name, bakery.settlement_method = "枚方パン 本店", 'gross'
            bakery.save()
            bakery.party.name = "株式会社枚方パン"
            bakery.party.save()
            user = store_user(bakery)
            with as_user(user):
                oext, content, _, name = run_report(SPREADSHEET,
                    [statement.id])
            with as_user(store_user(books)):
                _, gross, _, _ = run_report(SPREADSHEET,
                    [self.statements(period)["くずは書店"].id])
        # a gross store pays its invoice and is paid its payment notice:
        # the tax is the invoice's only, the balance for reference
        gross_cells = {row[0].value: row[1].value for row in
            openpyxl.load_workbook(io.BytesIO(gross)).active.iter_rows(
                min_col=1, max_col=2) if row[0].value}
        self.assertEqual(
            [gross_cells.get(label) for label in [
                    "差引（税込・円・参考）",
                    "協力店舗様から運営会社へお支払いいただく額（請求書）（税込）",
                    "運営会社から協力店舗様へお支払いする額（支払通知書）"]],
            [-84, 416, 500])
        self.assertEqual(oext, 'xlsx')
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual(sheet.title, "2026年10月")
        self.assertEqual(sheet['A1'].value, "協力店舗精算書")
        cells = {row[0].value: row[1] for row in sheet.iter_rows(
                min_col=1, max_col=2) if row[0].value}
        self.assertEqual(cells["協力店舗"].value, "枚方パン")
        self.assertEqual(cells["取引先"].value, "枚方パン")
        self.assertEqual(cells["精算方式"].value, "相殺（差額で精算）")
        self.assertEqual(cells["登録番号"].value, BAKERY_NUMBER)
        self.assertEqual(cells["発行者の登録番号"].value, OPERATOR_NUMBER)
        self.assertEqual(cells["期間（開始）"].value, dt.datetime(2026, 10, 1))
        self.assertEqual(cells["期間（終了）"].value,
            dt.datetime(2026, 10, 31))
        self.assertEqual(cells["期間（開始）"].number_format, 'yyyy/mm/dd')
        figures = {
            "付与ポイント": 1070, "付与手数料（円）": 32, "利用ポイント": 100,
            "利用手数料（円）": 2, "差引（税抜・円）": 1004,
            "消費税（円）": 3, "差引（税込・円）": 1007,
            "協力店舗様から運営会社へお支払いいただく額（税込）": 1007,
            }
        for label, value in figures.items():
            self.assertEqual(cells[label].value, value, label)
            self.assertEqual(cells[label].number_format, '#,##0', label)
        self.assertEqual(set(cells["請求書番号"].value.split(', ')),
            {i.number for i in statement.invoices})
        # the lines under their header, with the period's amounts
        rows = list(sheet.iter_rows(values_only=True))
        start = rows.index(("区分", "ポイント数", "手数料率（%）", "金額（円）"))
        lines = {r[0]: (r[1], r[2], r[3]) for r in rows[start + 1:start + 5]}
        self.assertEqual(lines, {
                "協力店舗の付与ポイント（原資）": (1070, None, 1070),
                "付与手数料": (1070, 3, 32),
                "協力店舗での利用ポイント": (100, None, -100),
                "利用手数料": (100, 2, 2),
                })
        # printed on A4, every column on one page
        self.assertEqual(sheet.page_setup.paperSize, 9)
        pdf = to_pdf(content, 'statement.xlsx')
        self.assertTrue(pdf.startswith(b'%PDF'))
        self.assertEqual(pdf_pages(pdf), 1)

    @with_transaction()
    def test_statement_document_opens_in_libreoffice(self):
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            statement = self.statements(period)["くずは書店"]
            user = create_user('accountant', 'group_accountant')
            with as_user(user):
                oext, content, _, name = run_report(DOCUMENT,
                    [statement.id])
        self.assertEqual(oext, 'odt')
        text = odt_text(content)
        for expected in ["協力店舗精算書", "くずは書店 御中", "2026年10月分",
                "期間: 2026/10/01〜2026/10/31", "総額（請求書と支払通知書）",
                "登録番号: " + OPERATOR_NUMBER, "協力店舗での利用ポイント",
                "-500"]:
            self.assertIn(expected, text)
        # the invoice carries the fees' tax; the points the store is paid
        # for, in the payment notice, carry none
        lines = text.splitlines()
        self.assertIn(
            "協力店舗様から運営会社へお支払いいただく額（請求書）　416 円（税込）",
            lines)
        self.assertIn(
            "運営会社から協力店舗様へお支払いする額（支払通知書）　500 円", lines)
        self.assertTrue(to_pdf(content, 'statement.odt').startswith(b'%PDF'))

    @with_transaction()
    def test_qualified_invoice_names_both_numbers_and_tax_per_rate(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            invoice, = Invoice.search([('party', '=', bakery.party.id)])
            user = create_user('accountant', 'group_accountant')
            with as_user(user):
                oext, content, _, name = run_report(QUALIFIED_INVOICE,
                    [invoice.id])
        self.assertEqual(oext, 'odt')
        self.assertEqual(name, "適格請求書-" + invoice.rec_name)
        text = odt_text(content)
        lines = text.splitlines()
        self.assertEqual(lines[0], "適格請求書")
        for expected in ["枚方パン 御中", "登録番号: " + BAKERY_NUMBER,
                "枚方ポイント運営株式会社", "登録番号: " + OPERATOR_NUMBER,
                "発行日: 2026/10/31", "番号: " + invoice.number,
                "取引期間: 2026/10/01〜2026/10/31",
                "ご請求金額　1,007 円（税込）"]:
            self.assertIn(expected, lines)
        # each line (its description, tax and amount in yen), then per
        # rate the total and the tax, then the totals
        table = lines[lines.index("内容"):]
        self.assertEqual(table[:3], ["内容", "税区分", "金額（円）"])
        self.assertEqual(table[3:15], [
                "協力店舗の付与ポイント（原資）（1,070ポイント）", "不課税", "1,070",
                "付与手数料（1,070ポイント × 3%）", "10%", "32",
                "協力店舗での利用ポイント（100ポイント）", "不課税", "-100",
                "利用手数料（100ポイント × 2%）", "10%", "2"])
        self.assertEqual(table[15:33], ["税率区分", "対象金額（税抜・円）",
                "消費税額（円）", "10%対象", "34", "3", "不課税", "970", "—",
                "小計（税抜）", "1,004", "", "消費税", "", "3",
                "合計（税込）", "1,007", ""])
        self.assertTrue(to_pdf(content, 'invoice.odt').startswith(b'%PDF'))

    @with_transaction()
    def test_qualified_invoice_printed_again_as_issued(self):
        "(its party renamed and numbered since: the copy kept is printed)"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            invoice, = Invoice.search([('party', '=', books.party.id),
                    ('type', '=', 'out')])
            user = create_user('accountant', 'group_accountant')
            with as_user(user):
                _, first, _, _ = run_report(QUALIFIED_INVOICE, [invoice.id])
            Party.write([books.party], {'name': "くずは書店（新社名）",
                    'invoice_registration_number': BAKERY_NUMBER})
            with as_user(user):
                _, again, _, _ = run_report(QUALIFIED_INVOICE, [invoice.id])
        self.assertEqual(bytes(again), bytes(first))
        text = odt_text(again)
        self.assertIn("くずは書店 御中", text)
        self.assertNotIn("新社名", text)
        self.assertNotIn(BAKERY_NUMBER, text)

    @with_transaction()
    def test_qualified_invoice_first_printed_late_names_as_issued(self):
        """The city's invoice, first printed after the city and the
        operator were renamed and moved: as they were at confirmation"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            invoice, = Invoice.search([('hirakata_city', '=', True)])
            city = invoice.party
            Party.write([city, company.party], {'name': "新しい名前",
                    'invoice_registration_number': BAKERY_NUMBER})
            pool.get('party.address').write(list(city.addresses),
                {'street_unstructured': "移転先"})
            user = create_user('accountant', 'group_accountant')
            with as_user(user):
                _, content, _, _ = run_report(QUALIFIED_INVOICE,
                    [invoice.id])
        lines = odt_text(content).splitlines()
        self.assertIn("枚方市 御中", lines)
        self.assertIn("大垣内町2-1-20", lines)
        self.assertIn("枚方ポイント運営株式会社", lines)
        self.assertIn("登録番号: " + OPERATOR_NUMBER, lines)
        for changed in ["新しい名前", "移転先", BAKERY_NUMBER]:
            self.assertNotIn(changed, '\n'.join(lines))

    @with_transaction()
    def test_netting_store_owed_money_gets_a_payment_notice(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            cafe = make_store("津田カフェ", code='S003',
                redeem_fee_rate=Decimal(2))
            hanako = create_holder("花子")
            grant_at(at(day(OCTOBER, 3)), hanako.account, 1000,
                create_programme())
            redeem_at(at(day(OCTOBER, 6)), hanako.account, 600,
                make_terminal(cafe))
            settle(OCTOBER, at(day(NOVEMBER, 5)))
            invoice, = Invoice.search([
                    ('party', '=', cafe.settlement_party().id)])
            _, content, _, name = run_report(QUALIFIED_INVOICE,
                [invoice.id])
        self.assertEqual(name, "支払通知書 兼 適格請求書-" + invoice.rec_name)
        lines = odt_text(content).splitlines()
        # 600 used, less the fee of 12 and its tax of 1
        self.assertEqual((invoice.type, invoice.total_amount),
            ('out', Decimal(-587)))
        self.assertEqual(lines[0], "支払通知書 兼 適格請求書")
        self.assertIn("差引お支払金額（当社からお支払いします）　587 円（税込）", lines)
        self.assertIn("利用手数料（600ポイント × 2%）", lines)

    @with_transaction()
    def test_tryton_invoice_report_prints_whole_yen(self):
        "Tryton's own invoice, printed by its accountants: unit prices in yen"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            invoice, = Invoice.search([('party', '=', bakery.party.id)])
            user = create_user('accountant', 'group_accountant')
            User.write([user], {'groups': [('add', [
                                ModelData.get_id('account', 'group_account')])]})
            with as_user(user):
                oext, content, _, _ = run_report('account.invoice',
                    [invoice.id])
        text = odt_text(content)
        self.assertIn("1,070", text)
        self.assertNotIn("1,070.0000", text)
        self.assertNotIn(".0000", text)

    @with_transaction()
    def test_city_invoice_without_number_and_payment_notice(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            city, = Invoice.search([('hirakata_city', '=', True)])
            notice, = Invoice.search([('type', '=', 'in')])
            _, content, _, _ = run_report(QUALIFIED_INVOICE, [city.id])
            city_lines = odt_text(content).splitlines()
            _, content, _, name = run_report(QUALIFIED_INVOICE,
                [notice.id])
            self.assertEqual(name, "支払通知書-" + notice.rec_name)
            notice_lines = odt_text(content).splitlines()
        self.assertEqual(city_lines[0], "適格請求書")
        self.assertIn("枚方市 御中", city_lines)
        # the city has no registration number: the issuer's only
        self.assertEqual([l for l in city_lines if l.startswith("登録番号")],
            ["登録番号: " + OPERATOR_NUMBER])
        # 300 points outside tax, the fee 15 with 1 tax (1.5, its fraction
        # dropped)
        self.assertIn("ご請求金額　316 円（税込）", city_lines)
        self.assertTrue(any(l.endswith("事業の付与ポイント（原資）（300ポイント）")
                for l in city_lines))
        self.assertIn("事業の付与ポイントの運営手数料（300ポイント × 5%）",
            city_lines)
        self.assertEqual(notice_lines[0], "支払通知書")
        self.assertIn("くずは書店 御中", notice_lines)
        self.assertIn("お支払金額　500 円", notice_lines)

    @with_transaction()
    def test_store_staff_read_and_download_their_own_statements_only(self):
        pool = Pool()
        Statement = pool.get('hirakata.settlement.statement')
        Line = pool.get('hirakata.settlement.line')
        Invoice = pool.get('account.invoice')
        Period = pool.get('hirakata.settlement.period')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            statements = self.statements(period)
            mine, other = statements["枚方パン"], statements["くずは書店"]
            user = store_user(bakery)
            with as_user(user):
                self.assertEqual(Statement.search([]), [mine])
                self.assertEqual(Statement.search(
                        [('store', '=', books.id)]), [])
                with self.assertRaises(AccessError):
                    Statement.read([other.id], ['balance'])
                for name in [DOCUMENT, SPREADSHEET]:
                    with self.assertRaises(AccessError):
                        run_report(name, [other.id])
                    run_report(name, [mine.id])
                self.assertEqual({l.store for l in Line.search([])},
                    {bakery})
                self.assertEqual(Statement(mine.id).lines, tuple(sorted(
                            Line.search([]), key=lambda l: l.id)))
                with self.assertRaises(AccessError):
                    Statement.write([Statement(mine.id)],
                        {'balance': Decimal(0)})
                with self.assertRaises(AccessError):
                    Period.search([])
                # Their invoices only (test_roles.py)
                self.assertEqual(Invoice.search([]), [
                        i for i in period.invoices if i.party == bakery.party])
                with self.assertRaises(AccessError):
                    run_report(QUALIFIED_INVOICE, [next(i
                                for i in period.invoices
                                if i.party != bakery.party).id])

    @with_transaction()
    def test_store_staff_form_hides_what_they_may_not_read(self):
        Statement = Pool().get('hirakata.settlement.statement')
        company = set_up_operator()
        with set_company(company):
            user = store_user(make_store("枚方パン"))
            with as_user(user):
                fields = Statement.fields_view_get(view_type='form')[
                    'fields']
        self.assertNotIn('period', fields)
        # their store's invoices they read (test_roles.py)
        self.assertIn('invoices', fields)
        self.assertIn('lines', fields)
        self.assertIn('balance', fields)

    @with_transaction()
    def test_city_staff_read_the_city_invoices_only(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        InvoiceTax = pool.get('account.invoice.tax')
        Statement = pool.get('hirakata.settlement.statement')
        Line = pool.get('hirakata.settlement.line')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            city, = Invoice.search([('hirakata_city', '=', True)])
            stores = [i for i in period.invoices if i != city]
            user = create_user('city', 'group_city_staff')
            with as_user(user):
                self.assertEqual(Invoice.search([]), [city])
                self.assertEqual(Invoice.search(
                        [('hirakata_period', '!=', None)]), [city])
                self.assertEqual({l.invoice for l in InvoiceLine.search([])},
                    {city})
                self.assertEqual({t.invoice for t in InvoiceTax.search([])},
                    {city})
                with self.assertRaises(AccessError):
                    Invoice.read([stores[0].id], ['total_amount'])
                with self.assertRaises(AccessError):
                    InvoiceLine.read([stores[0].lines[0].id], ['amount'])
                with self.assertRaises(AccessError):
                    run_report(QUALIFIED_INVOICE, [stores[0].id])
                run_report(QUALIFIED_INVOICE, [city.id])
                with self.assertRaises(AccessError):
                    Invoice.write([Invoice(city.id)], {'description': "x"})
                for Model in [Statement, Line]:
                    with self.assertRaises(AccessError):
                        Model.search([])
                for name in [DOCUMENT, SPREADSHEET]:
                    with self.assertRaises(AccessError):
                        run_report(name,
                            [self.statements(period)["枚方パン"].id])

    @with_transaction()
    def test_accountants_and_auditors_read_all_auditors_change_nothing(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Statement = pool.get('hirakata.settlement.statement')
        Period = pool.get('hirakata.settlement.period')
        company = set_up_operator(fee_rate='5')
        with set_company(company):
            period, bakery, books = confirmed_october()
            accountant = create_user('accountant', 'group_accountant')
            auditor = create_user('auditor', 'group_auditor')
            for user in [accountant, auditor]:
                with as_user(user):
                    self.assertEqual(len(Invoice.search([])), 4)
                    self.assertEqual(len(InvoiceLine.search([])),
                        sum(len(i.lines) for i in period.invoices))
                    self.assertEqual(len(Statement.search([])), 2)
                    for statement in Statement.search([]):
                        run_report(SPREADSHEET, [statement.id])
                    for invoice in Invoice.search([]):
                        run_report(QUALIFIED_INVOICE, [invoice.id])
                    with self.assertRaises(AccessError):
                        Statement.write(Statement.search([]),
                            {'balance': Decimal(0)})
                    with self.assertRaises(AccessError):
                        Statement.delete(Statement.search([]))
                    with self.assertRaises(AccessError):
                        Invoice.write(Invoice.search([], limit=1),
                            {'description': "x"})
            with as_user(accountant):
                november, = Period.create([{'month': NOVEMBER}])
            with as_user(auditor):
                with self.assertRaises(AccessError):
                    Period.create([{'month': dt.date(2026, 12, 1)}])
                with self.assertRaises(AccessButtonError):
                    Period.compute([Period(november.id)])

    @with_transaction()
    def test_settlement_menu_of_store_and_city_staff(self):
        pool = Pool()
        Menu = pool.get('ir.ui.menu')
        Data = pool.get('ir.model.data')
        settlement = Data.get_id('hirakata_points_settlement',
            'menu_settlement')
        company = set_up_operator()
        with set_company(company):
            users = {
                'store': store_user(make_store("枚方パン")),
                'city': create_user('city', 'group_city_staff'),
                'auditor': create_user('auditor', 'group_auditor'),
                'operator': create_user('operator', 'group_operator'),
                }
            seen = {}
            for name, user in users.items():
                with as_user(user):
                    seen[name] = sorted(m.name for m in Menu.search(
                            [('parent', '=', settlement)]))
        self.assertEqual(seen['store'],
            ["Settlement Invoices", "Store Statements"])
        self.assertEqual(seen['city'], ["Settlement Invoices"])
        self.assertIn("Store Statements", seen['auditor'])
        self.assertIn("Settlement Invoices", seen['auditor'])
        self.assertEqual(seen['operator'], [])


del _DBTestCase
