"""The resident portal in headless Chromium the size of a phone: signing
up, verifying the address from the mail, linking the card, signing in with
a password then with a passkey (Chromium's virtual authenticator), the
code that renews itself, and an axe-core check of WCAG 2.1 AA on every
page (R31, R1b, issue 15); over https on a host name of a shared
domain, cookies that a sibling host sets for the domain sign nobody in."""
import datetime as dt
import unittest
from types import SimpleNamespace
from unittest.mock import patch

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import generate_adhoc_ssl_context
from werkzeug.wrappers import Response

from trytond import backend
import trytond.config as config
from trytond.modules.hirakata_points.tests.browser import (
    BrowserMixin, Server, chromium)
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_portal import cookies, routes, session
from trytond.modules.hirakata_points_portal.tests.mail import (
    MailServer, restore)
from trytond.modules.hirakata_points_portal.tests.test_accounts import (
    issue_code)
from trytond.modules.hirakata_points_portal.tests.test_portal import (
    BIRTH, PASSWORD, later, make_account, make_holder, reset_limits)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction


# The HTTP server answers from another thread; SQLite's in-memory test
# database exists only in the test's own connection.
@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class PortalBrowserTestCase(BrowserMixin, RouteTestCase):
    "The resident portal in a phone's browser"
    module = 'hirakata_points_portal'
    screenshot_prefix = 'portal'

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        holder, _ = make_holder("枚方 花子", "ヒラカタ ハナコ", BIRTH,
            points=12345)
        make_account('hanako@example.jp', holder)
        cls.second, cls.second_card = make_holder("枚方 一郎",
            "ヒラカタ イチロウ", dt.date(1950, 6, 15))

    @classmethod
    def setUpClass(cls):
        cls.mail = MailServer().start()
        super().setUpClass()
        cls.server = Server('hirakata/portal/')
        # Passkeys need a host name (an IP address is no relying party).
        cls.url = cls.server.url.replace('127.0.0.1', 'localhost')
        cls.previous_url = config.get('hirakata_portal', 'url')
        if not config.has_section('hirakata_portal'):
            config.add_section('hirakata_portal')
        config.set('hirakata_portal', 'url', cls.url)
        # A phone held upright (e.g. an iPhone 12 or a Pixel 5).
        cls.driver = chromium(width=390, height=844)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        restore('hirakata_portal', 'url', cls.previous_url)
        super().tearDownClass()
        cls.mail.stop()

    def setUp(self):
        super().setUp()
        reset_limits()
        self.driver.delete_all_cookies()

    def fill(self, **values):
        for name, value in values.items():
            field = self.driver.find_element(By.ID, name)
            field.clear()
            field.send_keys(str(value))

    def sign_in(self, email='hanako@example.jp', password=PASSWORD):
        self.driver.get(self.url + 'sign-in')
        self.wait_text("メールアドレス")
        self.fill(email=email, password=password)
        self.click("ログイン")

    def assertFitsTheScreen(self, page):
        "Nothing to scroll sideways: one column on a phone."
        overflow = self.driver.execute_script(
            'return document.documentElement.scrollWidth'
            ' - document.documentElement.clientWidth;')
        self.assertLessEqual(overflow, 0, page)

    def test_sign_in_then_own_page(self):
        self.driver.get(self.url)
        self.wait_text("パスワードを忘れた方")
        self.check_accessibility('sign-in')
        self.assertFitsTheScreen('sign-in')
        self.sign_in(password='wrong-password')
        self.wait_text("メールアドレスまたはパスワードが正しくありません")
        self.check_accessibility('sign-in-error')
        self.sign_in()
        text = self.wait_text("マイページ")
        self.assertIn("枚方 花子 様", text)
        self.assertEqual(self.driver.find_element(By.ID, 'balance').text,
            "12,345ポイント")
        self.check_accessibility('home')
        self.assertFitsTheScreen('home')
        self.driver.find_element(By.PARTIAL_LINK_TEXT,
            "アカウントの設定").click()
        text = self.wait_text("ログイン中の端末")
        self.assertIn("（この端末）", text)
        self.check_accessibility('account')
        self.assertFitsTheScreen('account')
        self.click("ログアウト")
        self.wait_text("パスワードを忘れた方")

    def test_sign_up_verify_and_link_the_card(self):
        code = issue_code(self.second)
        self.driver.get(self.url + 'sign-up')
        self.wait_text("アカウントを作る")
        self.check_accessibility('sign-up')
        self.assertFitsTheScreen('sign-up')
        self.fill(email='ichiro@example.jp', password='ichiro-pass-1',
            password2='ichiro-pass-2')
        self.click("アカウントを作る")
        self.wait_text("2つのパスワードが同じではありません")
        self.check_accessibility('sign-up-error')
        self.fill(password='ichiro-pass-1', password2='ichiro-pass-1')
        self.click("アカウントを作る")
        self.wait_text("確認のメールを送りました")
        self.check_accessibility('sign-up-sent')
        self.driver.get(self.mail.link_to('ichiro@example.jp'))
        self.wait_text("登録が完了しました")
        self.check_accessibility('verify')
        self.sign_in('ichiro@example.jp', 'ichiro-pass-1')
        self.wait_text("連携コード（12文字）")
        self.check_accessibility('link')
        self.assertFitsTheScreen('link')
        birth = dt.date(1950, 6, 15)
        self.fill(number=self.second_card, year=birth.year,
            month=birth.month, day=birth.day, code='AAAA-BBBB-CCCC')
        self.click("カードをつなぐ")
        self.wait_text("連携コードが正しくありません")
        self.check_accessibility('link-error')
        self.fill(code=code)
        self.click("カードをつなぐ")
        text = self.wait_text("マイページ")
        self.assertIn("枚方 一郎 様", text)

    def test_forgotten_password_pages(self):
        self.driver.get(self.url + 'forgot')
        self.wait_text("パスワードを忘れた方")
        self.check_accessibility('forgot')
        self.fill(email='hanako@example.jp')
        self.click("メールを送る")
        self.wait_text("メールを送りました")
        self.driver.get(self.mail.link_to('hanako@example.jp'))
        self.wait_text("新しいパスワード（もう一度）")
        self.check_accessibility('reset')
        self.assertFitsTheScreen('reset')
        self.fill(password='short', password2='short')
        self.click("パスワードを決める")
        self.wait_text("8文字以上")
        self.check_accessibility('reset-error')

    def test_passkey_registered_then_signs_in(self):
        driver = self.driver
        driver.execute_cdp_cmd('WebAuthn.enable', {})
        authenticator = driver.execute_cdp_cmd(
            'WebAuthn.addVirtualAuthenticator', {'options': {
                    'protocol': 'ctap2', 'transport': 'internal',
                    'hasResidentKey': True, 'hasUserVerification': True,
                    'isUserVerified': True}})['authenticatorId']
        self.addCleanup(driver.execute_cdp_cmd,
            'WebAuthn.removeVirtualAuthenticator',
            {'authenticatorId': authenticator})
        self.sign_in()
        self.wait_text("マイページ")
        driver.get(self.url + 'account')
        self.click("この端末をパスキーに登録する")
        self.wait_text("パスキーを登録しました")
        self.check_accessibility('passkey-added')
        credentials = driver.execute_cdp_cmd('WebAuthn.getCredentials',
            {'authenticatorId': authenticator})['credentials']
        self.assertEqual(len(credentials), 1)
        self.click("ログアウト")
        # No password: the fingerprint (the virtual authenticator) only.
        self.wait_text("パスキーでログイン")
        self.click("パスキーでログイン（指紋・顔認証）")
        text = self.wait_text("マイページ")
        self.assertIn("枚方 花子 様", text)
        # Later, the code asks to confirm it is you: the passkey does.
        with later(minutes=session.REAUTH_AGE.total_seconds() / 60 + 1):
            driver.find_element(By.LINK_TEXT,
                "お店で見せるコード（QRコード）").click()
            self.wait_text("ご本人であることをもう一度確かめます")
            self.check_accessibility('reauth')
            self.assertFitsTheScreen('reauth')
            self.click("パスキーで確認（指紋・顔認証）")
            self.wait_text("お店の方に、この画面のQRコードを読み取ってもらってください")

    def test_code_renews_itself(self):
        self.sign_in()
        self.wait_text("マイページ")
        with patch.object(routes, 'REFRESH_SECONDS', 3):
            self.driver.find_element(By.LINK_TEXT,
                "お店で見せるコード（QRコード）").click()
            self.wait_text("お店の方に、この画面のQRコードを読み取ってもらってください")
            first = self.driver.find_element(By.ID, 'qr').get_attribute('src')
            # The image is shown (decoded), not merely in the page.
            WebDriverWait(self.driver, 10).until(lambda d: d.execute_script(
                    "const i = document.getElementById('qr');"
                    "return i.complete && i.naturalWidth > 0;"))
            self.check_accessibility('code')
            self.assertFitsTheScreen('code')
            WebDriverWait(self.driver, 10).until(
                lambda d: d.find_element(By.ID, 'qr').get_attribute('src')
                != first)
            self.assertIn("秒で新しいコードになります",
                self.driver.find_element(By.ID, 'left').text)
            second = self.driver.find_element(By.ID, 'qr').get_attribute('src')
            self.click("新しいコードにする")
            WebDriverWait(self.driver, 10).until(
                lambda d: d.find_element(By.ID, 'qr').get_attribute('src')
                not in {first, second})


@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class PortalOverHttpsBrowserTestCase(BrowserMixin, RouteTestCase):
    """The portal as in production: over https at points.example.jp, with
    another surface's host under the same domain (evil.example.jp here,
    e.g. a page of it someone got a script into)"""
    module = 'hirakata_points_portal'

    @classmethod
    def setUpDatabase(cls):
        holder, _ = make_holder("枚方 花子", "ヒラカタ ハナコ", BIRTH,
            points=12345)
        make_account('hanako@example.jp', holder)
        other, _ = make_holder("淀川 次郎", "ヨドガワ ジロウ",
            dt.date(1960, 1, 1))
        make_account('jiro@example.jp', other)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Both hosts on this machine, with a certificate of their own
        # that Chromium is told to take.
        context = generate_adhoc_ssl_context()
        cls.server = Server('hirakata/portal/', ssl_context=context)
        cls.tossed = []
        cls.sibling = Server('', application=cls.toss, ssl_context=context)
        cls.origin = 'https://points.example.jp:%s' % cls.server.server.port
        cls.url = cls.origin + '/%s/hirakata/portal/' % DB_NAME
        cls.sibling_url = ('https://evil.example.jp:%s/'
            % cls.sibling.server.port)
        cls.previous_origin = config.get('hirakata_points', 'portal_origin')
        if not config.has_section('hirakata_points'):
            config.add_section('hirakata_points')
        config.set('hirakata_points', 'portal_origin', cls.origin)
        cls.driver = chromium(width=390, height=844, arguments=[
                '--host-resolver-rules=MAP *.example.jp 127.0.0.1',
                '--ignore-certificate-errors'])

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        cls.sibling.stop()
        restore('hirakata_points', 'portal_origin', cls.previous_origin)
        super().tearDownClass()

    @classmethod
    def toss(cls, environ, start_response):
        "The sibling host: its page sets the cookies of cls.tossed."
        response = Response('<!DOCTYPE html><title>evil</title>',
            mimetype='text/html')
        for header in cls.tossed:
            response.headers.add('Set-Cookie', header)
        return response(environ, start_response)

    def setUp(self):
        super().setUp()
        reset_limits()
        self.driver.delete_all_cookies()

    def portal_cookies(self):
        "The cookies Chromium sends to the portal, by name."
        return {c['name']: c for c in self.driver.execute_cdp_cmd(
                'Network.getCookies', {'urls': [self.url]})['cookies']}

    def test_cookies_from_a_sibling_host_sign_nobody_in(self):
        # The attacker's own session and a device of his account.
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            attacker, = pool.get('web.user').search(
                [('email', '=', 'jiro@example.jp')])
            token = pool.get('hirakata.portal.session').open(attacker,
                'password', None)
            device = pool.get('hirakata.portal.device').remember(attacker,
                None)
            transaction.commit()
        portal = SimpleNamespace(scheme='https',
            host=self.origin.split('//')[1])
        names = {meaning: cookies.name(portal,
                SimpleNamespace(database_name=DB_NAME), meaning)
            for meaning in [cookies.SESSION, cookies.DEVICE]}
        type(self).tossed = [
            # What the portal read before (and what it reads on loopback
            # http): the browser sends them, the portal ignores them.
            'hp_portal=%s; Secure; Domain=example.jp; Path=/' % token,
            'hp_portal=%s; Secure; Domain=example.jp; Path=/%s/hirakata/'
            'portal/' % (token, DB_NAME),
            'hp_device=%s; Secure; Domain=example.jp; Path=/' % device,
            # The portal's own names: refused with a Domain...
            '%s=%s; Secure; Domain=example.jp; Path=/' % (
                names[cookies.SESSION], token),
            '%s=%s; Secure; Domain=example.jp; Path=/' % (
                names[cookies.DEVICE], device),
            # ...and host-only to the sibling without.
            '%s=%s; Secure; Path=/' % (names[cookies.SESSION], token),
            ]
        self.driver.get(self.sibling_url)
        self.assertEqual(self.driver.title, 'evil')
        sent = self.portal_cookies()
        self.assertEqual(sorted(sent), ['hp_device', 'hp_portal'])
        self.driver.get(self.url)
        text = self.wait_text("パスワードを忘れた方")
        self.assertNotIn("淀川", text)
        self.driver.get(self.url + 'link')
        self.assertNotIn("淀川", self.wait_text("パスワードを忘れた方"))
        # The resident signs in: the portal's own cookies, beside the
        # tossed ones, are the ones that count.
        self.driver.get(self.url + 'sign-in')
        self.wait_text("メールアドレス")
        for field, value in [('email', 'hanako@example.jp'),
                ('password', PASSWORD)]:
            self.driver.find_element(By.ID, field).send_keys(value)
        self.click("ログイン")
        text = self.wait_text("マイページ")
        self.assertIn("枚方 花子 様", text)
        sent = self.portal_cookies()
        for name in names.values():
            cookie = sent[name]
            self.assertNotEqual(cookie['value'], token)
            self.assertNotEqual(cookie['value'], device)
            # Host-only (no leading dot), Secure, the whole host.
            self.assertEqual(cookie['domain'], 'points.example.jp')
            self.assertTrue(cookie['secure'])
            self.assertEqual(cookie['path'], '/')
            self.assertTrue(cookie['httpOnly'])
            self.assertEqual(cookie['sameSite'], 'Strict')
        self.click("ログアウト")
        self.wait_text("パスワードを忘れた方")
        self.assertNotIn(names[cookies.SESSION], self.portal_cookies())


del RouteTestCase
