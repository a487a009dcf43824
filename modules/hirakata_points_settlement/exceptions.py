from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class BooksError(UserError):
    pass


class SettlementError(UserError):
    pass


class RegistrationNumberError(ValidationError):
    pass


class ExchangeError(UserError):
    "A points exchange refused; error_code names why (for the portal)."
    error_code = 'exchange_refused'


class OutOfStock(ExchangeError):
    error_code = 'out_of_stock'


class OverLimit(ExchangeError):
    error_code = 'over_limit'


class CommunityError(UserError):
    error_code = 'community_refused'


class ZenginError(ValidationError):
    "Bank details the Zengin transfer file cannot use."


class PaymentFileError(UserError):
    "Payments the Zengin transfer file cannot pay."


class PaymentDateError(UserError):
    "A payment marked succeeded on a day its transfer cannot have been made."
