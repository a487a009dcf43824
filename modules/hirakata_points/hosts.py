"""Each web surface on its own host name, and the back office's headers.

The back office (sao and its JSON-RPC), the resident portal (with the
public pages) and the terminal app with its API are three surfaces; each
is served only on the host of its origin in [hirakata_points]
backoffice_origin, portal_origin and terminal_origin. A browser keeps
storage (localStorage, IndexedDB) per origin and cookies per host, so a
script that got into one surface cannot read the others' sessions and
credentials. Unset, every surface answers on every host (tests, a quick
start).

This layer wraps trytond's WSGI application when the module is imported;
it also gives the back office a Content-Security-Policy sao works with,
serves of the web root only what sao's index.html loads, answers a
request trytond refuses (a foreign Origin) as 403 instead of a trace, and
keeps versions out of the development server's Server header.
"""
import base64
import functools
import hashlib
import html
import json
import mimetypes
import os
import posixpath
import re
import urllib.parse

from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

from trytond.config import config

SURFACES = ('backoffice', 'portal', 'terminal')
_TERMINAL = re.compile(r'^/[^/]+/hirakata/(terminal|api)(/|$)')
_PORTAL = re.compile(r'^/[^/]+/hirakata(/|$)')

# Sao's files that the back office serves beside those index.html and its
# style sheets name: its build, and what it fetches by name at run time.
SAO_FOLDERS = ('dist/', 'images/', 'locale/', 'sounds/')
_SOURCES = re.compile(r'''<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"''')
_CSS_URLS = re.compile(r'''url\(\s*["']?([^"')]+)["']?\s*\)''')
_INLINE_SCRIPTS = re.compile(r'<script[^>]*>(.*?)</script>', re.S)
_JAVASCRIPT_URLS = re.compile(r'href="(javascript:[^"]*)"')

COMMON_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    }

MESSAGES = {
    403: ('forbidden_origin', "このサイトからの要求は受け付けられません。"),
    404: ('not_found', "お探しのページは見つかりません。"),
    }
# trytond's own refusals of a malformed back-office call (a body it cannot
# read, a method it does not know), English pages: answered in Japanese;
# and its 503 for a database error (a lock wait, or a search too deep for
# SQLite), whose page carries the database's own English text.
MALFORMED_CALLS = {
    400: ('bad_request', "要求の形式が正しくありません。変更は保存されていません。"),
    403: ('forbidden', "この操作は許可されていません。変更は保存されていません。"),
    422: ('bad_request', "要求の形式が正しくありません。変更は保存されていません。"),
    503: ('unavailable', "ただいま処理できませんでした。しばらくしてから、"
        "もう一度お試しください。変更は保存されていません。"),
    }


def surface_of(path):
    "The surface a request's path belongs to."
    if _TERMINAL.match(path):
        return 'terminal'
    if _PORTAL.match(path):
        return 'portal'
    return 'backoffice'


def origin(surface):
    "The configured origin of surface (scheme://host[:port]) or ''."
    return (config.get('hirakata_points', '%s_origin' % surface)
        or '').rstrip('/')


def url(surface, path):
    """The address of path on surface: absolute on its own origin when
    surfaces are separated, else the path itself (same origin)."""
    return origin(surface) + path


def surface_of_host(host):
    """The surface served on host; '*' when no origin is configured, None
    for a host that is no surface's."""
    hosts = {urllib.parse.urlsplit(origin(s)).netloc.lower(): s
        for s in SURFACES if origin(s)}
    if not hosts:
        return '*'
    return hosts.get((host or '').lower())


@functools.lru_cache(maxsize=4)
def sao_files(root):
    """The files under sao's folder root that the back office serves
    (paths relative to root), and the content security policy of its
    index.html (hashes of its inline script and javascript: links)."""
    if not os.path.isfile(os.path.join(root, 'index.html')):
        return frozenset(), ''
    with open(os.path.join(root, 'index.html'), encoding='utf-8') as f:
        index = f.read()
    files = {'index.html'}
    for source in _SOURCES.findall(index):
        if '://' in source or source.startswith(('data:', 'javascript:')):
            continue
        source = posixpath.normpath(source.split('?')[0])
        files.add(source)
        if source.endswith('.css') and os.path.isfile(
                os.path.join(root, source)):
            with open(os.path.join(root, source), encoding='utf-8',
                    errors='replace') as f:
                for name in _CSS_URLS.findall(f.read()):
                    if name.startswith('data:'):
                        continue
                    files.add(posixpath.normpath(posixpath.join(
                                posixpath.dirname(source),
                                name.split('?')[0].split('#')[0])))
    hashes = ["'sha256-%s'" % base64.b64encode(
            hashlib.sha256(s.encode('utf-8')).digest()).decode()
        for s in (_INLINE_SCRIPTS.findall(index)
            + _JAVASCRIPT_URLS.findall(index)) if s.strip()]
    return frozenset(files), ' '.join(hashes)


def backoffice_csp(root):
    """sao's policy: its own scripts and index.html's inline ones only
    ('unsafe-hashes' for the menu button's javascript: link); inline
    styles, which sao sets on its elements. Not 'unsafe-eval': only sao's
    PYSON field editor (domains typed by an administrator) needs it."""
    hashes = sao_files(root)[1] if root else ''
    return ("default-src 'self'; script-src 'self' 'unsafe-hashes' %s; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; media-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'" % hashes)


def _served_unlisted(root, path):
    """Whether trytond would serve path from the web root although sao does
    not load it (e.g. node_modules/.package-lock.json)."""
    relative = posixpath.normpath(path.lstrip('/') or '.')
    if relative.startswith('..'):
        return False
    full = os.path.join(root, relative)
    if os.path.isdir(full):
        relative = posixpath.normpath(posixpath.join(relative, 'index.html'))
        full = os.path.join(root, relative)
    if not os.path.isfile(full):
        return False  # not a file: trytond's routes answer
    return not (relative in sao_files(root)[0]
        or relative.startswith(SAO_FOLDERS))


def _missing_customisation(root, path):
    """Whether path is a file index.html loads that is not there: sao's
    custom.js and custom.css, for a site's own changes. Answered empty,
    not refused in the console."""
    relative = posixpath.normpath(path.lstrip('/') or '.')
    return (relative in sao_files(root)[0]
        and not os.path.exists(os.path.join(root, relative)))


def _refusal(environ, status, messages=MESSAGES):
    """A refusal in the caller's language: JSON (with a stable code) for
    the API and JSON-RPC, a short Japanese page otherwise."""
    code, message = messages[status]
    path = environ.get('PATH_INFO', '')
    wants_json = (surface_of(path) == 'terminal' and '/api/' in path) or (
        'json' in environ.get('CONTENT_TYPE', '')
        or 'json' in environ.get('HTTP_ACCEPT', ''))
    if wants_json:
        body = json.dumps({'error': {'code': code, 'message': message}},
            ensure_ascii=False)
        mimetype = 'application/json'
    else:
        body = ('<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
            '<title>%s</title></head><body><main><h1>%s</h1></main></body>'
            '</html>' % ((html.escape(message),) * 2))
        mimetype = 'text/html'
    return Response(body, status=status, mimetype=mimetype,
        headers=dict(COMMON_HEADERS, **{'Cache-Control': 'no-store',
                'Content-Security-Policy': "default-src 'none'; "
                "frame-ancestors 'none'"}))


class HostLayer:
    """The WSGI layer in front of trytond's application (see the module);
    root is sao's folder, by default [web] root."""

    def __init__(self, app, root=None):
        self.app = app
        self.root = root
        num_proxies = config.getint('web', 'num_proxies')
        if num_proxies:
            # trytond applies the same fix inside: the host and scheme the
            # proxy received, for the host check here.
            from trytond.wsgi import NumProxyFix
            self._handle = NumProxyFix(self._handle, num_proxies)

    def __call__(self, environ, start_response):
        return self._handle(environ, start_response)

    def _handle(self, environ, start_response):
        path = environ.get('PATH_INFO', '') or '/'
        surface = surface_of(path)
        served = surface_of_host(environ.get('HTTP_HOST'))
        root = self.root or config.get('web', 'root')
        if served not in {'*', surface}:
            return _refusal(environ, 404)(environ, start_response)
        if (surface == 'backoffice' and root
                and environ.get('REQUEST_METHOD') in {'GET', 'HEAD'}):
            if _served_unlisted(root, path):
                return _refusal(environ, 404)(environ, start_response)
            if _missing_customisation(root, path):
                return Response('', mimetype=mimetypes.guess_type(path)[0],
                    headers=dict(COMMON_HEADERS))(environ, start_response)
        headers = dict(COMMON_HEADERS)
        if surface == 'backoffice':
            headers['Content-Security-Policy'] = backoffice_csp(root)

        def start(status, response_headers, exc_info=None):
            names = {name.lower() for name, _ in response_headers}
            response_headers = list(response_headers) + [
                (name, value) for name, value in headers.items()
                if name.lower() not in names]
            return start_response(status, response_headers, exc_info)
        try:
            if (surface == 'backoffice'
                    and environ.get('REQUEST_METHOD') == 'POST'
                    and 'json' in environ.get('CONTENT_TYPE', '')):
                return self._call_refused_in_japanese(environ, start)
            return self.app(environ, start)
        except HTTPException as error:
            # trytond refuses a foreign Origin before its own error
            # handling: a 403, not a server error with a trace in the log.
            if error.code in MESSAGES:
                return _refusal(environ, error.code)(environ, start_response)
            return error(environ, start)


    def _call_refused_in_japanese(self, environ, start):
        """A JSON-RPC call, answered as trytond answers it, but for its
        English pages refusing a malformed call (MALFORMED_CALLS): the same
        status, in Japanese JSON."""
        answer = {}

        def keep(status, headers, exc_info=None):
            answer.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None  # (trytond answers by its iterable)
        body = self.app(environ, keep)
        status = int(answer['status'].split(' ', 1)[0])
        content_type = next((v for k, v in answer['headers']
                if k.lower() == 'content-type'), '')
        if status in MALFORMED_CALLS and content_type.startswith('text/html'):
            if hasattr(body, 'close'):
                body.close()
            return _refusal(environ, status, MALFORMED_CALLS)(
                environ, start)
        start(answer['status'], answer['headers'], answer['exc_info'])
        return body


def install(app):
    "Put the layer in front of app (trytond's TrytondWSGI), once."
    if not isinstance(app.wsgi_app, HostLayer):
        app.wsgi_app = HostLayer(app.wsgi_app)


# The development server names no versions (gunicorn sends no version;
# the reverse proxy's own header is set in docs/operations.md).
WSGIRequestHandler.version_string = lambda self: 'Tryton'
