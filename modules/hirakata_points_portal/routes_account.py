"""The web account's pages: sign-up with e-mail verification, sign-in
with a password or a passkey, password reset, confirming it is you again
before points move, the account page (passkeys, sessions, signing out
everywhere).

Wrong passwords are counted per account and per source address with
growing delays (guard.py); a browser with the account's device cookie
counts on its own key instead, so nobody can keep a resident out of their
own phone. The card number and birth date no longer sign anyone in.
"""
import hmac
import math
import re

from trytond.config import config
from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from . import cookies, pages_account as pages
from .account import MIN_PASSWORD
from .routes import (
    JA, PREFIX, address_key, html, json_response, portal_page, see,
    session_of, signed_in, signed_out)
from .session import REAUTH_AGE

REFUSED = "メールアドレスまたはパスワードが正しくありません。"
# Mails sent on request (sign-up, reset) per source address (an IPv6
# client per /64, as guard.py counts): no mail bomb.
MAILS_BY_ADDRESS = RateLimiter(config.getint('hirakata_portal',
        'mails_per_hour_by_address', default=10), 3600)
NEXT = {'code': 'code', 'account': 'account'}
# An address a mail can go to (the mail itself verifies it).
EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s.]+')


def _email(form):
    return (form.get('email') or '').strip().lower()[:254]


def _password(form, name='password'):
    return (form.get(name) or '')[:1024]


def _wait_page(page, seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return html(page("間違いが続いたため、%s分ほどお待ちください。"
            "パスワードを忘れた方は「パスワードを忘れた方」から決め直せます。"
            % minutes), 429, retry_after=seconds)


def check_password(request, pool, email, password):
    """(web user, None) for the right password, or (None, seconds to wait
    or 0) for a refusal; failures counted (guard.py)."""
    WebUser = pool.get('web.user')
    Failure = pool.get('hirakata.portal.failure')
    Device = pool.get('hirakata.portal.device')
    device = Device.of(cookies.value(request, pool, cookies.DEVICE))
    account = 'account:' + email
    if device is not None and device.web_user.email == email:
        keys = ['device:%s' % device.id]
    else:
        keys = [account, address_key(request)]
    wait = Failure.wait(keys)
    if wait:
        return None, wait
    user = WebUser.find(email)
    if user is None:
        WebUser.check_password(password, None)  # as long as a known one
    if user is None or not user.password_ok(password):
        Failure.failed(keys, 'password')
        return None, 0
    # The address's count stays: a sign-in to one's own account must not
    # clear the tries at others'.
    Failure.succeeded([account] + [k for k in keys if k.startswith('device:')])
    return user, None


@app.route(PREFIX + '/sign-in', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def sign_in_form(request, pool):
    if session_of(request, pool):
        return see('./')
    return html(pages.sign_in())


@app.route(PREFIX + '/sign-in', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_in(request, pool):
    email, password = _email(request.form), _password(request.form)
    if not email or not password:
        return html(pages.sign_in("メールアドレスとパスワードを入力してください。",
                email), 400)
    user, wait = check_password(request, pool, email, password)
    if wait:
        return _wait_page(lambda e: pages.sign_in(e, email), wait)
    if user is None:
        return html(pages.sign_in(REFUSED, email), 400)
    if not user.email_valid:
        return html(pages.sign_in("メールアドレスの確認が済んでいません。"
                "届いたメールのリンクを開いてください。", email), 400)
    return signed_in(request, pool, see('./'), user, 'password')


@app.route(PREFIX + '/sign-up', methods={'GET'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_up_form(request, pool):
    return html(pages.sign_up())


def _password_problem(form):
    password = _password(form)
    if len(password) < MIN_PASSWORD:
        return "パスワードは%s文字以上にしてください。" % MIN_PASSWORD
    if password != _password(form, 'password2'):
        return "2つのパスワードが同じではありません。"


@app.route(PREFIX + '/sign-up', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_up(request, pool):
    WebUser = pool.get('web.user')
    email = _email(request.form)
    problem = _password_problem(request.form)
    if not EMAIL.fullmatch(email):
        problem = "メールアドレスを正しく入力してください。"
    if problem:
        return html(pages.sign_up(problem, email), 400)
    if not MAILS_BY_ADDRESS.allow(address_key(request)):
        return html(pages.sign_up("短い時間に申し込みが多すぎます。"
                "1時間ほどたってから、もう一度お試しください。", email), 429)
    # The same answer, in the same time, whether the address has an
    # account or not; only its mailbox learns which.
    user = WebUser.find(email)
    if user is None:
        user, = WebUser.create([{'email': email,
                    'password': _password(request.form)}])
        WebUser.validate_email([user])
    else:
        WebUser.signed_up_again(user, _password(request.form))
    return html(pages.done("確認メールを送りました",
            "%s に確認のメールを送りました。メールのリンクを開くと、登録が完了します。"
            % email))


@app.route(PREFIX + '/verify', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def verify(request, pool):
    WebUser = pool.get('web.user')
    token = (request.args.get('token') or '')[:128]
    if token and WebUser.validate_email_token([token]):
        return html(pages.done("登録が完了しました",
                "メールアドレスを確認しました。ログインして、カードをつないでください。"))
    return html(pages.done("確認できませんでした",
            "リンクが古いか、すでに使われています。もう一度ログインをお試しください。"),
        400)


@app.route(PREFIX + '/forgot', methods={'GET'})
@with_pool
@portal_page
@with_transaction(context=JA)
def forgot_form(request, pool):
    return html(pages.forgot())


@app.route(PREFIX + '/forgot', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def forgot(request, pool):
    WebUser = pool.get('web.user')
    email = _email(request.form)
    if not email:
        return html(pages.forgot("メールアドレスを入力してください。"), 400)
    if not MAILS_BY_ADDRESS.allow(address_key(request)):
        return html(pages.forgot("短い時間に申し込みが多すぎます。"
                "1時間ほどたってから、もう一度お試しください。", email), 429)
    user = WebUser.find(email)
    if user is not None and user.email_valid:
        WebUser.reset_password([user])
    return html(pages.done("メールを送りました",
            "登録があれば、%s にパスワードを決め直すためのメールを送りました。" % email))


@app.route(PREFIX + '/reset', methods={'GET'})
@with_pool
@portal_page
@with_transaction(context=JA)
def reset_form(request, pool):
    return html(pages.reset((request.args.get('email') or '')[:254],
            (request.args.get('token') or '')[:128]))


@app.route(PREFIX + '/reset', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def reset(request, pool):
    WebUser = pool.get('web.user')
    Failure = pool.get('hirakata.portal.failure')
    Session = pool.get('hirakata.portal.session')
    form = request.form
    email, token = _email(form), (form.get('token') or '')[:128]
    problem = _password_problem(form)
    if problem:
        return html(pages.reset(email, token, problem), 400)
    keys = [address_key(request)]
    if Failure.wait(keys):
        return _wait_page(lambda e: pages.reset(email, token, e), 60)
    user = WebUser.find(email)
    # Checked here first: web_user's own check makes every later try of
    # the address sleep longer.
    if (user is None or not user.reset_password_token
            or not hmac.compare_digest(user.reset_password_token.encode(),
                token.encode())
            or not WebUser.set_password_token(email, token,
                _password(form))):
        Failure.failed(keys, 'reset')
        return html(pages.done("パスワードを変更できませんでした",
                "リンクが古いか、すでに使われています。もう一度お申し込みください。",
                'forgot', "パスワードを忘れた方"), 400)
    Session.close_all(user)
    # Whoever guessed at the old password: the new one, chosen through the
    # resident's mail, signs in at once (from a new phone too).
    Failure.succeeded(['account:' + user.email])
    return html(pages.done("パスワードを変更しました",
            "新しいパスワードでログインしてください。ほかの端末はログアウトし、"
            "登録したパスキーも削除しました。"))


@app.route(PREFIX + '/reauth', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def reauth_form(request, pool):
    if session_of(request, pool) is None:
        return signed_out(request, pool)
    return html(pages.reauth(next_=NEXT.get(request.args.get('next'), '')))


@app.route(PREFIX + '/reauth', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def reauth(request, pool):
    Session = pool.get('hirakata.portal.session')
    session = session_of(request, pool)
    if session is None:
        return signed_out(request, pool)
    next_ = NEXT.get(request.form.get('next'), '')
    user, wait = check_password(request, pool, session.web_user.email,
        _password(request.form))
    if wait:
        return _wait_page(lambda e: pages.reauth(e, next_), wait)
    if user is None:
        return html(pages.reauth("パスワードが正しくありません。", next_), 400)
    Session.reauthenticated(session, 'password')
    return see(next_ or './')


@app.route(PREFIX + '/sign-out', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_out(request, pool):
    pool.get('hirakata.portal.session').close(
        cookies.value(request, pool, cookies.SESSION))
    return cookies.delete_cookie(see('sign-in'), request, pool,
        cookies.SESSION)


@app.route(PREFIX + '/sign-out-everywhere', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def sign_out_everywhere(request, pool):
    session = session_of(request, pool)
    if session is not None:
        pool.get('hirakata.portal.session').close_all(session.web_user)
    return signed_out(request, pool)


@app.route(PREFIX + '/account', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def account(request, pool):
    Session = pool.get('hirakata.portal.session')
    Passkey = pool.get('hirakata.portal.passkey')
    session = session_of(request, pool)
    if session is None:
        return signed_out(request, pool)
    user = session.web_user
    message = ("パスキーを登録しました。次からは指紋や顔でログインできます。"
        if request.args.get('passkey') == 'added' else None)
    return html(pages.account(user, user.holder,
            Session.search([('web_user', '=', user.id)],
                order=[('last_used_at', 'DESC')]), session.id,
            Passkey.search([('web_user', '=', user.id)]), message))


# Passkeys: the page's script (static/passkey.js) asks for options, runs
# the browser's ceremony and sends its answer back, as JSON.
def _ceremony(request, pool, token, options):
    response = json_response({'options': options})
    return cookies.set_cookie(response, request, pool, cookies.CEREMONY,
        token, REAUTH_AGE)


@app.route(PREFIX + '/passkey/register/options', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def passkey_register_options(request, pool):
    session = session_of(request, pool)
    if session is None:
        return json_response({'error': {'code': 'signed_out',
                    'message': "ログインしてください。"}}, 401)
    if not session.fresh:
        return json_response({'error': {'code': 'reauth',
                    'message': "もう一度ログインしてから登録してください。"}}, 401)
    token, options = pool.get('hirakata.portal.passkey').registration_options(
        session.web_user)
    return _ceremony(request, pool, token, options)


@app.route(PREFIX + '/passkey/register', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def passkey_register(request, pool):
    Passkey = pool.get('hirakata.portal.passkey')
    session = session_of(request, pool)
    if session is None or not session.fresh:
        return json_response({'error': {'code': 'signed_out',
                    'message': "ログインしてください。"}}, 401)
    if not Passkey.register(session.web_user,
            cookies.value(request, pool, cookies.CEREMONY),
            request.get_data(as_text=True)[:20000], session.device):
        return json_response({'error': {'code': 'refused',
                    'message': "パスキーを登録できませんでした。もう一度お試しください。"}},
            400)
    return json_response({'next': 'account?passkey=added'})


@app.route(PREFIX + '/passkey/sign-in/options', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def passkey_sign_in_options(request, pool):
    token, options = pool.get('hirakata.portal.passkey').sign_in_options()
    return _ceremony(request, pool, token, options)


@app.route(PREFIX + '/passkey/sign-in', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def passkey_sign_in(request, pool):
    """A passkey signs in, or confirms it is you (the session's own
    account)."""
    Session = pool.get('hirakata.portal.session')
    user = pool.get('hirakata.portal.passkey').sign_in(
        cookies.value(request, pool, cookies.CEREMONY),
        request.get_data(as_text=True)[:20000])
    if user is None or not user.active or not user.email_valid:
        return json_response({'error': {'code': 'refused',
                    'message': "パスキーでログインできませんでした。"
                    "パスワードでログインしてください。"}}, 400)
    next_ = NEXT.get(request.args.get('next'), './')
    session = session_of(request, pool)
    if session is not None and session.web_user == user:
        Session.reauthenticated(session, 'passkey')
        return json_response({'next': next_})
    return signed_in(request, pool, json_response({'next': next_}), user,
        'passkey')
