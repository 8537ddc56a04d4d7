from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentSteps(SalesSegmentCommon):
    """Reduce and Refine, with and without entire companies; Go back; lines added and removed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ours = (
            cls.customer_co
            | cls.prospect_co
            | cls.customer_buyer
            | cls.customer_it
            | cls.prospect_buyer
            | cls.prospect_seller
        )
        cls.only_ours = f"[('id', 'in', {cls.ours.ids})]"

    def full_segment(self):
        segment = self.new_segment()
        self.add(segment, partner_domain=self.only_ours, ignore_exclusion=True)
        self.assertEqual(self.contacts(segment), self.ours)
        return segment

    @users("sc_staff")
    def test_reduce_removes_the_matching_contacts(self):
        segment = self.full_segment()
        action = self.reduce(segment, business_relation_ids=self.rel_cust)
        self.assertEqual(self.contacts(segment), self.prospect_co | self.prospect_buyer | self.prospect_seller)
        self.assertEqual(action["params"]["counts"]["removed"], 3)
        self.assertEqual(segment.line_count, 3)

    @users("sc_staff")
    def test_refine_keeps_only_the_matching_contacts(self):
        segment = self.full_segment()
        self.refine(segment, job_responsibility_ids=self.resp_purchase)
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer)

    @users("sc_staff")
    def test_reduce_entire_companies(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_it)
        self.add(segment, partner_domain=f"[('id', '=', {self.prospect_co.id})]")
        self.assertEqual(self.contacts(segment), self.customer_it | self.prospect_buyer | self.prospect_co)
        # The prospect's seller (not in the segment) is in sales: with entire companies, the whole
        # prospect company goes; without, nobody matches.
        self.reduce(segment, job_responsibility_ids=self.resp_sales)
        self.assertEqual(segment.line_count, 3)
        self.reduce(segment, job_responsibility_ids=self.resp_sales, entire_companies=True)
        self.assertEqual(self.contacts(segment), self.customer_it)

    @users("sc_staff")
    def test_refine_entire_companies(self):
        segment = self.full_segment()
        # Only the customer buyer is in purchase at the customer: with entire companies, the whole
        # customer company stays; the prospect company goes (its buyer is in purchase, but a prospect).
        self.refine(
            segment,
            job_responsibility_ids=self.resp_purchase,
            business_relation_ids=self.rel_cust,
            entire_companies=True,
        )
        self.assertEqual(self.contacts(segment), self.customer_co | self.customer_buyer | self.customer_it)
        segment.action_go_back()
        self.refine(segment, job_responsibility_ids=self.resp_purchase, business_relation_ids=self.rel_cust)
        self.assertEqual(self.contacts(segment), self.customer_buyer)

    @users("sc_staff")
    def test_without_filter_reduce_empties_and_refine_keeps_everything(self):
        segment = self.full_segment()
        self.run_wizard(segment, "refine", confirm_all=True)
        self.assertEqual(segment.line_count, 6)
        self.run_wizard(segment, "reduce", confirm_all=True)
        self.assertEqual(segment.line_count, 0)

    @users("sc_staff")
    def test_reduce_and_refine_without_filter_ask_for_confirmation(self):
        """As Add does: a step without any filter runs only once confirmed (issue 13)."""
        segment = self.full_segment()
        self.customer_it.sudo().active = False  # a contact that can no longer be in a segment
        for mode, message in (("reduce", "every line would be removed"), ("refine", "would keep only the lines")):
            with self.subTest(mode=mode):
                with self.assertRaisesRegex(UserError, message):
                    self.run_wizard(segment, mode)
                self.assertEqual(segment.line_count, 6, "nothing happened")
                self.assertEqual(segment.history_count, 1)
        Wizard = self.env["sales.segment.contacts.wizard"]
        form = Form(Wizard.with_context(default_segment_id=segment.id, default_mode="refine"))
        self.assertFalse(form.has_filters, "the wizard offers the confirmation instead of OK")
        self.assertEqual(form.match_count, 1, "the archived contact would go")
        self.run_wizard(segment, "refine", confirm_all=True)
        self.assertEqual(self.contacts(segment), self.ours - self.customer_it)

    @users("sc_staff")
    def test_two_steps_never_share_a_number(self):
        segment = self.full_segment()
        self.reduce(segment, business_relation_ids=self.rel_cust)
        self.assertEqual(segment.history_ids.mapped("sequence"), [2, 1])
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["sales.segment.history"]._create_step({"segment_id": segment.id, "sequence": 2, "action": "add"})

    @users("sc_staff")
    def test_go_back_walks_back_step_by_step_and_keeps_manual_edits(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        buyer_line = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        buyer_line.write({"subject": "Edited by hand", "correspondence_type": "hard_copy"})
        self.add(segment, job_responsibility_ids=self.resp_it)
        self.reduce(segment, business_relation_ids=self.rel_cust)
        self.assertEqual(self.contacts(segment), self.prospect_buyer)
        self.assertEqual(segment.history_count, 3)

        segment.action_go_back()  # the reduce: the customer's lines come back as they were
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer | self.customer_it)
        self.assertIn(buyer_line, segment.line_ids, "the very line comes back")
        self.assertEqual((buyer_line.subject, buyer_line.correspondence_type), ("Edited by hand", "hard_copy"))
        segment.action_go_back()  # the second add
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer)
        segment.action_go_back()  # the first add
        self.assertFalse(segment.line_ids)
        self.assertEqual(segment.line_count, 0)
        with self.assertRaisesRegex(UserError, "has no step to go back to"):
            segment.action_go_back()

    @users("sc_staff")
    def test_lines_added_and_removed_by_hand_are_steps(self):
        segment = self.new_segment(template_id=self.template.id)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        form = Form(segment)
        with form.form_line_ids.new() as line:
            line.partner_id = self.customer_it
        form.save()
        added = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_it)
        self.assertEqual(added.subject, "Thank you for visiting our booth", "a line added by hand takes the defaults")
        self.assertEqual(added.company_partner_id, self.customer_co)
        self.assertEqual(segment.history_ids[0].action, "manual_add")

        action = segment.line_ids[0].action_remove()  # the customer buyer, with the line's Remove
        self.assertIn("Go Back brings them back", action["params"]["message"])
        self.assertEqual(self.contacts(segment), self.prospect_buyer | self.customer_it)
        self.assertEqual(segment.history_ids[0].action, "manual_remove")
        self.assertEqual(segment.line_count, 2)

        segment.action_go_back()
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer | self.customer_it)
        segment.action_go_back()
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer)

    @users("sc_staff")
    def test_remove_several_lines_at_once_is_one_step(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        self.assertEqual(segment.line_count, 3)
        chosen = segment.line_ids.filtered(lambda line: line.partner_id != self.prospect_buyer)
        # The segment's Remove Lines dialog: its lines, in a list of their own, removed from its header button
        dialog = segment.action_select_lines_to_remove()
        self.assertEqual(dialog["target"], "new")
        self.assertEqual(self.env["sales.segment.line"].search(dialog["domain"]), segment.line_ids)
        chosen.action_remove()
        self.assertEqual(self.contacts(segment), self.prospect_buyer)
        self.assertEqual(segment.line_count, 1)
        step = segment.history_ids[0]
        self.assertEqual((step.action, step.removed_count), ("manual_remove", 2))
        segment.action_go_back()
        self.assertEqual(
            segment.line_ids, chosen | segment.line_ids.filtered(lambda l: l.partner_id == self.prospect_buyer)
        )

    @users("sc_staff")
    def test_deleting_a_line_removes_it_for_good(self):
        """Deleting (``unlink``) really deletes, without a step; the segment's Remove is the undoable way."""
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        line = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        line.unlink()
        self.assertFalse(line.exists())
        self.assertFalse(
            self.env["sales.segment.line"]
            .with_context(active_test=False)
            .search([("segment_id", "=", segment.id), ("partner_id", "=", self.customer_buyer.id)])
        )
        self.assertEqual(segment.history_ids.mapped("action"), ["add"], "no step: nothing to go back to")

    @users("sc_staff")
    def test_lines_of_a_logged_segment_stay(self):
        segment = self.new_segment(template_id=self.template.id)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        self.env["sales.logged.segment"]._log_segment(segment, send=False)
        with self.assertRaisesRegex(UserError, "is logged"):
            segment.line_ids[:1].action_remove()
        with self.assertRaisesRegex(UserError, "is logged"):
            segment.line_ids[:1].unlink()

    @users("sc_staff")
    def test_go_back_says_what_it_undoes(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        self.reduce(segment, business_relation_ids=self.rel_cust)
        action = segment.action_go_back_confirm()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(
            form.message,
            "Go Back undoes step 2. Reduce Contacts. The 2 lines this step removed come back as they were.",
        )
        self.assertIn("Business relation: Customer", form.step_description)
        dialog = form.save()
        dialog.action_go_back()
        self.assertEqual(segment.line_count, 3)
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(
            form.message, "Go Back undoes step 1. Add Contacts. The 3 lines this step added leave the segment."
        )

    @users("sc_staff")
    def test_go_back_refuses_when_another_step_came_since_the_dialog_opened(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        action = segment.action_go_back_confirm()
        dialog = Form(self.env[action["res_model"]].with_context(**action["context"])).save()
        self.add(segment, job_responsibility_ids=self.resp_it)  # another user's step, say
        with self.assertRaisesRegex(UserError, "changed meanwhile"):
            dialog.action_go_back()
        self.assertEqual(segment.history_count, 2)

    @users("sc_staff")
    def test_a_step_without_filter_asks_once_with_the_count(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        form = Form(
            self.env["sales.segment.contacts.wizard"].with_context(default_segment_id=segment.id, default_mode="reduce")
        )
        self.assertFalse(form.has_filters)
        self.assertEqual(form.match_count, 3, "the question shows how many lines would go")
        with self.assertRaisesRegex(UserError, "No filter is set"):
            form.save().action_apply()
        self.assertEqual(segment.line_count, 3)
        form.confirm_all = True
        form.save().action_apply()
        self.assertEqual(segment.line_count, 0)

    @users("sc_staff")
    def test_history_tells_each_step(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase, expand_contact_companies=True)
        self.reduce(segment, business_relation_ids=self.rel_cust, entire_companies=True)
        reduce_step, add_step = segment.history_ids
        self.assertEqual((add_step.sequence, add_step.action, add_step.added_count), (1, "add", 5))
        self.assertIn("Job responsibility: Purchasing", add_step.description)
        self.assertIn("expand contact companies", add_step.description)
        self.assertEqual((reduce_step.sequence, reduce_step.action, reduce_step.removed_count), (2, "reduce", 3))
        self.assertIn("Business relation: Customer", reduce_step.description)
        self.assertIn("entire companies", reduce_step.description)

    @users("sc_staff")
    def test_a_failing_step_leaves_the_segment_as_it_was(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            segment._run_step("reduce", {"partner_domain": "[('no_such_field', '=', 1)]"})
        segment.invalidate_recordset()
        self.assertEqual(segment.line_count, 2)
        self.assertEqual(segment.history_count, 1)
