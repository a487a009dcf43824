"""The terminal web app in headless Chromium: every screen, the network
failing under it, a revoked terminal, the kiosk mode, and an
axe-core check of WCAG 2.1 AA on each screen (R1, R15, R31b)."""
import time
import unittest

from trytond import backend
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos import api
from trytond.modules.hirakata_points.tests.browser import (
    BrowserMixin, Server, chromium)
from trytond.modules.hirakata_points_pos.tests.tools import (
    activate, make_city_terminal, make_holder, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

IDM = '0123456789ABCDEF'


class TerminalAppMixin(BrowserMixin):
    "The app served from the test database, and a tablet's browser."

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server()
        cls.driver = chromium()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        super().tearDownClass()

    def tap(self, identifier=IDM):
        "A card read: as a USB scanner or a clerk types it."
        self.type_into('card-number', identifier)


# The app's HTTP server answers from another thread; SQLite's in-memory
# test database exists only in the test's own connection.
@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class TerminalAppTestCase(TerminalAppMixin, RouteTestCase):
    "The terminal web app"
    module = 'hirakata_points_pos'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        load_japanese()
        store = make_store("ひらかた青果店", yen_per_point=100)
        pin_store = make_store("津田スーパー", clerk_pin_required=True)
        pool.get('hirakata.store.clerk').create([{'store': pin_store.id,
                    'number': '07', 'name': "店員 七号", 'pin': '2580'}])
        terminals = {
            'main': make_terminal(store),
            'pin': make_terminal(pin_store, "共用レジ"),
            'revoked': make_terminal(store, "盗難端末"),
            'kiosk': make_city_terminal('kiosk', "市役所ロビー"),
            }
        cls.credentials = activate(terminals)
        cls.revoked_id = terminals['revoked'].id
        cls.code = make_terminal(store, "新しい端末").activation_code
        cls.card = make_holder("山田 太郎", "ヤマダ タロウ", IDM,
            points=1000).id

    def balance(self):
        with Transaction().start(DB_NAME, 0):
            Card = Pool().get('hirakata.card')
            return Card(self.card).account.balance

    def entries(self, kind):
        with Transaction().start(DB_NAME, 0):
            Entry = Pool().get('hirakata.point.entry')
            Card = Pool().get('hirakata.card')
            return Entry.search([('account', '=', Card(self.card).account),
                    ('kind', '=', kind)], count=True)

    def test_activation_with_the_one_time_code(self):
        self.open_app()
        self.wait_text("12文字の利用開始コード")
        self.check_accessibility('activation')
        self.type_into('code', 'ABCD-EFGH-JKMN')
        self.wait_text("利用開始コードが正しくないか")
        # As a clerk may type it: lower case, without the hyphens.
        self.type_into('code', self.code.replace('-', '').lower())
        self.wait_text("カードまたはQRコードを読み取ってください")
        self.assertIn("ひらかた青果店", self.driver.title + self.wait_text(
                "ひらかた青果店"))
        self.check_accessibility('card')
        # Once activated it opens straight on the card screen.
        self.driver.refresh()
        self.wait_text("カードまたはQRコードを読み取ってください")

    def test_grant_shows_points_before_confirming(self):
        self.open_app(self.credentials['main'])
        self.tap()
        self.wait_text("ヤマダ ●● 様")
        self.check_accessibility('holder')
        before = self.balance()
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(1550)
        self.wait_text("1,550円")
        self.check_accessibility('amount')
        self.click("次へ")
        self.wait_text("付けるポイントの確認")
        self.assertIn("15ポイント", self.wait_text("100円ごとに1ポイント"))
        self.check_accessibility('grant-confirm')
        self.assertEqual(self.balance(), before)
        self.click("確定する")
        text = self.wait_text("完了しました")
        self.assertIn("15ポイントを付けました", text)
        self.assertIn("残高：%s" % format(before + 15, ','), text)
        self.check_accessibility('done')
        self.assertEqual(self.balance(), before + 15)

    def test_clerk_signs_in_before_the_first_sale(self):
        self.open_app(self.credentials['pin'])
        self.wait_text("店員のサインイン")
        self.check_accessibility('clerk-sign-in')
        self.type_into('clerk-number', '07', submit=False)
        self.type_into('clerk-pin', '0000')
        self.wait_text("店員番号または暗証番号が正しくありません")
        self.check_accessibility('clerk-sign-in-error')
        self.type_into('clerk-pin', '2580')
        self.wait_text("カードまたはQRコードを読み取ってください")
        before = self.entries('grant')
        self.tap()
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(500)
        self.click("次へ")
        self.click("確定する")
        self.wait_text("完了しました")
        with Transaction().start(DB_NAME, 0):
            Entry = Pool().get('hirakata.point.entry')
            entry, = Entry.search([('kind', '=', 'grant')],
                order=[('id', 'DESC')], limit=1)
            self.assertEqual(entry.clerk.name, "店員 七号")
        self.assertEqual(self.entries('grant'), before + 1)
        self.click("次のお客様")
        self.click("店員のサインアウト")
        self.wait_text("店員のサインイン")

    def test_redeem_within_the_balance(self):
        self.open_app(self.credentials['main'])
        self.tap()
        self.wait_text("ヤマダ ●● 様")
        before = self.balance()
        self.click("ポイントを使う")
        self.wait_text("使えるポイント：%sポイント" % format(before, ','))
        self.pad(30)
        self.check_accessibility('redeem')
        self.click("次へ")
        self.click("確定する")
        self.assertIn("30ポイントを使いました", self.wait_text("完了しました"))
        self.assertEqual(self.balance(), before - 30)

    def test_redeem_over_the_balance_refused_in_japanese(self):
        self.open_app(self.credentials['main'])
        self.tap()
        self.wait_text("ヤマダ ●● 様")
        before = self.balance()
        self.click("ポイントを使う")
        self.pad(before + 1)
        self.click("次へ")
        self.click("確定する")
        self.wait_text("できませんでした")
        self.wait_text("ポイントが不足しています")
        self.check_accessibility('error')
        self.assertEqual(self.balance(), before)

    def test_cancel_a_recent_transaction_with_a_reason(self):
        self.open_app(self.credentials['main'])
        self.tap()
        self.click("ポイントを使う")
        self.pad(7)
        self.click("次へ")
        self.click("確定する")
        self.wait_text("完了しました")
        after_redeem = self.balance()
        self.click("次のお客様")
        self.click("取引の取消")
        self.wait_text("取り消す取引を選んでください")
        self.check_accessibility('cancel-list')
        self.driver.find_element('xpath',
            '//li/button[contains(., "利用 7ポイント")]').click()
        self.wait_text("取消の理由")
        self.click("お客様のご要望")
        self.check_accessibility('cancel-reason')
        self.click("取り消す")
        self.wait_text("取り消しました")
        self.assertEqual(self.balance(), after_redeem + 7)

    def test_totals_of_the_day(self):
        self.open_app(self.credentials['main'])
        self.click("本日の集計")
        # (The card screen's button says 本日の集計 too: wait for the
        # totals themselves.)
        self.assertIn("本日の集計", self.wait_text("付与"))
        self.check_accessibility('totals')

    def test_timeout_then_retry_moves_points_once(self):
        grant, calls = api.grant, []

        def slow_grant(*args, **kwargs):
            # The first answer comes after the app gave up waiting.
            result = grant(*args, **kwargs)
            calls.append(args[-1])
            if len(calls) == 1:
                time.sleep(3)
            return result
        api.grant = slow_grant
        self.addCleanup(setattr, api, 'grant', grant)
        self.open_app(self.credentials['main'], hpTimeoutMs=1500)
        self.tap()
        self.wait_text("ヤマダ ●● 様")
        before, grants = self.balance(), self.entries('grant')
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(500)
        self.click("次へ")
        self.click("確定する")
        self.wait_text("未確定です")
        self.assertNotIn("完了しました", self.wait_text("まだ確定していません"))
        self.wait_text("完了しました", timeout=30)
        self.assertGreaterEqual(len(calls), 2)
        self.assertEqual(len(set(calls)), 1, "one idempotency key")
        self.assertEqual(self.balance(), before + 5)
        self.assertEqual(self.entries('grant'), grants + 1)

    def test_reload_keeps_a_pending_request_and_sends_it_once(self):
        self.open_app(self.credentials['main'])
        self.tap()
        self.wait_text("ヤマダ ●● 様")
        before = self.balance()
        self.driver.execute_cdp_cmd('Network.enable', {})
        self.driver.execute_cdp_cmd('Network.setBlockedURLs',
            {'urls': ['*/api/v1/redemptions*']})
        self.click("ポイントを使う")
        self.pad(11)
        self.click("次へ")
        self.click("確定する")
        self.wait_text("未確定です")
        self.driver.refresh()
        self.wait_text("未確定の処理が1件あります")
        self.assertEqual(self.balance(), before)
        self.driver.execute_cdp_cmd('Network.setBlockedURLs', {'urls': []})
        self.wait_text("は完了しました", timeout=30)
        self.assertEqual(self.balance(), before - 11)
        self.driver.refresh()
        self.wait_text("カードまたはQRコードを読み取ってください")
        self.assertNotIn("未確定", self.driver.find_element(
                'tag name', 'body').text)
        self.assertEqual(self.balance(), before - 11)

    def test_revoked_terminal_says_so_and_stops(self):
        self.open_app(self.credentials['revoked'])
        self.wait_text("カードまたはQRコードを読み取ってください")
        with Transaction().start(DB_NAME, 0) as transaction:
            Terminal = Pool().get('hirakata.terminal')
            Terminal.revoke([Terminal(self.revoked_id)])
            transaction.commit()
        self.tap()
        self.wait_text("この端末は使用できません")
        self.check_accessibility('revoked')
        self.assertEqual(self.driver.find_elements('id', 'card-number'), [])

    def test_card_on_the_reader_reaches_the_app_through_the_bridge(self):
        # nfcpy's UDP emulation of a reader and a FeliCa card, the bridge
        # on its fixed port, the app in Chromium, a grant through the API.
        from tests.test_bridge import (
            felica, free_udp_port, present, start_bridge)
        device = 'udp:127.0.0.1:%s' % free_udp_port()
        start_bridge(self, device, ['/'.join(self.server.url.split('/')[:3])],
            port=8765)
        self.open_app(self.credentials['main'])
        self.wait_text("カードリーダー：接続中", timeout=20)
        before = self.balance()
        present(device, felica(IDM), 5.0)
        self.wait_text("ヤマダ ●● 様")
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(300)
        self.click("次へ")
        self.click("確定する")
        self.assertIn("3ポイントを付けました", self.wait_text("完了しました"))
        self.assertEqual(self.balance(), before + 3)

    def test_kiosk_shows_the_balance_then_clears(self):
        self.open_app(self.credentials['kiosk'], hpKioskClearMs=2000)
        self.wait_text("カードをかざすと、ポイント残高が表示されます")
        self.check_accessibility('kiosk')
        self.assertEqual(self.driver.find_elements('xpath',
                '//button[not(@type="submit")]'), [])
        self.tap()
        self.wait_text("ポイント残高")
        self.assertIn(format(self.balance(), ','),
            self.driver.find_element('id', 'balance').text)
        self.check_accessibility('kiosk-balance')
        self.wait_text("カードをかざすと、ポイント残高が表示されます",
            timeout=10)
        self.assertEqual(self.driver.find_elements('id', 'balance'), [])


del RouteTestCase
