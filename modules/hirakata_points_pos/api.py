"""What the terminal API does, without HTTP (R15, R16).

Each function takes the authenticated terminal and validated input, calls
the ledger service and returns the answer as plain data. routes.py does
the HTTP part.

A module that extends the API builds on the hooks here: ApiError,
register_errors, find_card, require_kind, mask_name, ledger_key and book.
"""
import datetime as dt

from sql.aggregate import Count, Sum

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.modules.hirakata_points import clock, statement
from trytond.modules.hirakata_points.exceptions import PointError
from trytond.modules.hirakata_points.statement import Arg
from trytond.pool import Pool
from trytond.transaction import Transaction

from .store import campaign_label, compute_points

EXPIRY_SOON_DAYS = 60
# A code shown on the resident portal (hirakata.phone_code), not a card.
PHONE = 'phone'
PAGE_SIZE = 50


class ApiError(Exception):
    """An answer other than success: a stable code, its HTTP status and a
    Japanese message (message.xml).

    A hook for modules that extend the API: their handlers raise it with
    the codes here or those they add with register_errors.
    """

    def __init__(self, code, **variables):
        super().__init__(code)
        self.code = code
        self.status = ERRORS[code][0]
        message_id = ERRORS[code][1]
        if '.' not in message_id:
            message_id = 'hirakata_points_pos.' + message_id
        self.message = gettext(message_id, **variables)


# Every error the API answers with: code -> (HTTP status, message id).
# The ledger's own refusals keep their codes (PointError.error_code).
ERRORS = {
    'malformed': (400, 'msg_api_malformed'),
    'invalid_identifier': (400, 'msg_api_invalid_identifier'),
    'invalid_points': (400, 'msg_api_invalid_points'),
    'invalid_amount': (400, 'msg_api_invalid_amount'),
    'no_points': (400, 'msg_api_no_points'),
    'key_required': (400, 'msg_api_key_required'),
    'reason_required': (400, 'msg_api_reason_required'),
    'unauthorized': (401, 'msg_api_unauthorized'),
    'activation_invalid': (401, 'msg_api_activation_invalid'),
    'clerk_required': (401, 'msg_api_clerk_required'),
    'clerk_invalid': (401, 'msg_api_clerk_invalid'),
    'other_store': (403, 'msg_api_other_store'),
    'wrong_terminal': (403, 'msg_api_wrong_terminal'),
    'store_inactive': (403, 'msg_api_store_inactive'),
    'store_cannot_grant': (403, 'msg_api_store_cannot_grant'),
    'store_cannot_redeem': (403, 'msg_api_store_cannot_redeem'),
    'unknown_card': (404, 'msg_api_unknown_card'),
    'unknown_transaction': (404, 'msg_api_unknown_transaction'),
    'insufficient_points': (409, 'msg_api_insufficient_points'),
    'card_blocked': (409, 'msg_api_card_blocked'),
    'phone_code_invalid': (404, 'hirakata_points.msg_phone_code_invalid'),
    'phone_code_used': (409, 'hirakata_points.msg_phone_code_used'),
    'idempotency_conflict': (409, 'msg_api_idempotency_conflict'),
    'not_cancellable': (409, 'msg_api_not_cancellable'),
    'cancel_window_passed': (409, 'msg_api_cancel_window_passed'),
    'not_found': (404, 'msg_api_not_found'),
    'method_not_allowed': (405, 'msg_api_method_not_allowed'),
    'too_large': (413, 'msg_api_too_large'),
    'unsupported_media_type': (415, 'msg_api_unsupported_media_type'),
    'rate_limited': (429, 'msg_api_rate_limited'),
    'busy': (503, 'msg_api_busy'),
    'activation_suspended': (503, 'msg_api_activation_suspended'),
    'internal': (500, 'msg_api_internal'),
    }
# The module whose routes answer each code, and whose docs/openapi.yaml
# documents it.
ERROR_MODULES = dict.fromkeys(ERRORS, 'hirakata_points_pos')
# The ledger's exceptions, by their code, as API errors.
_LEDGER_CODES = {
    'invalid_points': 'invalid_points',
    'insufficient_points': 'insufficient_points',
    'idempotency_conflict': 'idempotency_conflict',
    'not_reversible': 'not_cancellable',
    'reason_required': 'reason_required',
    'unknown_card': 'unknown_card',
    'card_blocked': 'card_blocked',
    'phone_code_invalid': 'phone_code_invalid',
    'phone_code_used': 'phone_code_used',
    'invalid_identifier': 'invalid_identifier',
    }
# Refusals whose own message tells the clerk more than the generic one.
_KEEP_MESSAGE = {'insufficient_points'}


def register_errors(errors, module, exception_codes=None, keep_message=()):
    """Add the errors of another module's routes: errors is code: (HTTP
    status, id of its message in module); exception_codes maps the
    error_code of that module's exceptions to them, and keep_message names
    those that answer with the exception's own message. The codes are
    module's, documented in its own docs/openapi.yaml.

    A hook for modules that extend the API, called when their api module
    is imported.
    """
    ERRORS.update({code: (status, '%s.%s' % (module, message_id))
            for code, (status, message_id) in errors.items()})
    ERROR_MODULES.update(dict.fromkeys(errors, module))
    _LEDGER_CODES.update(exception_codes or {})
    _KEEP_MESSAGE.update(keep_message)


def from_point_error(error):
    "The ApiError for an exception of the ledger or the cards."
    code = _LEDGER_CODES.get(getattr(error, 'error_code', None))
    if code is None:
        return None
    api_error = ApiError(code)
    if code in _KEEP_MESSAGE:
        # e.g. how many points are available, why a holder may not join.
        api_error.message = error.message
    return api_error


def mask_name(kana):
    """「ヤマダ ●●」: the family name reading only (R4).

    A hook for modules that extend the API: a holder's name goes to a
    terminal only through it.
    """
    family = (kana or '').replace('\u3000', ' ').split(' ')[0]
    return '%s ●●' % family


def find_card(terminal, card, key=None):
    """The FoundCard for {'technology', 'identifier'}, or an ApiError.

    A code shown on a phone is claimed for terminal, and taken by the write
    with key (R1b): nobody else can use it after that.

    A hook for modules that extend the API, called within as_terminal's
    func: a write passes its key (routes.idempotency_key), a look-up none.
    """
    pool = Pool()
    try:
        if card['technology'] == PHONE:
            return pool.get('hirakata.phone_code').claim(card['identifier'],
                'terminal:%s' % terminal.id,
                ledger_key(terminal, key) if key else None)
        return pool.get('hirakata.card').find(
            card['technology'], card['identifier'])
    except UserError as error:
        raise from_point_error(error) or error


def card_summary(card):
    "What a clerk may see of a card's holder (R4): no contact, no birth date."
    Account = Pool().get('hirakata.point.account')
    today = clock.today()
    balance, expiring, expiring_dates = 0, 0, []
    soon = today + dt.timedelta(days=EXPIRY_SOON_DAYS)
    for expiry_date, points in Account.expiry_schedule(card.account, today):
        balance += points
        if expiry_date <= soon:
            expiring += points
            expiring_dates.append({'date': expiry_date.strftime('%Y/%m/%d'),
                    'points': points})
    return {
        'card': {'state': 'active'},
        'holder': {'name': mask_name(card.name_kana)},
        'balance': balance,
        'expiring_soon': {'days': EXPIRY_SOON_DAYS, 'points': expiring,
            'by_date': expiring_dates},
        }


def describe(terminal):
    """The terminal and what it serves: its store with the rate and today's
    campaigns, what a kind that another module adds serves (a programme
    venue's session), or nothing for a kiosk."""
    pool = Pool()
    result = {'terminal': {'id': terminal.id, 'name': terminal.name,
            'kind': terminal.kind}}
    result.update(pool.get('hirakata.terminal').describe(terminal))
    if terminal.kind != 'store':
        return result
    Store = pool.get('hirakata.store')
    campaigns = Store.campaigns_on(terminal.store, clock.today())
    result.update({
        'store': {'code': terminal.store_code, 'name': terminal.store_name,
            'state': terminal.store_state, 'grants': bool(terminal.grants),
            'redeems': bool(terminal.redeems),
            'yen_per_point': terminal.yen_per_point,
            'clerk_pin_required': bool(terminal.clerk_pin_required),
            'campaigns': [campaign_label(c) for c in campaigns]},
        })
    return result


def require_kind(terminal, kind):
    """Refuse what this kind of terminal may not do (e.g. a kiosk
    granting): ApiError wrong_terminal unless terminal is of kind.

    A hook for modules that extend the API: each of their handlers calls
    it first, within as_terminal's func, with the kind it serves.
    """
    if terminal.kind != kind:
        raise ApiError('wrong_terminal')


def _check_store(terminal, action):
    require_kind(terminal, 'store')
    if terminal.store_state != 'active':
        raise ApiError('store_inactive')
    if action == 'grant' and not terminal.grants:
        raise ApiError('store_cannot_grant')
    if action == 'redeem' and not terminal.redeems:
        raise ApiError('store_cannot_redeem')


def ledger_key(terminal, key):
    """The ledger's idempotency key for a terminal's key.

    Keys are the terminal's own: another terminal cannot collide or probe.
    A hook for modules that extend the API: what they book for a terminal
    takes its key from here, so that a retry finds the first booking.
    """
    return 'terminal:%s:%s' % (terminal.id, key)


def _origin(terminal):
    "The terminal as a record, its store known without reading it."
    return Pool().get('hirakata.terminal')(terminal.id, store=terminal.store)


def _entries_query(where, offset=None, limit=None):
    entry = Pool().get('hirakata.point.entry').__table__()
    return entry.select(entry.id, entry.kind, entry.points,
        entry.balance_after, entry.date, entry.create_date,
        entry.reversal_of, entry.store,
        where=where(entry), order_by=[entry.id.desc],
        offset=offset, limit=limit)


def _as_seen_by_store(rows):
    "Entries as the store sees them."
    return [{
            'id': id_,
            'kind': kind,
            'points': abs(points),
            'balance': balance,
            'date': date.strftime('%Y/%m/%d'),
            'created_at': clock.city_time(created).strftime(
                '%Y/%m/%d %H:%M:%S'),
            'cancels': reversal_of,
            'store': store,
            } for id_, kind, points, balance, date, created, reversal_of, store
        in rows]


def _entry(entry_id):
    "The entry entry_id as the store sees it, or None."
    found = _as_seen_by_store(statement.run('hirakata.pos:entry',
            lambda: _entries_query(lambda e: e.id == Arg('id')),
            id=entry_id))
    return found[0] if found else None


def _answer(entry_id):
    "The answer to the call that booked entry_id (with the new balance)."
    result = _entry(entry_id)
    del result['store']
    return result


def book(call):
    """What call() returns, its refusals raised as the API's errors.

    call books through the ledger service, or through a module's service
    on top of it (a programme's Participation.record). A hook for modules
    that extend the API: a PointError whose error_code the API knows (the
    ledger's, or one mapped with register_errors) becomes its ApiError;
    any other exception goes through as it is.
    """
    try:
        return call()
    except PointError as error:
        api_error = from_point_error(error)
        if api_error is None:
            raise
        raise api_error


def _points_for(terminal, card, amount, date=None):
    """(points, campaigns) a purchase of amount yen on date (today) earns
    card's holder."""
    Store = Pool().get('hirakata.store')
    date = date or clock.today()
    points, campaigns = compute_points(amount, terminal.yen_per_point,
        Store.campaigns_on(terminal.store, date), card, date)
    if points < 1:
        raise ApiError('no_points', yen=terminal.yen_per_point)
    return points, campaigns


def quote(terminal, card, amount):
    "The points a grant would give, for the clerk to confirm; books nothing."
    _check_store(terminal, 'grant')
    points, campaigns = _points_for(
        terminal, find_card(terminal, card), amount)
    return {
        'amount': amount,
        'points': points,
        'rate': {'yen_per_point': terminal.yen_per_point},
        'campaigns': [campaign_label(c) for c in campaigns],
        }


def grant(terminal, card, amount, key):
    "Points for a purchase of amount yen at the store's rate and campaigns."
    pool = Pool()
    Ledger = pool.get('hirakata.point.ledger')
    Account = pool.get('hirakata.point.account')
    _check_store(terminal, 'grant')
    request = {'amount': amount}
    try:
        card = find_card(terminal, card, key)
        points, campaigns = _points_for(terminal, card, amount)
    except ApiError as refusal:
        # A retry of a grant booked before the card was blocked or the
        # day's campaign ended still gets its answer.
        entry = _replayed(refusal, terminal, key, 'grant', request=request)
        card, campaigns = entry.account.holder, None
    else:
        entry = book(lambda: Ledger.grant(Account(card.account), points,
                key=ledger_key(terminal, key), channel='terminal',
                origin=_origin(terminal), request=request))
    result = _answer(entry.id)
    booked = dt.datetime.strptime(result['date'], '%Y/%m/%d').date()
    if campaigns is None or booked != clock.today():
        # A retry: the campaigns of the day it booked.
        _, campaigns = _points_for(terminal, card, amount, booked)
    result.update({
            'amount': amount,
            'rate': {'yen_per_point': terminal.yen_per_point},
            'campaigns': [campaign_label(c) for c in campaigns],
            })
    return result


def redeem(terminal, card, points, key):
    "Points used as payment (≤ the available balance)."
    pool = Pool()
    Ledger = pool.get('hirakata.point.ledger')
    Account = pool.get('hirakata.point.account')
    _check_store(terminal, 'redeem')
    try:
        card = find_card(terminal, card, key)
    except ApiError as refusal:
        # A retry of a redemption booked before the card was blocked.
        return _answer(_replayed(refusal, terminal, key, 'redeem',
                points).id)
    entry = book(lambda: Ledger.redeem(Account(card.account), points,
            key=ledger_key(terminal, key), channel='terminal',
            origin=_origin(terminal)))
    return _answer(entry.id)


def _replayed(refusal, terminal, key, kind, points=None, request=None):
    """The entry a retry's key booked for the same request; refusal when
    the key booked nothing; idempotency_conflict for another request."""
    Ledger = Pool().get('hirakata.point.ledger')
    entry = book(lambda: Ledger.replayed(ledger_key(terminal, key),
            kind, points, channel='terminal', origin=_origin(terminal),
            request=request))
    if entry is None:
        raise refusal
    return entry


def cancel(terminal, transaction_id, reason, key):
    "A reversal of the store's own recent grant or redemption (R15)."
    pool = Pool()
    Ledger = pool.get('hirakata.point.ledger')
    Entry = pool.get('hirakata.point.entry')
    Configuration = pool.get('hirakata.point.configuration')
    require_kind(terminal, 'store')
    entry = _entry(transaction_id)
    if not entry:
        raise ApiError('unknown_transaction')
    if entry['store'] != terminal.store:
        raise ApiError('other_store')
    if entry['kind'] not in {'grant', 'redeem'}:
        raise ApiError('not_cancellable')
    window = Configuration(1).cancel_window_days
    if (dt.datetime.strptime(entry['date'], '%Y/%m/%d').date()
            < clock.today() - dt.timedelta(days=window)):
        raise ApiError('cancel_window_passed')
    reversal = book(lambda: Ledger.reverse(Entry(transaction_id),
            key=ledger_key(terminal, key), channel='terminal',
            origin=_origin(terminal), reason=reason))
    return _answer(reversal.id)


def totals(terminal, date):
    "The store's totals for a day (R16)."
    require_kind(terminal, 'store')
    Entry = Pool().get('hirakata.point.entry')
    entry = Entry.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*entry.select(entry.kind, Count(entry.id),
            Sum(entry.points),
            where=(entry.store == terminal.store) & (entry.date == date),
            group_by=[entry.kind]))
    result = {kind: {'count': 0, 'points': 0}
        for kind in ['grant', 'redeem', 'reversal']}
    for kind, count, points in cursor:
        result[kind] = {'count': count, 'points': abs(int(points or 0))}
    return {
        'date': date.strftime('%Y/%m/%d'),
        'grants': result['grant'],
        'redemptions': result['redeem'],
        'cancellations': result['reversal'],
        }


def transactions(terminal, date, page):
    "The store's transactions, newest first, PAGE_SIZE a page, no balances."
    require_kind(terminal, 'store')
    def where(entry):
        clause = entry.store == terminal.store
        if date:
            clause &= entry.date == date
        return clause
    cursor = Transaction().connection.cursor()
    cursor.execute(*_entries_query(where, offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE + 1))
    entries = _as_seen_by_store(cursor)
    for entry in entries:
        del entry['balance'], entry['store']
    return {
        'page': page,
        'has_more': len(entries) > PAGE_SIZE,
        'transactions': entries[:PAGE_SIZE],
        }
