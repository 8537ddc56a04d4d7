from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users

from odoo.addons.sales_campaign.models import sales_segment_filters

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentFilterErrors(SalesSegmentCommon):
    """Bad filters give a clear error, never a server error, in Add, Reduce and the wizard's count (L1, L2)."""

    BAD_CONTACT_FILTERS = {
        "power": "[('id', '=', 10**30)]",
        "integer out of range": "[('id', '=', 1000000000000000000000000000000)]",
        "impossible date": "[('create_date', '>', '2020-13-45 10:00:00')]",
        "not a number": "[('id', '=', float('nan'))]",
        "infinite": "[('id', '>', 1e400)]",
        "text for a number": "[('id', '=', 'abc')]",
        "true for a number": "[('id', '=', True)]",
        "nested list": "[('id', 'in', [[1]])]",
        "dictionary": "[('name', 'in', [{'a': 1}])]",
        "range": "[('id', 'in', list(range(3000000)))]",
        "repetition": "[('id', 'in', [1] * 3000000)]",
        "too many values": f"[('id', 'in', {list(range(1, 10_002))})]",
        "too long": "[('name', '=', '" + "x" * 100_001 + "')]",
        "lambda": "[('id', '=', (lambda: 1)())]",
        "attribute": "[('id', '=', uid.__class__)]",
        "sleep": "[('id', '=', time.sleep(100))]",
        "not a condition": "[('id', '=')]",
        "not a domain": "{'id': 1}",
    }
    # Where each bad contact filter is refused: "syntax" before it is evaluated, "values" once evaluated but
    # before the database is asked, "database" by PostgreSQL, in the one query of the step.
    REFUSED_BY = {
        "power": "syntax",
        "integer out of range": "database",
        "impossible date": "database",
        "not a number": "syntax",
        "infinite": "syntax",
        "text for a number": "database",
        "true for a number": "database",
        "nested list": "values",
        "dictionary": "syntax",
        "range": "syntax",
        "repetition": "syntax",
        "too many values": "values",
        "too long": "syntax",
        "lambda": "syntax",
        "attribute": "syntax",
        "sleep": "syntax",
        "not a condition": "values",
        "not a domain": "syntax",
    }
    BAD_CRITERIA = {
        "not a dict": [1, 2],
        "options as text": {"options": "yes", "job_responsibility_ids": [1]},
        "option as text": {"options": {"entire_companies": "x"}},
        "unknown option": {"options": {"no_such_option": True}},
        "group of texts": {"job_responsibility_ids": ["a"]},
        "group as a number": {"job_responsibility_ids": 5},
        "group of booleans": {"partner_ids": [True]},
        "id out of range": {"partner_ids": [10**30]},
        "too many ids": {"partner_ids": list(range(1, 200_002))},
        "filter as a number": {"partner_domain": 5},
        "unknown filter": {"no_such_filter": [1]},
    }

    def setUp(self):
        super().setUp()
        self.segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Bad filters"})
        self.segment._run_step("add", {"job_responsibility_ids": self.resp_purchase.ids})

    def assert_refused(self, func, refused_by="syntax"):
        """``func`` raises a UserError at the stage ``refused_by`` (see ``REFUSED_BY``): a filter refused by its
        syntax is never evaluated (a call, ``time.sleep`` say, never runs), and only the database stage sends
        the step's query, once; the transaction is still usable afterwards. (What the filter costs is counted,
        not timed: a clock would make the test depend on the machine's load.)"""
        Segment = type(self.env["sales.segment"])
        with (
            patch.object(sales_segment_filters, "safe_eval", wraps=sales_segment_filters.safe_eval) as evaluations,
            patch.object(
                Segment, "_execute_filter_sql", autospec=True, side_effect=Segment._execute_filter_sql
            ) as queries,
            self.assertRaises(UserError),
        ):
            func()
        if refused_by == "syntax":
            self.assertEqual(evaluations.call_count, 0, "refused before it is evaluated")
        self.assertEqual(queries.call_count, 1 if refused_by == "database" else 0, "queries of the step")
        self.env.cr.execute("SELECT 1")  # not aborted

    def test_bad_contact_filters_in_add_reduce_and_refine(self):
        self.assertEqual(set(self.REFUSED_BY), set(self.BAD_CONTACT_FILTERS))
        for label, text in self.BAD_CONTACT_FILTERS.items():
            for mode in ("add", "reduce", "refine"):
                with self.subTest(filter=label, mode=mode):
                    self.assert_refused(
                        lambda: self.segment._run_step(mode, {"partner_domain": text}), self.REFUSED_BY[label]
                    )
        self.segment.invalidate_recordset()
        self.assertEqual(self.segment.line_count, 2, "nothing happened")
        self.assertEqual(self.segment.history_count, 1, "no step was recorded")

    def test_bad_crafted_criteria_in_add_and_reduce(self):
        for label, criteria in self.BAD_CRITERIA.items():
            for mode in ("add", "reduce"):
                with self.subTest(criteria=label, mode=mode):
                    self.assert_refused(lambda: self.segment._run_step(mode, criteria))

    @users("sc_staff")
    def test_bad_contact_filters_in_the_wizard_count(self):
        segment = self.segment.with_user(self.env.user)
        for mode in ("add", "reduce"):
            Wizard = self.env["sales.segment.contacts.wizard"].with_context(
                default_segment_id=segment.id, default_mode=mode
            )
            form = Form(Wizard)
            for label, text in self.BAD_CONTACT_FILTERS.items():
                with self.subTest(filter=label, mode=mode):
                    form.partner_domain = text
                    self.assertEqual(form.match_count, 0)
                    self.env.cr.execute("SELECT 1")  # not aborted
            form.partner_domain = f"[('id', '=', {self.customer_buyer.id})]"
            self.assertEqual(form.match_count, 0 if mode == "add" else 1, "the count comes back with a valid filter")
            with self.assertRaisesRegex(UserError, "out of range"):
                form.partner_domain = "[('id', '=', 3000000000)]"
                form.save().action_apply()

    @users("sc_staff")
    def test_bad_saved_criteria_are_refused_when_reused(self):
        saved = self.env["sales.segment.criteria"].create(
            {
                "code": "T-CRAFTED",
                "line_ids": [
                    (0, 0, {"sequence": 1, "action": "add", "criteria": {"job_responsibility_ids": self.resp_it.ids}}),
                    (0, 0, {"sequence": 2, "action": "reduce", "criteria": {"options": "yes"}}),
                ],
            }
        )
        segment = self.segment.with_user(self.env.user)
        form = Form(self.env["sales.segment.reuse.criteria.wizard"].with_context(default_segment_id=segment.id))
        form.criteria_id = saved
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "Step 2 of criteria T-CRAFTED cannot be replayed"):
            wizard.action_reuse()
        self.assertEqual(segment.history_count, 1, "nothing was replayed")

    @users("sc_staff")
    def test_filters_of_the_domain_editor_still_work(self):
        """What Odoo's domain editor writes (today, N days ago, the current user) passes the checks."""
        segment = self.new_segment()
        week_ago = (
            "datetime.datetime.combine(context_today() + relativedelta(days=-7), datetime.time(0, 0, 0))"
            ".to_utc().strftime('%Y-%m-%d %H:%M:%S')"
        )
        today = "context_today().strftime('%Y-%m-%d')"
        tomorrow = "(context_today() + relativedelta(days=1)).strftime('%Y-%m-%d')"
        carla = f"('id', 'in', {self.customer_buyer.ids})"
        filters = [
            f"[{carla}, ('create_date', '>=', {week_ago})]",
            f"[{carla}, '|', ('create_date', '>=', {today}), ('user_id', '!=', uid)]",
            f"[{carla}, ('create_date', '<', {tomorrow})]",
            f"[{carla}, ('create_date', '>', time.strftime('2000-%m-01')), ('color', '>', -1)]",
        ]
        for text in filters:
            with self.subTest(filter=text):
                step = segment._run_step("add", {"partner_domain": text, "options": {"allow_existing_contacts": True}})
                self.assertEqual(step.added_count, 1)
