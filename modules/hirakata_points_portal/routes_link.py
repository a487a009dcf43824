"""Linking the resident's card to the signed-in web account: the card or
holder number, the birth date and the one-time linking code (link.py);
or asking for a code by post.

Failures count per web account and per source address (guard.py), never
per holder: a neighbour who knows the number and the birth date cannot
keep the resident from linking, and without the code gets nowhere.
"""
import datetime as dt
import logging
import unicodedata

from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from . import pages_account as pages
from .link import holder_of
from .routes import (
    JA, PREFIX, address_key, html, portal_page, see, session_of, signed_out)

REFUSED = ("番号、生年月日または連携コードが正しくありません。"
    "連携コードは、カードと一緒に届いたお知らせか、窓口でお渡しした紙をご覧ください。")
REQUESTS_BY_ACCOUNT = RateLimiter(3, 24 * 3600)
logger = logging.getLogger('hirakata.portal')


def birth_date(form):
    "The date of the year, month and day fields, or None."
    try:
        parts = [int(unicodedata.normalize('NFKC', form.get(n, '')).strip())
            for n in ['year', 'month', 'day']]
        return dt.date(*parts)
    except (ValueError, OverflowError):  # e.g. a year of 20 digits
        return None


def _session(request, pool):
    "The session of a web account without a card yet, or a response."
    session = session_of(request, pool)
    if session is None:
        return None, signed_out(request, pool)
    if session.web_user.holder is not None:
        return None, see('./')
    return session, None


@app.route(PREFIX + '/link', methods={'GET'})
@with_pool
@portal_page
@with_transaction(readonly=False, context=JA)
def link_form(request, pool):
    session, response = _session(request, pool)
    return response or html(pages.link())


@app.route(PREFIX + '/link', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def link(request, pool):
    Failure = pool.get('hirakata.portal.failure')
    LinkCode = pool.get('hirakata.portal.link_code')
    WebUser = pool.get('web.user')
    session, response = _session(request, pool)
    if response:
        return response
    form = request.form
    again = {n: form.get(n, '')[:20] for n in ['number', 'year', 'month',
            'day', 'code']}
    date = birth_date(form)
    if not form.get('number', '').strip() or date is None or not form.get(
            'code', '').strip():
        return html(pages.link("カード番号、生年月日（西暦の年、月、日）と"
                "連携コードを入力してください。", again), 400)
    user = session.web_user
    keys = ['link:%s' % user.id, address_key(request)]
    wait = Failure.wait(keys)
    if wait:
        return html(pages.link("間違いが続いたため、%s分ほどお待ちください。"
                % max(1, wait // 60), again), 429, retry_after=wait)
    holder = holder_of(form['number'])
    if (holder is None or holder.birth_date != date
            or WebUser.search([('holder', '=', holder.id)])
            or not LinkCode.use(holder, form['code'])):
        Failure.failed(keys, 'linking code')
        return html(pages.link(REFUSED, again), 400)
    WebUser.write([user], {'holder': holder.id})
    Failure.succeeded(keys[:1])
    logger.info("portal: holder %s linked to web user %s", holder.id,
        user.id)
    return see('./')


@app.route(PREFIX + '/link/request', methods={'POST'})
@with_pool
@portal_page
@with_transaction(context=JA)
def link_request(request, pool):
    """A code by post to the holder's registered address: the same answer
    whatever the number, and only the resident receives the letter."""
    Request = pool.get('hirakata.portal.link_request')
    WebUser = pool.get('web.user')
    session, response = _session(request, pool)
    if response:
        return response
    number = request.form.get('request-number', '')[:20]
    if not number.strip():
        return html(pages.link("郵便で申し込むカード番号または利用者番号を"
                "入力してください。"), 400)
    if REQUESTS_BY_ACCOUNT.allow(session.web_user.id):
        holder = holder_of(number)
        if holder is not None and not WebUser.search(
                [('holder', '=', holder.id)]):
            Request.request(holder)
    return html(pages.link(message="お申し込みを受け付けました。"
            "登録の住所に、1週間ほどで連携コードをお送りします。"))
