"""The resident portal's pages (R31, R1b): the resident's own balance and
history, the code to show at a store, behind a web account (see
test_accounts.py for signing up, linking a card, lockouts)."""
import datetime as dt
import threading
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

from trytond import backend
from trytond.modules.hirakata_points import clock, phone_code
from trytond.modules.hirakata_points.exceptions import PhoneCodeInvalid
from trytond.modules.hirakata_points.tests.test_city_clock import at
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_portal import (
    guard, routes, routes_account, session)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, RouteTestCase)
from trytond.transaction import Transaction

BIRTH = dt.date(1948, 4, 1)
PASSWORD = 'hirakata-hanako-2026'


def make_holder(name, kana, birth_date, points=0):
    "A holder with a QR card and points; (holder id, QR card number)."
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Card = pool.get('hirakata.card')
    Ledger = pool.get('hirakata.point.ledger')
    holder, = Holder.create([{'name': name, 'name_kana': kana,
                'birth_date': birth_date}])
    card, = Card.create([{'holder': holder.id, 'technology': 'qr'}])
    if points:
        Ledger.grant(holder.account, points, key=uuid.uuid4().hex,
            channel='backoffice', reason="初期ポイント")
    return holder.id, card.identifier


def make_account(email, holder=None, password=PASSWORD):
    "A verified web account, linked to holder (an id) when given."
    WebUser = Pool().get('web.user')
    user, = WebUser.create([{'email': email, 'password': password,
                'email_valid': True, 'holder': holder}])
    return user.id


def later(**delta):
    "The system's clock moved forward by delta (a context manager)."
    return clock.frozen(clock.utc_now() + dt.timedelta(**delta))


def reset_limits():
    routes.CODES_BY_HOLDER.reset()
    routes_account.MAILS_BY_ADDRESS.reset()
    guard.MASS_FAILURES.reset()


class PortalTestCase(RouteTestCase):
    "The resident portal"
    module = 'hirakata_points_portal'

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        cls.holder, cls.card = make_holder("枚方 花子", "ヒラカタ ハナコ",
            BIRTH, points=1234)
        cls.other, cls.other_card = make_holder("淀川 次郎", "ヨドガワ ジロウ",
            dt.date(1960, 1, 1), points=50)
        make_account('hanako@example.jp', cls.holder)
        make_account('jiro@example.jp', cls.other)
        with Transaction().set_context(language='ja'):
            cls.number = Pool().get('hirakata.holder')(cls.holder).number

    def setUp(self):
        super().setUp()
        reset_limits()
        with Transaction().start(DB_NAME, 0) as transaction:
            Failure = Pool().get('hirakata.portal.failure')
            Failure.delete(Failure.search([]))
            transaction.commit()
        self.browser = self.client()

    def url(self, path=''):
        return '/%s/hirakata/portal/%s' % (DB_NAME, path)

    def get(self, path=''):
        response = self.browser.get(self.url(path))
        return response.status_code, response.get_data(as_text=True)

    def sign_in(self, email='hanako@example.jp', password=PASSWORD,
            **headers):
        return self.browser.post(self.url('sign-in'), data={'email': email,
                'password': password}, headers=headers)

    def test_pages_are_japanese_and_locked_down(self):
        response = self.browser.get(self.url('sign-in'))
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('<html lang="ja">', page)
        self.assertIn("メールアドレス", page)
        self.assertIn("frame-ancestors 'none'",
            response.headers['Content-Security-Policy'])
        self.assertEqual(response.headers['Cache-Control'], 'no-store')

    def test_signed_out_goes_to_sign_in(self):
        for path in ['', 'code']:
            response = self.browser.get(self.url(path))
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers['Location'].endswith('sign-in'))
        response = self.browser.post(self.url('code/new'))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.get_json()['error']['code'], 'signed_out')

    def test_sign_in_shows_only_the_residents_own_page(self):
        response = self.sign_in()
        self.assertEqual(response.status_code, 303)
        cookies = response.headers.getlist('Set-Cookie')
        self.assertEqual(len(cookies), 2)  # the session and the device
        for cookie in cookies:
            for flag in ['HttpOnly', 'SameSite=Strict',
                    'Path=/%s/hirakata/portal/' % DB_NAME]:
                self.assertIn(flag, cookie)
        response = self.browser.get(self.url())
        status, page = response.status_code, response.get_data(as_text=True)
        self.assertEqual(status, 200)
        self.assertIn("枚方 花子 様", page)
        self.assertIn(self.number, page)
        self.assertIn('1,234ポイント', page)
        self.assertRegex(page, r'\d{4}/\d{2}/\d{2}</td><td class="num">'
            r'1,234ポイント')
        self.assertIn("付与", page)
        self.assertNotIn("淀川", page)

    def test_page_is_dated_by_hirakata_after_midnight(self):
        day = clock.local_now().date() + dt.timedelta(days=1)
        with clock.frozen(at(day.year, day.month, day.day, 0, 30)):
            self.sign_in()
            status, page = self.get()
        self.assertEqual(status, 200)
        self.assertIn('%s 現在' % day.strftime('%Y/%m/%d'), page)

    def test_cross_site_post_refused(self):
        # trytond's own check of the Origin header, before any handler,
        # answered by the host layer with a Japanese page.
        response = self.sign_in(Origin='https://evil.example')
        self.assertEqual(response.status_code, 403)
        self.assertIn("受け付けられません", response.get_data(as_text=True))
        self.assertEqual(self.get()[0], 303)

    def test_sign_out_ends_the_session(self):
        self.sign_in()
        self.assertEqual(self.get()[0], 200)
        response = self.browser.post(self.url('sign-out'))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.get()[0], 303)

    def test_code_page_shows_a_code_of_the_residents_account(self):
        shown = []
        make = routes.segno.make

        def recording(content, **kwargs):
            shown.append(content)
            return make(content, **kwargs)
        self.sign_in()
        with patch.object(routes.segno, 'make', recording):
            status, page = self.get('code')
            answer = self.browser.post(self.url('code/new')).get_json()
        self.assertEqual(status, 200)
        self.assertIn('src="data:image/svg+xml', page)
        self.assertIn('alt="ポイントを使うためのQRコード"', page)
        self.assertIn('data-refresh="60"', page)
        self.assertTrue(answer['image'].startswith('data:image/svg+xml'))
        self.assertEqual(answer['seconds'], 60)
        first, second = shown
        self.assertRegex(second, r'^HK[A-Z2-7]{24}$')
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            PhoneCode = pool.get('hirakata.phone_code')
            account = pool.get('hirakata.holder')(self.holder).account.id
            self.assertEqual(PhoneCode.claim(second, 'terminal:1').account,
                account)
            # The page's first code stops 30 s after the second is shown.
            later = phone_code.utc_now() + dt.timedelta(seconds=31)
            with patch.object(phone_code, 'utc_now', lambda: later), \
                    self.assertRaises(PhoneCodeInvalid):
                PhoneCode.claim(first, 'terminal:1')

    def test_codes_limited_per_resident(self):
        routes.CODES_BY_HOLDER.limit, limit = 2, routes.CODES_BY_HOLDER.limit
        self.addCleanup(setattr, routes.CODES_BY_HOLDER, 'limit', limit)
        self.sign_in()
        self.assertEqual(self.get('code')[0], 200)
        self.assertEqual(self.browser.post(self.url('code/new')).status_code,
            200)
        response = self.browser.post(self.url('code/new'))
        self.assertEqual(response.status_code, 429)
        self.assertIn("1分ほど", response.get_json()['error']['message'])

    # Issue 15, high: a card number and a birth date spent the points.
    def test_number_and_birth_date_no_longer_sign_in(self):
        response = self.browser.post(self.url('sign-in'), data={
                'number': self.card, 'year': str(BIRTH.year),
                'month': str(BIRTH.month), 'day': str(BIRTH.day)})
        self.assertEqual(response.status_code, 400)
        self.assertNotIn('Set-Cookie', response.headers)
        self.assertEqual(self.get('code')[0], 303)
        self.assertEqual(self.browser.post(self.url('code/new')).status_code,
            401)

    def test_code_needs_a_recent_authentication(self):
        self.sign_in()
        self.assertEqual(self.get('code')[0], 200)
        with later(minutes=session.REAUTH_AGE.total_seconds() / 60 + 1):
            # Still signed in (used within the idle time)...
            self.assertEqual(self.get()[0], 200)
            # ...but points move only after proving it is you again.
            response = self.browser.get(self.url('code'))
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers['Location'].endswith(
                    'reauth?next=code'))
            answer = self.browser.post(self.url('code/new'))
            self.assertEqual(answer.status_code, 401)
            self.assertEqual(answer.get_json()['error']['code'], 'reauth')
            refused = self.browser.post(self.url('reauth'),
                data={'password': 'wrong-password', 'next': 'code'})
            self.assertEqual(refused.status_code, 400)
            response = self.browser.post(self.url('reauth'),
                data={'password': PASSWORD, 'next': 'code'})
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers['Location'].endswith('code'))
            self.assertEqual(self.get('code')[0], 200)

    def test_session_ends_after_idle_time(self):
        self.sign_in()
        self.assertEqual(self.get()[0], 200)
        with later(minutes=session.IDLE_TIME.total_seconds() / 60 + 1):
            self.assertEqual(self.get()[0], 303)

    def test_sessions_listed_and_ended_everywhere(self):
        self.sign_in(**{'User-Agent': 'Mozilla/5.0 (iPhone) Safari/604.1'})
        phone = self.browser
        self.browser = self.client()
        self.sign_in(**{'User-Agent': 'Mozilla/5.0 (Windows) Chrome/130'})
        status, page = self.get('account')
        self.assertEqual(status, 200)
        self.assertIn("iPhone（Safari）", page)
        self.assertIn("Windows（Chrome）（この端末）", page)
        # A passkey someone registered while signed in.
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            WebUser = pool.get('web.user')
            Passkey = pool.get('hirakata.portal.passkey')
            user, = WebUser.search([('email', '=', 'hanako@example.jp')])
            Passkey.create([{'web_user': user.id, 'credential_id': 'xyz',
                        'public_key': 'pk', 'sign_count': 0}])
            transaction.commit()
        response = self.browser.post(self.url('sign-out-everywhere'))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.get()[0], 303)
        self.browser = phone
        self.assertEqual(self.get()[0], 303)
        with Transaction().start(DB_NAME, 0):
            Passkey = Pool().get('hirakata.portal.passkey')
            self.assertEqual(Passkey.search([('web_user', '=', user.id)]),
                [])

    def test_account_without_card_goes_to_linking(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            make_account('new@example.jp')
            transaction.commit()
        self.sign_in('new@example.jp')
        for path in ['', 'code']:
            response = self.browser.get(self.url(path))
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers['Location'].endswith('link'))
        self.assertEqual(self.browser.post(self.url('code/new')).status_code,
            401)

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_first_failures_are_counted(self):
        barrier = threading.Barrier(4)

        def try_once(_):
            client = self.client()
            barrier.wait(timeout=30)
            return client.post(self.url('sign-in'), data={
                    'email': 'jiro@example.jp',
                    'password': 'wrong-password'}).status_code
        with ThreadPoolExecutor(4) as executor:
            statuses = list(executor.map(try_once, range(4)))
        self.assertEqual(statuses, [400] * 4)
        with Transaction().start(DB_NAME, 0):
            Failure = Pool().get('hirakata.portal.failure')
            counter, = Failure.search([('key', '=',
                        'account:jiro@example.jp')])
            self.assertEqual(counter.failures, 4)

    def test_static_files_served(self):
        response = self.browser.get(self.url('static/passkey.js'))
        self.assertEqual(response.status_code, 200)
        response = self.browser.get(self.url('static/code.js'))
        self.assertEqual(response.status_code, 200)
        self.assertIn('javascript', response.headers['Content-Type'])
        self.assertEqual(
            self.browser.get(self.url('static/../routes.py')).status_code,
            404)




class PortalModuleTestCase(ModuleTestCase):
    "The portal module"
    module = 'hirakata_points_portal'


del ModuleTestCase, RouteTestCase
