"""Residents signed in to the portal with their web account (web_user):
a session cookie, and a device cookie.

- A session ends after IDLE_TIME without use, and at most after
  SESSION_TIME; the resident sees their sessions (device, last use) and
  can end them all.
- Moving points (the code shown at a store) needs an authentication
  (password or passkey) younger than REAUTH_AGE: a phone left signed in
  does not spend by itself.
- A device cookie, set at a successful sign-in, proves later that this
  browser is the account's own: the per-account and per-address delays of
  guard.py do not apply to it, so nobody can lock a resident out of their
  own phone.
Only SHA-256 digests of the cookies are stored.
"""
import datetime as dt
import logging
import secrets

from trytond.config import config
from trytond.model import ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.transaction import Transaction

IDLE_TIME = dt.timedelta(minutes=config.getint(
        'hirakata_portal', 'idle_minutes', default=30))
SESSION_TIME = dt.timedelta(days=config.getint(
        'hirakata_portal', 'session_days', default=7))
REAUTH_AGE = dt.timedelta(minutes=config.getint(
        'hirakata_portal', 'reauth_minutes', default=10))
DEVICE_TIME = dt.timedelta(days=365)
logger = logging.getLogger('hirakata.portal')


def device_label(user_agent):
    "A short, readable name of the browser and system of a User-Agent."
    agent = user_agent or ''
    system = next((name for key, name in [('iPhone', 'iPhone'),
                ('iPad', 'iPad'), ('Android', 'Android'),
                ('Windows', 'Windows'), ('Mac OS', 'Mac'),
                ('Linux', 'Linux')] if key in agent), "不明な端末")
    browser = next((name for key, name in [('Edg/', 'Edge'),
                ('Chrome/', 'Chrome'), ('Firefox/', 'Firefox'),
                ('Safari/', 'Safari')] if key in agent), '')
    return ('%s（%s）' % (system, browser) if browser else system)[:60]


class Session(ModelSQL):
    "Portal Session"
    __name__ = 'hirakata.portal.session'

    web_user = fields.Many2One('web.user', "Web User", required=True,
        ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    device = fields.Char("Device")
    started_at = fields.Timestamp("Started At", required=True)
    last_used_at = fields.Timestamp("Last Used At", required=True)
    authenticated_at = fields.Timestamp("Authenticated At", required=True)
    method = fields.Selection([('password', "Password"),
            ('passkey', "Passkey")], "Method", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('digest_unique', Unique(t, t.digest),
                'hirakata_points_portal.msg_session_unique'),
            ]

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        # Sessions of the old sign-in (card number and birth date) end:
        # they could spend points.
        if table_h.column_exist('holder'):
            cursor = Transaction().connection.cursor()
            cursor.execute(*cls.__table__().delete())
            table_h.drop_column('holder')
            table_h.drop_column('expires_at')
        super().__register__(module)

    @classmethod
    def open(cls, web_user, method, user_agent):
        "A new session of web_user; its token goes in the cookie only."
        token = secrets.token_urlsafe(32)
        now = utc_now()
        cls.create([{'web_user': web_user.id, 'digest': digest(token),
                    'device': device_label(user_agent),
                    'started_at': now, 'last_used_at': now,
                    'authenticated_at': now, 'method': method}])
        logger.info("portal sign-in: web user %s by %s", web_user.id, method)
        return token

    @classmethod
    def current(cls, token):
        """The live session of token, or None; use keeps it going (written
        at most once a minute)."""
        if not token:
            return None
        now = utc_now()
        sessions = cls.search([('digest', '=', digest(token))], limit=1)
        if not sessions:
            return None
        session, = sessions
        if (session.last_used_at + IDLE_TIME < now
                or session.started_at + SESSION_TIME < now
                or not session.web_user.active
                or not session.web_user.email_valid):
            cls.delete([session])
            return None
        if session.last_used_at < now - dt.timedelta(minutes=1):
            cls.write([session], {'last_used_at': now})
        return session

    @property
    def fresh(self):
        "Whether the last authentication is recent enough to move points."
        return self.authenticated_at + REAUTH_AGE >= utc_now()

    @classmethod
    def reauthenticated(cls, session, method):
        cls.write([session], {'authenticated_at': utc_now(),
                'method': method})

    @classmethod
    def close(cls, token):
        if token:
            cls.delete(cls.search([('digest', '=', digest(token))]))

    @classmethod
    def close_all(cls, web_user):
        """Sign out everywhere (and after a password reset, and when the
        desk unlinks the card). The account's passkeys go too: a passkey
        someone else registered while signed in would sign them in again
        (the resident registers this phone again)."""
        Passkey = Pool().get('hirakata.portal.passkey')
        cls.delete(cls.search([('web_user', '=', web_user.id)]))
        Passkey.delete(Passkey.search([('web_user', '=', web_user.id)]))
        logger.info("portal: all sessions and passkeys of web user %s ended",
            web_user.id)

    @classmethod
    def purge(cls):
        "Drop ended sessions and devices (daily cron)."
        now = utc_now()
        cls.delete(cls.search(['OR',
                    ('last_used_at', '<', now - IDLE_TIME),
                    ('started_at', '<', now - SESSION_TIME)]))
        Device = cls.__pool__.get('hirakata.portal.device')
        Device.delete(Device.search([('last_used_at', '<',
                        now - DEVICE_TIME)]))


class Device(ModelSQL):
    "Portal Device"
    __name__ = 'hirakata.portal.device'

    web_user = fields.Many2One('web.user', "Web User", required=True,
        ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    last_used_at = fields.Timestamp("Last Used At", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('digest_unique', Unique(t, t.digest),
                'hirakata_points_portal.msg_session_unique'),
            ]

    @classmethod
    def remember(cls, web_user, token):
        """The device cookie's token after a successful sign-in of
        web_user: token kept if it is already this account's, else new."""
        device = cls.of(token)
        if device and device.web_user == web_user:
            cls.write([device], {'last_used_at': utc_now()})
            return token
        token = secrets.token_urlsafe(32)
        cls.create([{'web_user': web_user.id, 'digest': digest(token),
                    'last_used_at': utc_now()}])
        return token

    @classmethod
    def of(cls, token):
        "The device record of a device cookie's token, or None."
        if not token:
            return None
        devices = cls.search([('digest', '=', digest(token)),
                ('last_used_at', '>', utc_now() - DEVICE_TIME)], limit=1)
        return devices[0] if devices else None
