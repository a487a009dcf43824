"""The resident's web account (Tryton's web_user): e-mail and password,
the holder whose card it is linked to (one account per holder), and the
e-mails it sends, in Japanese.

The links in the e-mails come from [hirakata_portal] url (the portal's
public address), never from a request's Host header, which anyone sending
the request chooses."""
import logging
from email.message import EmailMessage

from trytond.config import config
from trytond.modules.web_user.user import _send_email
from trytond.model import ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger('hirakata.portal')
MIN_PASSWORD = 8
# A fixed hash checked for an unknown address, so that an answer takes as
# long as for a known one.
_DUMMY = []


def portal_url():
    "The portal's public address, ending in '/'."
    url = config.get('hirakata_portal', 'url',
        default='http://localhost:8000/hirakata/hirakata/portal/')
    return url if url.endswith('/') else url + '/'


def _mail(subject, lines):
    message = EmailMessage()
    message.set_content('\n'.join(lines + ["",
                "このメールに心当たりがない場合は、何もせずに削除してください。",
                "", "枚方市ポイント事務局"]), charset='utf-8')
    return message, subject


class WebUser(metaclass=PoolMeta):
    __name__ = 'web.user'

    holder = fields.Many2One('hirakata.holder', "Holder", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('holder_unique', Unique(t, t.holder),
                'hirakata_points_portal.msg_holder_one_account'),
            ]
        cls._buttons.update({
                'unlink_holder': {
                    'invisible': ~Eval('holder'),
                    'depends': ['holder'],
                    },
                })

    @classmethod
    def check_password(cls, password, hash_):
        if not hash_:
            if not _DUMMY:
                _DUMMY.append(cls.hash_password('x' * 16))
            super().check_password(password, _DUMMY[0])
            return False, None
        return super().check_password(password, hash_)

    @classmethod
    def find(cls, email):
        "The active account of email, or None."
        users = cls.search([('email', '=', (email or '').strip().lower())],
            limit=1)
        return users[0] if users else None

    def password_ok(self, password):
        valid, new_hash = self.check_password(password, self.password_hash)
        if valid and new_hash:
            self.__class__.write([self], {'password_hash': new_hash})
        return valid

    # The e-mails, in Japanese, with plain text any phone shows.
    def get_email_validation(self):
        return _mail("【枚方市ポイント】メールアドレスの確認", [
                "枚方市ポイントのウェブアカウントの登録をありがとうございます。",
                "次のリンクを開くと、登録が完了します。", "",
                self.get_email_validation_url()])

    def get_email_validation_url(self, url=None):
        return super().get_email_validation_url(url or portal_url() + 'verify')

    def get_email_already_registered(self):
        return _mail("【枚方市ポイント】ウェブアカウントの登録について", [
                "このメールアドレスのウェブアカウントは、すでに登録されています。",
                "ログインしてご利用ください。パスワードを忘れた場合は、次のページから",
                "決め直せます。", "", portal_url() + 'forgot'])

    @classmethod
    def signed_up_again(cls, user, password):
        """Someone signs up with an address that has an account. If the
        address was never confirmed, whoever signed up first proved
        nothing: the new password counts and a new link goes out (the old
        link no longer works). If it was, its owner is told by mail."""
        if not user.email_valid:
            cls.write([user], {'password': password})
            cls.validate_email([user])
        else:
            cls.hash_password(password)  # as long as a new account takes
            _send_email(None, [user], cls.get_email_already_registered)

    def get_email_reset_password(self):
        return _mail("【枚方市ポイント】パスワードの再設定", [
                "パスワードの再設定のお申し込みを受け付けました。",
                "次のリンクを開いて、新しいパスワードを決めてください。",
                "リンクは24時間有効です。", "",
                self.get_email_reset_password_url()])

    def get_email_reset_password_url(self, url=None):
        return super().get_email_reset_password_url(
            url or portal_url() + 'reset')

    @classmethod
    @ModelView.button
    def unlink_holder(cls, users):
        """The desk unlinks the card (e.g. a lost phone, a mistake): the
        account's sessions end and it can link again with a new code."""
        Session = Pool().get('hirakata.portal.session')
        users = [u for u in users if u.holder]
        # The button's groups are the check: the desk edits nothing else.
        with without_check_access():
            for user in users:
                logger.warning("desk user %s unlinked holder %s from web "
                    "user %s", Transaction().user, user.holder.id, user.id)
                Session.close_all(user)
            cls.write(users, {'holder': None})
