"""Staff users' reset passwords, read by the administrators who send them.

Tryton blanks a user's password hash on read, but reads the reset password
(a password of its own until it expires) to any user who reads users: a
colleague could sign in as someone whose reset is pending. A client's read
of it answers none but to Tryton's administrators; the server's own code
(the reset mail, the login) reads it as it is. Searching on both is
refused on any path (where_domains.UNSEARCHABLE)."""
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        transaction = Transaction()
        if ('password_reset' in fields_names and transaction.user
                and transaction.check_access and not administrator()):
            for values in result:
                values['password_reset'] = None
        return result


def administrator():
    "Whether the user is in Tryton's administration group."
    pool = Pool()
    Data = pool.get('ir.model.data')
    return Data.get_id('res', 'group_admin') in pool.get(
        'res.user').get_groups()
