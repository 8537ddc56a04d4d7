from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users
from odoo.tools import SQL

from ..models import sales_segment
from .common import SalesSegmentCommon


def lines_read(env):
    """Rows of the lines table read by this transaction so far (sequential and index scans), pending writes
    flushed first."""
    env.flush_all()
    env.cr.execute(
        """SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)
             FROM pg_stat_xact_user_tables WHERE relname = 'sales_segment_line'"""
    )
    return env.cr.fetchone()[0]


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
                {
                    "name": f"Company {i:04d}",
                    "is_company": True,
                    "business_relation_ids": [(6, 0, cls.cust.ids)] if i % 2 else [],
                }
                for i in range(20)
            ]
        )
        cls.env["res.partner"].create(
            [
                {
                    "name": f"Person {i:04d}",
                    "parent_id": companies[i % 20].id,
                    "job_responsibility_ids": [
                        (6, 0, (cls.resp_large | (cls.resp_small if i < 10 else cls.resp_large)).ids)
                    ],
                }
                for i in range(1000)
            ]
        )

    @contextmanager
    def count_queries(self, counts, label):
        """Count the queries of the block, flushes included, into ``counts[label]``."""
        self.env.flush_all()
        self.env.cr.flush()
        count0 = self.cr.sql_log_count
        yield
        self.env.flush_all()
        self.env.cr.flush()
        counts[label] = self.cr.sql_log_count - count0

    def measure(self, resp):
        """Run the four operations on a new segment whose add matches the contacts of ``resp``: their queries."""
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Query count"})
        counts = {}
        with self.count_queries(counts, "add"):
            segment._run_step("add", {"job_responsibility_ids": resp.ids})
        with self.count_queries(counts, "reduce"):
            segment._run_step("reduce", {"business_relation_ids": self.cust.ids})
        with self.count_queries(counts, "refine"):
            segment._run_step("refine", {"business_relation_ids": self.cust.ids, "options": {"entire_companies": True}})
        with self.count_queries(counts, "go_back"):
            segment.action_go_back()
        return segment, counts

    def test_query_count_does_not_grow_with_the_contacts(self):
        # Exactly: a query more per step shows here (taking the segment's lock is one of these, checking
        # that the user may see the records the filters name another, reading the new step's company for the
        # history written with sudo() a third).
        expected = {"add": 16, "reduce": 14, "refine": 13, "go_back": 10}
        # Warm-up: the first run fills the caches of access rules, views of the data, etc.
        warm = self.env["sales.segment"].with_user(self.staff).create({"description": "Warm-up"})
        warm._run_step("add", {"job_responsibility_ids": self.resp_small.ids})
        warm._run_step("reduce", {"business_relation_ids": self.cust.ids})
        warm.action_go_back()
        small, small_counts = self.measure(self.resp_small)
        large, large_counts = self.measure(self.resp_large)
        self.assertEqual(small_counts, expected, "exactly these queries for 10 contacts")
        self.assertEqual(large_counts, expected, "and the same for 1,000")
        small.invalidate_recordset()
        large.invalidate_recordset()
        self.assertEqual(small.line_count, 5, "10 matched contacts, 5 of them at customers, go back restored them")
        self.assertEqual(large.line_count, 500)


@tagged("post_install", "-at_install")
class TestSegmentPlans(SalesSegmentCommon):
    """Steps read each line of the segment a bounded number of times, even while the table's statistics do not
    know the segment yet (issue 12): no plan in which the segment's lines are read once per contact.
    """

    def test_steps_on_a_segment_the_statistics_do_not_know(self):
        size = 400
        persons = self.env["res.partner"].create(
            [
                {
                    "name": f"Plan Person {i:04d}",
                    "parent_id": (self.customer_co if i % 2 else self.prospect_co).id,
                    "job_responsibility_ids": [(6, 0, self.resp_purchase.ids if i % 3 else self.resp_it.ids)],
                }
                for i in range(size)
            ]
        )
        # Other segments of the same few contacts over and over, then ANALYZE: the statistics expect thousands
        # of lines per contact, and a single line for a segment they have not seen.
        others = self.env["sales.segment"].create([{"description": f"Other segment {n}"} for n in range(3)])
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """INSERT INTO sales_segment_line (segment_id, active, added_step, partner_id)
                   SELECT segment_id, TRUE, 1, (%s::integer[])[1 + mod(n, 3)]
                     FROM unnest(%s::integer[]) AS segment_id, generate_series(1, 10000) AS n""",
                (self.customer_buyer | self.customer_it | self.prospect_buyer).ids,
                others.ids,
            )
        )
        self.env.cr.execute("ANALYZE sales_segment_line")

        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Fresh"})
        segment._run_step("add", {"partner_ids": persons.ids})
        steps = [
            ("reduce", {"job_responsibility_ids": self.resp_purchase.ids}),
            ("refine", {"job_responsibility_ids": self.resp_purchase.ids}),
            ("reduce", {"business_relation_ids": self.rel_cust.ids, "options": {"entire_companies": True}}),
            ("refine", {"business_relation_ids": self.rel_cust.ids, "options": {"entire_companies": True}}),
            ("add", {"partner_ids": persons.ids}),  # every contact is in the segment already
        ]
        for action, criteria in steps:
            with self.subTest(action=action, criteria=criteria):
                before = lines_read(self.env)
                segment._run_step(action, criteria)
                segment.action_go_back()
                self.env.flush_all()
                # A linear plan reads each line a few times; a quadratic one about size * size / 2 times.
                self.assertLess(lines_read(self.env) - before, 10 * size)
        segment.invalidate_recordset()
        self.assertEqual(segment.line_count, size)


@tagged("post_install", "-at_install")
class TestSegmentFormOfALargeSegment(SalesSegmentCommon):
    """The segment form holds at most ``FORM_LINES`` lines (issue 22): the web client reads every id of an
    embedded list and an onchange every line it holds, which took 12 s for a form of a million contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.persons = cls.env["res.partner"].create(
            [{"name": f"Form Person {i:03d}", "parent_id": cls.customer_co.id} for i in range(30)]
        )

    @users("sc_staff")
    def test_the_form_holds_the_first_lines_of_a_large_segment(self):
        segment = self.new_segment()
        segment._run_step("add", {"partner_ids": self.persons.ids})
        spec = {
            "line_count": {},
            "unit_cost": {},
            "form_line_note": {},
            "template_id": {"fields": {"display_name": {}}},
            "form_line_ids": {
                "limit": 80,
                "fields": {"partner_id": {"fields": {"display_name": {}}}, "lang": {}, "in_other_campaign": {}},
            },
        }
        with patch.object(sales_segment, "FORM_LINES", 10):
            segment.invalidate_recordset()
            [values] = segment.web_read(spec)
            self.assertEqual(values["line_count"], 30)
            # the first ten by contact, in the segment's order
            shown = segment.line_ids.sorted(lambda line: line.partner_id.id)[:10].sorted("id")
            self.assertEqual([line["id"] for line in values["form_line_ids"]], shown.ids)
            self.assertEqual(
                values["form_line_note"], "The form shows 10 of the 30 lines: No. of Lines opens all of them."
            )

            # A change of the header reads the lines the form holds, not the segment's
            before = lines_read(self.env)
            result = segment.onchange({"template_id": self.template.id}, ["template_id"], spec)
            self.assertLess(lines_read(self.env) - before, 30, "fewer rows read than the segment has lines")
            self.assertEqual(result["value"]["unit_cost"], 1.5, "the template's defaults")
            self.assertNotIn("form_line_ids", result["value"], "the lines are as they were")

            # A line added by hand in the form is the segment's 31st; none of the 20 lines it did not show goes
            form = Form(segment)
            with form.form_line_ids.new() as line:
                line.partner_id = self.customer_it
            form.description = "Renamed with the form"
            form.save()
        self.assertEqual(segment.line_count, 31)
        self.assertEqual(segment.line_ids.partner_id, self.persons | self.customer_it)
        self.assertEqual(segment.history_ids[0].action, "manual_add")

        [values] = segment.web_read(spec)
        self.assertEqual(len(values["form_line_ids"]), 31, "up to FORM_LINES, the form holds every line")
        self.assertFalse(values["form_line_note"])

    @users("sc_staff")
    def test_a_new_segment_keeps_the_lines_typed_in_its_form(self):
        form = Form(self.env["sales.segment"])
        form.description = "Typed by hand"
        with form.form_line_ids.new() as line:
            line.partner_id = self.customer_it
        segment = form.save()
        self.assertEqual(segment.line_ids.partner_id, self.customer_it)
        self.assertEqual(segment.form_line_ids, segment.line_ids)
        with self.assertRaisesRegex(UserError, "not all at once"):
            segment.write({"form_line_ids": [Command.clear()]})
        self.assertEqual(segment.line_count, 1)
