"""The store of the user, for record rules (a store sees only its own)."""
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        context['hirakata_store'] = cls._user_store()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        return (*super()._get_cache_key(model_names), cls._user_store())

    @staticmethod
    def _user_store():
        User = Pool().get('res.user')
        with without_check_access():
            user = User(Transaction().user)
            return user.hirakata_store.id if user.hirakata_store else -1
