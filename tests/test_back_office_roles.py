"""Each role's main tasks in the back office, as its users do them: signed
in to sao in headless Chromium, clicking menus, typing into forms, pressing
buttons. Every test fails on a script error in the console and on an error
or warning dialog. One browser and one database (the demo's users and
data, built once) for the whole class.

docs/architecture.md's table of roles says who does what.
"""
import datetime as dt
import os
import random
import re
import sys
import unittest
import uuid

from selenium.webdriver.common.by import By
from trytond import backend
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.browser import (
    ROOT, SCREENSHOTS)
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_settlement.demo import (
    load_books_committed)
from trytond.modules.hirakata_points_settlement.payment import next_bank_day
from trytond.modules.hirakata_points_settlement.tests.tools import committed
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from .sao import BackOfficeServerMixin, Sao

sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import demo_data  # noqa: E402


def exchange_settled():
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Item = pool.get('hirakata.exchange.item')
    Ledger = pool.get('hirakata.point.ledger')
    Period = pool.get('hirakata.settlement.period')
    Request = pool.get('hirakata.exchange.request')
    User = pool.get('res.user')
    Invoice = pool.get('account.invoice')
    holder = Holder.search([], limit=1)[0]
    Ledger.grant(holder.account, 500, key=uuid.uuid4().hex,
        channel='backoffice', reason="交換のため")
    coupon, = Item.search([('code', '=', 'TAXI-500')])
    Request.exchange(holder, coupon, key=uuid.uuid4().hex,
        channel='backoffice')
    month = clock.today().replace(day=1)
    month_end = (month + dt.timedelta(days=32)).replace(
        day=1) - dt.timedelta(days=1)
    accountant, = User.search([('login', '=', 'accountant')])
    with Transaction().set_user(accountant.id), clock.frozen(
            dt.datetime.combine(month_end + dt.timedelta(days=2),
                dt.time(3))):
        period, = Period.search([('month', '=', month)]) or (
            Period.create([{'month': month}]))
        Period.compute([period])
        Period.review([period])
        Period.confirm([period])
    invoice, = Invoice.search([('hirakata_period', '=', period.id),
            ('party.name', '=', "ひらかた交通株式会社")])
    return month_end, int(invoice.total_amount)


@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class BackOfficeRolesTestCase(BackOfficeServerMixin, RouteTestCase):
    "Each role's main tasks in sao"
    module = 'hirakata_points_portal'
    extras = ['hirakata_points_pos', 'hirakata_points_programme',
        'hirakata_points_settlement']

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        random.seed(20261202)
        # As scripts/demo_data.py runs it: as root, not as admin.
        with Transaction().set_user(0):
            demo_data.load(holders_count=8)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_books_committed(DB_NAME)

    def setUp(self):
        super().setUp()
        self.sao = Sao(self.driver, self.server.root, self.db_name)
        self.sao.console_errors()  # what an earlier test left
        # Run last to first: leave the page (sao saves its state as it
        # goes, which the next test's first check drops), then forget the
        # session.
        self.addCleanup(self.driver.get, 'about:blank')
        self.addCleanup(self.driver.execute_script,
            'localStorage.clear(); sessionStorage.clear();')

    def tearDown(self):
        if os.environ.get('HP_FAILED_SCREENS'):
            self.driver.save_screenshot(os.path.join(
                    os.environ['HP_FAILED_SCREENS'], self.id() + '.png'))
        super().tearDown()

    def sign_in(self, login):
        self.sao.sign_in(login, login + '-demo')

    def check(self):
        "No error dialog, no script error so far."
        self.assertEqual(self.sao.dialog_errors(), [])
        self.assertEqual(self.sao.console_errors(), [])

    def screenshot(self, name):
        if SCREENSHOTS:
            self.driver.save_screenshot(os.path.join(SCREENSHOTS,
                    'backoffice-%s.png' % name))

    def test_programme_drafted_approved_and_opened(self):
        "City staff draft and submit; the approver approves; staff open it"
        sao = self.sao
        self.sign_in('city')
        sao.open_menu("ポイント制度", "事業", "事業")
        sao.toolbar('new_')
        sao.fill(code='K-900', name="ひらかた健康体操教室",
            start_date='2027/01/05', end_date='2027/03/31', budget=20000,
            points=30)
        sao.choose(type="教室・講座", department="健康づくり課")
        sao.add_line("開催回", date='2027/01/12', name="第1回")
        sao.toolbar('save')
        self.check()
        sao.press("申請")
        self.assertEqual(sao.value('state', "申請済"), "申請済")
        self.screenshot('programme-city-staff')
        self.check()
        sao.sign_out()

        self.sign_in('approver')
        sao.open_menu("ポイント制度", "事業", "事業")
        sao.open_record('K-900')
        sao.press("承認")
        self.assertEqual(sao.value('state', "承認済"), "承認済")
        sao.open_page("履歴")
        self.assertEqual(sao.value('approved_by', "市 承認者"), "市 承認者")
        self.screenshot('programme-approver')
        self.check()
        sao.sign_out()

        self.sign_in('city')
        sao.open_menu("ポイント制度", "事業", "事業")
        sao.open_record('K-900')
        sao.press("受付開始")
        self.assertEqual(sao.value('state', "受付中"), "受付中")
        self.check()

    def test_store_approved_activated_and_its_terminal_registered(self):
        """The operator registers a store's application, the city approves
        it, the operator activates it and registers its terminal"""
        sao = self.sao
        self.sign_in('operator')
        sao.open_menu("ポイント制度", "協力店舗", "協力店舗")
        sao.toolbar('new_')
        sao.fill(name="ひらかた茶舗", address="大阪府枚方市岡本町",
            opening_hours="10:00-18:00")
        sao.choose(category="食料品", district="枚方小学校区")
        sao.toolbar('save')
        self.check()
        self.assertEqual(sao.value('state', "申請中"), "申請中")
        sao.sign_out()

        self.sign_in('approver')
        sao.open_menu("ポイント制度", "協力店舗", "協力店舗")
        sao.open_record("ひらかた茶舗")
        sao.press("承認")
        self.assertEqual(sao.value('state', "承認済"), "承認済")
        self.check()
        sao.sign_out()

        self.sign_in('operator')
        sao.open_menu("ポイント制度", "協力店舗", "協力店舗")
        sao.open_record("ひらかた茶舗")
        sao.press("稼働開始")
        self.assertEqual(sao.value('state', "稼働中"), "稼働中")
        self.check()

        sao.open_menu("ポイント制度", "協力店舗", "端末")
        sao.toolbar('new_')
        sao.fill(name="レジ1")
        sao.choose(store="ひらかた茶舗")
        sao.toolbar('save')
        self.check()
        code = sao.wait(lambda d: sao.value('activation_code'))
        self.assertRegex(code, r'\S{8,}')
        self.screenshot('terminal-operator')
        # The code the operator reads activates the terminal.
        response = self.client().post(
            '/%s/hirakata/api/v1/terminal/activate' % self.db_name,
            json={'code': code})
        self.assertEqual(response.status_code, 200, response.text)

    def test_store_staff_see_their_store_terminals_and_campaigns(self):
        "Store staff open their own store and nobody else's"
        sao = self.sao
        self.sign_in('store')
        sao.open_menu("ポイント制度", "協力店舗", "協力店舗")
        rows = sao.rows()
        self.assertEqual(len(rows), 1, rows)
        self.assertIn("ひらかた青果店", rows[0])
        sao.open_record("ひらかた青果店")
        self.assertIn("シニア応援ダブルポイント", sao.tab().text)
        sao.open_page("端末")
        self.assertIn("レジ1", sao.tab().text)
        self.screenshot('store-staff-own-store')
        self.check()

    def test_card_blocked_and_reissued(self):
        "The operator blocks a lost card and re-issues one to its holder"
        sao = self.sao
        self.sign_in('operator')
        sao.open_menu("ポイント制度", "カード")
        sao.open_first()
        holder = sao.value('holder')
        sao.press("利用停止", confirm=True)
        self.assertEqual(sao.value('state', "停止中"), "停止中")
        sao.press("再発行")
        sao.fill(reason="紛失", technology="FeliCa",
            identifier='0123456789ABCDEF')
        sao.press("再発行")
        self.check()
        self.assertTrue(sao.wait(lambda d: sao.value('replaced_by')))
        sao.open_menu("ポイント制度", "カード")
        sao.open_record('0123456789ABCDEF')
        self.assertEqual(sao.value('holder', holder), holder)
        self.assertEqual(sao.value('state', "利用中"), "利用中")
        self.screenshot('card-operator')
        self.check()

    def test_accountant_reads_the_ledger(self):
        "The accountant finds the ledger and its entries, read only"
        sao = self.sao
        self.sign_in('accountant')
        sao.open_menu("ポイント制度", "ポイント台帳")
        self.assertTrue(sao.rows())
        sao.open_first()
        self.assertFalse(sao.toolbar_enabled('new_'))
        self.screenshot('ledger-accountant')
        self.check()

    def test_accountant_confirms_last_months_settlement(self):
        """The accountant reviews and confirms last month's computed
        settlement; its invoices are there, posted"""
        sao = self.sao
        self.sign_in('accountant')
        sao.open_menu("精算", "月次精算")
        self.assertTrue(sao.rows())
        sao.open_record("計算済")
        self.assertTrue(sao.rows())  # the month's lines
        sao.press("確認済にする")
        self.assertEqual(sao.value('state', "確認済"), "確認済")
        sao.press("確定", confirm=True)
        self.assertEqual(sao.value('state', "確定済"), "確定済")
        sao.open_page("請求書")
        self.assertTrue(any("記帳済" in row for row in sao.rows()))
        sao.open_page("履歴")
        self.assertEqual(sao.value('confirmed_by', "経理 担当"), "経理 担当")
        self.screenshot('settlement-accountant')
        self.check()

    def test_accountant_computes_and_reviews_this_months_settlement(self):
        """The accountant opens 精算 → 月次精算, makes this month's period,
        computes it and marks it reviewed"""
        with Transaction().start(DB_NAME, 0):
            month = clock.today().replace(day=1)
        sao = self.sao
        self.sign_in('accountant')
        sao.open_menu("精算", "月次精算")
        sao.toolbar('new_')
        sao.fill(month=month.strftime('%Y/%m/%d'))
        sao.toolbar('save')
        self.check()
        sao.press("計算")
        self.assertEqual(sao.value('state', "計算済"), "計算済")
        self.assertTrue(sao.rows())  # the month so far, line by line
        sao.press("確認済にする")
        self.assertEqual(sao.value('state', "確認済"), "確認済")
        sao.open_page("履歴")
        self.assertEqual(sao.value('computed_by', "経理 担当"), "経理 担当")
        self.assertEqual(sao.value('reviewed_by', "経理 担当"), "経理 担当")
        self.screenshot('settlement-computed-accountant')
        self.check()

    def test_accountant_pays_the_transit_operator_by_zengin_file(self):
        """Once a month is confirmed, the accountant pays what the operator
        owes a transit operator: 支払対象明細 → 支払 (the transfer date
        proposed), 申請, 承認, 処理; the payment group keeps the Zengin
        file"""
        month_end, payment = self.settle_an_exchange()
        # the confirmed month's next working days: the clock (the
        # server's too) stays there for the payment's transfer date
        with clock.frozen(dt.datetime.combine(
                    month_end + dt.timedelta(days=2), dt.time(3))):
            proposed = next_bank_day(month_end + dt.timedelta(days=2))
            sao = self.sao
            self.sign_in('accountant')
            sao.open_menu("財務会計", "支払", "支払対象明細")
            # (the months before may owe it too)
            row = self.wait_row("ひらかた交通株式会社", '{:,}'.format(payment))
            row.find_element(By.CSS_SELECTOR, 'input[type=checkbox]').click()
            sao.tab().find_element(By.CSS_SELECTOR,
                'nav.toolbar button#action').click()
            sao.wait(lambda d: next((a for a in d.find_elements(
                            By.CSS_SELECTOR, '.dropdown-menu a')
                        if a.is_displayed() and a.text == "支払"), False)
                ).click()
            sao.idle()
            self.assertEqual(sao.value('date'),
                proposed.strftime('%Y/%m/%d'))
            sao.button("支払", scope=sao.scope()).click()  # the date
            sao.idle()
            sao.button("支払", scope=sao.scope()).click()  # the journal
            sao.idle()
            sao.open_first()
            self.assertEqual(sao.value('amount'), '{:,}'.format(payment))
            sao.press("申請")
            sao.press("承認")
            sao.press("処理", confirm=True)
            self.assertTrue(sao.rows())  # the payment group, opened
            sao.open_first()
            self.screenshot('payment-group-accountant')
            self.check()
        with Transaction().start(DB_NAME, 0):
            Group = Pool().get('account.payment.group')
            group, = Group.search([], order=[('id', 'DESC')], limit=1)
            records = bytes(group.zengin_file).split(b'\r\n')
        header, data, trailer, end = (r.decode('cp932') for r in records[:4])
        self.assertEqual(records[4:], [b''])
        self.assertEqual(header[54:58], proposed.strftime('%m%d'))
        self.assertEqual(data[50:80].rstrip(), "ﾋﾗｶﾀｺｳﾂｳ(ｶ")
        self.assertEqual(int(data[80:90]), payment)
        self.assertEqual((int(trailer[1:7]), int(trailer[7:19])),
            (1, payment))

    def wait_row(self, *cells):
        "The row of the list shown whose cells show cells."
        return self.sao.wait(lambda d: next((r for r in self.sao.tab(
                        ).find_elements(By.CSS_SELECTOR, '.treeview tbody tr')
                    if r.is_displayed()
                    and set(cells) <= set(r.text.splitlines())), False))

    def settle_an_exchange(self):
        """A resident exchanges a taxi coupon at the desk this month, which
        is then settled (computed, reviewed and confirmed on the next
        month's 2nd, as the accountant): (the month's last day, what the
        operator owes the transit operator for the month)."""
        return committed(exchange_settled, user=0)

    def test_allocation_proposed_by_city_staff_approved_by_approver(self):
        """City staff propose an allocation of expired points; a city
        approver approves it"""
        with Transaction().start(DB_NAME, 0) as transaction:
            Project = Pool().get('hirakata.community.project')
            Project.create([{'code': 'K-ROLES', 'name': "子ども食堂 ひらかた"}])
            transaction.commit()
        sao = self.sao
        self.sign_in('city')
        sao.open_menu("ポイント制度", "地域貢献事業", "失効ポイントの配分")
        sao.toolbar('new_')
        sao.choose(project=("子ども食堂", "K-ROLES 子ども食堂 ひらかた"))
        sao.fill(points=1, description="食材費の支援")
        sao.toolbar('save')
        self.check()
        self.assertEqual(sao.value('proposed_by', "市 担当課職員"), "市 担当課職員")
        sao.sign_out()

        self.sign_in('approver')
        sao.open_menu("ポイント制度", "地域貢献事業", "失効ポイントの配分")
        sao.open_record("K-ROLES 子ども食堂 ひらかた")
        sao.press("承認", confirm=True)
        self.assertEqual(sao.value('state', "承認済"), "承認済")
        self.assertEqual(sao.value('approved_by', "市 承認者"), "市 承認者")
        self.screenshot('allocation-approver')
        self.check()

    def test_project_listed_by_city_staff_paid_where_accountant_says(self):
        """City staff list a community project, its payee read-only for
        them; the accountant chooses the party it is paid to"""
        with Transaction().start(DB_NAME, 0) as transaction:
            Party = Pool().get('party.party')
            Party.create([{'name': "ひらかた食堂ネットワーク",
                        'addresses': [('create', [{
                                        'street_unstructured': "枚方市"}])]}])
            transaction.commit()
        sao = self.sao
        self.sign_in('city')
        sao.open_menu("ポイント制度", "地域貢献事業", "地域貢献事業")
        sao.toolbar('new_')
        sao.fill(code='K-PAYEE', name="ひらかた食堂",
            organiser="ひらかた食堂ネットワーク")
        self.assertFalse(self.editable('payee'))
        self.assertTrue(self.editable('name'))
        sao.toolbar('save')
        self.check()
        sao.sign_out()

        self.sign_in('accountant')
        sao.open_menu("ポイント制度", "地域貢献事業", "地域貢献事業")
        sao.open_record("ひらかた食堂")
        self.assertTrue(self.editable('payee'))
        # the rest of the project is the city's
        self.assertFalse(any(self.editable(n)
                for n in ['code', 'name', 'organiser']))
        sao.choose(payee=("食堂ネット", "ひらかた食堂ネットワーク"))
        sao.toolbar('save')
        self.check()
        self.assertEqual(sao.value('payee_set_by', "経理 担当"), "経理 担当")
        self.screenshot('project-payee-accountant')
        with Transaction().start(DB_NAME, 0):
            Project = Pool().get('hirakata.community.project')
            project, = Project.search([('code', '=', 'K-PAYEE')])
            self.assertEqual((project.payee.name, project.name),
                ("ひらかた食堂ネットワーク", "ひらかた食堂"))

    def test_project_and_settlement_screens_open_for_who_reads_them(self):
        """The projects' list and form open for the accountant and the
        auditor, the settlement's configuration for the accountant, with
        no script error"""
        sao = self.sao
        for login in ['accountant', 'auditor']:
            self.sign_in(login)
            sao.open_menu("ポイント制度", "地域貢献事業", "地域貢献事業")
            self.assertTrue(sao.rows())
            sao.open_first()
            self.check()
            if login == 'accountant':
                sao.open_menu("精算", "精算の設定")
                self.assertEqual(sao.value('expired_points_to'),
                    "運営会社の収入")
                self.check()
            sao.sign_out()

    def editable(self, name):
        "Whether the open form's field name takes input."
        field = self.sao.field(name)
        return field.is_enabled() and not field.get_attribute('readonly')

    def test_store_staff_see_their_own_invoices_only(self):
        "Store staff open 精算の請求書 and find their store's invoices only"
        sao = self.sao
        self.sign_in('store')
        sao.open_menu("精算", "精算の請求書")
        rows = sao.rows()
        self.assertTrue(rows)
        parties = set(self.column("取引先"))
        self.assertEqual(parties, {"ひらかた青果店"}, rows)
        sao.open_first()
        self.assertEqual(sao.value('hirakata_store', "ひらかた青果店"),
            "ひらかた青果店")
        self.screenshot('invoices-store-staff')
        self.check()

    def test_auditor_reads_holders_and_programmes(self):
        "The auditor reads holders and programmes, and changes nothing"
        sao = self.sao
        self.sign_in('auditor')
        sao.open_menu("ポイント制度", "利用者")
        self.assertTrue(sao.rows())
        self.assertFalse(sao.toolbar_enabled('new_'))
        sao.open_menu("ポイント制度", "事業", "事業")
        self.assertTrue(sao.rows())
        self.screenshot('programmes-auditor')
        self.check()

    def column(self, title):
        """The texts of the visible list's column headed title, as shown."""
        return self.driver.execute_script(COLUMN, self.sao.tab(), title)

    def test_amounts_read_as_yen(self):
        """Points and yen show as whole numbers with thousands separators
        (1,234,567), never with decimals"""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Holder = pool.get('hirakata.holder')
            Ledger = pool.get('hirakata.point.ledger')
            holder = Holder.search([], limit=1)[0]
            Ledger.grant(holder.account, 1234567, key='amounts-read-as-yen',
                channel='backoffice', origin=None, reason="表示の確認")
            transaction.commit()
        sao = self.sao
        self.sign_in('accountant')
        sao.open_menu("ポイント制度", "ポイント台帳")
        self.assertTrue(sao.rows())
        for title in ["ポイント数", "処理後残高"]:
            shown = self.column(title)
            self.assertTrue(shown, title)
            self.assertTrue(all(WHOLE_YEN.match(p) for p in shown), shown)
        self.assertIn("1,234,567", self.column("ポイント数"))
        sao.open_menu("精算", "月次精算")
        months = self.column("対象月")
        self.assertTrue(months)
        # A month reads as one (2026年10月), not as its first day.
        self.assertTrue(all(re.match(r'^\d{4}年\d{2}月$', m) for m in months),
            months)
        sao.open_record("確定済")
        sao.open_page("請求書")
        self.assertTrue(sao.rows())
        totals = self.column("合計")
        self.assertTrue(totals)
        self.assertTrue(all(WHOLE_YEN.match(t) for t in totals), totals)
        self.screenshot('amounts-accountant')
        # An invoice's line, opened: its unit price in yen too.
        sao.open_menu("精算", "精算の請求書")
        sao.open_first()
        sao.open_first()
        unit_price = sao.value('unit_price')
        self.assertTrue(WHOLE_YEN.match(unit_price), unit_price)
        self.check()


# A whole amount as shown: optional yen sign, digits grouped by three.
WHOLE_YEN = re.compile(r'^[¥￥]?\s?-?\d{1,3}(,\d{3})*$')
# The cells of the column headed arguments[1] in the list of arguments[0].
COLUMN = """
const [tab, title] = arguments;
for (const table of tab.querySelectorAll('.treeview table')) {
    if (!table.offsetParent) continue;
    const heads = [...table.querySelectorAll('thead th')];
    const i = heads.findIndex(th => th.innerText.trim() == title);
    if (i < 0) continue;
    // (not the "more" row at the end of a long list: one cell)
    return [...table.querySelectorAll('tbody tr')].filter(
            tr => tr.offsetParent && tr.children.length == heads.length
                && tr.innerText.trim()).map(
        tr => tr.children[i].innerText.trim());
}
return [];
"""

del RouteTestCase
