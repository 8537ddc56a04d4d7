from unittest.mock import patch

from odoo.tests import tagged

from ..models import sales_logged_segment_delivery
from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentLogQueryCount(SalesSegmentCommon):
    """Logging a segment without documents costs the same number of queries for 10 and for 1,000 lines."""

    # Queries of _log_segment(send=False), flush included: checks (with the contacts the user may not see),
    # the logged segment, its campaign entry, the segment's state and the chatter message, then the batches
    # run at once: one INSERT ... SELECT of the interactions and the logged segment's state.
    QUERIES = 28

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resp_small = cls.env["sales.job.responsibility"].create({"code": "T-SMALL", "name": "Small"})
        cls.resp_large = cls.env["sales.job.responsibility"].create({"code": "T-LARGE", "name": "Large"})
        companies = cls.env["res.partner"].create([{"name": f"Company {i:04d}", "is_company": True} for i in range(20)])
        cls.env["res.partner"].create(
            [
                {
                    "name": f"Person {i:04d}",
                    "parent_id": companies[i % 20].id,
                    "email": f"person{i:04d}@company.example",
                    "job_responsibility_ids": [
                        (6, 0, (cls.resp_large | (cls.resp_small if i < 10 else cls.resp_large)).ids)
                    ],
                }
                for i in range(1000)
            ]
        )

    def segment(self, resp):
        """A draft segment of the staff with the template and a campaign, holding the contacts of ``resp``."""
        segment = (
            self.env["sales.segment"]
            .with_user(self.staff)
            .create(
                {
                    "description": "Query count",
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                }
            )
        )
        segment._run_step("add", {"job_responsibility_ids": resp.ids})
        return segment

    def log(self, segment):
        """Log ``segment`` without documents; returns the logged segment and the queries it took."""
        Logged = self.env["sales.logged.segment"].with_user(self.staff)
        self.env.invalidate_all()
        with self.assertQueryCount(self.QUERIES):
            count0 = self.cr.sql_log_count
            logged = Logged._log_segment(segment, send=False)
            self.env.flush_all()
            queries = self.cr.sql_log_count - count0
        return logged, queries

    def test_log_query_count_does_not_grow_with_the_lines(self):
        # Both logs written at once, in the request (a log of 1,000 lines would otherwise go to the background).
        patcher = patch.object(sales_logged_segment_delivery, "IMMEDIATE_DELIVERY_LIMIT", 10_000)
        patcher.start()
        self.addCleanup(patcher.stop)
        small, large = self.segment(self.resp_small), self.segment(self.resp_large)
        self.assertEqual((small.line_count, large.line_count), (10, 1000))
        # Warm-up: the first log fills the caches of access rules, sequences, the chatter's followers, etc.
        self.env["sales.logged.segment"].with_user(self.staff)._log_segment(self.segment(self.resp_small), send=False)
        self.env.flush_all()

        logged_small, small_queries = self.log(small)
        logged_large, large_queries = self.log(large)

        self.assertEqual(small_queries, large_queries, "logging 1,000 lines takes as many queries as 10 lines")
        self.assertEqual((logged_small.interaction_count, logged_large.interaction_count), (10, 1000))
        self.assertEqual(logged_large.campaign_entry_ids.interaction_count, 1000)
        self.assertEqual(set(logged_large.interaction_ids.mapped("delivery_status")), {"not_applicable"})
        self.assertEqual((small.state, large.state), ("logged", "logged"))
