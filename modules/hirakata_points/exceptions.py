"""The errors of the point system.

Each carries a stable error_code so that APIs can answer with it (trytond
already uses `code` on its exceptions); the message is the Japanese text of
message.xml.
"""
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PointError(UserError):
    error_code = 'point_error'


class InvalidPoints(PointError):
    error_code = 'invalid_points'


class InsufficientPoints(PointError):
    error_code = 'insufficient_points'


class IdempotencyConflict(PointError):
    error_code = 'idempotency_conflict'


class NotReversible(PointError):
    error_code = 'not_reversible'


class ReasonRequired(PointError):
    error_code = 'reason_required'


class ExpiryPolicyError(PointError):
    error_code = 'expiry_policy'


class CardError(PointError):
    error_code = 'card_error'


class UnknownCard(CardError):
    error_code = 'unknown_card'


class CardBlocked(CardError):
    error_code = 'card_blocked'


class CardIdentifierError(ValidationError):
    error_code = 'invalid_identifier'


class HolderValidationError(ValidationError):
    error_code = 'invalid_holder'


class PhoneCodeInvalid(CardError):
    error_code = 'phone_code_invalid'


class PhoneCodeUsed(CardError):
    error_code = 'phone_code_used'
