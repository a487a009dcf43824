"""QR codes at the terminal app (R1b): a printed QR card and the code the
resident portal shows, read by the camera in headless Chromium (its fake
camera shows a video of the QR code) and typed by a USB barcode scanner."""
import unittest

from selenium.webdriver.support.ui import WebDriverWait

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import (
    CameraMixin, camera_video, chromium, qr_video)
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos.tests.tools import (
    activate, make_holder, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

IDM = '0123456789ABCDE0'


# The app's HTTP server answers from another thread; SQLite's in-memory
# test database exists only in the test's own connection.
@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class TerminalQrTestCase(CameraMixin, RouteTestCase):
    "QR codes at the terminal app"
    module = 'hirakata_points_pos'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Card = pool.get('hirakata.card')
        load_japanese()
        store = make_store("ひらかた青果店", yen_per_point=100)
        cls.credentials = activate({name: make_terminal(store, name)
                for name in ['main', 'other']})
        card = make_holder("山田 太郎", "ヤマダ タロウ", IDM, points=1000)
        cls.holder = card.holder.id
        qr_card, = Card.create([{'holder': card.holder.id,
                    'technology': 'qr'}])
        cls.qr_number = qr_card.identifier

    def camera_showing(self, content):
        "A browser whose camera sees a QR code of content."
        self.camera_browser(qr_video(content, self.video_path()))

    def phone_code(self):
        "A code as the portal shows it."
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            code, _ = pool.get('hirakata.phone_code').issue(
                pool.get('hirakata.holder')(self.holder))
            transaction.commit()
        return code

    def balance(self):
        with Transaction().start(DB_NAME, 0):
            Holder = Pool().get('hirakata.holder')
            return Holder(self.holder).account.balance

    def grant(self, amount):
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(amount)
        self.click("次へ")
        self.click("確定する")

    def test_printed_qr_card_by_camera(self):
        self.camera_showing(self.qr_number)
        self.open_app(self.credentials['main'])
        self.wait_text("カードまたはQRコードを読み取ってください")
        before = self.balance()
        self.click("QRコードをカメラで読む")
        self.wait_text("ヤマダ ●● 様", timeout=30)
        self.grant(500)
        self.assertIn("5ポイントを付けました", self.wait_text("完了しました"))
        self.assertEqual(self.balance(), before + 5)

    def test_phone_code_by_camera_works_once(self):
        self.camera_showing(self.phone_code())
        self.open_app(self.credentials['main'])
        before = self.balance()
        self.click("QRコードをカメラで読む")
        self.wait_text("ヤマダ ●● 様", timeout=30)
        self.grant(1000)
        self.assertIn("10ポイントを付けました", self.wait_text("完了しました"))
        # The same code again, as from a screenshot: refused, nothing moves.
        self.click("次のお客様")
        self.click("QRコードをカメラで読む")
        self.wait_text("ヤマダ ●● 様", timeout=30)
        self.grant(1000)
        self.wait_text("このコードは使用済みです")
        self.assertEqual(self.balance(), before + 10)

    def test_phone_code_from_a_barcode_scanner(self):
        self.driver = chromium()
        self.addCleanup(self.driver.quit)
        code = self.phone_code()
        self.open_app(self.credentials['other'])
        self.type_into('card-number', code)
        self.wait_text("ヤマダ ●● 様")
        self.open_app(self.credentials['main'])
        self.type_into('card-number', code)
        self.wait_text("このコードは使用済みです")

    def test_camera_shows_and_stops(self):
        self.camera_browser(camera_video(self.video_path(), b'\xff', 1))
        self.open_app(self.credentials['main'])
        self.click("QRコードをカメラで読む")
        self.wait_text("QRコードをカメラに向けてください")
        WebDriverWait(self.driver, 15).until(lambda d: d.execute_script(
                "const v = document.querySelector('video');"
                "return v && v.readyState >= 2 && v.videoWidth > 0;"))
        self.check_accessibility('camera')
        self.click("カメラを止める")
        self.click("QRコードをカメラで読む")  # the button is back
        self.wait_text("カメラを止める")
        self.assertEqual(self.driver.execute_script(
                "return document.querySelectorAll('video').length;"), 1)

    def test_other_qr_codes_refused(self):
        self.camera_showing('https://www.city.hirakata.osaka.jp/')
        self.open_app(self.credentials['main'])
        self.click("QRコードをカメラで読む")
        self.wait_text("このQRコードは枚方市ポイントのものではありません",
            timeout=30)
        self.check_accessibility('camera-refused')


del RouteTestCase
