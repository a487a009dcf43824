from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('hirakata.settlement.booking|book_until_cron',
                "Book Yesterday's Point Movements"))


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    # Store staff's rules on parties, their addresses and contacts and
    # bank accounts read their store's party (a leaf without a relation
    # path, which Tryton can also evaluate in Python, as on export).
    _STORE_PARTY_MODELS = {'bank.account', 'party.party', 'party.address',
        'party.contact_mechanism', 'company.employee'}

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in cls._STORE_PARTY_MODELS:
            context['hirakata_store_party'] = cls._user_store_party()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if cls._STORE_PARTY_MODELS & set(model_names):
            key += (cls._user_store_party(),)
        return key

    @classmethod
    def _user_store_party(cls):
        Store = Pool().get('hirakata.store')
        store = cls._user_store()
        if store < 0:
            return -1
        with without_check_access():
            party = Store(store).party
        return party.id if party else -1
