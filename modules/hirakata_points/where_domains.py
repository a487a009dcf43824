"""A search's ``where`` sub-domains are checked as the search is.

trytond checks a client's search domain for the models and fields the user
may read, dotted paths included, but not inside the sub-domain of a
``where`` (or ``not where``) leaf: a city user searching stores with
``('payout_account', 'where', [('zengin_number', 'like', '1%')])`` learnt
account numbers they may not read, one prefix at a time. Every model takes
this mixin (tryton.cfg, register_mixin on ModelStorage): before a search
with access checks, each such sub-domain is checked on its target model by
trytond's own check (ModelStorage.search, which checks and queries
nothing), at any depth."""
from trytond.model import ModelStorage
from trytond.model.modelstorage import is_leaf
from trytond.transaction import Transaction

WHERE = {'where', 'not where'}


class WhereDomainsChecked:
    __slots__ = ()

    @classmethod
    def search(cls, domain, *args, **kwargs):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            check_where(cls, domain)
        return super().search(domain, *args, **kwargs)


def check_where(Model, domain):
    "Check the sub-domains of domain's where leaves on their models."
    if is_leaf(domain):
        if domain[1] in WHERE:
            target = target_of(Model, domain[0])
            if target is not None:
                ModelStorage.search.__func__(target, domain[2])
                check_where(target, domain[2])
    elif isinstance(domain, (list, tuple)):
        for part in domain:
            if isinstance(part, (list, tuple)):
                check_where(Model, part)


def target_of(Model, path):
    """The model path (a field, or fields joined by dots) leads to from
    Model; None where it leads nowhere (the search itself refuses it)."""
    for name in path.split('.'):
        field = Model._fields.get(name)
        if field is None or not hasattr(field, 'get_target'):
            return None
        Model = field.get_target()
    return Model
