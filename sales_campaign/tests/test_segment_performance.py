from odoo.tests import tagged

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentQueryCount(SalesSegmentCommon):
    """Add, reduce, refine and go back cost the same number of queries for 10 and for 1,000 contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resp_small = cls.env["sales.job.responsibility"].create({"code": "T-SMALL", "name": "Small"})
        cls.resp_large = cls.env["sales.job.responsibility"].create({"code": "T-LARGE", "name": "Large"})
        cls.cust = cls.rel_cust
        companies = cls.env["res.partner"].create(
            [
                {"name": f"Company {i:04d}", "is_company": True, "business_relation_ids": [(6, 0, cls.cust.ids)] if i % 2 else []}
                for i in range(20)
            ]
        )
        cls.env["res.partner"].create(
            [
                {
                    "name": f"Person {i:04d}",
                    "parent_id": companies[i % 20].id,
                    "job_responsibility_ids": [(6, 0, (cls.resp_large | (cls.resp_small if i < 10 else cls.resp_large)).ids)],
                }
                for i in range(1000)
            ]
        )

    def measure(self, resp, expected):
        """Run the four operations on a new segment whose add matches the contacts of ``resp``."""
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Query count"})
        with self.assertQueryCount(expected["add"]):
            segment._run_step("add", {"job_responsibility_ids": resp.ids})
        with self.assertQueryCount(expected["reduce"]):
            segment._run_step("reduce", {"business_relation_ids": self.cust.ids})
        with self.assertQueryCount(expected["refine"]):
            segment._run_step("refine", {"business_relation_ids": self.cust.ids, "options": {"entire_companies": True}})
        with self.assertQueryCount(expected["go_back"]):
            segment.action_go_back()
        return segment

    def test_query_count_does_not_grow_with_the_contacts(self):
        expected = {"add": 12, "reduce": 10, "refine": 9, "go_back": 9}
        # Warm-up: the first run fills the caches of access rules, views of the data, etc.
        warm = self.env["sales.segment"].with_user(self.staff).create({"description": "Warm-up"})
        warm._run_step("add", {"job_responsibility_ids": self.resp_small.ids})
        warm._run_step("reduce", {"business_relation_ids": self.cust.ids})
        warm.action_go_back()
        small = self.measure(self.resp_small, expected)
        large = self.measure(self.resp_large, expected)
        small.invalidate_recordset()
        large.invalidate_recordset()
        self.assertEqual(small.line_count, 5, "10 matched contacts, 5 of them at customers, go back restored them")
        self.assertEqual(large.line_count, 500)
