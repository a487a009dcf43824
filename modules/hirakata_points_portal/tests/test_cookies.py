"""The portal's cookies over HTTP (issue 15): named __Host-…, Secure,
Path=/ and without Domain, so that no other host under the portal's
domain can set one; a cookie of another name, what a sibling host sets
with Domain=example.jp, signs nobody in and marks no device as the
resident's. See test_portal_browser.py for Chromium's side."""
import datetime as dt
from types import SimpleNamespace

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import trytond.config as config
from trytond.modules.hirakata_points_portal import cookies, guard
from trytond.modules.hirakata_points_portal.tests.mail import restore
from trytond.modules.hirakata_points_portal.tests.test_portal import (
    BIRTH, PASSWORD, make_account, make_holder, reset_limits)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

PORTAL = 'https://points.example.jp'
HOST = 'points.example.jp'
# The other surfaces' hosts, where a page may set cookies for the parent
# domain.
SIBLING_DOMAIN = 'example.jp'
WRONG = 'not-the-password'


def attributes(header):
    "(name, {attribute: value}) of a Set-Cookie header, names lower case."
    pair, *parts = [p.strip() for p in header.split(';')]
    found = {}
    for part in parts:
        key, _, value = part.partition('=')
        found[key.lower()] = value
    return pair.partition('=')[0], found


def configure_portal(test, origin):
    "[hirakata_points] portal_origin set to origin for the test."
    if not config.has_section('hirakata_points'):
        config.add_section('hirakata_points')
    test.addCleanup(restore, 'hirakata_points', 'portal_origin',
        config.get('hirakata_points', 'portal_origin'))
    config.set('hirakata_points', 'portal_origin', origin)


class PortalCookiesTestCase(RouteTestCase):
    "The portal's cookies cannot be set from another host"
    module = 'hirakata_points_portal'

    @classmethod
    def setUpDatabase(cls):
        holder, _ = make_holder("枚方 花子", "ヒラカタ ハナコ", BIRTH, points=10)
        other, _ = make_holder("淀川 次郎", "ヨドガワ ジロウ",
            dt.date(1960, 1, 1), points=5)
        make_account('hanako@example.jp', holder)
        # The attacker's own account, with a card of his own.
        make_account('jiro@example.jp', other)

    def setUp(self):
        super().setUp()
        reset_limits()
        with Transaction().start(DB_NAME, 0) as transaction:
            Failure = Pool().get('hirakata.portal.failure')
            Failure.delete(Failure.search([]))
            transaction.commit()
        configure_portal(self, PORTAL)

    def url(self, path=''):
        return '/%s/hirakata/portal/%s' % (DB_NAME, path)

    def get(self, client, path='', base_url=PORTAL):
        return client.get(self.url(path), base_url=base_url)

    def sign_in(self, client, email='hanako@example.jp', password=PASSWORD,
            address='192.0.2.10', base_url=PORTAL):
        return client.post(self.url('sign-in'), data={'email': email,
                'password': password}, base_url=base_url,
            environ_base={'REMOTE_ADDR': address})

    def request(self, base_url):
        return Request(EnvironBuilder(self.url(), base_url=base_url)
            .get_environ())

    def cookie(self, client, meaning):
        "(name, value) of the client's portal cookie of meaning."
        name = cookies.name(self.request(PORTAL),
            SimpleNamespace(database_name=DB_NAME), meaning)
        return name, client.get_cookie(name, domain=HOST).value

    def assertHostOnly(self, header, meaning):
        name, found = attributes(header)
        self.assertRegex(name, r'^__Host-%s-[A-Za-z0-9_]+$' % meaning)
        self.assertIn('secure', found)
        self.assertEqual(found['path'], '/')
        self.assertNotIn('domain', found)
        self.assertIn('httponly', found)
        self.assertEqual(found['samesite'], 'Strict')

    def test_cookies_are_host_only_and_secure(self):
        client = self.client()
        response = self.sign_in(client)
        self.assertEqual(response.status_code, 303)
        session_header, device_header = response.headers.getlist(
            'Set-Cookie')
        self.assertHostOnly(session_header, 'hp_portal')
        self.assertHostOnly(device_header, 'hp_device')
        # The last a browser drops when a host's cookies are too many.
        for header in [session_header, device_header]:
            self.assertEqual(attributes(header)[1]['priority'], 'High')
        self.assertEqual(self.get(client).status_code, 200)
        response = client.post(self.url('passkey/sign-in/options'),
            base_url=PORTAL)
        self.assertEqual(response.status_code, 200)
        header, = response.headers.getlist('Set-Cookie')
        self.assertHostOnly(header, 'hp_passkey')
        # Signing out removes the cookie with the attributes it was set
        # with: a browser ignores the removal of a __Host- cookie without.
        response = client.post(self.url('sign-out'), base_url=PORTAL)
        header, = response.headers.getlist('Set-Cookie')
        self.assertHostOnly(header, 'hp_portal')
        self.assertEqual(attributes(header)[1]['max-age'], '0')
        self.assertEqual(self.get(client).status_code, 303)

    def test_tossed_session_cookie_signs_nobody_in(self):
        # The attacker signs in to his own account and gets a session...
        attacker = self.client()
        self.assertEqual(self.sign_in(attacker, 'jiro@example.jp')
            .status_code, 303)
        name, token = self.cookie(attacker, 'hp_portal')
        # ...that a page of a sibling host sets in the resident's browser
        # for the whole domain, under the plain name (at the portal's old
        # path and at the root).
        resident = self.client()
        for path in ['/', self.url()]:
            resident.set_cookie('hp_portal', token, domain=SIBLING_DOMAIN,
                origin_only=False, path=path)
        for path in ['', 'code', 'link', 'account']:
            response = self.get(resident, path)
            self.assertEqual(response.status_code, 303, path)
            self.assertTrue(response.headers['Location'].endswith('sign-in'),
                path)
        self.assertEqual(resident.post(self.url('code/new'), base_url=PORTAL)
            .status_code, 401)
        # Only the name stops it: the token is the attacker's live session
        # (under the portal's own name, which a browser keeps from the
        # portal's host only).
        resident.set_cookie(name, token, domain=HOST)
        response = self.get(resident)
        self.assertEqual(response.status_code, 200)
        self.assertIn("淀川 次郎", response.get_data(as_text=True))

    def test_tossed_device_cookie_exempts_no_device(self):
        phone = self.client()
        self.assertEqual(self.sign_in(phone).status_code, 303)
        _, device = self.cookie(phone, 'hp_device')
        phone.post(self.url('sign-out'), base_url=PORTAL)
        # Someone guesses at the resident's password until the account
        # waits...
        neighbour = self.client()
        for _ in range(guard.FREE_FAILURES + 1):
            self.sign_in(neighbour, password=WRONG, address='198.51.100.7')
        # ...and a device cookie of the resident's account under the plain
        # name, from a sibling host, does not exempt a browser.
        other = self.client()
        other.set_cookie('hp_device', device, domain=SIBLING_DOMAIN,
            origin_only=False)
        other.set_cookie('hp_device', device, domain=SIBLING_DOMAIN,
            origin_only=False, path=self.url())
        self.assertEqual(self.sign_in(other, address='203.0.113.9')
            .status_code, 429)
        # The resident's own phone, with the portal's own cookie, signs in.
        self.assertEqual(self.sign_in(phone, address='203.0.113.9')
            .status_code, 303)

    def test_plain_http_elsewhere_than_loopback_gets_host_only_cookies(self):
        # A proxy that does not say the request came over https, then a
        # portal configured on http: __Host- cookies all the same, which
        # a browser keeps over TLS only (no sign-in rather than cookies
        # that others can set).
        for origin in [PORTAL, 'http://points.example.jp']:
            configure_portal(self, origin)
            response = self.sign_in(self.client(),
                base_url='http://points.example.jp')
            self.assertEqual(response.status_code, 303, origin)
            for header, meaning in zip(response.headers.getlist(
                        'Set-Cookie'), ['hp_portal', 'hp_device']):
                self.assertHostOnly(header, meaning)

    def test_loopback_development_keeps_the_plain_names(self):
        # Safari keeps no Secure cookie from http://localhost (cookies.py).
        configure_portal(self, 'http://localhost:8000')
        client = self.client()
        response = self.sign_in(client, base_url='http://localhost:8000')
        self.assertEqual(response.status_code, 303)
        for header, meaning in zip(response.headers.getlist('Set-Cookie'),
                ['hp_portal', 'hp_device']):
            name, found = attributes(header)
            self.assertEqual(name, meaning)
            self.assertEqual(found['path'], self.url())
            self.assertNotIn('secure', found)
            self.assertNotIn('domain', found)
        self.assertEqual(self.get(client, base_url='http://localhost:8000')
            .status_code, 200)
        # The same portal asked over https, or at another host: __Host-.
        for base_url in ['https://localhost:8000', 'http://points.example.jp']:
            self.assertTrue(cookies.host_only(self.request(base_url)),
                base_url)

    def test_each_database_has_its_own_names(self):
        request = self.request(PORTAL)
        names = {database: cookies.name(request,
                SimpleNamespace(database_name=database), cookies.SESSION)
            for database in ['hirakata', 'hirakata_test', ':memory:',
                'ひらかた']}
        self.assertEqual(names['hirakata'], '__Host-hp_portal-hirakata')
        self.assertEqual(len(set(names.values())), len(names))
        for name in names.values():
            # A cookie name is an HTTP token.
            self.assertRegex(name, r'^__Host-hp_portal-[A-Za-z0-9_]+$')


del RouteTestCase
