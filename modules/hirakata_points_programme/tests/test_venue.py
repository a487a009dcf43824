"""Programme venues and kiosks through the terminal API (R11, R31b)."""
import datetime as dt
import json
import unittest
import uuid

from trytond import backend
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_city_clock import at
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.modules.hirakata_points_pos import routes
from trytond.modules.hirakata_points_pos.tests.tools import (
    ApiClient, activate, make_city_terminal, make_holder, make_store,
    make_terminal)
from trytond.modules.hirakata_points_programme.tests import (
    test_programme as programmes)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

TODAY = clock.local_now().date()
SENIOR = '0A0B0C0D0E0F0001'
YOUNG = '0A0B0C0D0E0F0002'


def make_venue(name, session):
    "A venue terminal for session."
    return make_city_terminal('venue', name, session=session.id)


class VenueApiTestCase(ApiClient, RouteTestCase):
    "Venue and kiosk terminals"
    module = 'hirakata_points_programme'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Session = pool.get('hirakata.programme.session')
        load_japanese()
        programme = programmes.create_programme(min_age=60, budget=100_000)
        cls.programme_id = programme.id
        cls.session_ids = {'today': programme.sessions[0].id}
        tomorrow, = Session.create([{'programme': programme.id,
                    'name': "第2回", 'date': TODAY + dt.timedelta(days=1)}])
        terminals = {
            'venue': make_venue("会場1", programme.sessions[0]),
            'venue2': make_venue("会場2", programme.sessions[0]),
            'tomorrow': make_venue("会場3", tomorrow),
            'kiosk': make_city_terminal('kiosk', "市役所ロビー"),
            'store': make_terminal(make_store("ひらかた商店")),
            }
        cls.session_ids['tomorrow'] = tomorrow.id
        cls.credentials = activate(terminals)
        cls.terminal_ids = {n: t.id for n, t in terminals.items()}
        make_holder("山田 太郎", "ヤマダ タロウ", SENIOR, points=50,
            birth=dt.date(1950, 5, 5))
        make_holder("若林 翼", "ワカバヤシ ツバサ", YOUNG,
            birth=dt.date(2000, 1, 1))

    def setUp(self):
        super().setUp()
        routes.WRITES.reset()
        routes.LOOKUPS.reset()
        routes.UNAUTHENTICATED_BY_ADDRESS.reset()

    def tap(self, idm, terminal='venue', key=None, **body):
        return self.call('POST', '/venue/participations',
            dict(card={'technology': 'felica', 'identifier': idm}, **body),
            terminal=terminal, key=key or uuid.uuid4().hex)

    def balance(self, idm, terminal='kiosk'):
        return self.call('POST', '/cards/lookup',
            {'card': {'technology': 'felica', 'identifier': idm}},
            terminal=terminal)[1]['balance']

    def new_holder(self, idm, **values):
        with Transaction().start(DB_NAME, 1) as transaction:
            make_holder("並行 試験", "ヘイコウ シケン", idm,
                birth=dt.date(1950, 1, 1), **values)
            transaction.commit()

    def test_venue_terminal_describes_its_session(self):
        status, data = self.call('GET', '/terminal', terminal='venue')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['terminal']['kind'], 'venue')
        self.assertNotIn('store', data)
        venue = data['venue']
        self.assertEqual(venue['session']['date'], TODAY.strftime('%Y/%m/%d'))
        self.assertEqual(venue['programme']['name'], "ウォーキング教室")

    def test_tap_records_grants_and_counts(self):
        idm = '0A0B0C0D0E0F0101'
        self.new_holder(idm)
        before = self.call('GET', '/venue', terminal='venue')[1]['count']
        status, data = self.tap(idm)
        self.assertEqual(status, 200, data)
        self.assertEqual(data['participation']['points'], 100)
        self.assertEqual(data['participation']['holder']['name'],
            "ヘイコウ ●●")
        self.assertEqual(data['count'], before + 1)
        self.assertEqual(self.balance(idm), 100)
        venue = self.call('GET', '/venue', terminal='venue2')[1]
        self.assertEqual(venue['count'], before + 1)
        self.assertEqual(venue['latest'][0]['id'],
            data['participation']['id'])
        with Transaction().start(DB_NAME, 0):
            Participation = Pool().get('hirakata.programme.participation')
            participation = Participation(data['participation']['id'])
            self.assertEqual(participation.terminal.id,
                self.terminal_ids['venue'])
            self.assertEqual(participation.channel, 'venue')
            self.assertEqual(participation.entry.terminal.id,
                self.terminal_ids['venue'])
            self.assertIsNone(participation.entry.store)

    def test_tap_sent_again_the_next_morning_answers_the_first(self):
        # A tablet that lost its connection sends its pending tap later.
        idm = '0A0B0C0D0E0F0109'
        self.new_holder(idm)
        key = uuid.uuid4().hex
        with clock.frozen(at(TODAY.year, TODAY.month, TODAY.day, 20, 0)):
            first = self.tap(idm, key=key)
        tomorrow = TODAY + dt.timedelta(days=1)
        with clock.frozen(at(tomorrow.year, tomorrow.month, tomorrow.day,
                    8, 0)):
            again = self.tap(idm, key=key)
            self.assertError(self.tap(idm), 409, 'session_not_today')
        self.assertEqual(first[0], 200, first)
        self.assertEqual(again[1]['participation'],
            first[1]['participation'])
        self.assertEqual(self.balance(idm), 100)

    def test_tap_sent_again_after_the_session_switch_answers_the_first(self):
        # City staff move the venue's tablet on to the next session while
        # a tap of the last one is still pending on it.
        idm = '0A0B0C0D0E0F010C'
        self.new_holder(idm)
        with Transaction().start(DB_NAME, 1) as transaction:
            Terminal = Pool().get('hirakata.terminal')
            Session = Pool().get('hirakata.programme.session')
            venue = make_venue("会場4", Session(self.session_ids['today']))
            credential = activate({'venue': venue})['venue']
            transaction.commit()
        key = uuid.uuid4().hex
        first = self.tap(idm, terminal=credential, key=key)
        self.assertEqual(first[0], 200, first)
        with Transaction().start(DB_NAME, 1) as transaction:
            Terminal.write([Terminal(venue.id)],
                {'session': self.session_ids['tomorrow']})
            transaction.commit()
        again = self.tap(idm, terminal=credential, key=key)
        self.assertEqual(again, first)
        self.assertError(self.tap(idm, terminal=credential), 409,
            'session_not_today')
        self.assertEqual(self.balance(idm), 100)

    def test_tap_key_sent_again_for_another_card_refused(self):
        first, other = '0A0B0C0D0E0F010A', '0A0B0C0D0E0F010B'
        self.new_holder(first)
        self.new_holder(other)
        key = uuid.uuid4().hex
        self.assertEqual(self.tap(first, key=key)[0], 200)
        self.assertError(self.tap(other, key=key), 409,
            'idempotency_conflict')
        self.assertError(self.tap(first, key=key, hours=2), 409,
            'idempotency_conflict')
        self.assertEqual(self.balance(other), 0)

    def test_retry_and_second_tap_pay_once(self):
        idm = '0A0B0C0D0E0F0102'
        self.new_holder(idm)
        first = self.tap(idm, key='venue-retry-1')
        self.assertEqual(first[0], 200, first)
        self.assertEqual(self.tap(idm, key='venue-retry-1'), first)
        self.assertError(self.tap(idm, terminal='venue2'), 409,
            'participation_duplicate')
        self.assertEqual(self.balance(idm), 100)

    def test_venue_tap_by_phone(self):
        "A code shown on the resident portal, read at the venue (R1b)."
        with Transaction().start(DB_NAME, 0) as transaction:
            card = make_holder("山田 花子", "ヤマダ ハナコ", '0A0B0C0D0E0F0110',
                birth=dt.date(1950, 5, 5))
            code, _ = Pool().get('hirakata.phone_code').issue(card.holder)
            transaction.commit()
        status, data = self.call('POST', '/venue/participations',
            {'card': {'technology': 'phone', 'identifier': code}},
            terminal='venue', key=uuid.uuid4().hex)
        self.assertEqual(status, 200, data)
        self.assertEqual(data['participation']['holder']['name'],
            "ヤマダ ●●")

    def test_ineligible_holder_refused_with_the_reason(self):
        status, data = self.tap(YOUNG)
        self.assertError((status, data), 409, 'not_eligible')
        self.assertIn("60", data['error']['message'])
        self.assertEqual(self.balance(YOUNG), 0)

    def test_unknown_card_refused(self):
        self.assertError(self.tap('0A0B0C0D0E0F0FFF'), 404, 'unknown_card')

    def test_session_of_another_day_refused(self):
        self.assertError(self.tap(SENIOR, terminal='tomorrow'), 409,
            'session_not_today')

    def test_hours_checked(self):
        self.assertError(self.tap(SENIOR, hours=30), 400, 'invalid_hours')
        self.assertError(self.tap(SENIOR, hours='2'), 400, 'invalid_hours')

    def test_each_kind_does_only_its_own_work(self):
        card = {'technology': 'felica', 'identifier': SENIOR}
        for terminal in ['venue', 'kiosk']:
            self.assertError(self.call('POST', '/grants',
                    {'card': card, 'amount': 1000}, terminal=terminal,
                    key=uuid.uuid4().hex), 403, 'wrong_terminal')
            self.assertError(self.call('POST', '/redemptions',
                    {'card': card, 'points': 1}, terminal=terminal,
                    key=uuid.uuid4().hex), 403, 'wrong_terminal')
            self.assertError(self.call('GET', '/totals', terminal=terminal),
                403, 'wrong_terminal')
            self.assertError(self.call('GET', '/transactions',
                    terminal=terminal), 403, 'wrong_terminal')
            self.assertError(self.call('POST', '/transactions/1/cancel',
                    {'reason': "誤操作"}, terminal=terminal,
                    key=uuid.uuid4().hex), 403, 'wrong_terminal')
            self.assertError(self.call('POST', '/clerk/sign-in',
                    {'number': '01', 'pin': '0000'}, terminal=terminal),
                403, 'wrong_terminal')
        for terminal in ['kiosk', 'store']:
            self.assertError(self.tap(SENIOR, terminal=terminal), 403,
                'wrong_terminal')
            self.assertError(self.call('GET', '/venue', terminal=terminal),
                403, 'wrong_terminal')
        self.assertEqual(self.balance(SENIOR), 50)

    def test_app_keeps_the_venue_screen_for_offline_reloads(self):
        response = self.client().get(
            '/%s/hirakata/terminal/sw.js' % DB_NAME)
        self.assertEqual(response.status_code, 200)
        line, = [line for line in response.get_data(as_text=True)
            .splitlines() if line.startswith('const MODULE_FILES = ')]
        self.assertIn('venue.js', json.loads(
                line[len('const MODULE_FILES = '):].rstrip(';')))

    def test_kiosk_shows_balance_and_expiring_points(self):
        status, data = self.call('POST', '/cards/lookup',
            {'card': {'technology': 'felica', 'identifier': SENIOR}},
            terminal='kiosk')
        self.assertEqual(status, 200)
        self.assertEqual(data['holder']['name'], "ヤマダ ●●")
        self.assertIn('expiring_soon', data)
        status, data = self.call('GET', '/terminal', terminal='kiosk')
        self.assertEqual(data['terminal']['kind'], 'kiosk')
        self.assertNotIn('store', data)

    def test_over_budget_refused(self):
        idm = '0A0B0C0D0E0F0103'
        self.new_holder(idm)
        with Transaction().start(DB_NAME, 0) as transaction:
            Programme = Pool().get('hirakata.programme')
            programme = Programme(self.programme_id)
            budget = programme.budget
            Programme.write([programme], {'budget': programme.granted + 50})
            transaction.commit()
        try:
            self.assertError(self.tap(idm), 409, 'over_budget')
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Programme.write([Programme(self.programme_id)],
                    {'budget': budget})
                transaction.commit()
        self.assertEqual(self.balance(idm), 0)

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_taps_of_one_card_pay_once(self):
        idm = '0A0B0C0D0E0F0104'
        self.new_holder(idm)
        # Two terminals, as if each at another server process: only the
        # database decides.
        self.without_card_queue()
        answers = self.in_parallel([
                (lambda t=t: self.tap(idm, terminal=t))
                for t in ['venue', 'venue2'] * 10])
        statuses = sorted(status for status, _ in answers)
        self.assertEqual(statuses.count(200), 1, answers)
        self.assertEqual(statuses.count(409), 19, answers)
        self.assertEqual({a[1]['error']['code'] for a in answers
                if a[0] == 409}, {'participation_duplicate'})
        self.assertEqual(self.balance(idm), 100)
        self.assertBalancesEqualLedger()

    @unittest.skipUnless(backend.name == 'postgresql',
        "concurrent writers need PostgreSQL")
    def test_parallel_taps_stop_at_the_budget(self):
        idms = ['0A0B0C0D0E0F02%02X' % i for i in range(12)]
        for idm in idms:
            self.new_holder(idm)
        with Transaction().start(DB_NAME, 0) as transaction:
            Programme = Pool().get('hirakata.programme')
            programme = Programme(self.programme_id)
            budget, granted = programme.budget, programme.granted
            Programme.write([programme], {'budget': granted + 500})
            transaction.commit()
        self.addCleanup(self.restore_budget, budget)
        answers = self.in_parallel([(lambda i=i: self.tap(i)) for i in idms])
        statuses = [status for status, _ in answers]
        self.assertEqual(statuses.count(200), 5, answers)
        self.assertEqual({a[1]['error']['code'] for a in answers
                if a[0] != 200}, {'over_budget'})
        self.assertEqual(sum(self.balance(i) for i in idms), 500)
        with Transaction().start(DB_NAME, 0):
            programme = Pool().get('hirakata.programme')(self.programme_id)
            self.assertEqual(programme.granted, granted + 500)
        self.assertBalancesEqualLedger()

    def assertBalancesEqualLedger(self):
        with Transaction().start(DB_NAME, 0):
            Account = Pool().get('hirakata.point.account')
            self.assertEqual(Account.find_unbalanced(), [])

    def restore_budget(self, budget):
        with Transaction().start(DB_NAME, 0) as transaction:
            Programme = Pool().get('hirakata.programme')
            Programme.write([Programme(self.programme_id)],
                {'budget': budget})
            transaction.commit()


del RouteTestCase
