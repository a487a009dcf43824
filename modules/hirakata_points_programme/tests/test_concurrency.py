"""Programme participations under real parallel connections (R8, R12):
one holder's taps at once pay once, and a budget holds. PostgreSQL only,
as the ledger's own (hirakata_points/tests/test_concurrency.py)."""
import threading
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

from trytond import backend
from trytond.modules.hirakata_points.tests.test_concurrency import run, state
from trytond.modules.hirakata_points.tests.test_module import create_holder
from trytond.modules.hirakata_points_programme.exceptions import (
    ProgrammeError)
from trytond.modules.hirakata_points_programme.tests.test_programme import (
    create_programme)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module


@unittest.skipUnless(backend.name == 'postgresql',
    "concurrent writers need PostgreSQL")
class ParallelParticipationTestCase(unittest.TestCase):
    "Participations with parallel connections on PostgreSQL"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('hirakata_points_programme')

    def test_parallel_taps_pay_one_participation_once(self):
        programme_id, holder_ids = new_programme(holders=1, budget=10000)
        results = parallel_participations(programme_id, holder_ids * 16)
        paid = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, ProgrammeError)]
        self.assertEqual((len(paid), len(refused)), (1, 15))
        self.assertEqual(state(account_of(holder_ids[0])), (100, 100, 100))

    def test_parallel_participations_stay_within_budget(self):
        programme_id, holder_ids = new_programme(holders=6, budget=250)
        results = parallel_participations(programme_id, holder_ids)
        paid = [r for r in results if isinstance(r, int)]
        self.assertEqual(len(paid), 2)
        self.assertTrue(all(isinstance(r, (int, ProgrammeError))
                for r in results))


def new_programme(holders, budget):
    "Commit an open programme granting 100 a participation, and holders."
    def create():
        programme = create_programme(budget=budget,
            code='PAR-%s' % uuid.uuid4().hex[:8])
        return programme.id, [create_holder(name="参加%s" % i).id
            for i in range(holders)]
    return run(create)


def account_of(holder_id):
    return run(lambda: Pool().get('hirakata.holder')(holder_id).account.id)


def parallel_participations(programme_id, holder_ids):
    "Record a participation for each holder id, all at the same moment."
    barrier = threading.Barrier(len(holder_ids))

    def tap(args):
        holder_id, key = args

        def book():
            pool = Pool()
            Participation = pool.get('hirakata.programme.participation')
            programme = pool.get('hirakata.programme')(programme_id)
            return Participation.record(programme.sessions[0],
                pool.get('hirakata.holder')(holder_id), channel='venue',
                key=key).id
        barrier.wait(timeout=10)
        return run(book)
    with ThreadPoolExecutor(len(holder_ids)) as executor:
        return list(executor.map(tap,
                [(h, uuid.uuid4().hex) for h in holder_ids]))
