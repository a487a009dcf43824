"""What a programme venue terminal does through the terminal API, without
HTTP (R11): its session's running count, and a card tap recorded as a
participation. routes.py does the HTTP part, as in the store module."""
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points_pos.api import (
    ApiError, book, find_card, ledger_key, mask_name, register_errors,
    require_kind)
from trytond.pool import Pool
from trytond.transaction import Transaction

register_errors({
        'participation_duplicate': (409, 'msg_api_participation_duplicate'),
        'programme_not_open': (409, 'msg_api_programme_refused'),
        'not_eligible': (409, 'msg_api_programme_refused'),
        'over_cap': (409, 'msg_api_programme_refused'),
        'over_budget': (409, 'msg_api_programme_refused'),
        'session_not_today': (409, 'msg_api_session_not_today'),
        'invalid_hours': (400, 'msg_api_invalid_hours'),
        'invalid_participation': (400, 'msg_api_programme_refused'),
        }, module='hirakata_points_programme',
    # The programme's refusals (exceptions.py), by their code, and those
    # whose own message tells more than the generic one (why a holder may
    # not join).
    exception_codes={
        'participation_duplicate': 'participation_duplicate',
        'programme_not_open': 'programme_not_open',
        'not_eligible': 'not_eligible',
        'over_cap': 'over_cap',
        'over_budget': 'over_budget',
        'programme': 'invalid_participation',
        },
    keep_message={'programme_not_open', 'not_eligible', 'over_cap',
        'over_budget', 'invalid_participation'})


def _session(terminal):
    "The programme session the venue terminal records."
    return Pool().get('hirakata.terminal')(terminal.id).session


def venue_status(terminal):
    """The venue terminal's session, how many took part so far and the
    latest of them (masked), for the running count on the screen."""
    Participation = Pool().get('hirakata.programme.participation')
    session = _session(terminal)
    latest = Participation.search([('session', '=', session.id)],
        order=[('id', 'DESC')], limit=10)
    return {
        'session': {'id': session.id, 'name': session.name,
            'date': session.date.strftime('%Y/%m/%d')},
        'programme': {'code': session.programme.code,
            'name': session.programme.name,
            'state': session.programme.state},
        'count': Participation.search([('session', '=', session.id)],
            count=True),
        'latest': [_participation(p) for p in latest],
        }


def _participation(participation):
    return {
        'id': participation.id,
        'holder': {'name': mask_name(participation.holder.name_kana)},
        'points': participation.points,
        'recorded_at': clock.city_time(participation.create_date).strftime(
            '%Y/%m/%d %H:%M:%S'),
        }


def record_participation(terminal, card, hours, key):
    """Record the card holder's participation in the venue terminal's
    session and grant its points (R11): once per holder and session, the
    same key again answers the first participation."""
    pool = Pool()
    Participation = pool.get('hirakata.programme.participation')
    Holder = pool.get('hirakata.holder')
    require_kind(terminal, 'venue')
    # A tap sent again (even the next morning, even after city staff
    # switched the terminal to another session) answers what it recorded:
    # the key is the terminal's, whatever its session.
    recorded = Participation.search([('entry.idempotency_key', '=',
                Participation._key(ledger_key(terminal, key)))], limit=1)
    if recorded:
        participation, = recorded
        session = participation.session
        _check_same_tap(terminal, participation, card, hours, key)
    else:
        session = _session(terminal)
        if session.date != clock.today():
            raise ApiError('session_not_today',
                date=session.date.strftime('%Y/%m/%d'))
        card = find_card(terminal, card, key)
        # The entry names the venue terminal (the store module's
        # hirakata_terminal context, ledger.py).
        with Transaction().set_context(hirakata_terminal=terminal.id):
            participation = book(lambda: Participation.record(session,
                    Holder(card.holder), channel='venue',
                    key=ledger_key(terminal, key), hours=hours))
    count = Participation.search([('session', '=', session.id)],
        count=True)
    return {'participation': _participation(participation), 'count': count}


def _check_same_tap(terminal, participation, card, hours, key):
    "Refuse a tap's key sent again for another card or other hours."
    if (hours or None) != (participation.hours or None):
        raise ApiError('idempotency_conflict')
    try:
        found = find_card(terminal, card, key)
    except ApiError:
        return  # e.g. the card was blocked since: the tap stands
    if found.holder != participation.holder.id:
        raise ApiError('idempotency_conflict')
