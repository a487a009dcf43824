"""What the terminal API tests share: stores, terminals, holders, a
client that speaks the API's JSON, and the checks of a module's OpenAPI
specification."""
import datetime as dt
import importlib
import json
import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from trytond.modules.hirakata_points_pos import api, routes
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
            raw=None, clerk=None, address='127.0.0.1',
            authorization='Bearer %s'):
        "(status, JSON) of the call; authorization formats the credential."
        headers = {}
        if clerk:
            headers['X-Clerk-Session'] = clerk
        if terminal:
            headers['Authorization'] = authorization % (
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

    def without_card_queue(self):
        """For the rest of the test, writes on one card meet only in the
        database, as if each came to another server process: the routes
        queue a process's own writes per card first."""
        queue = routes._CARD_QUEUE
        routes._CARD_QUEUE = lambda key: threading.Lock()
        self.addCleanup(setattr, routes, '_CARD_QUEUE', queue)

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


class OpenApiTestMixin:
    """A module's docs/openapi.yaml is valid OpenAPI and describes the
    terminal API routes and error codes that the module adds, no others.

    The test case names the module (openapi_module) and the codes its
    specification lists that are not in api.ERRORS (openapi_other_codes).
    A specification lists its module's codes in the enum of the code in
    components/schemas/Error.
    """
    openapi_module = None
    openapi_other_codes = frozenset()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from openapi_spec_validator.readers import read_from_filename
        module = importlib.import_module(
            'trytond.modules.%s' % cls.openapi_module)
        # The module's routes, and the error codes they register.
        importlib.import_module(module.__name__ + '.routes')
        cls.openapi_folder = os.path.join(
            os.path.dirname(module.__file__), 'docs')
        cls.openapi, cls.openapi_url = read_from_filename(
            os.path.join(cls.openapi_folder, 'openapi.yaml'))

    def test_openapi_is_valid(self):
        from openapi_spec_validator import validate
        validate(self.openapi, base_uri=self.openapi_url)

    def test_openapi_references_resolve(self):
        # (The validator does not follow every reference into another file.)
        from openapi_spec_validator.readers import read_from_filename
        references = list(_references(self.openapi))
        self.assertTrue(references)
        for reference in references:
            with self.subTest(reference=reference):
                location, _, pointer = reference.partition('#')
                node = self.openapi
                if location:
                    node, _ = read_from_filename(
                        os.path.join(self.openapi_folder, location))
                for name in pointer.split('/')[1:]:
                    name = name.replace('~1', '/').replace('~0', '~')
                    self.assertTrue(isinstance(node, dict) and name in node,
                        "%s: no %s" % (reference, name))
                    node = node[name]

    def test_openapi_documents_the_module_routes(self):
        # (The store module's catch-all answers 404 and 405 as JSON.)
        paths = {
            re.sub(r'<int:\w+>', '{id}', rule.rule[len(routes.PREFIX):])
            for rule in routes.app.url_map.iter_rules()
            if rule.rule.startswith(routes.PREFIX + '/')
            and rule.endpoint is not routes.unknown
            and rule.endpoint.__module__.split('.')[2] == self.openapi_module}
        self.assertTrue(paths)
        self.assertEqual(set(self.openapi['paths']), paths)

    def test_openapi_documents_the_module_error_codes(self):
        codes = {code for code, module in api.ERROR_MODULES.items()
            if module == self.openapi_module}
        self.assertTrue(codes)
        error = self.openapi['components']['schemas']['Error']
        self.assertEqual(
            set(error['properties']['error']['properties']['code']['enum']),
            codes | self.openapi_other_codes)


def _references(node):
    "The $ref values in an OpenAPI document's node, recursively."
    if isinstance(node, dict):
        if '$ref' in node:
            yield node['$ref']
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)
