"""A model's record rules on every path a search takes to it.

Tryton applies a model's record rules where the model is searched, not
where a domain reaches it through another model: it converts a dotted path
(``hirakata_store.grant_fee_rate``) or a ``where`` sub-domain into a search
of the target without access checks. Store staff, who read their own
store only, could search the users they read on ``hirakata_store.*`` and
learn another store's fee rates, terminals and address one guess at a
time. A model that takes this mixin applies the user's read rules on those
paths too: a search made without access checks but for a user (a path of a
client's search, or the server's code working for that user) sees what
the user may read. Searches as the root user (the terminal API, crons)
are left as they are."""
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access


class RulesOnEveryPath:
    __slots__ = ()

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        transaction = Transaction()
        if transaction.user and not transaction.check_access:
            Rule = Pool().get('ir.rule')
            with check_access():
                rule_domain = Rule.domain_get(cls.__name__, mode='read')
            if rule_domain:
                domain = [domain, rule_domain]
        return super().search_domain(
            domain, active_test=active_test, tables=tables)
