from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class BooksError(UserError):
    pass


class SettlementError(UserError):
    pass


class RegistrationNumberError(ValidationError):
    pass
