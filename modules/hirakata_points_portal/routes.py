"""The resident portal's pages: /<db>/hirakata/portal/…

Sign-in with a card or holder number and the birth date (R31), the
resident's balance, expiry schedule and latest entries, and the code to
show at a store, which changes every minute and works once (R1b). Pages
are plain HTML forms; the code page's script only renews the code.
"""
import datetime as dt
import json
import logging
import os
import unicodedata
from functools import wraps

import segno
from werkzeug.utils import redirect

from trytond.config import config
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.modules.hirakata_points.web import static_file
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.wsgi import app

from . import pages
from .session import SESSION_TIME

logger = logging.getLogger(__name__)

PREFIX = '/<database_name>/hirakata/portal'
COOKIE = 'hp_portal'
STATIC = os.path.join(os.path.dirname(__file__), 'static')
# A new code every minute (phone_code.VALID_SECONDS keeps it valid a
# little longer, for a scan under way).
REFRESH_SECONDS = 60
HISTORY_SIZE = 20
SIGN_INS_BY_ADDRESS = RateLimiter(config.getint('hirakata_portal',
        'sign_ins_per_15_minutes_by_address', default=30), 900)
CODES_BY_HOLDER = RateLimiter(config.getint('hirakata_portal',
        'codes_per_minute', default=10), 60)
# Wrong sign-ins of all residents together (session.py): past this, the
# portal takes no sign-in until the window has passed, and logs an error.
FAILED_SIGN_INS = RateLimiter(config.getint('hirakata_portal',
        'failed_sign_ins_per_10_minutes', default=300), 600)
REFUSED = ("番号または生年月日が正しくありません。"
    "間違いが5回続くと、しばらくログインできなくなります。")
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


def _html(text, status=200):
    headers = dict(PAGE_HEADERS)
    if status == 429:
        headers['Retry-After'] = '60'
    return Response(text, status=status,
        content_type='text/html; charset=utf-8', headers=headers)


def _json(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8',
        headers=PAGE_HEADERS)


def _see(location):
    response = redirect(location, 303)
    response.headers.update(PAGE_HEADERS)
    return response


def _message_page(title, message, status):
    return _html(pages.layout(title,
            '<p class="message error" role="alert">%s</p>'
            '<a class="button" href="./">トップに戻る</a>'
            % pages.esc(message), error=True), status)


def portal_page(func):
    """A portal handler: 404 where the module is not activated, a
    Japanese page instead of a trace.

    Cross-site requests: trytond refuses a request whose Origin is not its
    own or listed in [web] cors, and the session cookie is SameSite=Strict.
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
            return _message_page("エラー",
                "ただいま表示できません。しばらくしてから、もう一度お試しください。",
                500)
    return wrapper


def _signed_in(request, pool):
    "The holder of the request's session cookie, or None."
    Session = pool.get('hirakata.portal.session')
    return Session.holder_of(request.cookies.get(COOKIE))


def _set_cookie(response, request, pool, token):
    "The session cookie, valid as long as the session (renewed on use)."
    response.set_cookie(COOKIE, token,
        max_age=int(SESSION_TIME.total_seconds()),
        path=_cookie_path(pool.database_name),
        secure=request.scheme == 'https', httponly=True, samesite='Strict')
    return response


def _cookie_path(database_name):
    return '/%s/hirakata/portal/' % database_name


@app.route(PREFIX + '/', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def home(request, pool):
    Account = pool.get('hirakata.point.account')
    Entry = pool.get('hirakata.point.entry')
    holder = _signed_in(request, pool)
    if holder is None:
        return _see('sign-in')
    today = clock.today()
    account = holder.account
    schedule = Account.expiry_schedule(account.id, today)
    history = [(e.date, e.holder_description(), e.points)
        for e in Entry.search([('account', '=', account.id)],
            order=[('id', 'DESC')], limit=HISTORY_SIZE)]
    return _set_cookie(_html(pages.home(holder, schedule, history, today)),
        request, pool, request.cookies[COOKIE])


@app.route(PREFIX + '/sign-in', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def sign_in_form(request, pool):
    if _signed_in(request, pool):
        return _see('./')
    return _html(pages.sign_in())


def _birth_date(form):
    "The date of the year, month and day fields, or None."
    try:
        parts = [int(unicodedata.normalize('NFKC', form.get(n, '')).strip())
            for n in ['year', 'month', 'day']]
        return dt.date(*parts)
    except (ValueError, OverflowError):  # e.g. a year of 20 digits
        return None


@app.route(PREFIX + '/sign-in', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_in(request, pool):
    Guard = pool.get('hirakata.portal.sign_in_guard')
    Session = pool.get('hirakata.portal.session')
    form = request.form
    again = {n: form.get(n, '')[:20] for n in ['number', 'year', 'month',
            'day']}
    if not SIGN_INS_BY_ADDRESS.allow(request.remote_addr):
        return _html(pages.sign_in("ログインの試行が多すぎます。"
                "15分ほどたってから、もう一度お試しください。", **again), 429)
    if FAILED_SIGN_INS.full('all'):
        return _html(pages.sign_in("ただいまログインを受け付けていません。"
                "10分ほどたってから、もう一度お試しください。", **again), 429)
    birth_date = _birth_date(form)
    if not form.get('number', '').strip() or birth_date is None:
        return _html(pages.sign_in("カード番号と生年月日（西暦の年、月、日）を"
                "数字で入力してください。", **again), 400)
    holder = Guard.sign_in(form['number'], birth_date)
    if holder is None:
        FAILED_SIGN_INS.allow('all')
        if FAILED_SIGN_INS.full('all'):
            logger.error("portal: %s failed sign-ins in 10 minutes; "
                "sign-ins stopped (birth dates being guessed?)",
                FAILED_SIGN_INS.limit)
        return _html(pages.sign_in(REFUSED, **again), 400)
    return _set_cookie(_see('./'), request, pool, Session.open(holder))


@app.route(PREFIX + '/sign-out', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_out(request, pool):
    pool.get('hirakata.portal.session').close(request.cookies.get(COOKIE))
    response = _see('sign-in')
    response.delete_cookie(COOKIE, path=_cookie_path(pool.database_name))
    return response


def _code_image(pool, holder):
    "A new code of holder as a QR code image (a data: URI)."
    code, _ = pool.get('hirakata.phone_code').issue(holder)
    return segno.make(code, error='m').svg_data_uri(scale=10, border=4)


@app.route(PREFIX + '/code', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def code_page(request, pool):
    holder = _signed_in(request, pool)
    if holder is None:
        return _see('sign-in')
    if not CODES_BY_HOLDER.allow(holder.id):
        return _message_page("お店で見せるコード",
            "短い時間にコードを作りすぎました。1分ほどたってから、もう一度お試しください。",
            429)
    return _set_cookie(
        _html(pages.code(_code_image(pool, holder), REFRESH_SECONDS)),
        request, pool, request.cookies[COOKIE])


@app.route(PREFIX + '/code/new', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def new_code(request, pool):
    "A fresh code for the code page's script."
    holder = _signed_in(request, pool)
    if holder is None:
        return _json({'error': {'code': 'signed_out',
                    'message': "ログインしてください。"}}, 401)
    if not CODES_BY_HOLDER.allow(holder.id):
        return _json({'error': {'code': 'rate_limited',
                    'message': "1分ほどたってから、もう一度お試しください。"}},
            429)
    return _json({'image': _code_image(pool, holder),
            'seconds': REFRESH_SECONDS})


@app.route(PREFIX + '/static/<path:filename>', methods={'GET'})
def portal_static(request, database_name, filename):
    return static_file(STATIC, filename,
        dict(HEADERS, **{'Cache-Control': 'no-cache'}))
