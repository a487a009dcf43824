"""What the terminal API does, without HTTP (R15, R16).

Each function takes the authenticated terminal and validated input, calls
the ledger service and returns the answer as plain data. routes.py does
the HTTP part.
"""
import datetime as dt

from sql.aggregate import Count, Sum

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.modules.hirakata_points.exceptions import PointError
from trytond.pool import Pool
from trytond.transaction import Transaction

EXPIRY_SOON_DAYS = 60
PAGE_SIZE = 50


class ApiError(Exception):
    """An answer other than success: a stable code, its HTTP status and a
    Japanese message (message.xml)."""

    def __init__(self, code, **variables):
        super().__init__(code)
        self.code = code
        self.status = ERRORS[code][0]
        self.message = gettext('hirakata_points_pos.%s' % ERRORS[code][1],
            **variables)


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
    'other_store': (403, 'msg_api_other_store'),
    'store_inactive': (403, 'msg_api_store_inactive'),
    'store_cannot_grant': (403, 'msg_api_store_cannot_grant'),
    'store_cannot_redeem': (403, 'msg_api_store_cannot_redeem'),
    'unknown_card': (404, 'msg_api_unknown_card'),
    'unknown_transaction': (404, 'msg_api_unknown_transaction'),
    'not_found': (404, 'msg_api_not_found'),
    'method_not_allowed': (405, 'msg_api_method_not_allowed'),
    'insufficient_points': (409, 'msg_api_insufficient_points'),
    'card_blocked': (409, 'msg_api_card_blocked'),
    'idempotency_conflict': (409, 'msg_api_idempotency_conflict'),
    'not_cancellable': (409, 'msg_api_not_cancellable'),
    'cancel_window_passed': (409, 'msg_api_cancel_window_passed'),
    'too_large': (413, 'msg_api_too_large'),
    'rate_limited': (429, 'msg_api_rate_limited'),
    'busy': (503, 'msg_api_busy'),
    'internal': (500, 'msg_api_internal'),
    }
# The ledger's exceptions, by their code, as API errors.
_LEDGER_CODES = {
    'invalid_points': 'invalid_points',
    'insufficient_points': 'insufficient_points',
    'idempotency_conflict': 'idempotency_conflict',
    'not_reversible': 'not_cancellable',
    'reason_required': 'reason_required',
    'unknown_card': 'unknown_card',
    'card_blocked': 'card_blocked',
    'invalid_identifier': 'invalid_identifier',
    }


def from_point_error(error):
    "The ApiError for an exception of the ledger or the cards."
    code = _LEDGER_CODES.get(getattr(error, 'error_code', None))
    if code is None:
        return None
    api_error = ApiError(code)
    if code == 'insufficient_points':
        # The ledger's message says how many points are available.
        api_error.message = error.message
    return api_error


def mask_name(kana):
    "「ヤマダ ●●」: the family name reading only (R4)."
    family = (kana or '').replace('\u3000', ' ').split(' ')[0]
    return '%s ●●' % family


def find_card(card):
    "The active card for {'technology', 'identifier'}, or an ApiError."
    Card = Pool().get('hirakata.card')
    try:
        return Card.lookup(card['technology'], card['identifier'])
    except UserError as error:
        raise from_point_error(error) or error


def card_summary(card):
    "What a clerk may see of a card's holder (R4): no contact, no birth date."
    pool = Pool()
    Lot = pool.get('hirakata.point.lot')
    lot = Lot.__table__()
    today = dt.date.today()
    cursor = Transaction().connection.cursor()
    cursor.execute(*lot.select(lot.expiry_date, Sum(lot.remaining),
            where=(lot.account == card.account.id) & (lot.remaining > 0)
            & (lot.expiry_date >= today),
            group_by=[lot.expiry_date], order_by=[lot.expiry_date.asc]))
    balance, expiring, expiring_dates = 0, 0, []
    soon = today + dt.timedelta(days=EXPIRY_SOON_DAYS)
    for expiry_date, points in cursor:
        balance += int(points)
        if expiry_date <= soon:
            expiring += int(points)
            expiring_dates.append({'date': expiry_date.strftime('%Y/%m/%d'),
                    'points': int(points)})
    return {
        'card': {'technology': card.technology, 'state': card.state},
        'holder': {'name': mask_name(card.holder.name_kana)},
        'balance': balance,
        'expiring_soon': {'days': EXPIRY_SOON_DAYS, 'points': expiring,
            'by_date': expiring_dates},
        }


def _check_store(terminal, action):
    store = terminal.store
    if store.state != 'active':
        raise ApiError('store_inactive')
    if action == 'grant' and not store.grants:
        raise ApiError('store_cannot_grant')
    if action == 'redeem' and not store.redeems:
        raise ApiError('store_cannot_redeem')
    return store


def _ledger_key(terminal, key):
    "Keys are the terminal's own: another terminal cannot collide or probe."
    return 'terminal:%s:%s' % (terminal.id, key)


def _transaction(entry, balance=True):
    "A ledger entry as the store sees it; balance only to the card's holder."
    result = {
        'id': entry.id,
        'kind': entry.kind,
        'points': abs(entry.points),
        'date': entry.date.strftime('%Y/%m/%d'),
        'created_at': entry.create_date.strftime('%Y/%m/%d %H:%M:%S'),
        'cancels': entry.reversal_of.id if entry.reversal_of else None,
        }
    if balance:
        result['balance'] = entry.balance_after
    return result


def _booked(call):
    try:
        return call()
    except PointError as error:
        api_error = from_point_error(error)
        if api_error is None:
            raise
        raise api_error


def grant(terminal, card, amount, key):
    "Points for a purchase of amount yen at the store's rate and campaigns."
    Ledger = Pool().get('hirakata.point.ledger')
    store = _check_store(terminal, 'grant')
    card = find_card(card)
    points, campaigns = store.points_for(amount, dt.date.today(), card.holder)
    if points < 1:
        raise ApiError('no_points', yen=store.yen_per_point)
    entry = _booked(lambda: Ledger.grant(card.account, points,
            key=_ledger_key(terminal, key), channel='terminal',
            origin=terminal, request={'amount': amount}))
    result = _transaction(entry)
    result.update({
            'amount': amount,
            'rate': {'yen_per_point': store.yen_per_point},
            'campaigns': [c.label for c in campaigns],
            })
    return result


def redeem(terminal, card, points, key):
    "Points used as payment (≤ the available balance)."
    Ledger = Pool().get('hirakata.point.ledger')
    _check_store(terminal, 'redeem')
    card = find_card(card)
    entry = _booked(lambda: Ledger.redeem(card.account, points,
            key=_ledger_key(terminal, key), channel='terminal',
            origin=terminal))
    return _transaction(entry)


def cancel(terminal, transaction_id, reason, key):
    "A reversal of the store's own recent grant or redemption (R15)."
    pool = Pool()
    Ledger = pool.get('hirakata.point.ledger')
    Entry = pool.get('hirakata.point.entry')
    Configuration = pool.get('hirakata.point.configuration')
    entries = Entry.search([('id', '=', transaction_id)])
    if not entries:
        raise ApiError('unknown_transaction')
    entry, = entries
    if entry.store != terminal.store:
        raise ApiError('other_store')
    if entry.kind not in {'grant', 'redeem'}:
        raise ApiError('not_cancellable')
    window = Configuration(1).cancel_window_days
    if entry.date < dt.date.today() - dt.timedelta(days=window):
        raise ApiError('cancel_window_passed')
    reversal = _booked(lambda: Ledger.reverse(entry,
            key=_ledger_key(terminal, key), channel='terminal',
            origin=terminal, reason=reason))
    return _transaction(reversal)


def totals(terminal, date):
    "The store's totals for a day (R16)."
    Entry = Pool().get('hirakata.point.entry')
    entry = Entry.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*entry.select(entry.kind, Count(entry.id),
            Sum(entry.points),
            where=(entry.store == terminal.store.id) & (entry.date == date),
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
    "The store's transactions, newest first, PAGE_SIZE a page."
    Entry = Pool().get('hirakata.point.entry')
    domain = [('store', '=', terminal.store.id)]
    if date:
        domain.append(('date', '=', date))
    entries = Entry.search(domain, offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1, order=[('id', 'DESC')])
    return {
        'page': page,
        'has_more': len(entries) > PAGE_SIZE,
        'transactions': [_transaction(e, balance=False)
            for e in entries[:PAGE_SIZE]],
        }
