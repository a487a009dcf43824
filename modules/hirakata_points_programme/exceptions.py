"""The refusals of city programmes, each with a stable error_code for the
terminal API (the venue) and a Japanese message (message.xml)."""
from trytond.modules.hirakata_points.exceptions import PointError


class ProgrammeError(PointError):
    error_code = 'programme'


class ParticipationDuplicate(ProgrammeError):
    error_code = 'participation_duplicate'


class ProgrammeNotOpen(ProgrammeError):
    error_code = 'programme_not_open'


class NotEligible(ProgrammeError):
    error_code = 'not_eligible'


class OverCap(ProgrammeError):
    error_code = 'over_cap'


class OverBudget(ProgrammeError):
    error_code = 'over_budget'
