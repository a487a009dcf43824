"""Driving the back office as its users do: sao in Debian's headless
Chromium (selenium), against a real HTTP server of the test database."""
import os

from selenium.common.exceptions import (
    StaleElementReferenceException, TimeoutException)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from trytond.modules.hirakata_points.hosts import HostLayer
from trytond.modules.hirakata_points.tests.browser import (
    ROOT, Server, chromium)
from trytond.wsgi import SharedDataMiddlewareIndex, app

SAO = os.path.join(ROOT, 'node_modules', 'tryton-sao')
# Files sao asks for that a site may add and ours has not: their absence
# is not an error of our screens.
OPTIONAL = ('/custom.css', '/custom.js', '/locale/')


def sao_app():
    """trytond's WSGI application serving sao at /, as scripts/demo does:
    behind the host layer, so under the back office's headers and CSP."""
    return HostLayer(SharedDataMiddlewareIndex(app.wsgi_app.app, {'/': SAO}),
        root=SAO)


def back_office_browser():
    """A desktop-sized Chromium in Japanese (sao's sign-in dialog too) that
    keeps its console."""
    return chromium(width=1366, height=900, language='ja')


class BackOfficeServerMixin:
    """For a test class: a server of its database with sao in front
    (cls.server) and one desktop browser (cls.driver) for all its tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(path='', application=sao_app())
        cls.driver = back_office_browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        super().tearDownClass()


class Sao:
    "One user's back office in the browser."

    def __init__(self, driver, url, database):
        self.driver = driver
        self.url = url
        self.database = database

    def wait(self, condition, timeout=20):
        # sao redraws as records load: an element read a moment ago may
        # be gone; the condition is then asked again.
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(
                StaleElementReferenceException,)).until(condition)

    def visible(self, css, timeout=20):
        return self.wait(expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, css)), timeout)

    def sign_in(self, login, password):
        # From another page: a new hash alone would not reload sao.
        self.driver.get('about:blank')
        self.driver.get(self.url + '#' + self.database)
        # (a loaded machine may take long to load sao and its session)
        field = self.visible('#login', timeout=60)
        for _ in range(4):
            # The dialog may still be filling itself in (its database
            # list) when typed into: a submit then sends nothing, seen in
            # long runs. Type again if it was cleared, and submit again.
            if field.get_attribute('value') != login:
                field.clear()
                field.send_keys(login)
            self.driver.find_element(By.CSS_SELECTOR,
                '.login-dialog button[type=submit]').click()
            try:
                prompt = self.visible('#ask-dialog-entry', timeout=20)
                break
            except TimeoutException:
                field = self.visible('#login')
        else:
            raise AssertionError("sao never asked for the password")
        prompt.send_keys(password + Keys.ENTER)
        self.visible('#menu .column-char')
        self.idle()

    def sign_out(self):
        "Sign out, closing the tabs (sao asks first)."
        self.idle()
        try:
            self.wait(lambda d: not any(self.changed()), timeout=5)
        except TimeoutException:
            pass
        assert not any(self.changed()), "changed on screen: %s" % (
            self.changed())
        self.driver.execute_script('Sao.logout();')

        def signed_out(driver):
            for dialog in driver.find_elements(By.CSS_SELECTOR,
                    '.confirmation-dialog'):
                if dialog.is_displayed():
                    dialog.find_element(By.XPATH, './/button[@title="%s"]'
                        % self.gettext("OK")).click()
            return any(e.is_displayed()
                for e in driver.find_elements(By.ID, 'login'))
        self.wait(signed_out)
        self.driver.execute_script('localStorage.clear();')

    def changed(self):
        """Per tab, what sao would ask to save: fields changed on its
        record, or widgets showing other than the record (typed and not
        yet set, or not yet redrawn after a reload)."""
        return self.driver.execute_script(
            'return Sao.Tab.tabs.map((t) => {'
            ' const s = t.screen, v = s && s.current_view, r = s'
            '  && s.current_record;'
            ' const fields = r ? Object.keys(r.modified_fields) : [];'
            ' const widgets = v && v.widgets ? Object.keys(v.widgets).filter('
            '  (n) => v.widgets[n].some((w) => w.modified)) : [];'
            ' return fields.concat(widgets); });')

    def idle(self, timeout=20):
        "Wait until sao has no request in flight."
        self.wait(lambda d: d.execute_script(
                'return typeof jQuery != "undefined" && jQuery.active == 0'
                ' && !document.querySelector(".modal-backdrop:not(.in)");'),
            timeout)

    MENU_ROW = ('//div[@id="menu"]//tr[.//div[contains(@class,"column-char")'
        ' and normalize-space(.)="%s"]]')

    def menu_row(self, label):
        return self.wait(expected_conditions.visibility_of_element_located(
                (By.XPATH, self.MENU_ROW % label)))

    def open_menu(self, *path):
        "Open the menu entry at path (its folders' labels, then its own)."
        for folder, entry in zip(path, path[1:]):
            shown = [r for r in self.driver.find_elements(By.XPATH,
                    self.MENU_ROW % entry) if r.is_displayed()]
            if len(shown) <= (folder == entry):
                self.menu_row(folder).find_element(By.CSS_SELECTOR,
                    '.expander').click()
                self.idle()
        # The last row so labelled: a folder and its first entry may share
        # a label (事業).
        self.wait(lambda d: d.find_elements(By.XPATH,
                self.MENU_ROW % path[-1]))[-1].find_element(By.CSS_SELECTOR,
            '.column-char').click()
        self.idle()
        return self.tab()

    def tab(self):
        "The tab shown."
        return self.visible('#tabcontent > .tab-pane.active')

    def scope(self):
        "Where the user works: the dialog on top, else the tab shown."
        dialogs = [m for m in self.driver.find_elements(By.CSS_SELECTOR,
                '.modal.in') if m.is_displayed()]
        return dialogs[-1] if dialogs else self.tab()

    def gettext(self, text):
        "sao's own text in the user's language (e.g. a button's title)."
        return self.driver.execute_script(
            'return Sao.i18n.gettext(arguments[0]);', text)

    def add_line(self, title, **values):
        """In the form's list titled title (a one2many), add a line and type
        values into it: in the list when it is editable, else in the form
        it opens (then OK)."""
        widget = self.scope().find_element(By.XPATH,
            './/div[contains(@class,"form-one2many")][.//*[normalize-space(.)'
            '="%s"]]' % title)
        dialogs = len(self.driver.find_elements(By.CSS_SELECTOR, '.modal.in'))
        widget.find_element(By.XPATH, './/button[@title="%s"]'
            % self.gettext("New")).click()
        self.idle()
        if len(self.driver.find_elements(By.CSS_SELECTOR,
                    '.modal.in')) > dialogs:
            self.fill(**values)
            self.scope().find_element(By.XPATH, './/button[@title="%s"]'
                % self.gettext("OK")).click()
            self.idle()
        else:
            self.fill(scope=widget, **values)

    def button(self, label, scope=None):
        "The visible button labelled label (in the tab shown, by default)."
        scope = scope or self.scope()
        return self.wait(lambda d: next((b for b in scope.find_elements(
                        By.XPATH, './/button[normalize-space(.)="%s"]' % label)
                    if b.is_displayed() and b.is_enabled()), False))

    def press(self, label, confirm=False):
        "Press a form button; with confirm, answer its question yes."
        self.button(label).click()
        if confirm:
            self.visible('.confirmation-dialog').find_element(By.XPATH,
                './/button[@title="%s"]' % self.gettext("OK")).click()
        self.idle()
        # Until the record the button reloaded is drawn again.
        try:
            self.wait(lambda d: not any(self.changed()))
        except TimeoutException:
            raise AssertionError("changed on screen after %s: %s" % (
                    label, self.changed()))

    def toolbar(self, name):
        "Press the tab's toolbar button name (new_, save, switch_, reload)."
        self.tab().find_element(By.CSS_SELECTOR,
            'nav.toolbar button#%s' % name).click()
        self.idle()

    def field(self, name, editable=False, scope=None):
        """The input of field name in scope (where the user works, by
        default), once editable if asked."""
        def shown(element):
            return element.is_displayed() and (not editable or (
                    element.is_enabled()
                    and not element.get_attribute('readonly')))
        return self.wait(lambda d: next((e for e in (
                        scope or self.scope()).find_elements(
                        By.CSS_SELECTOR, '[name="%s"]' % name)
                    if shown(e)), False))

    def fill(self, scope=None, **values):
        "Type values into the form's fields, as a user does (Tab after)."
        for name, value in values.items():
            field = self.field(name, editable=True, scope=scope)
            if field.tag_name == 'select':
                Select(field).select_by_visible_text(value)
            else:
                field.clear()
                field.send_keys(str(value) + Keys.TAB)
            self.idle()

    def choose(self, **values):
        """Pick records in the form's many2one fields, as a user does: type
        the name, click it in the list of suggestions. A value may be a
        pair: what to type, and the suggestion to click (a record shown
        with its code)."""
        for name, text in values.items():
            typed, text = text if isinstance(text, tuple) else (text, text)
            field = self.field(name, editable=True)
            field.clear()
            field.send_keys(typed)
            self.wait(lambda d: next((e for e in d.find_elements(By.XPATH,
                            '//ul[contains(@class,"dropdown-menu")]//a'
                            '[normalize-space(.)="%s"]' % text)
                        if e.is_displayed()), False)).click()
            self.idle()

    def value(self, name, expected=None):
        """What field name shows; with expected, once it shows that (a
        button's changes come back after its request), or what it shows
        after a while, for the test to report."""
        def shown():
            field = self.field(name)
            if field.tag_name == 'select':
                return Select(field).first_selected_option.text
            return field.get_attribute('value')
        if expected is not None:
            try:
                self.wait(lambda d: shown() == expected, timeout=10)
            except TimeoutException:
                pass
        return self.wait(lambda d: (shown(),))[0]

    def open_record(self, text):
        "Open, from the list shown, the record whose row shows text."
        row = self.wait(expected_conditions.visibility_of_element_located(
                (By.XPATH, '//div[@id="tabcontent"]/div[contains(@class,'
                    '"active")]//tr[.//td[normalize-space(.)="%s"]]' % text)))
        cell = row.find_element(By.XPATH, './/td[normalize-space(.)="%s"]'
            % text)
        if cell.find_elements(By.TAG_NAME, 'a'):
            # A many2one's cell is a link that opens its own record: the
            # row opens from a plain cell.
            cell = next(c for c in row.find_elements(By.TAG_NAME, 'td')
                if c.is_displayed() and c.text.strip()
                and not c.find_elements(By.TAG_NAME, 'a'))
        ActionChains(self.driver).double_click(cell).perform()
        self.idle()

    def open_first(self):
        "Open the first record of the list shown."
        row = self.wait(lambda d: next((r for r in self.tab().find_elements(
                        By.CSS_SELECTOR, '.treeview tbody tr')
                    if r.is_displayed() and r.text), False))
        cell = next(c for c in row.find_elements(By.TAG_NAME, 'td')
            if c.is_displayed() and c.text)
        ActionChains(self.driver).double_click(cell).perform()
        self.idle()

    def open_page(self, title):
        "Show the form's notebook page titled title."
        self.tab().find_element(By.XPATH, './/ul[contains(@class,"nav-tabs")]'
            '//a[normalize-space(.)="%s"]' % title).click()
        self.idle()

    def toolbar_enabled(self, name):
        "Whether the tab's toolbar button name may be pressed."
        button = self.tab().find_element(By.CSS_SELECTOR,
            'nav.toolbar button#%s' % name)
        return button.is_displayed() and button.is_enabled()

    def rows(self):
        "The texts of the rows of the list shown, once it shows some."
        def shown():
            return [r.text for r in self.tab().find_elements(
                    By.CSS_SELECTOR, '.treeview tbody tr')
                if r.is_displayed() and r.text]
        try:
            return self.wait(lambda d: shown(), timeout=10)
        except TimeoutException:
            return []

    def dialog_errors(self):
        "The texts of the error and warning dialogs shown."
        return [d.text for d in self.driver.find_elements(By.CSS_SELECTOR,
                '.error-dialog, .warning-dialog') if d.is_displayed()]

    def console_errors(self):
        "Script errors and failed requests in the console, since last asked."
        return [e['message'] for e in self.driver.get_log('browser')
            if e['level'] == 'SEVERE' and not any(
                path in e['message'] for path in OPTIONAL)]
