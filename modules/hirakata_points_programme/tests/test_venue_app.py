"""The venue screen of the terminal web app in headless Chromium, with an
axe-core check of WCAG 2.1 AA (R11, R31b)."""
import unittest

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import chromium
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos.tests.test_terminal_app import (
    IDM, TerminalAppMixin)
from trytond.modules.hirakata_points_pos.tests.tools import (
    activate, make_city_terminal, make_holder)
from trytond.modules.hirakata_points_programme.tests import (
    test_programme as programmes)
from trytond.tests.test_tryton import RouteTestCase


# The app's HTTP server answers from another thread; SQLite's in-memory
# test database exists only in the test's own connection.
@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class VenueAppTestCase(TerminalAppMixin, RouteTestCase):
    "The terminal web app at a programme venue"
    module = 'hirakata_points_programme'

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        programme = programmes.create_programme()
        cls.credentials = activate({'venue': make_city_terminal('venue',
                    "教室受付", session=programme.sessions[0].id)})
        make_holder("山田 太郎", "ヤマダ タロウ", IDM, points=1000)

    def test_venue_records_participation_with_a_running_count(self):
        self.open_app(self.credentials['venue'])
        self.wait_text("ウォーキング教室")
        self.check_accessibility('venue')
        count = int(self.driver.find_element('id', 'count').text)
        self.tap()
        self.wait_text("ヤマダ ●● 様：100ポイントを付けました")
        self.assertEqual(int(self.driver.find_element('id', 'count').text),
            count + 1)
        self.check_accessibility('venue-recorded')
        self.tap()
        self.wait_text("すでに参加記録があります")
        self.assertEqual(int(self.driver.find_element('id', 'count').text),
            count + 1)

    def test_venue_screen_kept_at_the_first_visit_for_offline_reloads(self):
        # A new tablet's browser: its first page is not under the service
        # worker yet, so venue.js is kept only if the worker's install
        # keeps it.
        driver = chromium()
        self.addCleanup(driver.quit)
        driver.get(self.server.url)
        kept = driver.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'navigator.serviceWorker.ready'
            '.then(() => caches.match("venue.js"))'
            '.then((response) => done(Boolean(response)),'
            ' (error) => done(String(error)));')
        self.assertIs(kept, True)


del RouteTestCase
