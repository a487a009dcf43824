"""End to end (R1b): a resident shows the portal's code on a phone, a store
terminal's camera reads it and grants points; a screenshot of the same
code, shown at another terminal, is refused.

Two headless Chromiums: a phone on the portal, and tablets whose fake
camera shows what the phone's screen showed (its QR image, grey levels
read from a canvas, written as a Y4M video).
"""
import base64
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import (
    CameraMixin, camera_video, chromium)
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_portal.tests.test_portal import (
    BIRTH, PASSWORD, make_account, make_holder)
from trytond.modules.hirakata_points_pos.tests.tools import (
    activate, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

# The phone's QR image as grey levels, drawn on a canvas of SIZE pixels.
SIZE = 300
READ_SCREEN = '''
const image = document.getElementById('qr');
const canvas = document.createElement('canvas');
canvas.width = canvas.height = %d;
const context = canvas.getContext('2d');
context.fillStyle = '#fff';
context.fillRect(0, 0, canvas.width, canvas.height);
context.drawImage(image, 0, 0, canvas.width, canvas.height);
const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
let grey = '';
for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i]);
return btoa(grey);
''' % SIZE


@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class PortalCodeAtStoreTestCase(CameraMixin, RouteTestCase):
    "The portal's code read by a store terminal's camera"
    module = 'hirakata_points_portal'
    extras = ['hirakata_points_pos']

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        store = make_store("ひらかた青果店", yen_per_point=100)
        cls.credentials = activate({name: make_terminal(store, name)
                for name in ['till', 'elsewhere']})
        cls.holder, cls.card = make_holder("枚方 花子", "ヒラカタ ハナコ",
            BIRTH, points=500)
        make_account('hanako@example.jp', cls.holder)

    def balance(self):
        with Transaction().start(DB_NAME, 0):
            return Pool().get('hirakata.holder')(self.holder).account.balance

    def phone_screen(self):
        """Sign in on a phone with the web account, open the code page; the
        QR code it shows."""
        phone = chromium(width=390, height=844)
        try:
            portal = self.server.url.replace('/terminal/', '/portal/')
            phone.get(portal + 'sign-in')
            for name, value in [('email', 'hanako@example.jp'),
                    ('password', PASSWORD)]:
                phone.find_element(By.ID, name).send_keys(value)
            phone.find_element(By.XPATH, '//button[@type="submit"]').click()
            WebDriverWait(phone, 15).until(
                expected_conditions.element_to_be_clickable(
                    (By.LINK_TEXT, "お店で見せるコード（QRコード）"))).click()
            WebDriverWait(phone, 15).until(lambda d: d.execute_script(
                    "const i = document.getElementById('qr');"
                    "return i && i.complete && i.naturalWidth > 0;"))
            grey = base64.b64decode(phone.execute_script(READ_SCREEN))
        finally:
            # Closed at once: left open, its page would show a new code a
            # minute later and retire this one while the test still runs.
            phone.quit()
        return camera_video(self.video_path(), grey, SIZE)

    def terminal_reading(self, video, terminal):
        "A tablet at terminal whose camera sees video; read the QR code."
        self.camera_browser(video)
        self.open_app(self.credentials[terminal])
        self.click("QRコードをカメラで読む")

    def test_code_grants_once_and_its_screenshot_is_refused(self):
        before = self.balance()
        screen = self.phone_screen()
        self.terminal_reading(screen, 'till')
        self.wait_text("ヒラカタ ●● 様", timeout=30)
        self.click("ポイントを付ける（お買い上げ）")
        self.pad(1500)
        self.click("次へ")
        self.click("確定する")
        self.assertIn("15ポイントを付けました", self.wait_text("完了しました"))
        self.assertEqual(self.balance(), before + 15)
        # The same picture, at another till: refused before anything else.
        self.terminal_reading(screen, 'elsewhere')
        self.wait_text("このコードは使用済みです", timeout=30)
        self.assertEqual(self.balance(), before + 15)


del RouteTestCase
