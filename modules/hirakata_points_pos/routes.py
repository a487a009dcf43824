"""The terminal API over HTTP: /<db>/hirakata/api/v1/… (docs/openapi.yaml).

Handlers are thin: authenticate the terminal, limit the rate, parse and
validate the JSON, call api.py in a transaction, shape the answer. Every
error is JSON with a stable code and a Japanese message, never a trace.

A module that adds routes under PREFIX (the programme venue's) builds
them from the hooks here: endpoint, as_terminal, json_body, parse_card
and idempotency_key. The rest is this module's own.
"""
import datetime as dt
import json
import logging
import random
import re
import threading
import time
import weakref
from functools import wraps

from werkzeug.exceptions import (
    ClientDisconnected, HTTPException, RequestEntityTooLarge)

from trytond import backend
from trytond.config import config
from trytond.exceptions import UserError
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.protocols.wrappers import Response, with_pool
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import api

logger = logging.getLogger(__name__)

PREFIX = '/<database_name>/hirakata/api/v1'
MAX_BODY = 16 * 1024
KEY = re.compile(r'^[A-Za-z0-9._:\-]{8,100}$')
# Contention on one card (R8): the ledger waits for the card's account in
# the database, then PostgreSQL has the request run again with a fresh
# snapshot; a busy card's requests queue this way for up to this long.
BUSY_SECONDS = config.getfloat('hirakata_pos', 'busy_seconds', default=10)

MAX_DEPTH = 4
MAX_ID = 2 ** 31 - 1  # database ids are 32-bit integers
CREDENTIAL = re.compile(r'^[A-Za-z0-9_\-]{16,100}$')
DATE = re.compile(r'^\d{4}[-/]\d{2}[-/]\d{2}$')

# Authenticated terminals are limited by their credential: many store
# tablets on mobile data share one address behind the carrier's NAT.
LOOKUPS = RateLimiter(config.getint(
        'hirakata_pos', 'lookups_per_minute', default=60), 60)
# Requests without a valid credential, by address.
UNAUTHENTICATED_BY_ADDRESS = RateLimiter(config.getint(
        'hirakata_pos', 'unauthenticated_per_minute_by_address',
        default=30), 60)
WRITES = RateLimiter(config.getint(
        'hirakata_pos', 'writes_per_minute', default=120), 60)
# Activation is the one call a caller makes without a credential: limited
# by address, in a bucket of its own (failed authentications do not use
# it up), and with a budget of failures for all addresses together: past
# it, activations stop for the hour and the operators are alerted.
ACTIVATIONS_BY_ADDRESS = RateLimiter(config.getint(
        'hirakata_pos', 'activations_per_hour_by_address', default=20), 3600)
ACTIVATION_FAILURES = RateLimiter(config.getint(
        'hirakata_pos', 'activation_failures_per_hour', default=50), 3600)
# PIN tries of clerks, by terminal.
CLERK_SIGN_INS = RateLimiter(config.getint(
        'hirakata_pos', 'clerk_sign_ins_per_10_minutes', default=10), 600)


def _json(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8',
        headers={'Cache-Control': 'no-store'})


def _error(error):
    return _json({'error': {'code': error.code, 'message': error.message}},
        error.status)


def _in_transaction(pool, request, func):
    """Run func in a transaction, in Japanese, again when the account was
    busy; an ApiError or a UserError rolls everything back."""
    context = {'language': 'ja', '_request': request.context}
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            with Transaction().start(pool.database_name, 0,
                    context=context):
                return func()
        except backend.DatabaseOperationalError:
            if time.monotonic() > deadline:
                break
            time.sleep(random.uniform(0, 0.001))
    with Transaction().start(pool.database_name, 0, context=context):
        raise api.ApiError('busy')


def endpoint(func=None, *, write=False, anonymous=False, body=True):
    """Decorate an API handler: errors as JSON, the body read within its
    limits, rate limits.

    Only a request that carries a credential (or an anonymous endpoint's)
    has its body read (unless body is false); authenticated terminals are
    limited by their credential, requests that fail to authenticate by
    their address.

    A hook for modules that extend the API: their handlers are decorated
    with it (under app.route and with_pool), write=True for a write.
    """
    if func is None:
        return lambda f: endpoint(f, write=write, anonymous=anonymous,
            body=body)

    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            pool.get('hirakata.terminal')
        except KeyError:
            return Response(status=404)  # module not activated here
        try:
            credential = _credential(request)
            if not anonymous:
                if not credential:
                    raise _translated(pool, 'unauthorized')
                limiter = WRITES if write else LOOKUPS
                if not limiter.allow(credential):
                    raise _translated(pool, 'rate_limited')
            if body and request.method == 'POST':
                request.hirakata_body = _read_body(pool, request)
            return func(request, pool, *args, **kwargs)
        except api.ApiError as error:
            # Failed authentications are counted by address; a valid
            # terminal behind the same address is never refused for them.
            if (error.code == 'unauthorized' and not
                    UNAUTHENTICATED_BY_ADDRESS.allow(request.remote_addr)):
                error = _translated(pool, 'rate_limited')
            return _error(error)
        except UserError as error:
            return _json({'error': {
                        'code': getattr(error, 'error_code', 'invalid'),
                        'message': error.message}}, 400)
        except Exception:
            logger.exception("terminal API error")
            return _error(_translated(pool, 'internal'))
    return wrapper


def _credential(request):
    "The bearer credential of request, None when there is none."
    scheme, _, credential = request.headers.get(
        'Authorization', '').partition(' ')
    credential = credential.strip()
    if scheme.lower() != 'bearer' or not CREDENTIAL.match(credential):
        return None
    return credential


def _read_body(pool, request):
    """The body's bytes, at most MAX_BODY of them whether or not a
    Content-Length says so (a chunked body says nothing), and only JSON."""
    if request.mimetype != 'application/json':
        raise _translated(pool, 'unsupported_media_type')
    if (request.content_length or 0) > MAX_BODY:
        raise _translated(pool, 'too_large')
    try:
        body = request.stream.read(MAX_BODY + 1)
    except RequestEntityTooLarge:
        raise _translated(pool, 'too_large')
    except ClientDisconnected:
        raise _translated(pool, 'malformed')
    if len(body) > MAX_BODY:
        raise _translated(pool, 'too_large')
    return body


def _translated(pool, code, **variables):
    "An ApiError built in a transaction, for its Japanese message."
    with Transaction().start(pool.database_name, 0, readonly=True,
            context={'language': 'ja'}):
        return api.ApiError(code, **variables)


class _CardQueue:
    """Requests on one card in this process, one at a time.

    The database already serializes them (the account's row lock), but
    there every commit sends all waiters back to start again; queueing
    them here first spares that stampede when a card is hammered.
    """

    def __init__(self):
        self._locks = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    def __call__(self, key):
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
        return lock


_CARD_QUEUE = _CardQueue()


def as_terminal(pool, request, func, write=False, card=None):
    """Answer func(terminal) as JSON, func running in one transaction with
    the terminal the request's credential names (R18), and the clerk its
    X-Clerk-Session names; a write at a store that requires clerks needs
    one.

    A hook for modules that extend the API: their handlers answer through
    it; a write passes write=True and the card it books on (the body's
    'card'), so that writes on one card queue in the process.
    """
    credential = _credential(request)
    clerk_token = request.headers.get('X-Clerk-Session')

    def run():
        Terminal = pool.get('hirakata.terminal')
        Session = pool.get('hirakata.store.clerk.session')
        terminal = Terminal.authenticate(credential)
        if terminal is None:
            raise api.ApiError('unauthorized')
        clerk = None
        if clerk_token:
            clerk = Session.clerk_of(terminal.id, clerk_token)
            if clerk is None:
                raise api.ApiError('clerk_required')
        elif write and terminal.clerk_pin_required:
            raise api.ApiError('clerk_required')
        with Transaction().set_context(
                hirakata_clerk=clerk.id if clerk else None):
            result = func(terminal)
        Terminal.touch(terminal)
        return result
    if write and isinstance(card, dict):
        with _CARD_QUEUE(repr(sorted(card.items()))):
            return _json(_in_transaction(pool, request, run))
    return _json(_in_transaction(pool, request, run))


def json_body(pool, request):
    """The JSON object the request's body holds, or ApiError malformed.

    A hook for the routes of modules that extend the API: a POST handler
    decorated with endpoint() calls it first, outside as_terminal, for the
    body endpoint() has read within the API's limits (size, JSON only); it
    is an object nested MAX_DEPTH at most, nothing in it validated yet.
    """
    try:
        data = json.loads(request.hirakata_body.decode('utf-8') or 'null')
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or _depth(data) > MAX_DEPTH:
        raise _translated(pool, 'malformed')
    return data


def _depth(value):
    "How deep objects and arrays nest in value (iteratively)."
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                items = value.values() if isinstance(value, dict) else value
                stack.extend((item, depth + 1) for item in items)
    return deepest


def parse_card(data):
    """The card that the request's JSON object data names under 'card', as
    api.find_card takes it, or ApiError malformed.

    A hook for the routes of modules that extend the API, called within
    as_terminal's func: it checks the shape only ({'technology',
    'identifier'}, strings, the identifier 64 characters at most); whether
    the card exists is api.find_card's.
    """
    card = data.get('card')
    if (not isinstance(card, dict)
            or not isinstance(card.get('technology'), str)
            or not isinstance(card.get('identifier'), str)
            or len(card['identifier']) > 64):
        raise api.ApiError('malformed')
    return {'technology': card['technology'],
        'identifier': card['identifier']}


def _positive_int(data, name, code, maximum):
    value = data.get(name)
    if (not isinstance(value, int) or isinstance(value, bool)
            or not 0 < value <= maximum):
        raise api.ApiError(code)
    return value


def idempotency_key(request):
    """The request's Idempotency-Key header (8-100 of A-Z a-z 0-9 . _ : -),
    or ApiError key_required.

    A hook for the write routes of modules that extend the API, called
    within as_terminal's func: the key is the terminal's, made the
    ledger's with api.ledger_key.
    """
    key = request.headers.get('Idempotency-Key', '')
    if not KEY.match(key):
        raise api.ApiError('key_required')
    return key


def _date(request):
    "The date argument: YYYY-MM-DD or YYYY/MM/DD, from 2000 on."
    value = request.args.get('date')
    if not value:
        return None
    try:
        if not DATE.match(value):
            raise ValueError
        date = dt.date.fromisoformat(value.replace('/', '-'))
    except ValueError:
        raise api.ApiError('malformed')
    if date.year < 2000:
        raise api.ApiError('malformed')
    return date


@app.route(PREFIX + '/terminal/activate', methods={'POST'})
@with_pool
@endpoint(anonymous=True)
def activate(request, pool):
    "A new device exchanges its one-time code for its credential."
    if not ACTIVATIONS_BY_ADDRESS.allow(request.remote_addr):
        raise _translated(pool, 'rate_limited')
    # Past the budget of wrong codes of all callers, wrong codes are
    # answered "suspended" (and the operators alerted), but a right code
    # still activates: someone else's guessing must not stop a store
    # setting up its tablet, and 12 characters are not guessed anyway.
    suspended = ACTIVATION_FAILURES.full('all')
    data = json_body(pool, request)
    code = data.get('code')

    def run():
        Terminal = pool.get('hirakata.terminal')
        try:
            terminal, credential = Terminal.activate(code)
        except UserError:
            raise api.ApiError('activation_invalid')
        result = {'terminal': {'id': terminal.id, 'name': terminal.name,
                'kind': terminal.kind},
            'credential': credential}
        if terminal.store:
            result['store'] = {'code': terminal.store.code,
                'name': terminal.store.name}
        return result
    try:
        return _json(_in_transaction(pool, request, run))
    except api.ApiError as error:
        if error.code == 'activation_invalid':
            _count_activation_failure(pool)
            if suspended:
                raise _translated(pool, 'activation_suspended')
        raise


_ALERT_LOCK = threading.Lock()
_alerted = [None]  # when the operators were last alerted (monotonic)


def _count_activation_failure(pool):
    """Count a wrong code against the budget of all callers; the first
    time it runs out in a period, alert the operators."""
    ACTIVATION_FAILURES.allow('all')
    if not ACTIVATION_FAILURES.full('all'):
        return
    with _ALERT_LOCK:
        now = time.monotonic()
        if _alerted[0] is not None and (
                now - _alerted[0] < ACTIVATION_FAILURES.period):
            return
        _alerted[0] = now
    logger.error("terminal activation: %s wrong codes within %s s; "
        "activations are suspended", ACTIVATION_FAILURES.limit,
        ACTIVATION_FAILURES.period)
    with Transaction().start(pool.database_name, 0,
            context={'language': 'ja'}):
        pool.get('hirakata.terminal').alert_activation_failures(
            ACTIVATION_FAILURES.limit)


@app.route(PREFIX + '/terminal', methods={'GET'})
@with_pool
@endpoint
def whoami(request, pool):
    "The terminal and its store: the app's first call after a start."
    return as_terminal(pool, request, api.describe)


@app.route(PREFIX + '/cards/lookup', methods={'POST'})
@with_pool
@endpoint
def lookup(request, pool):
    "Masked name, balance and what expires soon (R4, R15)."
    data = json_body(pool, request)
    return as_terminal(pool, request,
        lambda terminal: api.card_summary(
            api.find_card(terminal, parse_card(data))))


@app.route(PREFIX + '/grants', methods={'POST'})
@with_pool
@endpoint(write=True)
def grant(request, pool):
    data = json_body(pool, request)
    return as_terminal(pool, request, lambda terminal: api.grant(terminal,
            parse_card(data),
            _positive_int(data, 'amount', 'invalid_amount', 10_000_000),
            idempotency_key(request)), write=True, card=data.get('card'))


@app.route(PREFIX + '/grants/quote', methods={'POST'})
@with_pool
@endpoint
def grant_quote(request, pool):
    "The points a purchase would earn, before the clerk confirms."
    data = json_body(pool, request)
    return as_terminal(pool, request, lambda terminal: api.quote(terminal,
            parse_card(data),
            _positive_int(data, 'amount', 'invalid_amount', 10_000_000)))


@app.route(PREFIX + '/redemptions', methods={'POST'})
@with_pool
@endpoint(write=True)
def redeem(request, pool):
    data = json_body(pool, request)
    return as_terminal(pool, request, lambda terminal: api.redeem(terminal,
            parse_card(data),
            _positive_int(data, 'points', 'invalid_points', 10_000_000),
            idempotency_key(request)), write=True, card=data.get('card'))


@app.route(PREFIX + '/transactions/<int:transaction_id>/cancel',
    methods={'POST'})
@with_pool
@endpoint(write=True)
def cancel(request, pool, transaction_id):
    data = json_body(pool, request)
    if transaction_id > MAX_ID:
        raise _translated(pool, 'unknown_transaction')

    def run(terminal):
        reason = data.get('reason')
        if not isinstance(reason, str) or not reason.strip():
            raise api.ApiError('reason_required')
        return api.cancel(terminal, transaction_id, reason.strip()[:500],
            idempotency_key(request))
    return as_terminal(pool, request, run, write=True)


@app.route(PREFIX + '/totals', methods={'GET'})
@with_pool
@endpoint
def totals(request, pool):
    "The store's totals for a day (default today)."
    return as_terminal(pool, request, lambda terminal: api.totals(terminal,
            _date(request) or clock.today()))


@app.route(PREFIX + '/transactions', methods={'GET'})
@with_pool
@endpoint
def transactions(request, pool):
    "The store's transactions, newest first, a page at a time."
    def run(terminal):
        try:
            page = int(request.args.get('page', 1))
        except ValueError:
            raise api.ApiError('malformed')
        if not 1 <= page <= 10_000:
            raise api.ApiError('malformed')
        return api.transactions(terminal, _date(request), page)
    return as_terminal(pool, request, run)


@app.route(PREFIX + '/clerk/sign-in', methods={'POST'})
@with_pool
@endpoint
def clerk_sign_in(request, pool):
    "A clerk signs in on a shared terminal with number and PIN."
    data = json_body(pool, request)

    def run(terminal):
        Clerk = pool.get('hirakata.store.clerk')
        api.require_kind(terminal, 'store')
        # PIN tries by terminal, not by how its credential is written (a
        # run again for a busy database counts again: rare, and safe).
        if not CLERK_SIGN_INS.allow(terminal.id):
            raise api.ApiError('rate_limited')
        number, pin = data.get('number'), data.get('pin')
        if not isinstance(number, str) or not isinstance(pin, str):
            raise api.ApiError('malformed')
        clerk, token = Clerk.sign_in(terminal.store, terminal.id, number,
            pin)
        if clerk is None:
            raise api.ApiError('clerk_invalid')
        return {'clerk': {'number': clerk.number, 'name': clerk.name},
            'session': token}
    return as_terminal(pool, request, run)


@app.route(PREFIX + '/clerk/sign-out', methods={'POST'})
@with_pool
@endpoint
def clerk_sign_out(request, pool):
    def run(terminal):
        Session = pool.get('hirakata.store.clerk.session')
        token = request.headers.get('X-Clerk-Session')
        if not token:
            raise api.ApiError('clerk_required')
        Session.sign_out(terminal.id, token)
        return {'signed_out': True}
    return as_terminal(pool, request, run)


_ALL_METHODS = {'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'}


@app.route(PREFIX + '/<path:rest>', methods=_ALL_METHODS)
@app.route(PREFIX, methods=_ALL_METHODS)
@with_pool
@endpoint(anonymous=True, body=False)
def unknown(request, pool, rest=''):
    """Anything else under the API's prefix: a path it does not have (404),
    or a method its path does not take (405), answered as JSON."""
    adapter = app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ['GET', 'POST']:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint is not unknown:
            allowed.append(method)
    if not allowed:
        raise _translated(pool, 'not_found')
    response = _error(_translated(pool, 'method_not_allowed'))
    response.headers['Allow'] = ', '.join(allowed)
    return response
