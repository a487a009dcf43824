"""The resident portal in headless Chromium the size of a phone: sign-in,
the resident's page, the code that renews itself, an axe-core check of
WCAG 2.1 AA on each page (R31, R1b)."""
import datetime as dt
import unittest
from unittest.mock import patch

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import (
    BrowserMixin, Server, chromium)
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_portal import routes
from trytond.modules.hirakata_points_portal.tests.test_portal import (
    BIRTH, make_holder)
from trytond.tests.test_tryton import RouteTestCase


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
        _, cls.card = make_holder("枚方 花子", "ヒラカタ ハナコ", BIRTH,
            points=12345)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server('hirakata/portal/')
        # A phone held upright (e.g. an iPhone 12 or a Pixel 5).
        cls.driver = chromium(width=390, height=844)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        routes.SIGN_INS_BY_ADDRESS.reset()
        routes.CODES_BY_HOLDER.reset()
        self.driver.delete_all_cookies()

    def fill_sign_in(self, birth):
        for name, value in [('number', self.card), ('year', birth.year),
                ('month', birth.month), ('day', birth.day)]:
            field = self.driver.find_element(By.ID, name)
            field.clear()
            field.send_keys(str(value))
        self.click("ログイン")

    def assertFitsTheScreen(self, page):
        "Nothing to scroll sideways: one column on a phone."
        overflow = self.driver.execute_script(
            'return document.documentElement.scrollWidth'
            ' - document.documentElement.clientWidth;')
        self.assertLessEqual(overflow, 0, page)

    def test_sign_in_then_own_page(self):
        self.driver.get(self.server.url)
        self.wait_text("カード番号または利用者番号")
        self.check_accessibility('sign-in')
        self.assertFitsTheScreen('sign-in')
        self.fill_sign_in(BIRTH + dt.timedelta(days=1))
        self.wait_text("番号または生年月日が正しくありません")
        self.check_accessibility('sign-in-error')
        self.fill_sign_in(BIRTH)
        text = self.wait_text("マイページ")
        self.assertIn("枚方 花子 様", text)
        self.assertEqual(self.driver.find_element(By.ID, 'balance').text,
            "12,345ポイント")
        self.check_accessibility('home')
        self.assertFitsTheScreen('home')
        self.click("ログアウト")
        self.wait_text("カード番号または利用者番号")

    def test_code_renews_itself(self):
        self.driver.get(self.server.url)
        self.fill_sign_in(BIRTH)
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


del RouteTestCase
