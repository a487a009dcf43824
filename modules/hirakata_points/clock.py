"""The city's clock: business dates in Hirakata, timestamps in UTC.

trytond runs its processes in UTC, so date.today() is the UTC date: from
00:00 to 09:00 in Japan it is yesterday. A business date (a grant's day and
so its expiry, the fiscal year, the nightly expiry, today's campaigns and
totals, a venue session's day) is the date in the city's time zone, which
`ir.date.today()` answers (extended in ir.py); timestamps stay naive UTC,
as trytond stores them.

Everything reads the time through utc_now(), so a test can move the whole
system's clock with frozen().
"""
import contextlib
import datetime as dt

from trytond.config import config
from trytond.pool import Pool
from trytond.tools.timezone import get_tzinfo

# Set by frozen() in tests: the UTC moment the system believes it is.
_frozen_at = None


def city_timezone():
    "The city's time zone: [hirakata_points] timezone, Asia/Tokyo by default."
    return get_tzinfo(config.get('hirakata_points', 'timezone',
            default='Asia/Tokyo'))


def utc_now():
    "Now as naive UTC, as trytond stores timestamps."
    if _frozen_at is not None:
        return _frozen_at
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_now(timezone=None):
    "Now, aware, in timezone (the city's by default)."
    return utc_now().replace(tzinfo=dt.timezone.utc).astimezone(
        timezone or city_timezone())


def city_time(timestamp):
    "A stored timestamp (naive UTC) as the city's wall-clock time."
    return timestamp.replace(tzinfo=dt.timezone.utc).astimezone(
        city_timezone())


def today():
    "The city's business date."
    return Pool().get('ir.date').today()


@contextlib.contextmanager
def frozen(moment):
    """Make the system believe it is moment (naive UTC, or aware) while the
    block runs, in every thread: for tests across midnight in Japan."""
    global _frozen_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    previous, _frozen_at = _frozen_at, moment
    try:
        yield
    finally:
        _frozen_at = previous
