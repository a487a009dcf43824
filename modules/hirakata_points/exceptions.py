"""The errors of the point system.

Each carries a stable code so that APIs can answer with it; the message is
the Japanese text of message.xml.
"""
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PointError(UserError):
    code = 'point_error'


class InvalidPoints(PointError):
    code = 'invalid_points'


class InsufficientPoints(PointError):
    code = 'insufficient_points'


class IdempotencyConflict(PointError):
    code = 'idempotency_conflict'


class NotReversible(PointError):
    code = 'not_reversible'


class ReasonRequired(PointError):
    code = 'reason_required'


class ExpiryPolicyError(PointError):
    code = 'expiry_policy'


class CardError(PointError):
    code = 'card_error'


class UnknownCard(CardError):
    code = 'unknown_card'


class CardBlocked(CardError):
    code = 'card_blocked'


class CardIdentifierError(ValidationError):
    code = 'invalid_identifier'


class HolderValidationError(ValidationError):
    code = 'invalid_holder'
