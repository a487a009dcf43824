"""The terminal API, endpoint by endpoint and role by role (R15, R18, R22)."""
import datetime as dt
import io
import json
import re
import unittest
import uuid

from trytond import backend
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_city_clock import at
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos import routes
from trytond.modules.hirakata_points_pos.tests.tools import (
    ApiClient, activate, make_holder, make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

FELICA = '0102030405060708'
BLOCKED = '0102030405060709'
POOR = '01020304050607AA'
OTHER = '01020304050607BB'


class TerminalApiTestCase(ApiClient, RouteTestCase):
    "The terminal API"
    module = 'hirakata_points_pos'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Terminal = pool.get('hirakata.terminal')
        Campaign = pool.get('hirakata.store.campaign')
        load_japanese()
        today = clock.local_now().date()
        cls.store = make_store("ひらかた商店", yen_per_point=100)
        Campaign.create([{'store': cls.store.id, 'name': "ダブルポイント",
                    'kind': 'multiplier', 'multiplier': 2,
                    'start_date': today, 'end_date': today, 'min_age': 65}])
        other = make_store("くずは書店", yen_per_point=200)
        no_redeem = make_store("牧野薬局", redeems=False)
        pin_store = make_store("津田スーパー", clerk_pin_required=True)
        pool.get('hirakata.store.clerk').create([{'store': pin_store.id,
                    'number': '01', 'name': "店員 一号", 'pin': '2580'}])
        terminals = {
            'main': make_terminal(cls.store),
            'other': make_terminal(other),
            'no_redeem': make_terminal(no_redeem),
            'revoked': make_terminal(cls.store, "紛失端末"),
            'to_revoke': make_terminal(cls.store, "盗難端末"),
            'pin': make_terminal(pin_store, "共用レジ"),
            'pin2': make_terminal(pin_store, "共用レジ2"),
            }
        cls.credentials = activate(terminals)
        Terminal.revoke([terminals['revoked']])
        cls.pending_code = make_terminal(cls.store, "新端末").activation_code
        cls.terminal_ids = {n: t.id for n, t in terminals.items()}
        make_holder("山田 太郎", "ヤマダ タロウ", FELICA, points=500,
            birth=dt.date(1950, 5, 5))
        blocked = make_holder("田中 花子", "タナカ ハナコ", BLOCKED, points=50)
        pool.get('hirakata.card').block([blocked])
        make_holder("鈴木 一郎", "スズキ イチロウ", POOR, points=10)
        make_holder("佐藤 幸子", "サトウ サチコ", OTHER, points=1000)

    def setUp(self):
        super().setUp()
        for limiter in [routes.LOOKUPS, routes.UNAUTHENTICATED_BY_ADDRESS,
                routes.WRITES, routes.ACTIVATIONS_BY_ADDRESS,
                routes.CLERK_SIGN_INS, routes.ACTIVATION_FAILURES]:
            limiter.reset()
        routes._alerted[0] = None

    def new_code(self, name):
        "The activation code of a new terminal of the store (committed)."
        with Transaction().start(DB_NAME, 1) as transaction:
            code = make_terminal(self.store, name).activation_code
            transaction.commit()
        return code

    def activation(self, code, address='127.0.0.1'):
        return self.call('POST', '/terminal/activate', {'code': code},
            terminal=None, address=address)

    def card(self, idm=FELICA):
        return {'technology': 'felica', 'identifier': idm}

    def grant(self, amount, idm=FELICA, key=None, terminal='main'):
        return self.call('POST', '/grants',
            {'card': self.card(idm), 'amount': amount},
            key=key or uuid.uuid4().hex, terminal=terminal)

    def redeem(self, points, idm=FELICA, key=None, terminal='main'):
        return self.call('POST', '/redemptions',
            {'card': self.card(idm), 'points': points},
            key=key or uuid.uuid4().hex, terminal=terminal)

    def balance(self, idm=FELICA):
        return self.call('POST', '/cards/lookup',
            {'card': self.card(idm)})[1]['balance']

    def test_activation_code_gives_a_credential_once(self):
        status, data = self.call('POST', '/terminal/activate',
            {'code': self.pending_code}, terminal=None)
        self.assertEqual(status, 200)
        self.assertEqual(self.call('GET', '/terminal',
                terminal=data['credential'])[0], 200)
        self.assertError(self.call('POST', '/terminal/activate',
                {'code': self.pending_code}, terminal=None),
            401, 'activation_invalid')

    def test_activation_codes_are_12_unambiguous_characters(self):
        code = self.new_code("コード確認")
        self.assertRegex(code,
            r'^[ABCDEFGHJKMNPQRSTVWXYZ2-9]{4}(-[ABCDEFGHJKMNPQRSTVWXYZ2-9]{4}){2}$')

    def test_activation_code_taken_without_hyphens_in_any_case(self):
        for typed in [lambda c: c.replace('-', '').lower(),
                lambda c: ' '.join(c.split('-')),
                # A Japanese input method's full-width letters and dash.
                lambda c: ''.join(chr(ord(x) + 0xfee0) if x != '-'
                    else '\u30fc' for x in c)]:
            code = self.new_code("入力の揺れ")
            status, data = self.activation(typed(code))
            self.assertEqual(status, 200, data)
            self.assertTrue(data['credential'])

    def test_wrong_codes_of_every_address_share_a_budget_and_alert(self):
        routes.ACTIVATION_FAILURES.limit = 5
        self.addCleanup(setattr, routes.ACTIVATION_FAILURES, 'limit', 50)
        code = self.new_code("予算確認")
        with self.assertLogs(routes.logger, 'ERROR') as logs:
            for i in range(5):
                # Each try from a new address: the per-address limit
                # alone would never stop it.
                self.assertError(self.activation('K7MQ-3XWD-9RT%s' % i,
                        address='192.0.2.%s' % i), 401, 'activation_invalid')
        self.assertIn('wrong codes', logs.output[0])
        # From then on wrong codes are told activation is suspended, from
        # any address; a right code still activates its terminal.
        self.assertError(self.activation('K7MQ-3XWD-9RTZ',
                address='198.51.100.8'), 503, 'activation_suspended')
        status, data = self.activation(code, address='198.51.100.7')
        self.assertEqual(status, 200, data)
        # The operators see it in the back office (its notifications).
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Notification = pool.get('res.notification')
            notifications = Notification.search([
                    ('label', '=', "端末の利用開始を停止しました")])
            self.assertIn('admin', {n.user.login for n in notifications})
            self.assertIn('1時間に5回', notifications[0].description)
            self.assertEqual(notifications[0].action.id,
                pool.get('ir.model.data').get_id(
                    'hirakata_points_pos', 'act_terminal_form'))
        # One alert per period, however many more tries come.
        self.activation('K7MQ-3XWD-9RTA', address='192.0.2.9')
        self.assertEqual(len(logs.output), 1)

    def test_unauthenticated_callers_do_not_use_up_others_buckets(self):
        code = self.new_code("分離確認")
        # A caller with made-up credentials at the store's address ...
        for i in range(routes.UNAUTHENTICATED_BY_ADDRESS.limit + 5):
            self.call('GET', '/terminal', terminal='x' * 43)
        # ... and one trying codes from another address exhaust their
        # own buckets only.
        for i in range(routes.ACTIVATIONS_BY_ADDRESS.limit):
            self.activation('K7MQ-3XWD-%04d' % i, address='203.0.113.5')
        self.assertError(self.activation(code, address='203.0.113.5'),
            429, 'rate_limited')
        self.assertEqual(self.call('GET', '/terminal')[0], 200)
        status, data = self.activation(code)
        self.assertEqual(status, 200, data)

    def test_terminal_shows_store_rate_and_campaigns(self):
        status, data = self.call('GET', '/terminal')
        self.assertEqual(status, 200)
        self.assertEqual(data['store']['name'], "ひらかた商店")
        self.assertIs(data['store']['redeems'], True)
        self.assertEqual(data['store']['yen_per_point'], 100)
        self.assertEqual(data['store']['campaigns'],
            ["ダブルポイント (×2・65歳以上)"])

    def test_unknown_credential_refused(self):
        self.assertError(self.call('GET', '/terminal', terminal='guess'),
            401, 'unauthorized')
        self.assertError(self.call('GET', '/terminal', terminal=None),
            401, 'unauthorized')

    def test_revoked_terminal_refused_on_its_next_request(self):
        self.assertError(self.call('POST', '/cards/lookup',
                {'card': self.card()}, terminal='revoked'),
            401, 'unauthorized')

    def test_revoking_takes_effect_at_once(self):
        self.assertEqual(self.call('GET', '/terminal',
                terminal='to_revoke')[0], 200)
        with Transaction().start(DB_NAME, 1) as transaction:
            Terminal = Pool().get('hirakata.terminal')
            Terminal.revoke([Terminal(self.terminal_ids['to_revoke'])])
            transaction.commit()
        self.assertError(self.call('GET', '/terminal', terminal='to_revoke'),
            401, 'unauthorized')

    def test_lookup_shows_masked_name_and_balance_only(self):
        status, data = self.call('POST', '/cards/lookup',
            {'card': {'technology': 'felica',
                    'identifier': '01:02:03:04:05:06:07:08'}})
        self.assertEqual(status, 200)
        self.assertEqual(data['holder'], {'name': "ヤマダ ●●"})
        self.assertGreaterEqual(data['balance'], 0)
        text = json.dumps(data, ensure_ascii=False)
        for personal in ["山田", "太郎", "タロウ", "072", "新町", "1950"]:
            self.assertNotIn(personal, text)

    def test_lookup_errors(self):
        self.assertError(self.call('POST', '/cards/lookup',
                {'card': self.card('0A0B0C0D0E0F0000')}), 404, 'unknown_card')
        self.assertError(self.call('POST', '/cards/lookup',
                {'card': self.card('12345')}), 400, 'invalid_identifier')
        self.assertError(self.call('POST', '/cards/lookup',
                {'card': self.card(BLOCKED)}), 409, 'card_blocked')
        self.assertError(self.call('POST', '/cards/lookup', raw='{nope'),
            400, 'malformed')
        self.assertError(self.call('POST', '/cards/lookup', {'card': 5}),
            400, 'malformed')

    def test_grant_uses_store_rate_and_campaign(self):
        before = self.balance()
        status, data = self.grant(1250)
        self.assertEqual(status, 200, data)
        # 1,250 yen at 100 yen a point, doubled for a holder aged 65+.
        self.assertEqual(data['points'], 24)
        self.assertEqual(data['campaigns'], ["ダブルポイント (×2・65歳以上)"])
        self.assertEqual(data['balance'], before + 24)
        status, data = self.grant(1250, idm=OTHER)
        self.assertEqual(data['points'], 12)
        self.assertEqual(data['campaigns'], [])

    def test_quote_names_points_and_books_nothing(self):
        before = self.balance()
        status, data = self.call('POST', '/grants/quote',
            {'card': self.card(), 'amount': 1550})
        self.assertEqual(status, 200, data)
        self.assertEqual(data['points'], 30)  # 15 at 100 yen, ×2 over 65
        self.assertEqual(data['rate'], {'yen_per_point': 100})
        self.assertEqual(len(data['campaigns']), 1)
        self.assertEqual(self.balance(), before)
        self.assertEqual(self.grant(1550)[1]['points'], data['points'])

    def test_grant_too_small_for_a_point(self):
        self.assertError(self.grant(99, idm=OTHER), 400, 'no_points')

    def test_replayed_key_returns_first_answer_and_moves_once(self):
        key = uuid.uuid4().hex
        first = self.grant(1000, idm=OTHER, key=key)
        before = self.balance(OTHER)
        again = self.grant(1000, idm=OTHER, key=key)
        self.assertEqual(first, again)
        self.assertEqual(self.balance(OTHER), before)

    def test_same_key_other_body_conflicts(self):
        key = uuid.uuid4().hex
        self.assertEqual(self.grant(1000, idm=OTHER, key=key)[0], 200)
        self.assertError(self.grant(2000, idm=OTHER, key=key),
            409, 'idempotency_conflict')

    def test_keys_belong_to_their_terminal(self):
        key = uuid.uuid4().hex
        self.assertEqual(self.grant(1000, idm=OTHER, key=key)[0], 200)
        status, data = self.grant(1000, idm=OTHER, key=key,
            terminal='other')
        self.assertEqual(status, 200)
        self.assertEqual(data['points'], 5)

    def test_missing_key_refused(self):
        self.assertError(self.call('POST', '/grants',
                {'card': self.card(), 'amount': 100}), 400, 'key_required')

    def test_redeem_more_than_balance_refused(self):
        self.assertError(self.redeem(11, idm=POOR), 409,
            'insufficient_points')
        self.assertEqual(self.balance(POOR), 10)

    def test_redeem_bad_points_refused(self):
        for points in [0, -1, 1.5, "10", True]:
            self.assertError(self.redeem(points), 400, 'invalid_points')

    def test_store_not_accepting_points_refused(self):
        self.assertError(self.redeem(1, terminal='no_redeem'), 403,
            'store_cannot_redeem')

    def test_cancel_own_redemption_restores_points(self):
        before = self.balance(OTHER)
        status, data = self.redeem(30, idm=OTHER)
        self.assertEqual(data['balance'], before - 30)
        status, data = self.call('POST',
            '/transactions/%s/cancel' % data['id'],
            {'reason': "金額の打ち間違い"}, key=uuid.uuid4().hex)
        self.assertEqual(status, 200, data)
        self.assertEqual(data['kind'], 'reversal')
        self.assertEqual(self.balance(OTHER), before)

    def test_cancel_needs_a_reason_and_happens_once(self):
        _, data = self.redeem(5, idm=OTHER)
        path = '/transactions/%s/cancel' % data['id']
        self.assertError(self.call('POST', path, {'reason': ' '},
                key=uuid.uuid4().hex), 400, 'reason_required')
        self.assertEqual(self.call('POST', path, {'reason': "誤り"},
                key=uuid.uuid4().hex)[0], 200)
        self.assertError(self.call('POST', path, {'reason': "誤り"},
                key=uuid.uuid4().hex), 409, 'not_cancellable')

    def test_other_store_cannot_cancel_or_see_transactions(self):
        _, data = self.redeem(5, idm=OTHER)
        self.assertError(self.call('POST',
                '/transactions/%s/cancel' % data['id'], {'reason': "誤り"},
                key=uuid.uuid4().hex, terminal='other'), 403, 'other_store')
        status, listing = self.call('GET', '/transactions',
            terminal='other')
        self.assertEqual(status, 200)
        self.assertNotIn(data['id'],
            [t['id'] for t in listing['transactions']])
        self.assertError(self.call('POST', '/transactions/999999/cancel',
                {'reason': "誤り"}, key=uuid.uuid4().hex),
            404, 'unknown_transaction')

    def test_totals_count_the_days_transactions(self):
        _, before = self.call('GET', '/totals')
        self.grant(500, idm=OTHER)
        _, redemption = self.redeem(3, idm=OTHER)
        self.call('POST', '/transactions/%s/cancel' % redemption['id'],
            {'reason': "誤り"}, key=uuid.uuid4().hex)
        _, after = self.call('GET', '/totals')
        self.assertEqual(after['grants']['count'],
            before['grants']['count'] + 1)
        self.assertEqual(after['grants']['points'],
            before['grants']['points'] + 5)
        self.assertEqual(after['redemptions']['points'],
            before['redemptions']['points'] + 3)
        self.assertEqual(after['cancellations']['count'],
            before['cancellations']['count'] + 1)

    def test_transactions_are_paged_and_show_no_balance(self):
        self.grant(500, idm=OTHER)
        status, data = self.call('GET', '/transactions?page=1')
        self.assertEqual(status, 200)
        self.assertTrue(data['transactions'])
        self.assertNotIn('balance', data['transactions'][0])
        self.assertError(self.call('GET', '/transactions?page=0'),
            400, 'malformed')

    def test_huge_body_refused(self):
        self.assertError(self.call('POST', '/cards/lookup',
                raw=json.dumps({'card': self.card(), 'x': 'a' * 20000})),
            413, 'too_large')

    def test_deeply_nested_body_answers_400_not_500(self):
        nested = '{"card": %s}' % ('[' * 1000 + ']' * 1000)
        self.assertLess(len(nested), routes.MAX_BODY)
        self.assertError(self.call('POST', '/cards/lookup', raw=nested),
            400, 'malformed')
        self.assertError(self.call('POST', '/grants', raw=nested,
                key=uuid.uuid4().hex), 400, 'malformed')

    def test_body_is_not_read_without_a_credential(self):
        nested = '{"card": %s}' % ('[' * 1000 + ']' * 1000)
        self.assertError(self.call('POST', '/cards/lookup', raw=nested,
                terminal=None), 401, 'unauthorized')

    def test_chunked_body_over_the_limit_refused_and_not_booked(self):
        before = self.balance(OTHER)
        body = json.dumps({'card': self.card(OTHER), 'amount': 1000,
                'note': 'x' * (routes.MAX_BODY + 10)}).encode()
        response = self.client().open(
            '/%s/hirakata/api/v1/grants' % DB_NAME, method='POST',
            input_stream=io.BytesIO(body),
            headers={'Authorization': 'Bearer %s' % self.credentials['main'],
                'Idempotency-Key': uuid.uuid4().hex,
                'Content-Type': 'application/json',
                'Transfer-Encoding': 'chunked'},
            environ_overrides={'wsgi.input_terminated': True})
        self.assertError((response.status_code, json.loads(response.data)),
            413, 'too_large')
        self.assertEqual(self.balance(OTHER), before)

    def test_only_json_is_taken(self):
        before = self.balance(OTHER)
        body = json.dumps({'card': self.card(OTHER), 'amount': 1000})
        for content_type in ['text/plain', 'application/xml',
                'application/x-www-form-urlencoded']:
            response = self.client().open(
                '/%s/hirakata/api/v1/grants' % DB_NAME, method='POST',
                data=body, content_type=content_type,
                headers={'Authorization': 'Bearer %s'
                    % self.credentials['main'],
                    'Idempotency-Key': uuid.uuid4().hex})
            self.assertError((response.status_code,
                    json.loads(response.data)), 415,
                'unsupported_media_type')
        self.assertEqual(self.balance(OTHER), before)

    def test_every_answer_under_the_prefix_is_json(self):
        answer = self.client().open(
            '/%s/hirakata/api/v1/grants' % DB_NAME, method='GET')
        self.assertError((answer.status_code, json.loads(answer.data)),
            405, 'method_not_allowed')
        self.assertEqual(answer.headers['Allow'], 'POST')
        self.assertError(self.call('POST', '/transactions/abc/cancel',
                {'reason': "誤り"}, key=uuid.uuid4().hex), 404, 'not_found')
        self.assertError(self.call('GET', '/no/such/thing'), 404,
            'not_found')
        self.assertError(self.call('DELETE', '/terminal'), 405,
            'method_not_allowed')

    def test_terminals_sharing_an_address_are_limited_each_by_itself(self):
        # Store tablets on mobile data behind one carrier address.
        for _ in range(45):
            for terminal in ['main', 'other', 'no_redeem']:
                self.assertEqual(self.call('POST', '/cards/lookup',
                        {'card': self.card(OTHER)}, terminal=terminal)[0],
                    200)

    def test_failed_authentications_limited_by_address(self):
        for i in range(routes.UNAUTHENTICATED_BY_ADDRESS.limit):
            self.assertError(self.call('GET', '/terminal',
                    terminal='x' * 43), 401, 'unauthorized')
        self.assertError(self.call('GET', '/terminal', terminal='x' * 43),
            429, 'rate_limited')
        # A valid terminal behind the same address is not refused.
        self.assertEqual(self.call('POST', '/cards/lookup',
                {'card': self.card(OTHER)})[0], 200)

    def test_huge_transaction_id_is_unknown(self):
        self.assertError(self.call('POST',
                '/transactions/99999999999999999999/cancel',
                {'reason': "誤り"}, key=uuid.uuid4().hex),
            404, 'unknown_transaction')

    def test_clerk_sign_out_without_a_session_refused(self):
        self.assertError(self.call('POST', '/clerk/sign-out', {},
                terminal='pin'), 401, 'clerk_required')

    def test_totals_refuse_dates_before_2000(self):
        for date in ['0999/01/01', '999-01-01', '2026-1-1', '1999/12/31']:
            self.assertError(self.call('GET', '/totals?date=' + date),
                400, 'malformed')
        self.assertEqual(self.call('GET', '/totals?date=2026/04/01')[1][
                'date'], '2026/04/01')

    def test_grant_retried_the_next_morning_answers_the_first(self):
        # The campaign (×2 for 65 and over) runs today only: the retry
        # the next morning would compute other points.
        key, today = uuid.uuid4().hex, clock.local_now().date()
        with clock.frozen(at(today.year, today.month, today.day, 23, 59)):
            first = self.grant(1000, key=key)
        tomorrow = today + dt.timedelta(days=1)
        with clock.frozen(at(tomorrow.year, tomorrow.month, tomorrow.day,
                    8, 0)):
            again = self.grant(1000, key=key)
        self.assertEqual(first[0], 200)
        self.assertEqual(again, first)
        self.assertEqual(first[1]['points'], 20)

    def test_day_totals_turn_at_midnight_in_hirakata(self):
        day = clock.local_now().date() + dt.timedelta(days=3)
        with clock.frozen(at(day.year, day.month, day.day, 0, 30)):
            _, before = self.call('GET', '/totals')
            status, grant = self.grant(500, idm=OTHER)
            _, after = self.call('GET', '/totals')
        self.assertEqual(status, 200)
        self.assertEqual(grant['date'], day.strftime('%Y/%m/%d'))
        self.assertEqual(after['date'], day.strftime('%Y/%m/%d'))
        self.assertEqual(after['grants']['count'],
            before['grants']['count'] + 1)

    def test_times_shown_to_clerks_are_hirakata_times(self):
        # created_at is the database's timestamp (UTC) in Japan's time.
        status, grant = self.grant(500, idm=OTHER)
        shown = dt.datetime.strptime(grant['created_at'],
            '%Y/%m/%d %H:%M:%S')
        now = clock.local_now().replace(tzinfo=None)
        self.assertLess(abs(now - shown), dt.timedelta(minutes=5))

    def test_no_route_answers_a_client_mistake_with_500_or_html(self):
        "Every route, every method, bodies a hostile client sends."
        nested = '{"card": %s}' % ('[' * 3000 + ']' * 3000)
        bodies = [(nested, 'application/json'),
            ('{"card": 1', 'application/json'),
            ('\xff\xfe', 'application/json'), ('card=1', 'text/plain'),
            ('<a/>', 'application/xml'), ('[]', 'application/json'),
            ('"x"', 'application/json'), ('', 'application/json')]
        paths = {re.sub(r'<int:\w+>', '12345',
                re.sub(r'<path:\w+>', 'x/y',
                    r.rule.split('/hirakata/api/v1')[1]))
            for r in routes.app.url_map.iter_rules()
            if '/hirakata/api/v1' in r.rule}
        for path in sorted(paths) + ['/transactions/abc/cancel']:
            for method in ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']:
                for body, content_type in bodies:
                    for terminal in ['main', None]:
                        headers = {'Idempotency-Key': uuid.uuid4().hex}
                        if terminal:
                            headers['Authorization'] = 'Bearer %s' % (
                                self.credentials[terminal])
                        routes.UNAUTHENTICATED_BY_ADDRESS.reset()
                        routes.WRITES.reset()
                        routes.LOOKUPS.reset()
                        response = self.client().open(
                            '/%s/hirakata/api/v1%s' % (DB_NAME, path),
                            method=method, data=body.encode('latin-1'),
                            content_type=content_type, headers=headers)
                        where = (method, path, body[:10], content_type)
                        self.assertLess(response.status_code, 500, where)
                        self.assertEqual(response.mimetype,
                            'application/json', where)
                        if response.status_code >= 400:
                            self.assertIn('code',
                                json.loads(response.data)['error'], where)

    def test_write_retried_after_the_card_was_blocked_answers_the_first(
            self):
        idm = '01020304050607CC'
        with Transaction().start(DB_NAME, 1) as transaction:
            make_holder("高橋 次郎", "タカハシ ジロウ", idm, points=100)
            transaction.commit()
        grant_key, redeem_key = uuid.uuid4().hex, uuid.uuid4().hex
        grant = self.grant(1000, idm=idm, key=grant_key)
        redemption = self.redeem(30, idm=idm, key=redeem_key)
        with Transaction().start(DB_NAME, 1) as transaction:
            Card = Pool().get('hirakata.card')
            Card.block(Card.search([('identifier', '=', idm)]))
            transaction.commit()
        self.assertEqual(self.grant(1000, idm=idm, key=grant_key), grant)
        self.assertEqual(self.redeem(30, idm=idm, key=redeem_key),
            redemption)
        self.assertError(self.grant(2000, idm=idm, key=grant_key),
            409, 'idempotency_conflict')
        self.assertError(self.grant(1000, idm=idm), 409, 'card_blocked')

    def test_lookups_rate_limited(self):
        limit = routes.LOOKUPS.limit
        for _ in range(limit):
            self.assertEqual(self.call('POST', '/cards/lookup',
                    {'card': self.card()})[0], 200)
        self.assertError(self.call('POST', '/cards/lookup',
                {'card': self.card()}), 429, 'rate_limited')

    def sign_in(self, pin='2580', terminal='pin', authorization='Bearer %s'):
        return self.call('POST', '/clerk/sign-in',
            {'number': '01', 'pin': pin}, terminal=terminal,
            authorization=authorization)

    def test_store_requiring_clerks_refuses_writes_without_one(self):
        self.assertEqual(self.call('POST', '/cards/lookup',
                {'card': self.card(OTHER)}, terminal='pin')[0], 200)
        self.assertError(self.grant(1000, idm=OTHER, terminal='pin'),
            401, 'clerk_required')

    def test_clerk_signs_in_with_pin_and_is_recorded(self):
        self.assertError(self.sign_in(pin='0000'), 401, 'clerk_invalid')
        status, data = self.sign_in()
        self.assertEqual(status, 200)
        self.assertEqual(data['clerk'], {'number': '01', 'name': "店員 一号"})
        status, grant = self.call('POST', '/grants',
            {'card': self.card(OTHER), 'amount': 1000},
            key=uuid.uuid4().hex, terminal='pin', clerk=data['session'])
        self.assertEqual(status, 200, grant)
        with Transaction().start(DB_NAME, 1):
            Entry = Pool().get('hirakata.point.entry')
            self.assertEqual(Entry(grant['id']).clerk.name, "店員 一号")

    def test_clerk_session_belongs_to_its_terminal(self):
        _, data = self.sign_in()
        self.assertError(self.call('POST', '/grants',
                {'card': self.card(OTHER), 'amount': 1000},
                key=uuid.uuid4().hex, terminal='pin2',
                clerk=data['session']), 401, 'clerk_required')

    def test_clerk_signed_out_cannot_write(self):
        _, data = self.sign_in()
        self.assertEqual(self.call('POST', '/clerk/sign-out', {},
                terminal='pin', clerk=data['session'])[0], 200)
        self.assertError(self.call('POST', '/grants',
                {'card': self.card(OTHER), 'amount': 1000},
                key=uuid.uuid4().hex, terminal='pin',
                clerk=data['session']), 401, 'clerk_required')

    def test_pin_guessing_rate_limited(self):
        limit = routes.CLERK_SIGN_INS.limit
        for _ in range(limit):
            self.assertError(self.sign_in(pin='1111'), 401, 'clerk_invalid')
        self.assertError(self.sign_in(), 429, 'rate_limited')

    def test_pin_tries_counted_by_terminal_however_the_header_is_written(
            self):
        # Authentication takes any case of "Bearer" and extra spaces: so
        # does the count of tries.
        forms = ['Bearer %s', 'bearer %s', 'BEARER %s', 'Bearer   %s',
            'Bearer %s  ']
        for i in range(routes.CLERK_SIGN_INS.limit):
            self.assertError(self.sign_in(pin='1111',
                    authorization=forms[i % len(forms)]),
                401, 'clerk_invalid')
        self.assertError(self.sign_in(authorization='bEaReR  %s'),
            429, 'rate_limited')
        # Another terminal of the store has tries of its own.
        self.assertEqual(self.sign_in(terminal='pin2')[0], 200)

    def redeem_in_parallel(self, idm, count=50):
        "count parallel redemptions of 3 points on a card holding 100."
        with Transaction().start(DB_NAME, 1) as transaction:
            make_holder("並行 試験", "ヘイコウ シケン", idm, points=100)
            transaction.commit()
        answers = self.in_parallel([lambda: self.redeem(3, idm=idm)] * count)
        statuses = sorted(status for status, _ in answers)
        self.assertEqual(set(statuses), {200, 409}, answers)
        self.assertEqual(statuses.count(200), 33)
        self.assertEqual(self.balance(idm), 1)

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_redemptions_on_one_card_get_definite_answers(self):
        self.redeem_in_parallel('0F0E0D0C0B0A0908')

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_redemptions_from_many_processes(self):
        # As if each request came to another server process: no queue in
        # the process, only the database orders them.
        self.without_card_queue()
        self.redeem_in_parallel('0F0E0D0C0B0A0907')


del RouteTestCase
