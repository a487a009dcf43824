"""Driving the web pages (the terminal app, the resident portal) in
Debian's headless Chromium (selenium with /usr/bin/chromedriver) against a
real HTTP server of the test database."""
import os
import tempfile
import threading
import uuid

import segno
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from trytond.tests.test_tryton import DB_NAME
from trytond.wsgi import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
        '..'))
AXE = os.path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')
# Set to a folder to keep a screenshot of each screen (docs/screenshots).
SCREENSHOTS = os.environ.get('HP_SCREENSHOTS')
WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']


class Server:
    """A WSGI application (trytond's by default) on a free port of
    127.0.0.1; root is the server's address, url is path's in the test
    database. With ssl_context (e.g. werkzeug's
    generate_adhoc_ssl_context()), over https."""

    def __init__(self, path='hirakata/terminal/', application=app,
            ssl_context=None):
        self.server = make_server('127.0.0.1', 0, application, threaded=True,
            ssl_context=ssl_context)
        self.thread = threading.Thread(target=self.server.serve_forever,
            daemon=True)
        self.thread.start()
        self.root = '%s://127.0.0.1:%s/' % (
            'https' if ssl_context else 'http', self.server.port)
        self.url = '%s%s/%s' % (self.root, DB_NAME, path)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def chromium(width=800, height=1280, camera=None, language=None,
        arguments=()):
    """Headless Chromium in Japanese, by default the size of a 7-inch
    tablet; with camera, a Y4M video file its camera shows (allowed); with
    language, the language it tells pages (navigator.language) too;
    arguments are more command-line switches."""
    options = Options()
    options.binary_location = CHROMIUM
    arguments = ['--headless=new', '--no-sandbox', '--disable-gpu',
        '--window-size=%s,%s' % (width, height), '--lang=ja-JP',
        '--disable-dev-shm-usage'] + list(arguments)
    if camera:
        arguments += ['--use-fake-ui-for-media-stream',
            '--use-fake-device-for-media-stream',
            '--use-file-for-fake-video-capture=%s' % camera]
    for argument in arguments:
        options.add_argument(argument)
    # The console, for the tests that fail on a script error.
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    # In Hirakata's time zone, as the city's and the residents' browsers.
    env = dict(os.environ, TZ='Asia/Tokyo')
    if language:
        # What sao reads to choose its language before sign-in: on Linux,
        # Chromium takes it from LANGUAGE, not from --lang.
        env['LANGUAGE'] = language
        options.add_experimental_option('prefs',
            {'intl.accept_languages': language})
    service = Service(CHROMEDRIVER, env=env)
    return webdriver.Chrome(service=service, options=options)


def camera_video(path, image, size, width=640, height=480, frames=10):
    """Write a Y4M video showing image (size × size grey levels 0-255, row
    by row), centred and scaled up, as a camera held over it would see it;
    for Chromium's fake camera."""
    scale = max(1, int(min(width, height) * 0.9) // size)
    left = (width - scale * size) // 2
    top = (height - scale * size) // 2
    luma = bytearray(b'\xeb' * (width * height))
    for r in range(size):
        row = b''.join(bytes([16 + image[r * size + c] * 219 // 255]) * scale
            for c in range(size))
        for dy in range(scale):
            start = (top + r * scale + dy) * width + left
            luma[start:start + len(row)] = row
    chroma = b'\x80' * (width * height // 4)
    with open(path, 'wb') as f:
        f.write(b'YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n'
            % (width, height))
        for _ in range(frames):
            f.write(b'FRAME\n' + bytes(luma) + chroma + chroma)
    return path


def qr_video(content, path):
    "A camera video of a QR code of content, black on white (segno)."
    matrix = segno.make(content, error='m').matrix
    border = 4
    size = len(matrix) + 2 * border
    image = bytearray(b'\xff' * (size * size))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                image[(r + border) * size + c + border] = 0
    return camera_video(path, image, size)


class BrowserMixin:
    "What the browser tests of the pages share."
    # Screenshots are named <screenshot_prefix>-<screen>.png.
    screenshot_prefix = 'terminal'

    def wait_text(self, text, timeout=15):
        "Wait until the page shows text; return the page's text."
        def shown(driver):
            body = driver.find_element(By.TAG_NAME, 'body').text
            return body if text in body else False
        # A page being replaced may answer with a node of the document it
        # leaves ("Node with given id does not belong to the document"):
        # read the new one again.
        return WebDriverWait(self.driver, timeout,
            ignored_exceptions=[WebDriverException]).until(shown)

    def click(self, text):
        "Click the visible button that says text."
        button = WebDriverWait(self.driver, 15).until(
            expected_conditions.element_to_be_clickable((By.XPATH,
                    '//button[normalize-space(.)="%s"]' % text)))
        button.click()

    def type_into(self, element_id, text, submit=True):
        field = WebDriverWait(self.driver, 15).until(
            expected_conditions.element_to_be_clickable((By.ID, element_id)))
        field.clear()
        field.send_keys(text + ('\n' if submit else ''))

    def pad(self, number):
        "Type a number on the app's number pad."
        for digit in str(number):
            self.driver.find_element(By.XPATH,
                '//div[@class="pad"]/button[@aria-label="%s"]' % digit).click()

    def open_app(self, credential=None, **settings):
        """Open the app afresh; with credential, as an already activated
        terminal; settings are the app's localStorage tunables (e.g.
        hpTimeoutMs)."""
        self.driver.get(self.server.url)
        self.driver.execute_script('localStorage.clear();'
            'sessionStorage.clear();'
            'indexedDB.deleteDatabase("hirakata-terminal");')
        if credential:
            settings['hpCredential'] = credential
        for name, value in settings.items():
            self.driver.execute_script(
                'localStorage.setItem(arguments[0], arguments[1]);',
                name, str(value))
        self.driver.get(self.server.url)

    def check_accessibility(self, name):
        """No axe-core violation of WCAG 2.1 A and AA on the screen shown,
        no stray null or undefined; its screenshot kept when asked."""
        text = self.driver.find_element(By.TAG_NAME, 'body').text
        self.assertNotRegex(text, r'\b(null|undefined|NaN)\b', name)
        with open(AXE) as f:
            self.driver.execute_script(f.read())
        result = self.driver.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'axe.run(document, {runOnly: arguments[0]})'
            '.then((r) => done(r.violations.map((v) => [v.id, v.help,'
            ' v.nodes.map((n) => n.html).slice(0, 3)])))'
            '.catch((e) => done([["axe", String(e), []]]));', WCAG_21_AA)
        self.assertEqual(result, [], "%s: accessibility violations" % name)
        if SCREENSHOTS:
            self.driver.save_screenshot(os.path.join(SCREENSHOTS,
                    '%s-%s.png' % (self.screenshot_prefix, name)))


class CameraMixin(BrowserMixin):
    """Tests whose browsers have a camera: a server of the test database
    and a folder for the camera's videos, for the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server()
        cls.videos = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.videos.cleanup()
        super().tearDownClass()

    def video_path(self):
        return os.path.join(self.videos.name, '%s.y4m' % uuid.uuid4().hex)

    def camera_browser(self, video):
        "self.driver: a tablet whose camera shows the Y4M file video."
        self.driver = chromium(camera=video)
        self.addCleanup(self.driver.quit)
