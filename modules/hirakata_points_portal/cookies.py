"""The portal's cookies: the session, the device that signed in before
(guard.py) and a passkey ceremony, all HttpOnly and SameSite=Strict.

The other surfaces are on sibling host names under the portal's domain
(admin.points.example.jp, terminal.points.example.jp beside
points.example.jp, hosts.py), and a page on any host under the
registrable domain may set a cookie with Domain=example.jp, which the
browser then sends to the portal too ("cookie tossing"). Under a plain
name the portal would take such a cookie for its own: an attacker's own
session (the resident, unaware, links a card to the attacker's account)
or a device cookie. So the cookies are named __Host-…: a browser keeps
such a cookie only if it is Secure, with Path=/ and no Domain, that is,
set by the portal's host itself, and the portal reads no other name.
Path=/ is the whole host, which several databases may share: the name
carries the database's.

Development keeps the plain names, under the portal's path and without
Secure: a portal asked over plain http at a loopback host while its
configured origin ([hirakata_points] portal_origin, else [hirakata_portal]
url) is one too (the demo at http://localhost:PORT, tests). Chromium keeps
Secure and __Host- cookies from http://localhost, *.localhost and
127.0.0.1 (checked with Chromium 156), Firefox its Secure ones, but Safari
drops every Secure cookie over http (WebKit bug 281149) and would sign
nobody in to the demo. A portal configured or asked at any other address
over http still gets __Host- cookies, which a browser refuses without TLS:
no sign-in, rather than a cookie others can set.

A sibling host can still fill the registrable domain's cookie jar: past
its limit (Chromium: 180 a domain) a browser evicts cookies, those of low
and medium priority first. The session and device cookies are
Priority=High (Chromium's attribute, which others ignore and Werkzeug does
not write), so a sibling's ordinary cookies go before them; one that sets
many High cookies itself can still push them out (docs/operations.md).
"""
import hashlib
import ipaddress
import re
import urllib.parse

from werkzeug.http import dump_cookie

from trytond.modules.hirakata_points import hosts

from .account import portal_url

SESSION = 'hp_portal'
DEVICE = 'hp_device'
CEREMONY = 'hp_passkey'
HOST_PREFIX = '__Host-'
# Cookies whose loss signs the resident out or forgets the device.
HIGH_PRIORITY = {SESSION, DEVICE}
# A database name that may follow __Host-<meaning>- as it is; another
# (SQLite's ':memory:') is replaced by its digest.
_NAME = re.compile(r'[A-Za-z0-9_]{1,63}')


def is_loopback(hostname):
    "Whether hostname is the machine itself (localhost, 127/8, ::1)."
    hostname = (hostname or '').lower().rstrip('.')
    if hostname == 'localhost' or hostname.endswith('.localhost'):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _loopback_http(url):
    try:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme == 'http' and is_loopback(parts.hostname)
    except ValueError:  # a Host header that is no host
        return False


def host_only(request):
    """Whether the cookies go by their __Host- names: everywhere but plain
    http to a loopback host of a portal configured on one (the module's
    docstring)."""
    configured = hosts.origin('portal') or portal_url()
    return not (_loopback_http(configured)
        and _loopback_http('%s://%s/' % (request.scheme, request.host)))


def name(request, pool, meaning):
    "The name of the cookie of meaning (SESSION, DEVICE, CEREMONY)."
    if not host_only(request):
        return meaning
    database = pool.database_name
    if not _NAME.fullmatch(database):
        database = hashlib.sha256(database.encode('utf-8')).hexdigest()[:16]
    return '%s%s-%s' % (HOST_PREFIX, meaning, database)


def _attributes(request, pool):
    if host_only(request):
        return {'path': '/', 'secure': True}
    return {'path': '/%s/hirakata/portal/' % pool.database_name,
        'secure': False}


def value(request, pool, meaning):
    "The request's cookie of meaning, under its one name, or None."
    return request.cookies.get(name(request, pool, meaning))


def set_cookie(response, request, pool, meaning, token, max_age):
    "response with the cookie of meaning set to token for max_age."
    header = dump_cookie(name(request, pool, meaning), token,
        max_age=int(max_age.total_seconds()), httponly=True,
        samesite='Strict', max_size=response.max_cookie_size,
        **_attributes(request, pool))
    if meaning in HIGH_PRIORITY:
        header += '; Priority=High'
    response.headers.add('Set-Cookie', header)
    return response


def delete_cookie(response, request, pool, meaning):
    """response with the cookie of meaning removed (a browser takes the
    removal of a __Host- cookie only with the same attributes)."""
    response.delete_cookie(name(request, pool, meaning), httponly=True,
        samesite='Strict', **_attributes(request, pool))
    return response
