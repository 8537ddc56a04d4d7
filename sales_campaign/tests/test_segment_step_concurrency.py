import threading
import time
import uuid
from contextlib import closing
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install")
class TestSegmentStepConcurrency(BaseCase):
    """Two steps sent at the same moment on one segment, each on a connection of its own (issue M6).

    The steps of a segment run one after the other: the second waits for the first and then fails with a
    serialization error, which Odoo's RPC layer (``retrying``, used here as the web client's requests do)
    retries with a fresh snapshot that sees the first step's result. A plain BaseCase: the data must be
    committed for the second connection to see it. It cleans up what it committed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own test runner runs the tests holding the registry lock (``ThreadedServer.run``), which the
        # second request's thread would wait for before it reaches the database; ``HttpCase`` lifts it the same
        # way for its requests (``Registry.enter_test_mode``). pytest-odoo holds no such lock.
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with closing(self.db.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
            suffix = uuid.uuid4().hex[:8]
            user = env["res.users"].create(
                {
                    "name": "Concurrent Segment Staff",
                    "login": f"sc_step_concurrent_{suffix}",
                    "groups_id": [
                        (6, 0, (env.ref("sales_campaign.group_sales_campaign_user") | env.ref("base.group_user")).ids)
                    ],
                }
            )
            resp = env["sales.job.responsibility"].create({"code": f"T-CC-{suffix}", "name": "Concurrency"})
            partners = env["res.partner"].create(
                [
                    {"name": f"Concurrent Step Visitor {n}", "job_responsibility_ids": [(6, 0, resp.ids)]}
                    for n in range(6)
                ]
            )
            segment = env["sales.segment"].with_user(user).create({"description": "Concurrent steps"})
            segment._run_step("add", {"partner_ids": partners[:3].ids})
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit
            self.user_id, self.segment_id, self.resp_id = user.id, segment.id, resp.id
            self.first_ids, self.second_ids = partners[:3].ids, partners[3:].ids
        self.addCleanup(self.cleanup)

    def cleanup(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(SQL("DELETE FROM sales_segment WHERE id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM res_partner WHERE id IN %s", tuple(self.first_ids + self.second_ids)))
            cr.execute(SQL("DELETE FROM sales_job_responsibility WHERE id = %s", self.resp_id))
            cr.execute(SQL("DELETE FROM res_users WHERE id = %s", self.user_id))
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------------------------------------

    def segment(self, cr):
        return api.Environment(cr, self.user_id, {})["sales.segment"].browse(self.segment_id)

    def in_thread(self, cr, step):
        """Run ``step(segment)`` as one request of the web client (retried on serialization failures)."""
        outcome = {}

        def run():
            env = api.Environment(cr, self.user_id, {})
            try:
                with mute_logger("odoo.service.model"):
                    outcome["result"] = retrying(lambda: step(env["sales.segment"].browse(self.segment_id)), env)
            except Exception as error:  # noqa: BLE001 - reported to the test's thread
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        return thread, outcome

    def assert_waits(self, cr, thread):
        """The connection of ``cr`` waits for a lock (the segment's), while its request is not finished."""
        pid = cr._cnx.get_backend_pid()
        deadline = time.monotonic() + 20
        with closing(self.db.cursor()) as observer:
            while time.monotonic() < deadline:
                observer.execute(SQL("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid))
                row = observer.fetchone()
                if row and row[0] == "Lock":
                    return
                self.assertTrue(thread.is_alive(), "the second step ran without waiting for the first")
                observer.rollback()
                time.sleep(0.05)
        self.fail("the second step never waited for the first")

    def state(self):
        """(contact ids of the active lines, sorted; [(step number, action, added, removed)] in order)."""
        with closing(self.db.cursor()) as cr:
            cr.execute(
                SQL(
                    "SELECT partner_id FROM sales_segment_line WHERE segment_id = %s AND active ORDER BY partner_id",
                    self.segment_id,
                )
            )
            contacts = [row[0] for row in cr.fetchall()]
            cr.execute(
                SQL(
                    """SELECT sequence, action, COALESCE(added_count, 0), COALESCE(removed_count, 0)
                         FROM sales_segment_history WHERE segment_id = %s ORDER BY sequence, id""",
                    self.segment_id,
                )
            )
            return contacts, cr.fetchall()

    # ------------------------------------------------------------------------------------------------

    def test_add_and_go_back_at_the_same_moment(self):
        """The issue's race: Go Back waits for Add, then undoes it; no dangling step, no lost contacts."""
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            step = self.segment(first)._run_step("add", {"partner_ids": self.second_ids})
            self.assertEqual(step.added_count, 3)
            thread, outcome = self.in_thread(second, lambda segment: segment.action_go_back())
            self.assert_waits(second, thread)
            first.commit()
            thread.join(30)
            self.assertFalse(thread.is_alive())
            self.assertNotIn("error", outcome)
            self.assertIn("Went back before step 2.", outcome["result"]["params"]["message"])
        self.assertEqual(self.state(), (sorted(self.first_ids), [(1, "add", 3, 0)]))

    def test_two_adds_at_the_same_moment(self):
        """The second add waits, then sees the first's lines: every contact once, steps numbered 1, 2, 3."""
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            self.segment(first)._run_step("add", {"job_responsibility_ids": [self.resp_id]})
            thread, outcome = self.in_thread(
                second, lambda segment: segment._run_step("add", {"job_responsibility_ids": [self.resp_id]}).added_count
            )
            self.assert_waits(second, thread)
            first.commit()
            thread.join(30)
            self.assertNotIn("error", outcome)
            self.assertEqual(outcome["result"], 0, "the retried add sees the contacts the first one added")
        contacts, steps = self.state()
        self.assertEqual(contacts, sorted(self.first_ids + self.second_ids))
        self.assertEqual(steps, [(1, "add", 3, 0), (2, "add", 3, 0), (3, "add", 0, 0)])

    def test_step_on_a_snapshot_older_than_a_committed_step(self):
        """A step whose snapshot predates another's commit does not work on what it saw: it is retried."""
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            second.execute("SELECT 1")  # the second transaction's snapshot is taken now
            self.segment(first)._run_step("reduce", {"partner_ids": self.first_ids[:1]})
            first.commit()
            with self.assertRaises(pg_errors.SerializationFailure), mute_logger("odoo.sql_db"):
                self.segment(second)._run_step("add", {"partner_ids": self.first_ids})
            second.rollback()
            # What the web client's retry does: the same request on a fresh snapshot.
            self.assertEqual(self.segment(second)._run_step("add", {"partner_ids": self.first_ids}).added_count, 1)
            second.commit()
        contacts, steps = self.state()
        self.assertEqual(contacts, sorted(self.first_ids))
        self.assertEqual(steps, [(1, "add", 3, 0), (2, "reduce", 0, 1), (3, "add", 1, 0)])

    def test_lines_removed_by_hand_while_a_step_runs(self):
        """Removing a line by hand is a step too: it waits for the running one and is numbered after it."""
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            self.segment(first)._run_step("add", {"partner_ids": self.second_ids})

            def remove_by_hand(segment):
                line = segment.env["sales.segment.line"].search(
                    [("segment_id", "=", segment.id), ("partner_id", "=", self.first_ids[0])]
                )
                return line.action_remove()

            thread, outcome = self.in_thread(second, remove_by_hand)
            self.assert_waits(second, thread)
            first.commit()
            thread.join(30)
            self.assertNotIn("error", outcome)
        contacts, steps = self.state()
        self.assertEqual(contacts, sorted(self.first_ids[1:] + self.second_ids))
        self.assertEqual(steps, [(1, "add", 3, 0), (2, "add", 3, 0), (3, "manual_remove", 0, 1)])
