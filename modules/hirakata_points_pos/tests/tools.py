"""What the terminal API tests share: stores, terminals, holders and a
client that speaks the API's JSON."""
import datetime as dt
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from trytond.modules.hirakata_points_pos import routes
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME


def make_store(name, **values):
    pool = Pool()
    Store = pool.get('hirakata.store')
    Category = pool.get('hirakata.store.category')
    category, = Category.search([], limit=1) or Category.create(
        [{'name': "飲食"}])
    store, = Store.create([dict(name=name, category=category.id,
                address="枚方市大垣内町", **values)])
    Store.approve([store])
    Store.activate([store])
    return store


def make_terminal(store, name="レジ1"):
    Terminal = Pool().get('hirakata.terminal')
    terminal, = Terminal.create([{'name': name, 'store': store.id}])
    return terminal


def activate(terminals):
    "Activate each terminal as its device would: {name: credential}."
    Terminal = Pool().get('hirakata.terminal')
    return {name: Terminal.activate(terminal.activation_code)[1]
        for name, terminal in terminals.items()}


def make_city_terminal(kind, name, **values):
    "A kiosk, or a terminal of a kind another module adds (a venue)."
    Terminal = Pool().get('hirakata.terminal')
    terminal, = Terminal.create([dict(name=name, kind=kind, **values)])
    return terminal


def make_holder(name, kana, idm, points=0, birth=dt.date(1980, 1, 1)):
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Card = pool.get('hirakata.card')
    Ledger = pool.get('hirakata.point.ledger')
    holder, = Holder.create([{'name': name, 'name_kana': kana,
                'birth_date': birth, 'phone': '072-000-0000',
                'address': "枚方市新町1丁目"}])
    card, = Card.create([{'holder': holder.id, 'technology': 'felica',
                'identifier': idm}])
    if points:
        Ledger.grant(holder.account, points, key=uuid.uuid4().hex,
            channel='backoffice', reason="初期ポイント")
    return card


class ApiClient:
    "Calls the terminal API as a terminal (self.credentials by name)."
    credentials = {}

    def call(self, method, path, body=None, terminal='main', key=None,
            raw=None, clerk=None, address='127.0.0.1'):
        headers = {}
        if clerk:
            headers['X-Clerk-Session'] = clerk
        if terminal:
            headers['Authorization'] = 'Bearer %s' % (
                self.credentials.get(terminal, terminal))
        if key:
            headers['Idempotency-Key'] = key
        data = raw if raw is not None else (
            json.dumps(body) if body is not None else None)
        response = self.client().open(
            '/%s/hirakata/api/v1%s' % (DB_NAME, path), method=method,
            data=data, headers=headers, content_type='application/json',
            environ_base={'REMOTE_ADDR': address})
        return response.status_code, json.loads(response.data)

    def assertError(self, answer, status, code):
        "A JSON error with its stable code and a Japanese message."
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1]['error']['code'], code)
        self.assertRegex(answer[1]['error']['message'],
            '[\u3040-\u30ff\u4e00-\u9fff]')

    def in_parallel(self, calls):
        "Run the calls at once, each from its own thread and connection."
        routes.WRITES.limit, limit = 1000, routes.WRITES.limit
        self.addCleanup(setattr, routes.WRITES, 'limit', limit)
        barrier = threading.Barrier(len(calls))

        def one(call):
            barrier.wait(timeout=30)
            return call()
        with ThreadPoolExecutor(len(calls)) as executor:
            return list(executor.map(one, calls))
