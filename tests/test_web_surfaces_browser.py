"""The three surfaces on their own origins, in headless Chromium: the back
office (sao) works under its Content-Security-Policy, a page of the portal
cannot read the terminal's credential and unsent writes nor the back
office's session, and each surface is refused on the others' hosts."""
import unittest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import (
    BrowserMixin, Server, chromium)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.wsgi import app

from .sao import Sao
from .test_web_surfaces import configured, with_sao

PASSWORD = 'Sao-under-CSP-2026'
# What a script injected into a portal page would try.
STEAL = '''
const done = arguments[arguments.length - 1];
const found = {local: {...localStorage}, session: {...sessionStorage},
  cookies: document.cookie};
found.databases = (await indexedDB.databases()).map((d) => d.name);
try {
  const r = await fetch(arguments[0], {credentials: 'include'});
  found.fetched = await r.text();
} catch (e) {
  found.fetched = null;
}
done(found);
'''


@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class WebSurfacesBrowserTestCase(BrowserMixin, RouteTestCase):
    "The back office, the portal and the terminal on their own origins"
    module = 'hirakata_points_portal'
    extras = ['hirakata_points_pos']

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        User = pool.get('res.user')
        Item = pool.get('ir.module.config_wizard.item')
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {'password': PASSWORD})
        # No first start's wizard.
        Item.write(Item.search([]), {'state': 'done'})

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server('', application=with_sao(app.wsgi_app.app))
        port = cls.server.server.port
        cls.origins = {
            'backoffice': 'http://127.0.0.1:%s' % port,
            'portal': 'http://localhost:%s' % port,
            'terminal': 'http://terminal.localhost:%s' % port,
            }
        cls.origins_configured = configured('hirakata_points', **{
                '%s_origin' % s: o for s, o in cls.origins.items()})
        cls.origins_configured.__enter__()
        cls.pages = {
            'backoffice': '/',
            'portal': '/%s/hirakata/portal/sign-in' % DB_NAME,
            'terminal': '/%s/hirakata/terminal/' % DB_NAME,
            }

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.origins_configured.__exit__(None, None, None)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.driver = chromium(width=1280, height=900)
        self.addCleanup(self.driver.quit)

    def url(self, surface, page=None):
        return self.origins[surface] + self.pages[page or surface]

    def csp_violations(self):
        "The console's Content-Security-Policy messages (kept for later)."
        self.console = getattr(self, 'console', []) + self.driver.get_log(
            'browser')
        return [entry['message'] for entry in self.console
            if 'Content Security Policy' in entry['message']]

    def sign_in_to_sao(self):
        "Sign in to the back office as admin; its menu shows."
        # As the role tests do (tests/sao.py).
        Sao(self.driver, self.origins['backoffice'] + '/', DB_NAME).sign_in(
            'admin', PASSWORD)
        WebDriverWait(self.driver, 30).until(
            expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, '#menu div[title="Point System"]')))

    def test_sao_signs_in_and_opens_a_menu_under_its_policy(self):
        self.sign_in_to_sao()
        wait = WebDriverWait(self.driver, 30)
        # The menu: Point System, then Card Holders, opened in a tab.
        self.driver.find_element(By.XPATH, '//div[@id="menu"]'
            '//tr[.//div[@title="Point System"]]//span[@class="expander"]'
            ).click()
        holders = wait.until(expected_conditions.element_to_be_clickable(
                (By.CSS_SELECTOR, '#menu div[title="Card Holders"]')))
        ActionChains(self.driver).double_click(holders).perform()
        wait.until(lambda d: "Card Holders" in d.find_element(
                By.ID, 'tablist').text)
        # The menu button of index.html (a javascript: link).
        self.driver.find_element(By.CSS_SELECTOR, 'a.navbar-brand').click()
        self.assertEqual(self.csp_violations(), [])
        # Nothing else refused either (custom.js, custom.css: empty).
        self.assertEqual([e['message'] for e in self.console
                if e['source'] == 'security'], [])
        self.assertTrue(self.driver.execute_script(
                'return localStorage.getItem(arguments[0]);',
                'sao_session_' + DB_NAME))

    def test_a_portal_page_cannot_read_the_other_surfaces(self):
        self.sign_in_to_sao()
        # The terminal app: its credential and its store of unsent writes.
        self.driver.get(self.url('terminal'))
        self.wait_text("端末の登録")
        self.driver.execute_script(
            'localStorage.setItem("hpCredential", "terminal-secret");')
        WebDriverWait(self.driver, 15).until(lambda d: 'hirakata-terminal'
            in d.execute_async_script(
                'const done = arguments[arguments.length - 1];'
                'indexedDB.databases().then((l) => done(l.map((d) => d.name)));'
                ))
        # What a script on a portal page sees.
        self.driver.get(self.url('portal'))
        self.wait_text("ログイン")
        found = self.driver.execute_async_script(
            '(async () => {%s})(...arguments);' % STEAL,
            self.origins['terminal'] + '/%s/hirakata/api/v1/terminal'
            % DB_NAME)
        for store in [found['local'], found['session']]:
            self.assertNotIn('hpCredential', store)
            self.assertFalse([k for k in store if k.startswith('sao_')])
        self.assertNotIn('terminal-secret', str(found))
        self.assertNotIn('hirakata-terminal', found['databases'])
        # The terminal API answers no page of another origin.
        self.assertIsNone(found['fetched'])

    def test_each_surface_is_refused_on_the_others_hosts(self):
        for host in self.origins:
            for page in self.pages:
                self.driver.get(self.url(host, page))
                text = self.driver.find_element(By.TAG_NAME, 'body').text
                if host == page:
                    self.assertNotIn("見つかりません", text, (host, page))
                else:
                    self.assertIn("お探しのページは見つかりません", text,
                        (host, page))
