"""A search's ``where`` sub-domains are checked as the search is.

trytond checks a client's search domain for the models and fields the user
may read, dotted paths included, but not inside the sub-domain of a
``where`` (or ``not where``) leaf: a city user searching stores with
``('payout_account', 'where', [('zengin_number', 'like', '1%')])`` learnt
account numbers they may not read, one prefix at a time. Every model takes
this mixin (tryton.cfg, register_mixin on ModelStorage): before a search
with access checks, each such sub-domain is checked on its target model by
trytond's own check (ModelStorage.search, which checks and queries
nothing), at any depth.

The same walk refuses the fields no client searches or orders on, on
any path (UNSEARCHABLE): Tryton blanks a staff user's password hash on
read but lets any user search on it, which would let a weak password be
found offline."""
from trytond.i18n import gettext
from trytond.model import ModelStorage
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool
from trytond.transaction import Transaction

WHERE = {'where', 'not where'}
# (model, field) searched and ordered on by the server's code only
UNSEARCHABLE = {('res.user', 'password_hash'), ('res.user', 'password_reset')}


class WhereDomainsChecked:
    __slots__ = ()

    @classmethod
    def search(cls, domain, *args, **kwargs):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            check_where(cls, domain)
            order = kwargs.get('order', args[2] if len(args) > 2 else None)
            for path, *_ in order or []:
                if isinstance(path, str):
                    target_of(cls, path)
        return super().search(domain, *args, **kwargs)


def check_where(Model, domain):
    "Check the sub-domains of domain's where leaves on their models."
    if is_leaf(domain):
        # a path through a Reference field names its model after the
        # value: ('origin.store', 'where', [...], 'hirakata.terminal')
        target = target_of(Model, domain[0],
            domain[3] if len(domain) > 3 else None)
        if domain[1] in WHERE:
            if target is not None:
                ModelStorage.search.__func__(target, domain[2])
                check_where(target, domain[2])
    elif isinstance(domain, (list, tuple)):
        for part in domain:
            if isinstance(part, (list, tuple)):
                check_where(Model, part)


def target_of(Model, path, reference_model=None):
    """The model path (a field, or fields joined by dots) leads to from
    Model, the first Reference field on it to reference_model; None where
    it leads nowhere (the search itself refuses it). An UNSEARCHABLE field
    on it is refused."""
    pool = Pool()
    for name in path.split('.'):
        field = Model._fields.get(name)
        if field is None:
            return None
        if (Model.__name__, name) in UNSEARCHABLE:
            raise AccessError(gettext('ir.msg_access_rule_field_error',
                    **Model.__names__(name)))
        if field._type == 'reference':
            try:
                Model = pool.get(reference_model)
            except (KeyError, TypeError):
                return None
            reference_model = None
        elif hasattr(field, 'get_target'):
            Model = field.get_target()
        else:
            return None
    return Model
