"""Linking a card to a web account: the card or holder number, the birth
date AND a one-time linking code that only the resident receives,
- printed on the card mailer (the card distribution's mailing list),
- printed at the desk (a wizard for the operator staff shows it once),
- or sent by post on request (a request the desk processes).

A code is 12 characters of an alphabet without look-alikes (60 bits);
only its SHA-256 is kept. It works once, until it expires, and a new code
of a holder replaces the holder's older ones (so a re-printed mailing list
or a new letter is the one that counts).
"""
import datetime as dt
import logging
import re
import secrets
import unicodedata

from trytond.config import config
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.hirakata_points import clock, identifier
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard


ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
LENGTH = 12
VALID = {
    'mailer': dt.timedelta(days=config.getint(
            'hirakata_portal', 'mailer_code_days', default=120)),
    'desk': dt.timedelta(days=config.getint(
            'hirakata_portal', 'desk_code_days', default=14)),
    'post': dt.timedelta(days=config.getint(
            'hirakata_portal', 'post_code_days', default=30)),
    }
CHANNELS = [('mailer', "Card Mailer"), ('desk', "Desk"), ('post', "Post")]
logger = logging.getLogger('hirakata.portal')


def normalise_number(text):
    """A number as typed on a phone: full-width digits (１２３) and
    separators allowed."""
    return re.sub(r'[\s\-]', '', unicodedata.normalize('NFKC', text or '')
        ).upper()


def holder_of(number):
    "The holder of an active QR card numbered number, or with number."
    pool = Pool()
    Card = pool.get('hirakata.card')
    Holder = pool.get('hirakata.holder')
    number = normalise_number(number)
    if identifier.guess_technology(number) == identifier.QR:
        cards = Card.search([('technology', '=', identifier.QR),
                ('identifier', '=', number), ('state', '=', 'active')],
            limit=1)
        return cards[0].holder if cards else None
    holders = Holder.search([('number', '=', number)], limit=1)
    return holders[0] if holders else None


def clean_code(text):
    "A code as typed: any case, spaces and hyphens, full-width letters."
    return ''.join(c for c in unicodedata.normalize('NFKC', text or '')
        .upper() if c.isalnum())


def shown(code):
    "XXXX-XXXX-XXXX: easier to read out and to type."
    return '-'.join(code[i:i + 4] for i in range(0, len(code), 4))


class LinkCode(ModelSQL):
    "Portal Linking Code"
    __name__ = 'hirakata.portal.link_code'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    expires_at = fields.Timestamp("Expires At", required=True)
    used_at = fields.Timestamp("Used At")

    @classmethod
    def issue(cls, holders, channel):
        """New codes of holders: {holder id: code (shown form)}; old ones
        end. Callers check who may issue (the wizard's and the mailing
        list's groups): nobody reads or writes codes through the client."""
        codes = {h.id: ''.join(secrets.choice(ALPHABET)
                for _ in range(LENGTH)) for h in holders}
        expires = utc_now() + VALID[channel]
        with without_check_access():
            cls.delete(cls.search([('holder', 'in', list(codes)),
                        ('used_at', '=', None)]))
            cls.create([{'holder': h, 'digest': digest(c),
                        'channel': channel, 'expires_at': expires}
                    for h, c in codes.items()])
        logger.info("linking codes issued (%s) for holders %s by user %s",
            channel, sorted(codes), Transaction().user)
        return {h: shown(c) for h, c in codes.items()}

    @classmethod
    def use(cls, holder, code):
        "Whether code is holder's live code; a right one is used up."
        codes = cls.search([('holder', '=', holder.id),
                ('digest', '=', digest(clean_code(code))),
                ('used_at', '=', None), ('expires_at', '>', utc_now())],
            limit=1)
        if not codes:
            return False
        cls.write(codes, {'used_at': utc_now()})
        return True


class LinkRequest(Workflow, ModelSQL, ModelView):
    "Linking Code Request"
    __name__ = 'hirakata.portal.link_request'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        readonly=True, ondelete='CASCADE')
    state = fields.Selection([('requested', "Requested"), ('sent', "Sent")],
        "State", required=True, readonly=True)
    requested_date = fields.Date("Requested Date", required=True,
        readonly=True)
    sent_date = fields.Date("Sent Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {('requested', 'sent')}

    @staticmethod
    def default_state():
        return 'requested'

    @staticmethod
    def default_requested_date():
        return clock.today()

    @classmethod
    def request(cls, holder):
        "A request by post (once: a second one waits for the first)."
        if not cls.search([('holder', '=', holder.id),
                    ('state', '=', 'requested')]):
            cls.create([{'holder': holder.id}])
            logger.info("linking code requested by post: holder %s",
                holder.id)


class IssueStart(ModelView):
    "Issue Linking Code"
    __name__ = 'hirakata.portal.link_code.issue.start'
    holder = fields.Many2One('hirakata.holder', "Holder", readonly=True)
    channel = fields.Selection([('desk', "Hand over at the desk"),
            ('post', "Send by post")], "How", required=True)


class IssueShow(ModelView):
    "Linking Code"
    __name__ = 'hirakata.portal.link_code.issue.show'
    holder = fields.Many2One('hirakata.holder', "Holder", readonly=True)
    code = fields.Char("Linking Code", readonly=True,
        help="Shown once: write it down or print this screen now.")
    postal_code = fields.Char("Postal Code", readonly=True,
        states={'invisible': Eval('channel') != 'post'})
    address = fields.Char("Address", readonly=True,
        states={'invisible': Eval('channel') != 'post'})
    channel = fields.Char("Channel", readonly=True,
        states={'invisible': True})


class Issue(Wizard):
    """The desk issues a new linking code for a holder (from the holder or
    from a request by post) and sees it once."""
    __name__ = 'hirakata.portal.link_code.issue'
    start = StateView('hirakata.portal.link_code.issue.start',
        'hirakata_points_portal.link_code_issue_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Issue", 'issue', 'tryton-ok', default=True),
            ])
    issue = StateTransition()
    show = StateView('hirakata.portal.link_code.issue.show',
        'hirakata_points_portal.link_code_issue_show_view_form', [
            Button("Close", 'end', 'tryton-ok', default=True),
            ])

    def _holder(self):
        if self.model.__name__ == 'hirakata.portal.link_request':
            return self.record.holder
        return self.record

    def default_start(self, fields):
        return {'holder': self._holder().id,
            'channel': ('post' if self.model.__name__
                == 'hirakata.portal.link_request' else 'desk')}

    def transition_issue(self):
        pool = Pool()
        LinkCode = pool.get('hirakata.portal.link_code')
        Request = pool.get('hirakata.portal.link_request')
        holder = self._holder()
        self.show.code = LinkCode.issue([holder], self.start.channel)[
            holder.id]
        if self.start.channel == 'post':
            requests = Request.search([('holder', '=', holder.id),
                    ('state', '=', 'requested')])
            Request.write(requests, {'state': 'sent',
                    'sent_date': clock.today()})
        return 'show'

    def default_show(self, fields):
        holder = self._holder()
        return {'holder': holder.id, 'code': self.show.code,
            'postal_code': holder.postal_code, 'address': holder.address,
            'channel': self.start.channel}


class MailingList(metaclass=PoolMeta):
    "The card mailer carries each holder's linking code."
    __name__ = 'hirakata.card.distribution.mailing_list'

    @classmethod
    def extra_columns(cls, lines):
        """A new code for each holder without a web account yet: printing
        the list again replaces the codes of the earlier print."""
        headers, values = super().extra_columns(lines)
        WebUser = Pool().get('web.user')
        LinkCode = Pool().get('hirakata.portal.link_code')
        holders = {l.holder for l in lines}
        with without_check_access():  # city staff print, not read accounts
            linked = {u.holder for u in WebUser.search(
                    [('holder', 'in', [h.id for h in holders])])}
        codes = LinkCode.issue(holders - linked, 'mailer')
        return headers + ["ウェブ連携コード"], {
            l.id: values.get(l.id, []) + [codes.get(l.holder.id, '')]
            for l in lines}
