"""The resident portal's pages (R31, R1b): sign-in, the resident's own
balance and history, the code to show at a store."""
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
from trytond.modules.hirakata_points_portal import routes, session
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, RouteTestCase)
from trytond.transaction import Transaction

BIRTH = dt.date(1948, 4, 1)


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
        with Transaction().set_context(language='ja'):
            cls.number = Pool().get('hirakata.holder')(cls.holder).number

    def setUp(self):
        super().setUp()
        routes.SIGN_INS_BY_ADDRESS.reset()
        routes.CODES_BY_HOLDER.reset()
        routes.FAILED_SIGN_INS.reset()
        self.browser = self.client()

    def url(self, path=''):
        return '/%s/hirakata/portal/%s' % (DB_NAME, path)

    def get(self, path=''):
        response = self.browser.get(self.url(path))
        return response.status_code, response.get_data(as_text=True)

    def sign_in(self, number=None, birth=BIRTH, **headers):
        form = {'number': number or self.card, 'year': str(birth.year),
            'month': str(birth.month), 'day': str(birth.day)}
        return self.browser.post(self.url('sign-in'), data=form,
            headers=headers)

    def test_pages_are_japanese_and_locked_down(self):
        response = self.browser.get(self.url('sign-in'))
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('<html lang="ja">', page)
        self.assertIn("カード番号または利用者番号", page)
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
        cookie = response.headers['Set-Cookie']
        for flag in ['HttpOnly', 'SameSite=Strict',
                'Path=/%s/hirakata/portal/' % DB_NAME]:
            self.assertIn(flag, cookie)
        response = self.browser.get(self.url())
        # Each visit renews the cookie, as it renews the session.
        self.assertIn('Max-Age=%s' % (30 * 24 * 3600),
            response.headers['Set-Cookie'])
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

    def test_holder_number_typed_in_full_width(self):
        wide = self.number.translate(str.maketrans(
                '0123456789H', '０１２３４５６７８９Ｈ'))
        self.assertEqual(self.sign_in(wide).status_code, 303)
        self.assertIn("枚方 花子 様", self.get()[1])

    def assertRefused(self, response):
        self.assertEqual(response.status_code, 400)
        self.assertIn(routes.REFUSED, response.get_data(as_text=True))
        self.assertNotIn('Set-Cookie', response.headers)

    def test_wrong_birth_dates_lock_longer_each_time(self):
        wrong = BIRTH + dt.timedelta(days=1)
        clock = [session.utc_now()]

        def wait(delta):
            clock[0] += delta
        minute = dt.timedelta(minutes=1)
        with patch.object(session, 'utc_now', lambda: clock[0]):
            for _ in range(session.MAX_FAILURES):
                self.assertRefused(self.sign_in(birth=wrong))
            # Locked: the right date is answered as a wrong one.
            self.assertRefused(self.sign_in())
            wait(session.LOCK_TIME + minute)
            for _ in range(session.MAX_FAILURES):
                self.assertRefused(self.sign_in(birth=wrong))
            wait(session.LOCK_TIME + minute)
            self.assertRefused(self.sign_in())  # twice as long this time
            wait(session.LOCK_TIME)
            self.assertEqual(self.sign_in().status_code, 303)

    def test_unknown_number_refused_like_a_wrong_date(self):
        self.assertRefused(self.sign_in('H99999999'))

    def test_many_failures_stop_all_sign_ins(self):
        routes.FAILED_SIGN_INS.limit, limit = 3, (
            routes.FAILED_SIGN_INS.limit)
        self.addCleanup(setattr, routes.FAILED_SIGN_INS, 'limit', limit)
        with self.assertLogs(routes.logger, 'ERROR'):
            for number in ['H99999991', 'H99999992', 'H99999993']:
                self.assertRefused(self.sign_in(number))
        response = self.sign_in()
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.headers['Retry-After'], '60')
        self.assertIn("ただいまログインを受け付けていません",
            response.get_data(as_text=True))

    def test_bad_input_gets_a_japanese_message(self):
        response = self.browser.post(self.url('sign-in'),
            data={'number': self.card, 'year': '昭和', 'month': '13',
                'day': '1'})
        self.assertEqual(response.status_code, 400)
        page = response.get_data(as_text=True)
        self.assertIn("数字で入力してください", page)
        self.assertIn('aria-invalid="true"', page)
        self.assertNotIn("Traceback", page)
        response = self.browser.post(self.url('sign-in'),
            data={'number': self.card, 'year': '9' * 20, 'month': '1',
                'day': '1'})
        self.assertEqual(response.status_code, 400)

    def test_cross_site_post_refused(self):
        # trytond's own check of the Origin header, before any handler,
        # answered by the host layer with a Japanese page.
        response = self.sign_in(Origin='https://evil.example')
        self.assertEqual(response.status_code, 403)
        self.assertIn("受け付けられません", response.get_data(as_text=True))
        self.assertEqual(self.get()[0], 303)

    def test_sign_in_attempts_limited_by_address(self):
        routes.SIGN_INS_BY_ADDRESS.limit, limit = 3, (
            routes.SIGN_INS_BY_ADDRESS.limit)
        self.addCleanup(setattr, routes.SIGN_INS_BY_ADDRESS, 'limit', limit)
        for _ in range(3):
            self.sign_in('H99999999')
        self.assertEqual(self.sign_in().status_code, 429)

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

    def test_static_files_served(self):
        response = self.browser.get(self.url('static/code.js'))
        self.assertEqual(response.status_code, 200)
        self.assertIn('javascript', response.headers['Content-Type'])
        self.assertEqual(
            self.browser.get(self.url('static/../routes.py')).status_code,
            404)


    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_first_failures_are_counted(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            holder, card = make_holder("並行 一", "ヘイコウ ハジメ", BIRTH)
            transaction.commit()
        wrong = BIRTH + dt.timedelta(days=1)
        barrier = threading.Barrier(4)

        def try_once(_):
            client = self.client()
            barrier.wait(timeout=30)
            return client.post(self.url('sign-in'), data={'number': card,
                    'year': str(wrong.year), 'month': str(wrong.month),
                    'day': str(wrong.day)}).status_code
        with ThreadPoolExecutor(4) as executor:
            statuses = list(executor.map(try_once, range(4)))
        self.assertEqual(statuses, [400] * 4)
        with Transaction().start(DB_NAME, 0):
            Guard = Pool().get('hirakata.portal.sign_in_guard')
            guard, = Guard.search([('holder', '=', holder)])
            self.assertEqual(guard.failures, 4)


class PortalModuleTestCase(ModuleTestCase):
    "The portal module"
    module = 'hirakata_points_portal'


del ModuleTestCase, RouteTestCase
