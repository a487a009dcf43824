"""Codes shown on a phone (R1b): the account as a QR code that changes
every minute and works once, so a screenshot cannot be replayed.

The resident portal issues a code; a terminal that reads it claims it.
Only the claiming terminal may use it after that, for one transaction
(retries of that transaction with the same key excepted) and within a few
minutes. Only the code's SHA-256 is stored.
"""
import base64
import datetime as dt
import re
import secrets

from sql import For

from trytond import backend
from trytond.config import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from . import statement
from .card import FoundCard
from .exceptions import PhoneCodeInvalid, PhoneCodeUsed
from .statement import Arg
from .tokens import digest, utc_now

PREFIX = 'HK'
# "HK" and 24 base32 characters (120 random bits): QR alphanumeric mode,
# and never a card number (16 digits) or a hexadecimal IDm/UID.
CODE = re.compile(r'^HK[A-Z2-7]{24}$')
# A new code is shown every minute; the one on screen stays valid a little
# longer, for a scan under way when the page changes (GRACE_SECONDS after
# the next one is shown).
VALID_SECONDS = config.getint('hirakata_points', 'phone_code_seconds',
    default=90)
GRACE_SECONDS = 30
# After a terminal read it, the time the clerk has to finish.
CLAIM_SECONDS = config.getint('hirakata_points', 'phone_code_claim_seconds',
    default=300)
# Unused codes are dropped a day after they expire; used ones are kept
# longer, so that a terminal's write retried days later (a tablet offline
# overnight with its pending requests) still gets its first answer.
KEEP_DAYS = 1
KEEP_USED_DAYS = 90


class PhoneCode(ModelSQL):
    "Phone Code"
    __name__ = 'hirakata.phone_code'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    expires_at = fields.Timestamp("Expires At", required=True)
    claimed_by = fields.Char("Claimed By",
        help="Who read the code first, e.g. terminal:12.")
    claimed_at = fields.Timestamp("Claimed At")
    used_key = fields.Char("Used Key",
        help="The idempotency key of the transaction the code was used for.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('digest_unique', Unique(t, t.digest),
                'hirakata_points.msg_phone_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.holder, Index.Range())),
                Index(t, (t.expires_at, Index.Range())),
                })

    @classmethod
    def issue(cls, holder):
        """A new code for holder, valid VALID_SECONDS; the holder's earlier
        codes that no terminal has read stop working GRACE_SECONDS later."""
        table = cls.__table__()
        soon = utc_now() + dt.timedelta(seconds=GRACE_SECONDS)
        statement.run('hirakata.phone_code:retire',
            lambda: table.update([table.expires_at], [Arg('soon')],
                where=(table.holder == Arg('holder'))
                & (table.claimed_by == None)  # noqa: E711
                & (table.expires_at > Arg('soon'))),
            holder=holder.id, soon=soon)
        code = PREFIX + base64.b32encode(secrets.token_bytes(15)).decode()
        record, = cls.create([{
                    'holder': holder.id,
                    'digest': digest(code),
                    'expires_at': utc_now()
                    + dt.timedelta(seconds=VALID_SECONDS),
                    }])
        return code, record.expires_at

    @classmethod
    def claim(cls, code, claimant, key=None):
        """The account behind code, as a FoundCard (id None), for claimant.

        The first reader claims the code while it is valid; after that only
        the claimant may use it, for CLAIM_SECONDS, and for one write: the
        first call with a key takes the code, a retry with that key still
        may, another key may not. Raises PhoneCodeInvalid or PhoneCodeUsed.
        """
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        Account = pool.get('hirakata.point.account')
        if not isinstance(code, str) or not CODE.match(code):
            raise PhoneCodeInvalid(gettext(
                    'hirakata_points.msg_phone_code_invalid'))

        def query():
            table = cls.__table__()
            holder = Holder.__table__()
            account = Account.__table__()
            # Locked: two terminals reading one code take turns, and the
            # second sees the first one's claim.
            for_ = For('UPDATE', of=[table]) if (
                backend.name == 'postgresql') else None
            # A holder has one account (unique), so it is not stored here.
            return table.join(holder, condition=holder.id == table.holder
                ).join(account, condition=account.holder == table.holder
                ).select(table.id, table.expires_at, table.claimed_by,
                    table.claimed_at, table.used_key, account.id,
                    table.holder, holder.name_kana, holder.birth_date,
                    holder.district,
                    where=table.digest == Arg('digest'), for_=for_)
        row = statement.run('hirakata.phone_code:claim', query,
            digest=digest(code)).fetchone()
        if not row:
            raise PhoneCodeInvalid(gettext(
                    'hirakata_points.msg_phone_code_invalid'))
        id_, expires_at, claimed_by, claimed_at, used_key = row[:5]
        found = FoundCard(None, *row[5:])
        current = utc_now()
        values = {}
        if claimed_by is None:
            if current >= expires_at:
                raise PhoneCodeInvalid(gettext(
                        'hirakata_points.msg_phone_code_invalid'))
            values.update(claimed_by=claimant, claimed_at=current)
        elif claimed_by != claimant:
            raise PhoneCodeUsed(gettext('hirakata_points.msg_phone_code_used'))
        if used_key is not None and key == used_key:
            return found  # a retry of the transaction that used it
        if used_key is not None and key is not None:
            raise PhoneCodeUsed(gettext('hirakata_points.msg_phone_code_used'))
        if claimed_at and current >= claimed_at + dt.timedelta(
                seconds=CLAIM_SECONDS):
            raise PhoneCodeInvalid(gettext(
                    'hirakata_points.msg_phone_code_invalid'))
        if key is not None:
            values['used_key'] = key
        if values:
            table = cls.__table__()
            columns = sorted(values)
            Transaction().connection.cursor().execute(*table.update(
                    [getattr(table, c) for c in columns],
                    [values[c] for c in columns],
                    where=table.id == id_))
            statement.forget(cls, [id_])
        return found

    @classmethod
    def purge(cls):
        """Drop codes that stopped working over KEEP_DAYS ago, or
        KEEP_USED_DAYS for those used (daily cron)."""
        table = cls.__table__()
        now = utc_now()
        Transaction().connection.cursor().execute(*table.delete(
                where=((table.expires_at
                        < now - dt.timedelta(days=KEEP_DAYS))
                    & (table.used_key == None))  # noqa: E711
                | (table.expires_at
                    < now - dt.timedelta(days=KEEP_USED_DAYS))))
