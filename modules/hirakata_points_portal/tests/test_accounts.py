"""Web accounts over HTTP (issue 15): sign-up with e-mail verification and
password reset through a real SMTP server, linking a card with a one-time
code, lockouts that nobody can aim at a resident, the desk's side."""
import datetime as dt
import io
import urllib.parse

import openpyxl

from trytond.modules.hirakata_points.tests.test_module import (
    create_user, load_japanese)
from trytond.modules.hirakata_points_portal import (
    guard, link, routes_account, routes_link)
from trytond.modules.hirakata_points_portal.tests.mail import MailServer
from trytond.modules.hirakata_points_portal.tests.test_portal import (
    BIRTH, PASSWORD, later, make_account, make_holder, reset_limits)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

WRONG = 'not-the-password'


def resident(name, birth_date):
    """A new holder with a QR card and a web account without a card, all
    committed: (holder id, card number, e-mail)."""
    with Transaction().start(DB_NAME, 0) as transaction:
        holder, card = make_holder(name, "テスト", birth_date)
        email = 'r%s@example.jp' % holder
        make_account(email)
        transaction.commit()
    return holder, card, email


def issue_code(holder, channel='desk'):
    "A new linking code of holder (an id), committed."
    with Transaction().start(DB_NAME, 0) as transaction:
        pool = Pool()
        holder = pool.get('hirakata.holder')(holder)
        code = pool.get('hirakata.portal.link_code').issue([holder],
            channel)[holder.id]
        transaction.commit()
    return code


class AccountsTestCase(RouteTestCase):
    "Web accounts of residents"
    module = 'hirakata_points_portal'

    @classmethod
    def setUpClass(cls):
        cls.mail = MailServer().start()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.mail.stop()

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        cls.holder, cls.card = make_holder("枚方 花子", "ヒラカタ ハナコ",
            BIRTH, points=100)
        make_account('hanako@example.jp', cls.holder)
        make_account('jiro@example.jp')
        make_account('saburo@example.jp')

    def setUp(self):
        super().setUp()
        reset_limits()
        routes_link.REQUESTS_BY_ACCOUNT.reset()
        with Transaction().start(DB_NAME, 0) as transaction:
            Failure = Pool().get('hirakata.portal.failure')
            Failure.delete(Failure.search([]))
            transaction.commit()

    def url(self, path=''):
        return '/%s/hirakata/portal/%s' % (DB_NAME, path)

    def sign_in(self, client, email='hanako@example.jp', password=PASSWORD,
            address='192.0.2.10'):
        return client.post(self.url('sign-in'), data={'email': email,
                'password': password},
            environ_base={'REMOTE_ADDR': address})

    # Sign-up, verification, reset: mails through the SMTP server.
    def test_sign_up_verify_then_sign_in(self):
        client = self.client()
        response = client.post(self.url('sign-up'), data={
                'email': 'Yoshiko@Example.jp', 'password': 'yoshiko-pass-1',
                'password2': 'yoshiko-pass-1'})
        self.assertEqual(response.status_code, 200)
        self.assertIn("確認のメールを送りました", response.get_data(as_text=True))
        # Not verified yet: the right password does not sign in.
        response = self.sign_in(client, 'yoshiko@example.jp',
            'yoshiko-pass-1')
        self.assertEqual(response.status_code, 400)
        self.assertIn("メールアドレスの確認が済んでいません",
            response.get_data(as_text=True))
        subject, text = self.mail.last_to('yoshiko@example.jp')
        self.assertEqual(subject, "【枚方市ポイント】メールアドレスの確認")
        self.assertIn("登録が完了します", text)
        link = urllib.parse.urlsplit(self.mail.link_to('yoshiko@example.jp'))
        self.assertTrue(link.path.endswith('/verify'))
        response = client.get(self.url('verify?' + link.query))
        self.assertEqual(response.status_code, 200)
        self.assertIn("登録が完了しました", response.get_data(as_text=True))
        # A link works once.
        self.assertEqual(client.get(self.url('verify?' + link.query))
            .status_code, 400)
        response = self.sign_in(client, 'yoshiko@example.jp',
            'yoshiko-pass-1')
        self.assertEqual(response.status_code, 303)
        # No card yet: the account asks for one.
        response = client.get(self.url())
        self.assertTrue(response.headers['Location'].endswith('link'))

    def sign_up(self, client, email, password):
        return client.post(self.url('sign-up'), data={'email': email,
                'password': password, 'password2': password})

    def test_address_not_squatted_by_an_earlier_sign_up(self):
        attacker, resident = self.client(), self.client()
        self.assertEqual(self.sign_up(attacker, 'kazuko@example.jp',
                'attacker-pass-1').status_code, 200)
        first = urllib.parse.urlsplit(self.mail.link_to('kazuko@example.jp'))
        # The resident signs up with the same address: their password
        # counts, with a new link; the first link no longer works.
        self.assertEqual(self.sign_up(resident, 'kazuko@example.jp',
                'resident-pass-1').status_code, 200)
        second = urllib.parse.urlsplit(self.mail.link_to('kazuko@example.jp'))
        self.assertNotEqual(first.query, second.query)
        self.assertEqual(resident.get(self.url('verify?' + first.query))
            .status_code, 400)
        self.assertEqual(resident.get(self.url('verify?' + second.query))
            .status_code, 200)
        self.assertEqual(self.sign_in(attacker, 'kazuko@example.jp',
                'attacker-pass-1').status_code, 400)
        self.assertEqual(self.sign_in(resident, 'kazuko@example.jp',
                'resident-pass-1').status_code, 303)
        # Once confirmed, signing up again changes nothing; the owner is
        # told by mail.
        response = self.sign_up(attacker, 'kazuko@example.jp',
            'attacker-pass-2')
        self.assertEqual(response.status_code, 200)
        self.assertIn("確認のメールを送りました", response.get_data(as_text=True))
        subject, _ = self.mail.last_to('kazuko@example.jp')
        self.assertEqual(subject, "【枚方市ポイント】ウェブアカウントの登録について")
        self.assertEqual(self.sign_in(attacker, 'kazuko@example.jp',
                'attacker-pass-2').status_code, 400)

    def test_sign_up_problems_in_japanese(self):
        client = self.client()
        for form, message in [
                ({'email': 'a@example.jp', 'password': 'short',
                        'password2': 'short'}, "8文字以上"),
                ({'email': 'a@example.jp', 'password': 'long-enough-1',
                        'password2': 'long-enough-2'}, "同じではありません"),
                ({'email': 'not an address', 'password': 'long-enough-1',
                        'password2': 'long-enough-1'}, "正しく入力"),
                ]:
            response = client.post(self.url('sign-up'), data=form)
            self.assertEqual(response.status_code, 400)
            page = response.get_data(as_text=True)
            self.assertIn(message, page)
            self.assertIn('aria-invalid="true"', page)

    def test_sign_up_of_a_known_address_answers_the_same(self):
        before = len(self.mail.messages)
        response = self.client().post(self.url('sign-up'), data={
                'email': 'hanako@example.jp', 'password': 'another-pass-1',
                'password2': 'another-pass-1'})
        self.assertEqual(response.status_code, 200)
        self.assertIn("確認のメールを送りました", response.get_data(as_text=True))
        # Only Hanako's mailbox learns the account exists.
        self.assertEqual(len(self.mail.messages), before + 1)
        subject, _ = self.mail.last_to('hanako@example.jp')
        self.assertEqual(subject, "【枚方市ポイント】ウェブアカウントの登録について")
        # Hanako's password is unchanged.
        self.assertEqual(self.sign_in(self.client()).status_code, 303)

    def test_password_reset_by_mail(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            make_account('forgetful@example.jp')
            transaction.commit()
        phone = self.client()
        self.assertEqual(self.sign_in(phone, 'forgetful@example.jp')
            .status_code, 303)
        client = self.client()
        response = client.post(self.url('forgot'),
            data={'email': 'forgetful@example.jp'})
        self.assertEqual(response.status_code, 200)
        subject, text = self.mail.last_to('forgetful@example.jp')
        self.assertEqual(subject, "【枚方市ポイント】パスワードの再設定")
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
                    self.mail.link_to('forgetful@example.jp')).query))
        page = client.get(self.url('reset'), query_string=query)
        self.assertEqual(page.status_code, 200)
        wrong = client.post(self.url('reset'), data={
                'email': query['email'], 'token': 'x' * 32,
                'password': 'new-password-1', 'password2': 'new-password-1'})
        self.assertEqual(wrong.status_code, 400)
        # Someone guessed at the account meanwhile, enough to make it wait.
        with Transaction().start(DB_NAME, 0) as transaction:
            Failure = Pool().get('hirakata.portal.failure')
            for _ in range(8):
                Failure.failed(['account:forgetful@example.jp'], 'password')
            self.assertTrue(Failure.wait(['account:forgetful@example.jp']))
            transaction.commit()
        response = client.post(self.url('reset'), data={
                'email': query['email'], 'token': query['token'],
                'password': 'new-password-1', 'password2': 'new-password-1'})
        self.assertEqual(response.status_code, 200)
        self.assertIn("パスワードを変更しました", response.get_data(as_text=True))
        # The other devices are signed out; the new password works.
        self.assertEqual(phone.get(self.url()).status_code, 303)
        self.assertEqual(self.sign_in(client, 'forgetful@example.jp')
            .status_code, 400)
        self.assertEqual(self.sign_in(client, 'forgetful@example.jp',
                'new-password-1').status_code, 303)

    def test_reset_of_an_unknown_address_answers_the_same(self):
        before = len(self.mail.messages)
        response = self.client().post(self.url('forgot'),
            data={'email': 'nobody@example.jp'})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.mail.messages), before)

    def test_mails_limited_by_address_an_ipv6_client_by_its_64(self):
        def forgot(address):
            return self.client().post(self.url('forgot'),
                data={'email': 'nobody@example.jp'},
                environ_base={'REMOTE_ADDR': address}).status_code
        # One client has a whole /64 to pick its address from.
        for i in range(routes_account.MAILS_BY_ADDRESS.limit):
            self.assertEqual(forgot('2001:db8:1:2::%x' % (i + 1)), 200)
        self.assertEqual(forgot('2001:db8:1:2:ffff::1'), 429)
        self.assertEqual(forgot('2001:db8:1:3::1'), 200)

    # Lockouts (issue 15, medium): nobody can aim one at a resident.
    def test_neighbour_cannot_lock_the_resident_out(self):
        phone = self.client()
        self.assertEqual(self.sign_in(phone, address='198.51.100.7')
            .status_code, 303)
        phone.post(self.url('sign-out'))
        # The neighbour tries passwords until made to wait...
        neighbour = self.client()
        for _ in range(guard.FREE_FAILURES):
            self.assertEqual(self.sign_in(neighbour, password=WRONG)
                .status_code, 400)
        response = self.sign_in(neighbour, password=WRONG)
        self.assertEqual(response.status_code, 400)
        response = self.sign_in(neighbour)  # even the right one must wait
        self.assertEqual(response.status_code, 429)
        self.assertIn("お待ちください", response.get_data(as_text=True))
        # ...but the resident's own phone signs in at once, even from the
        # neighbour's network.
        self.assertEqual(self.sign_in(phone, address='192.0.2.10')
            .status_code, 303)

    def test_delays_grow_per_account_and_per_address(self):
        client = self.client()
        for _ in range(guard.FREE_FAILURES + 1):
            self.sign_in(client, 'jiro@example.jp', WRONG, '203.0.113.5')
        # The account waits (whatever the address)...
        self.assertEqual(self.sign_in(self.client(), 'jiro@example.jp',
                address='203.0.113.99').status_code, 429)
        # ...and so does the address (whatever the account).
        self.assertEqual(self.sign_in(self.client(), 'saburo@example.jp',
                address='203.0.113.5').status_code, 429)
        # The wait passes, and grows with each further failure.
        with later(seconds=guard.FIRST_DELAY.total_seconds() + 1):
            self.assertEqual(self.sign_in(client, 'jiro@example.jp', WRONG,
                    '203.0.113.77').status_code, 400)
        with later(seconds=guard.FIRST_DELAY.total_seconds() * 2 - 1):
            self.assertEqual(self.sign_in(self.client(), 'jiro@example.jp',
                    address='203.0.113.78').status_code, 429)
        with later(seconds=guard.FIRST_DELAY.total_seconds() * 3 + 2):
            self.assertEqual(self.sign_in(self.client(), 'jiro@example.jp',
                    address='203.0.113.78').status_code, 303)

    # Issue 15, medium: failures across residents closed the portal.
    def test_mass_guessing_alerts_but_stops_nobody(self):
        guard.MASS_FAILURES.limit, limit = 5, guard.MASS_FAILURES.limit
        self.addCleanup(setattr, guard.MASS_FAILURES, 'limit', limit)
        with self.assertLogs('hirakata.portal', 'ERROR') as logs:
            for n in range(8):
                self.sign_in(self.client(), 'guess%s@example.jp' % n, WRONG,
                    '203.0.113.%s' % (n + 1))
        self.assertIn("mass guessing", logs.output[-1])
        self.assertEqual(self.sign_in(self.client()).status_code, 303)

    # Linking a card.
    def link(self, client, number, code, birth=BIRTH, address='192.0.2.10'):
        return client.post(self.url('link'), data={'number': number,
                'year': str(birth.year), 'month': str(birth.month),
                'day': str(birth.day), 'code': code},
            environ_base={'REMOTE_ADDR': address})

    def test_linking_needs_the_code_and_works_once(self):
        birth = dt.date(1960, 1, 1)
        holder, card, email = resident("淀川 次郎", birth)
        _, _, other_email = resident("樟葉 四郎", birth)
        code = issue_code(holder)
        client = self.client()
        self.sign_in(client, email)
        # Number and birth date alone (or with a wrong code) do not link.
        response = self.link(client, card, 'AAAA-BBBB-CCCC', birth)
        self.assertEqual(response.status_code, 400)
        self.assertIn("連携コード", response.get_data(as_text=True))
        response = self.link(client, card, code,
            birth + dt.timedelta(days=1))
        self.assertEqual(response.status_code, 400)
        # Typed in lower case, without hyphens, in full width: the same.
        typed = code.replace('-', ' ').lower().translate(str.maketrans(
                'abcdefghjk', 'ａｂｃｄｅｆｇｈｊｋ'))
        response = self.link(client, card, typed, birth)
        self.assertEqual(response.status_code, 303)
        page = client.get(self.url()).get_data(as_text=True)
        self.assertIn("淀川 次郎 様", page)
        # One web account per holder; the code is used up.
        other = self.client()
        self.sign_in(other, other_email)
        self.assertEqual(self.link(other, card, code, birth).status_code,
            400)
        with Transaction().start(DB_NAME, 0):
            LinkCode = Pool().get('hirakata.portal.link_code')
            stored = [c.digest for c in LinkCode.search([])]
            self.assertNotIn(link.clean_code(code), ' '.join(stored))

    def test_expired_code_refused(self):
        birth = dt.date(1955, 5, 5)
        holder, card, email = resident("期限 切れ", birth)
        code = issue_code(holder, 'desk')
        client = self.client()
        with later(days=link.VALID['desk'].days + 1):
            self.sign_in(client, email)
            self.assertEqual(self.link(client, card, code, birth)
                .status_code, 400)

    def test_linking_failures_delay_the_account_not_the_holder(self):
        birth = dt.date(1955, 5, 5)
        holder, card, email = resident("狙われ 太郎", birth)
        _, _, attacker_email = resident("隣人 花子", birth)
        code = issue_code(holder)
        attacker = self.client()
        self.sign_in(attacker, attacker_email, address='203.0.113.9')
        for _ in range(guard.FREE_FAILURES + 1):
            self.link(attacker, card, 'AAAA-BBBB-CCCC', birth, '203.0.113.9')
        self.assertEqual(self.link(attacker, card, code, birth,
                '203.0.113.9').status_code, 429)
        # The resident links at once with the right code.
        own = self.client()
        self.sign_in(own, email)
        self.assertEqual(self.link(own, card, code, birth).status_code, 303)

    def test_code_requested_by_post_then_issued_by_the_desk(self):
        birth = dt.date(1955, 5, 5)
        holder, card, email = resident("郵便 希望", birth)
        client = self.client()
        self.sign_in(client, email)
        for number in [card, 'H99999999']:
            response = client.post(self.url('link/request'),
                data={'request-number': number})
            self.assertEqual(response.status_code, 200)
            self.assertIn("お申し込みを受け付けました",
                response.get_data(as_text=True))
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Request = pool.get('hirakata.portal.link_request')
            request, = Request.search([('holder', '=', holder)])
            self.assertEqual(Request.search_count([]), 1)
            operator = create_user('desk-post', 'group_operator')
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(_check_access=True):
                Issue = pool.get('hirakata.portal.link_code.issue',
                    type='wizard')
                session_id, _, _ = Issue.create()
                with Transaction().set_context(
                        active_model='hirakata.portal.link_request',
                        active_id=request.id, active_ids=[request.id]):
                    Issue.execute(session_id, {}, 'start')
                    result = Issue.execute(session_id, {'start': {
                                'holder': holder, 'channel': 'post'}},
                        'issue')
            shown = result['view']['defaults']
            self.assertRegex(shown['code'], r'^[A-Z2-9]{4}-[A-Z2-9]{4}-'
                r'[A-Z2-9]{4}$')
            self.assertEqual(Request(request.id).state, 'sent')
            transaction.commit()
        self.assertEqual(self.link(client, card, shown['code'], birth)
            .status_code, 303)

    def test_desk_prints_a_code_once(self):
        birth = dt.date(1944, 2, 2)
        holder, card, email = resident("窓口 来訪", birth)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Issue = pool.get('hirakata.portal.link_code.issue',
                type='wizard')
            codes = []
            for login in ['desk-a', 'desk-b']:
                operator = create_user(login, 'group_operator')
                with Transaction().set_user(operator.id), \
                        Transaction().set_context(_check_access=True,
                            active_model='hirakata.holder',
                            active_id=holder, active_ids=[holder]):
                    session_id, _, _ = Issue.create()
                    start = Issue.execute(session_id, {}, 'start')
                    self.assertEqual(
                        start['view']['defaults']['channel'], 'desk')
                    result = Issue.execute(session_id, {'start': {
                                'holder': holder, 'channel': 'desk'}},
                        'issue')
                    codes.append(result['view']['defaults']['code'])
            transaction.commit()
        client = self.client()
        self.sign_in(client, email)
        # The second print replaced the first.
        self.assertEqual(self.link(client, card, codes[0], birth)
            .status_code, 400)
        self.assertEqual(self.link(client, card, codes[1], birth)
            .status_code, 303)

    def test_mailing_list_prints_a_code_per_holder(self):
        birth = dt.date(1955, 5, 5)
        holder, card, email = resident("郵送 一郎", birth)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Distribution = pool.get('hirakata.card.distribution')
            Line = pool.get('hirakata.card.distribution.line')
            MailingList = pool.get(
                'hirakata.card.distribution.mailing_list', type='report')
            distribution, = Distribution.create([{'name': "連携テスト"}])
            Line.create([{'distribution': distribution.id, 'holder': h}
                    for h in [self.holder, holder]])
            _, content, _, _ = MailingList.execute([distribution.id], {})
            transaction.commit()
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        column = rows[0].index("ウェブ連携コード")
        codes = {row[4]: row[column] for row in rows[1:]}
        numbers = {}
        with Transaction().start(DB_NAME, 0):
            Holder = Pool().get('hirakata.holder')
            numbers = {h.id: h.number for h in Holder.browse(
                    [self.holder, holder])}
        # Hanako has a web account already: no code for her.
        self.assertFalse(codes[numbers[self.holder]])
        client = self.client()
        self.sign_in(client, email)
        self.assertEqual(self.link(client, numbers[holder],
                codes[numbers[holder]], birth).status_code, 303)

    def test_desk_unlinks_with_the_button_only(self):
        resident = self.client()
        self.assertEqual(self.sign_in(resident).status_code, 303)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            WebUser = pool.get('web.user')
            user, = WebUser.search([('email', '=', 'hanako@example.jp')])
            clerk = create_user('unlink-clerk', 'group_store_staff')
            operator = create_user('unlink-desk', 'group_operator')
            with Transaction().set_user(clerk.id), \
                    Transaction().set_context(_check_access=True):
                # Store staff neither read residents' addresses nor unlink.
                with self.assertRaises(AccessError):
                    WebUser.read([user.id], ['email'])
                with self.assertRaises(AccessError):
                    WebUser.unlink_holder([WebUser(user.id)])
            # The desk reads addresses, never an account's secrets: a
            # reset token would take the account over.
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(_check_access=True):
                WebUser.read([user.id], ['email'])
                for secret in ['reset_password_token', 'email_token',
                        'password_hash']:
                    with self.assertRaises(AccessError):
                        WebUser.read([user.id], [secret])
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(_check_access=True), \
                    self.assertLogs('hirakata.portal', 'WARNING') as logs:
                WebUser.unlink_holder([WebUser(user.id)])
            self.assertIn("unlinked holder %s" % self.holder, logs.output[0])
            self.assertIsNone(WebUser(user.id).holder)
            WebUser.write([user], {'holder': self.holder})
            transaction.commit()
        # The resident's sessions ended with the unlinking.
        self.assertEqual(resident.get(self.url()).status_code, 303)


del RouteTestCase
