"""Demo data of city programmes, for scripts/demo_data.py: a department,
programme types, two open programmes and one waiting for approval, with a
few weeks of participations, and today's session for a venue terminal."""
import datetime as dt
import random
import uuid

from trytond.modules.hirakata_points import clock
from trytond.pool import Pool

from .exceptions import ProgrammeError


# The walking class meets weekly: two months of sessions, up to today's.
SESSIONS = 9


def load_programmes(today):
    "Two open programmes, one waiting for approval, participations."
    pool = Pool()
    Department = pool.get('hirakata.department')
    Type = pool.get('hirakata.programme.type')
    Programme = pool.get('hirakata.programme')
    Participation = pool.get('hirakata.programme.participation')
    Holder = pool.get('hirakata.holder')
    health, = Department.create([{'code': 'KENKO', 'name': "健康づくり課",
                'budget': 500000}])
    types = Type.create([{'name': n} for n in
            ["教室・講座", "健康診査", "ボランティア", "アンケート", "イベント"]])
    window = {'start_date': today - dt.timedelta(days=60),
        'end_date': today + dt.timedelta(days=120)}
    walking, volunteering, survey = Programme.create([
            dict(window, code='K-001', name="ひらかたウォーキング教室",
                type=types[0].id, department=health.id, points=100,
                first_time_bonus=50, min_age=60, budget=100000,
                sessions=[('create', [{'name': "第%s回" % (SESSIONS - i),
                                'date': today - dt.timedelta(days=7 * i)}
                            for i in range(SESSIONS)])]),
            dict(window, code='V-001', name="公園清掃ボランティア",
                type=types[2].id, department=health.id, rule='hour',
                points=50, cap_per_person_year=2000, budget=200000,
                sessions=[('create', [{'name': "%s月" % today.month,
                                'date': today}])]),
            dict(window, code='A-001', name="健康づくりアンケート",
                type=types[3].id, department=health.id, points=30,
                budget=30000,
                sessions=[('create', [{'name': "回答", 'date': today}])]),
            ])
    Programme.submit([walking, volunteering, survey])
    Programme.approve([walking, volunteering])
    Programme.open([walking, volunteering])
    holders = Holder.search([], limit=60)
    for i, holder in enumerate(holders):
        # today's session is left for the venue terminal
        for session in walking.sessions[:random.randint(0, SESSIONS - 1)]:
            # granted on the session's day: the settled months have the
            # city's programme grants, so the city has invoices
            with clock.frozen(dt.datetime.combine(session.date, dt.time(11),
                        tzinfo=clock.city_timezone())):
                try:
                    Participation.record(session, holder, channel='venue',
                        key=uuid.uuid4().hex)
                except ProgrammeError:  # under 60: refused, as at the venue
                    break
        if i % 3 == 0:
            Participation.record(volunteering.sessions[0], holder,
                channel='import', key=uuid.uuid4().hex,
                hours=random.choice([1, 2, 3]))
    return walking.sessions[-1]


def venue_terminal(session):
    "The values of a venue terminal for session."
    return {'name': "ウォーキング教室 受付", 'kind': 'venue',
        'session': session.id}
