"""The resident portal's pages: /<db>/hirakata/portal/…

Here the resident's balance, expiry schedule and latest entries (R31),
and the code to show at a store, which changes every minute and works
once (R1b); what the pages share (the session of the request's cookie,
signing in, the headers). Residents sign in with their web account, an
e-mail address and a password or a passkey (routes_account.py), and link
their card to it once with a one-time linking code (routes_link.py): a
card number and a birth date sign nobody in. Pages are plain HTML forms;
the code page's script only renews the code.
"""
import ipaddress
import json
import logging
import os
from functools import wraps

import segno
from werkzeug.utils import redirect

from trytond.config import config
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.modules.hirakata_points.web import static_file
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.wsgi import app

from . import cookies, pages
from .session import DEVICE_TIME, SESSION_TIME

logger = logging.getLogger(__name__)

PREFIX = '/<database_name>/hirakata/portal'
STATIC = os.path.join(os.path.dirname(__file__), 'static')
# A new code every minute (phone_code.VALID_SECONDS keeps it valid a
# little longer, for a scan under way).
REFRESH_SECONDS = 60
HISTORY_SIZE = 20
CODES_BY_HOLDER = RateLimiter(config.getint('hirakata_portal',
        'codes_per_minute', default=10), 60)
HEADERS = {
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    # Not no-referrer: then Chromium posts forms with "Origin: null",
    # which trytond refuses.
    'Referrer-Policy': 'same-origin',
    }
# Pages show personal data: never kept by a browser or a proxy.
PAGE_HEADERS = dict(HEADERS, **{'Cache-Control': 'no-store'})
JA = {'language': 'ja'}


def html(text, status=200, retry_after=None):
    headers = dict(PAGE_HEADERS)
    if status == 429:
        headers['Retry-After'] = str(retry_after or 60)
    return Response(text, status=status,
        content_type='text/html; charset=utf-8', headers=headers)


def json_response(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8',
        headers=PAGE_HEADERS)


def see(location):
    response = redirect(location, 303)
    response.headers.update(PAGE_HEADERS)
    return response


def message_page(title, message, status):
    return html(pages.layout(title,
            '<p class="message error" role="alert">%s</p>'
            '<a class="button" href="./">トップに戻る</a>'
            % pages.esc(message), error=True), status)


def portal_page(func):
    """A portal handler: 404 where the module is not activated, a
    Japanese page instead of a trace.

    Cross-site requests: trytond refuses a request whose Origin is not its
    own or listed in [web] cors, and the session cookie is SameSite=Strict
    (and host-only, cookies.py).
    """
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            pool.get('hirakata.portal.session')
        except KeyError:
            return Response(status=404)
        try:
            return func(request, pool, *args, **kwargs)
        except Exception:
            logger.exception("portal error")
            return message_page("エラー",
                "ただいま表示できません。しばらくしてから、もう一度お試しください。",
                500)
    return wrapper


def session_of(request, pool):
    "The live session of the request's cookie, or None."
    Session = pool.get('hirakata.portal.session')
    return Session.current(cookies.value(request, pool, cookies.SESSION))


def signed_in(request, pool, response, web_user, method):
    """A new session of web_user on response, and the device cookie that
    marks this browser as the account's own (guard.py)."""
    Session = pool.get('hirakata.portal.session')
    Device = pool.get('hirakata.portal.device')
    token = Session.open(web_user, method, request.headers.get('User-Agent'))
    cookies.set_cookie(response, request, pool, cookies.SESSION, token,
        SESSION_TIME)
    device = Device.remember(web_user,
        cookies.value(request, pool, cookies.DEVICE))
    return cookies.set_cookie(response, request, pool, cookies.DEVICE,
        device, DEVICE_TIME)


def address_key(request):
    "The source's counter key: an IPv6 client is its /64 network."
    address = request.remote_addr or ''
    if ':' in address:
        try:
            address = str(ipaddress.ip_network(address + '/64',
                    strict=False))
        except ValueError:
            pass
    return 'address:' + address


def signed_out(request, pool, path='sign-in'):
    "Where one goes without a live session; the dead cookie removed."
    response = see(path)
    if cookies.value(request, pool, cookies.SESSION) is not None:
        cookies.delete_cookie(response, request, pool, cookies.SESSION)
    return response


@app.route(PREFIX + '/', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def home(request, pool):
    Account = pool.get('hirakata.point.account')
    Entry = pool.get('hirakata.point.entry')
    session = session_of(request, pool)
    if session is None:
        return signed_out(request, pool)
    holder = session.web_user.holder
    if holder is None:
        return see('link')
    today = clock.today()
    account = holder.account
    schedule = Account.expiry_schedule(account.id, today)
    history = [(e.date, e.holder_description(), e.points)
        for e in Entry.search([('account', '=', account.id)],
            order=[('id', 'DESC')], limit=HISTORY_SIZE)]
    return html(pages.home(holder, schedule, history, today))


def _code_image(pool, holder):
    "A new code of holder as a QR code image (a data: URI)."
    code, _ = pool.get('hirakata.phone_code').issue(holder)
    return segno.make(code, error='m').svg_data_uri(scale=10, border=4)


@app.route(PREFIX + '/code', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def code_page(request, pool):
    session = session_of(request, pool)
    if session is None:
        return signed_out(request, pool)
    holder = session.web_user.holder
    if holder is None:
        return see('link')
    if not session.fresh:
        return see('reauth?next=code')
    if not CODES_BY_HOLDER.allow(holder.id):
        return message_page("お店で見せるコード",
            "短い時間にコードを作りすぎました。1分ほどたってから、もう一度お試しください。",
            429)
    return html(pages.code(_code_image(pool, holder), REFRESH_SECONDS))


@app.route(PREFIX + '/code/new', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def new_code(request, pool):
    "A fresh code for the code page's script."
    session = session_of(request, pool)
    holder = session.web_user.holder if session else None
    if holder is None:
        return json_response({'error': {'code': 'signed_out',
                    'message': "ログインしてください。"}}, 401)
    if not session.fresh:
        return json_response({'error': {'code': 'reauth',
                    'message': "ご本人の確認をもう一度してください。"}}, 401)
    if not CODES_BY_HOLDER.allow(holder.id):
        return json_response({'error': {'code': 'rate_limited',
                    'message': "1分ほどたってから、もう一度お試しください。"}},
            429)
    return json_response({'image': _code_image(pool, holder),
            'seconds': REFRESH_SECONDS})


@app.route(PREFIX + '/static/<path:filename>', methods={'GET'})
def portal_static(request, database_name, filename):
    return static_file(STATIC, filename,
        dict(HEADERS, **{'Cache-Control': 'no-cache'}))
