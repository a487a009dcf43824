"""The back office, the portal and the terminal each on its own host; the
back office's headers and files; a foreign Origin answered 403 (HTTP)."""
import http.client
import json
import logging
import os
from contextlib import contextmanager
from unittest import mock

from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response

from trytond import backend
from trytond.config import config
from trytond.exceptions import UserError
from trytond.modules.hirakata_points import hosts, rpc_errors
from trytond.modules.hirakata_points.tests.browser import Server
from trytond.protocols.jsonrpc import JSONRequest
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.wsgi import SharedDataMiddlewareIndex, app

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO = os.path.join(ROOT, 'node_modules', 'tryton-sao')
ORIGINS = {
    'backoffice': 'http://127.0.0.1:8000',
    'portal': 'http://localhost:8000',
    'terminal': 'http://terminal.localhost:8000',
    }
# A page of each surface that answers 200 on its own host.
PAGES = {
    'backoffice': '/index.html',
    'portal': '/%s/hirakata/portal/sign-in' % DB_NAME,
    'terminal': '/%s/hirakata/terminal/' % DB_NAME,
    }


@contextmanager
def configured(section, **options):
    "config's options of section set for the block."
    if not config.has_section(section):
        config.add_section(section)
    saved = {k: config.get(section, k) for k in options}
    for key, value in options.items():
        config.set(section, key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            config.set(section, key, value if value is not None else "")


def with_sao(wsgi_app):
    """trytond's application serving sao's folder as [web] root makes it
    (trytond adds its static files when it is imported), behind the layer."""
    return hosts.HostLayer(SharedDataMiddlewareIndex(wsgi_app, {'/': SAO}),
        root=SAO)


class WebSurfacesTestCase(RouteTestCase):
    "Each surface on its own host, the back office's headers"
    module = 'hirakata_points_portal'
    extras = ['hirakata_points_pos']

    @classmethod
    def setUpDatabase(cls):
        pass

    def setUp(self):
        super().setUp()
        # The layer trytond's application already has, without it.
        self.assertIsInstance(app.wsgi_app, hosts.HostLayer)
        self.sao = Client(with_sao(app.wsgi_app.app), Response)

    def origins(self):
        return configured('hirakata_points', **{
                '%s_origin' % s: o for s, o in ORIGINS.items()})

    def get(self, surface, host, **kwargs):
        return self.sao.get(PAGES[surface],
            headers={'Host': host, **kwargs.pop('headers', {})}, **kwargs)

    def test_each_surface_answers_on_its_own_host_only(self):
        with self.origins():
            for surface, origin in ORIGINS.items():
                host = origin.split('//')[1]
                for page in PAGES:
                    response = self.get(page, host)
                    self.assertEqual(response.status_code,
                        200 if page == surface else 404,
                        (page, host, response.status_code))
                # A host that is no surface's: nothing.
                self.assertEqual(
                    self.get(surface, 'evil.example:8000').status_code, 404)
            # The back office's JSON-RPC too.
            self.assertEqual(self.sao.post('/rpc/', json={
                        'method': 'common.server.version', 'params': []},
                    headers={'Host': 'localhost:8000'}).status_code, 404)
            self.assertEqual(self.sao.post('/rpc/', json={
                        'method': 'common.server.version', 'params': []},
                    headers={'Host': '127.0.0.1:8000'}).status_code, 200)
            refused = self.get('portal', 'terminal.localhost:8000')
            self.assertIn("見つかりません", refused.get_data(as_text=True))

    def test_surfaces_behind_a_proxy_by_its_forwarded_host(self):
        with self.origins(), configured('web', num_proxies='1'):
            client = Client(hosts.HostLayer(app.wsgi_app.app), Response)
            for host, status in [('terminal.localhost:8000', 200),
                    ('localhost:8000', 404)]:
                self.assertEqual(client.get(PAGES['terminal'], headers={
                            'Host': 'internal:8000',
                            'X-Forwarded-Host': host}).status_code, status)

    def test_without_origins_every_surface_answers_anywhere(self):
        for surface in PAGES:
            self.assertEqual(self.get(surface, 'localhost').status_code,
                200)

    def test_links_between_surfaces_use_the_configured_origins(self):
        path = '/%s/hirakata/terminal/' % DB_NAME
        self.assertEqual(hosts.url('terminal', path), path)
        with self.origins():
            self.assertEqual(hosts.url('terminal', path),
                'http://terminal.localhost:8000' + path)

    def test_back_office_headers(self):
        response = self.get('backoffice', 'localhost')
        headers = response.headers
        csp = dict(part.strip().split(' ', 1)
            for part in headers['Content-Security-Policy'].split(';'))
        self.assertEqual(csp['frame-ancestors'], "'none'")
        self.assertEqual(csp['object-src'], "'none'")
        self.assertNotIn("'unsafe-inline'", csp['script-src'])
        self.assertNotIn("'unsafe-eval'", csp['script-src'])
        # index.html's inline script, by its hash.
        self.assertIn("'sha256-", csp['script-src'])
        self.assertEqual(headers['X-Frame-Options'], 'DENY')
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertEqual(headers['Referrer-Policy'], 'same-origin')
        # JSON-RPC answers too.
        rpc = self.sao.post('/rpc/', json={
                'method': 'common.server.version', 'params': []})
        self.assertEqual(rpc.headers['X-Frame-Options'], 'DENY')

    def test_unexpected_rpc_error_answers_in_japanese(self):
        "A call that breaks the server's code: a Japanese refusal, no trace"
        def login(password):
            return self.sao.post('/%s/rpc/' % DB_NAME, json={
                    'id': 1, 'method': 'common.db.login',
                    'params': ['admin', password]})
        # (an int where trytond reads a dict of credentials: a TypeError)
        with self.assertLogs(rpc_errors.__name__, 'ERROR'):
            answer = json.loads(login(42).get_data())
        self.assertEqual(answer['error'][0], 'UserError')
        self.assertIn("変更は保存されていません", answer['error'][1][0])
        self.assertNotIn('int', json.dumps(answer))
        # A refusal the server means is left as it answers it.
        self.assertEqual(login({'password': 'wrong'}).status_code, 401)
        # trytond's own refusals of a malformed call, English pages: the
        # same status, in Japanese JSON
        for body in [{'id': 1, 'method': 'common.db.login',
                    'params': ['admin', {'password': {
                                '__class__': 'Decimal', 'decimal': 'abc'}}]},
                {'id': 1, 'method': 'common.db.login',
                    'params': ['admin', {'password': {'__class__': 'date',
                                'year': 2026, 'month': 13, 'day': 1}}]}]:
            with self.subTest(body=body):
                response = self.sao.post('/%s/rpc/' % DB_NAME, json=body)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.mimetype, 'application/json')
                self.assertIn("変更は保存されていません",
                    response.get_json()['error']['message'])
        # a JSON-RPC 2.0 client's call (its "jsonrpc" key) breaking the
        # server's code: the same user error
        with self.assertLogs(rpc_errors.__name__, 'ERROR'):
            answer = self.sao.post('/%s/rpc/' % DB_NAME, json={
                    'jsonrpc': '2.0', 'id': 2, 'method': 'common.db.login',
                    'params': ['admin', 42]}).get_json()
        self.assertEqual(answer['error'][0], 'UserError')
        self.assertEqual(answer['id'], 2)
        # and a refusal the server means, with its own message (trytond
        # answers such a call's by a bad request)
        request = JSONRequest(EnvironBuilder(method='POST', json={
                    'jsonrpc': '2.0', 'id': 3, 'method': 'model.x.write',
                    'params': []}).get_environ())
        answer = rpc_errors.japanese_unexpected_error(
            app, request, UserError("市を別の取引先に変えることはできません"))
        self.assertEqual(json.loads(answer.get_data())['error'],
            ['UserError', ["市を別の取引先に変えることはできません", '', None]])

    def test_database_error_answers_in_japanese(self):
        "trytond's 503 for a database error: in Japanese, without its text"
        # (SQLite refuses a search too deep for its parser this way)
        with mock.patch('trytond.protocols.dispatcher.list_method',
                side_effect=backend.DatabaseOperationalError(
                    'parser stack overflow')):
            response = self.sao.post('/%s/rpc/' % DB_NAME, json={
                    'id': 1, 'method': 'system.listMethods', 'params': []})
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.mimetype, 'application/json')
        error = response.get_json()['error']
        self.assertEqual(error['code'], 'unavailable')
        self.assertIn("変更は保存されていません", error['message'])
        self.assertNotIn('parser', response.get_data(as_text=True))

    def test_only_what_sao_loads_is_served(self):
        for path in ['/', '/index.html', '/dist/tryton-sao.js',
                '/dist/tryton-sao.css', '/locale/de.json',
                '/images/tryton-close.svg',
                '/node_modules/jquery/dist/jquery.js',
                '/node_modules/bootstrap/fonts/'
                'glyphicons-halflings-regular.woff2']:
            self.assertEqual(self.sao.get(path).status_code, 200, path)
        for path in ['/node_modules/.package-lock.json',
                '/node_modules/jquery/package.json', '/package.json',
                '/Gruntfile.js', '/src/sao.js',
                '/node_modules/tryton-sao/package.json']:
            self.assertEqual(self.sao.get(path).status_code, 404, path)

    def test_foreign_origin_refused_403_as_json_or_a_page(self):
        api = self.sao.post('/%s/hirakata/api/v1/terminal/activate' % DB_NAME,
            json={'code': 'K7MQ-3XWD-9RTC'},
            headers={'Origin': 'https://evil.example'})
        self.assertEqual(api.status_code, 403)
        error = json.loads(api.get_data())['error']
        self.assertEqual(error['code'], 'forbidden_origin')
        self.assertRegex(error['message'], '[\u3040-\u30ff]')
        page = self.sao.post('/%s/hirakata/portal/sign-in' % DB_NAME,
            data={'number': '1'}, headers={'Origin': 'https://evil.example'})
        self.assertEqual(page.status_code, 403)
        self.assertEqual(page.mimetype, 'text/html')
        self.assertIn("受け付けられません", page.get_data(as_text=True))
        # The back office's JSON-RPC (sao asks for JSON).
        rpc = self.sao.post('/rpc/', json={
                'method': 'common.server.version', 'params': []},
            headers={'Origin': 'https://evil.example'})
        self.assertEqual(rpc.status_code, 403)
        self.assertEqual(json.loads(rpc.get_data())['error']['code'],
            'forbidden_origin')


class RealServerTestCase(RouteTestCase):
    "The development server (werkzeug's) as scripts/demo runs it"
    module = 'hirakata_points'

    @classmethod
    def setUpDatabase(cls):
        pass

    def request(self, method, path, headers=None, body=None):
        server = Server('')
        self.addCleanup(server.stop)
        connection = http.client.HTTPConnection('127.0.0.1',
            server.server.port, timeout=30)
        self.addCleanup(connection.close)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response

    def test_server_header_names_no_version(self):
        response = self.request('GET', '/%s/hirakata/nothing' % DB_NAME)
        server = response.getheader('Server')
        self.assertNotRegex(server, r'\d|Werkzeug|Python')

    def test_foreign_origin_logs_no_error(self):
        root = logging.getLogger()
        with self.assertNoLogs(root, 'ERROR'):
            response = self.request('POST', '/rpc/', headers={
                    'Origin': 'https://evil.example',
                    'Content-Type': 'application/json'},
                body=json.dumps({'method': 'common.server.version',
                        'params': []}))
        self.assertEqual(response.status, 403)
