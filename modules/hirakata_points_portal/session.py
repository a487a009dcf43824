"""Residents signed in to the portal (R31): a card number (or holder
number) and the birth date, then a session cookie.

A birth date is a weak secret (some 36,500 values; fewer for the
elderly), and holder numbers are sequential, so:
- wrong tries are counted per holder in the database (every server process
  sees them) until a right one: every MAX_FAILURES of them lock the
  holder's sign-in, for LOCK_TIME, then twice as long each time, up to
  MAX_LOCK_TIME; one holder's date then takes years to guess;
- failures of all holders together are counted too (routes.py): past a
  limit the portal stops taking sign-ins for a while and logs an error,
  so guessing a few dates for each of many holders stops early;
- a locked holder is answered as a wrong date is, so the answers do not
  tell which numbers exist.
It stays weaker than a password or a code sent by post; the portal's own
issue is to add one.
"""
import datetime as dt
import logging
import re
import secrets
import unicodedata

from trytond import backend
from trytond.config import config
from trytond.model import ModelSQL, Unique, fields
from trytond.model.exceptions import SQLConstraintError
from trytond.modules.hirakata_points import identifier, statement
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.pool import Pool

SESSION_TIME = dt.timedelta(days=config.getint(
        'hirakata_portal', 'session_days', default=30))
MAX_FAILURES = 5
LOCK_TIME = dt.timedelta(hours=1)
MAX_LOCK_TIME = dt.timedelta(days=1)
logger = logging.getLogger('hirakata.portal')


def normalise_number(text):
    """A number as typed on a phone: full-width digits (１２３) and
    separators allowed."""
    return re.sub(r'[\s\-]', '', unicodedata.normalize('NFKC', text or '')
        ).upper()


class Session(ModelSQL):
    "Portal Session"
    __name__ = 'hirakata.portal.session'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    expires_at = fields.Timestamp("Expires At", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('digest_unique', Unique(t, t.digest),
                'hirakata_points_portal.msg_session_unique'),
            ]

    @classmethod
    def open(cls, holder):
        "A new session of holder; its token goes in the cookie only."
        token = secrets.token_urlsafe(32)
        cls.create([{'holder': holder.id, 'digest': digest(token),
                    'expires_at': utc_now() + SESSION_TIME}])
        return token

    @classmethod
    def holder_of(cls, token):
        """The holder signed in with token, or None. Use keeps a session
        going (it is renewed at most once a day)."""
        if not token:
            return None
        sessions = cls.search([('digest', '=', digest(token)),
                ('expires_at', '>', utc_now())], limit=1)
        if not sessions:
            return None
        session, = sessions
        renewed = utc_now() + SESSION_TIME
        if session.expires_at < renewed - dt.timedelta(days=1):
            cls.write([session], {'expires_at': renewed})
        return session.holder

    @classmethod
    def close(cls, token):
        if token:
            cls.delete(cls.search([('digest', '=', digest(token))]))

    @classmethod
    def purge(cls):
        "Drop ended sessions (daily cron)."
        cls.delete(cls.search([('expires_at', '<', utc_now())]))


class SignInGuard(ModelSQL):
    "Portal Sign-in Guard"
    __name__ = 'hirakata.portal.sign_in_guard'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='CASCADE')
    failures = fields.Integer("Failures", required=True)
    locked_until = fields.Timestamp("Locked Until")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('holder_unique', Unique(t, t.holder),
                'hirakata_points_portal.msg_guard_unique'),
            ]

    @staticmethod
    def default_failures():
        return 0

    @classmethod
    def sign_in(cls, number, birth_date):
        """The holder with this QR card or holder number and birth date,
        or None (unknown, wrong date or locked: one answer for all).

        A refusal is returned, not raised: the failure count it wrote must
        be committed.
        """
        holder = cls._holder(normalise_number(number))
        if holder is None:
            return None
        guard = cls._guard(holder)
        current = utc_now()
        if guard.locked_until and guard.locked_until > current:
            logger.warning("portal sign-in while locked: holder %s",
                holder.id)
            return None
        if holder.birth_date != birth_date:
            failures = guard.failures + 1
            values = {'failures': failures}
            if failures % MAX_FAILURES == 0:
                lock = min(LOCK_TIME * 2 ** (failures // MAX_FAILURES - 1),
                    MAX_LOCK_TIME)
                values['locked_until'] = current + lock
                logger.warning("portal sign-in: holder %s locked for %s "
                    "after %s wrong birth dates", holder.id, lock, failures)
            cls.write([guard], values)
            return None
        if guard.failures or guard.locked_until:
            cls.write([guard], {'failures': 0, 'locked_until': None})
        logger.info("portal sign-in: holder %s", holder.id)
        return holder

    @classmethod
    def _holder(cls, number):
        "The holder of an active QR card numbered number, or with number."
        pool = Pool()
        Card = pool.get('hirakata.card')
        Holder = pool.get('hirakata.holder')
        if identifier.guess_technology(number) == identifier.QR:
            cards = Card.search([('technology', '=', identifier.QR),
                    ('identifier', '=', number), ('state', '=', 'active')],
                limit=1)
            return cards[0].holder if cards else None
        holders = Holder.search([('number', '=', number)], limit=1)
        return holders[0] if holders else None

    @classmethod
    def _guard(cls, holder):
        "The holder's guard, locked: parallel tries are counted in turn."
        guards = cls.search([('holder', '=', holder.id)], limit=1)
        if not guards:
            try:
                guards = cls.create([{'holder': holder.id}])
            except (backend.DatabaseIntegrityError, SQLConstraintError):
                # Created meanwhile by a parallel try: the request starts
                # again (with_transaction retries operational errors).
                raise backend.DatabaseOperationalError(
                    "sign-in guard created concurrently")
        guard, = guards
        statement.lock(cls, guard.id)
        return cls(guard.id)
