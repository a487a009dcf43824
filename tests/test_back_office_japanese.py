"""The back office reads in Japanese from the user's seat: a city staff
member whose language is Japanese signs in to sao in headless Chromium and
finds no English on the sign-in dialog, the menu, a list, a form and the
preferences dialog (sao's own texts and Tryton's, around our modules')."""
import os
import re
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from trytond import backend
from trytond.modules.hirakata_points.tests.browser import (
    SCREENSHOTS, chromium)
from trytond.modules.hirakata_points.tests.test_module import (
    create_user, load_japanese)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

from .sao import BackOfficeServerMixin, Sao

# Names that read the same in a Japanese screen: the product, the
# languages to choose from, each in its own language (English), and the
# abbreviations Japanese offices write in Latin letters.
ALLOWED = {'Tryton', 'English', 'ID', 'URL', 'CSV', 'OK', 'CC', 'BCC', 'XML', 'QR',
    'IC', 'PIN', 'API'}
# What the user reads or hears: the texts shown, and the tooltips, hints
# and labels of what is shown; not the databases to choose from (names).
SHOWN_TEXTS = '''
return [...document.querySelectorAll('body *')].filter(
        e => (e.offsetParent !== null || e.tagName == 'OPTION')
            && !e.closest('.login-dialog select')).flatMap(
    e => [...e.childNodes].filter(n => n.nodeType == Node.TEXT_NODE)
        .map(n => n.textContent).concat(
            ['title', 'placeholder', 'aria-label', 'alt'].map(
                a => e.getAttribute(a)))).filter(t => t && t.trim());
'''


@unittest.skipUnless(backend.name == 'postgresql',
    "a real server needs a database other connections see")
class BackOfficeJapaneseTestCase(BackOfficeServerMixin, RouteTestCase):
    "No English in the back office for a Japanese-speaking user"
    module = 'hirakata_points_portal'
    extras = ['hirakata_points_pos', 'hirakata_points_programme']

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        pool = Pool()
        Lang = pool.get('ir.lang')
        User = pool.get('res.user')
        ja, = Lang.search([('code', '=', 'ja')])
        user = create_user('kana', 'group_city_staff')
        User.write([user], {'name': "市 職員", 'language': ja.id,
                'password': 'kana-demo-2027'})

    def english(self, driver=None):
        "The English words shown (each with its text), if any."
        words = []
        for text in (driver or self.driver).execute_script(SHOWN_TEXTS):
            for word in re.findall(r'[A-Za-z]{2,}', text):
                if word not in ALLOWED:
                    words.append('%s (%s)' % (word, text.strip()[:60]))
        return sorted(set(words))

    def screen(self, name):
        "Check what is shown reads in Japanese; keep a picture of it."
        if SCREENSHOTS:
            self.driver.save_screenshot(os.path.join(SCREENSHOTS,
                    'backoffice-ja-%s.png' % name))
        self.assertEqual(self.english(), [], name)

    def test_sign_in_reads_japanese_in_an_english_browser(self):
        "Before sign-in, sao speaks Japanese whatever the browser's language"
        driver = chromium(width=1366, height=900, language='en-US')
        self.addCleanup(driver.quit)
        self.assertEqual(driver.execute_script(
                'return navigator.language;'), 'en-US')
        sao = Sao(driver, self.server.root, self.db_name)
        driver.get(self.server.root + '#' + self.db_name)
        sao.visible('#login')
        self.assertEqual(self.english(driver), [])
        self.assertEqual(sao.gettext("Cancel"), "キャンセル")

    def test_main_screens_read_in_japanese(self):
        sao = Sao(self.driver, self.server.root, self.db_name)
        self.driver.get(self.server.root + '#' + self.db_name)
        sao.visible('#login')
        self.screen('sign-in')

        sao.sign_in('kana', 'kana-demo-2027')
        self.assertEqual(sao.gettext("Record saved."), "保存しました。")
        self.screen('menu')

        sao.open_menu("ポイント制度", "事業", "事業")
        self.screen('list')

        sao.toolbar('new_')
        self.screen('form')

        # The preferences close the tabs, once the user agrees, asking
        # first what to do with the new record.
        self.driver.execute_script('Sao.preferences();')
        for name, answer in [('close-tabs', "OK"), ('save-question', "No")]:
            question = sao.visible('.modal.in')
            self.screen(name)
            question.find_element(By.XPATH, './/button[normalize-space(.)='
                '"%s"]' % sao.gettext(answer)).click()
            sao.wait(expected_conditions.invisibility_of_element(question))
        sao.wait(lambda d: d.find_elements(By.CSS_SELECTOR,
                '.modal.in [name="language"]'))
        sao.idle()
        self.screen('preferences')
        self.assertEqual(sao.console_errors(), [])
        self.assertEqual(sao.dialog_errors(), [])
