"""Failed secrets (passwords, linking codes) counted per account and per
source address, each with a growing delay, in the database (every server
process sees them).

Nothing here can be aimed at a resident:
- a delay only postpones the next try, it never locks for good, and the
  resident's own device (its cookie from a past sign-in, session.py) is
  counted on its own key instead of the account's and the address's;
- there is no switch for all residents: many failures across accounts
  are logged as an alert (mass guessing) and refuse nobody;
- a linking code has 60 random bits: the code, not the delay, stops
  guessing, so linking failures count per web account and address, never
  per holder (which anyone could aim at).
"""
import datetime as dt
import logging

from trytond import backend
from trytond.config import config
from trytond.model import ModelSQL, Unique, fields
from trytond.model.exceptions import SQLConstraintError
from trytond.modules.hirakata_points import statement
from trytond.modules.hirakata_points.ratelimit import RateLimiter
from trytond.modules.hirakata_points.tokens import utc_now

# Free failures of a key, then a delay that doubles with each failure.
FREE_FAILURES = 5
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=config.getint(
        'hirakata_portal', 'max_delay_minutes', default=60))
# A key's failures are forgotten a day after its last one.
FORGET = dt.timedelta(days=1)
# Failures of all keys together: past this, an alert (never a refusal).
MASS_FAILURES = RateLimiter(config.getint('hirakata_portal',
        'alert_failures_per_10_minutes', default=300), 600)
logger = logging.getLogger('hirakata.portal')


class Failure(ModelSQL):
    "Portal Failure Counter"
    __name__ = 'hirakata.portal.failure'

    key = fields.Char("Key", required=True)
    failures = fields.Integer("Failures", required=True)
    last_at = fields.Timestamp("Last Failure", required=True)
    wait_until = fields.Timestamp("Wait Until")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'hirakata_points_portal.msg_guard_unique'),
            ]

    @classmethod
    def wait(cls, keys):
        "Seconds to wait before the next try of keys (0: try now)."
        now = utc_now()
        waits = [(f.wait_until - now).total_seconds()
            for f in cls.search([('key', 'in', list(keys)),
                    ('wait_until', '>', now)])]
        return int(max(waits, default=0)) + (1 if waits else 0)

    @classmethod
    def failed(cls, keys, what):
        "A failure of each key (what: for the log)."
        now = utc_now()
        for key in keys:
            counter = cls._counter(key)
            failures = counter.failures + 1
            if counter.last_at < now - FORGET:
                failures = 1
            values = {'failures': failures, 'last_at': now}
            if failures > FREE_FAILURES:
                delay = min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES - 1),
                    MAX_DELAY)
                values['wait_until'] = now + delay
                logger.warning("portal %s: %s failures of %s, next try in %s",
                    what, failures, key, delay)
            cls.write([counter], values)
        MASS_FAILURES.allow('all')
        if MASS_FAILURES.full('all'):
            logger.error("portal: %s failed %s and other secrets in 10 "
                "minutes across accounts (mass guessing?)",
                MASS_FAILURES.limit, what)

    @classmethod
    def succeeded(cls, keys):
        "The right secret: its keys start again."
        cls.delete(cls.search([('key', 'in', list(keys))]))

    @classmethod
    def _counter(cls, key):
        "The counter of key, locked: parallel failures are counted in turn."
        counters = cls.search([('key', '=', key)], limit=1)
        if not counters:
            try:
                counters = cls.create([{'key': key, 'failures': 0,
                            'last_at': utc_now()}])
            except (backend.DatabaseIntegrityError, SQLConstraintError):
                # Created meanwhile by a parallel try: the request starts
                # again (with_transaction retries operational errors).
                raise backend.DatabaseOperationalError(
                    "failure counter created concurrently")
        counter, = counters
        statement.lock(cls, counter.id)
        return cls(counter.id)

    @classmethod
    def purge(cls):
        cls.delete(cls.search([('last_at', '<', utc_now() - FORGET)]))
