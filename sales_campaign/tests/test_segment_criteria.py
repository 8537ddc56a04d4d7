from odoo.exceptions import UserError
from odoo.tests import Form, tagged, users

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentCriteria(SalesSegmentCommon):
    """Save Criteria and Reuse Criteria."""

    def save(self, segment, code, description="Trade show prospects"):
        form = Form(self.env["sales.segment.save.criteria.wizard"].with_context(default_segment_id=segment.id))
        form.code = code
        form.description = description
        return form.save().action_save()

    def reuse(self, segment, criteria):
        form = Form(self.env["sales.segment.reuse.criteria.wizard"].with_context(default_segment_id=segment.id))
        form.criteria_id = criteria
        return form.save().action_reuse()

    @users("sc_staff")
    def test_save_and_reuse_against_todays_data(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase, expand_contact_companies=True)
        self.reduce(segment, business_relation_ids=self.rel_cust, entire_companies=True)
        self.refine(segment, industry_ids=self.industry_it, entire_companies=True)
        self.save(segment, "t-futurus")
        criteria = self.env["sales.segment.criteria"].search([("code", "=", "T-FUTURUS")])
        self.assertEqual(criteria.action_count, 3)
        self.assertEqual(criteria.line_ids.mapped("action"), ["add", "reduce", "refine"])
        self.assertEqual(criteria.user_id, self.staff)

        # Today a new purchaser joined the prospect.
        newcomer = self.env["res.partner"].create(
            {
                "name": "Nina Newcomer",
                "parent_id": self.prospect_co.id,
                "job_responsibility_ids": [(6, 0, self.resp_purchase.ids)],
            }
        )
        other = self.new_segment()
        action = self.reuse(other, criteria)
        self.assertEqual(self.contacts(other), self.contacts(segment) | newcomer)
        self.assertEqual(other.history_count, 3, "each saved step is a step of its own")
        self.assertIn("added", action["params"]["message"])
        other.action_go_back()
        other.action_go_back()
        self.assertEqual(other.history_count, 1)

    @users("sc_staff")
    def test_save_criteria_starts_with_the_segments_description(self):
        """Opened from a segment that came from its campaign, whose screen passed the campaign's title as the
        default description of new segments."""
        segment = self.new_segment(description="Office Futurus trade show visitors", campaign_id=self.campaign.id)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        form = Form(
            self.env["sales.segment.save.criteria.wizard"].with_context(
                default_segment_id=segment.id, default_description=self.campaign.title
            )
        )
        self.assertEqual(form.description, "Office Futurus trade show visitors")
        form.code = "T-VISITORS"
        form.save().action_save()
        saved = self.env["sales.segment.criteria"].search([("code", "=", "T-VISITORS")])
        self.assertEqual(saved.description, "Office Futurus trade show visitors")

    @users("sc_staff")
    def test_refine_with_entire_companies_is_replayed_as_saved(self):
        # Business Central drops the Entire Companies option of a saved Refine: not here.
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it, allow_related_companies=True)
        self.refine(
            segment, job_responsibility_ids=self.resp_it, business_relation_ids=self.rel_cust, entire_companies=True
        )
        self.save(segment, "T-REFINE")
        other = self.new_segment()
        self.reuse(other, self.env["sales.segment.criteria"].search([("code", "=", "T-REFINE")]))
        self.assertEqual(self.contacts(other), self.contacts(segment))
        self.assertEqual(self.contacts(other), self.customer_co | self.customer_buyer | self.customer_it)

    @users("sc_staff")
    def test_manual_steps_are_saved_and_replayed(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer).action_remove()
        self.env["sales.segment.line"].create({"segment_id": segment.id, "partner_id": self.customer_it.id})
        self.save(segment, "T-MANUAL")
        other = self.new_segment()
        self.reuse(other, self.env["sales.segment.criteria"].search([("code", "=", "T-MANUAL")]))
        self.assertEqual(self.contacts(other), self.prospect_buyer | self.customer_it)

    @users("sc_staff")
    def test_existing_code_is_refused(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        self.save(segment, "T-DUP")
        with self.assertRaisesRegex(UserError, "T-DUP already exist"):
            self.save(segment, "t-dup")

    @users("sc_staff")
    def test_nothing_to_save(self):
        segment = self.new_segment()
        with self.assertRaisesRegex(UserError, "has no step"):
            Form(self.env["sales.segment.save.criteria.wizard"].with_context(default_segment_id=segment.id))

    @users("sc_staff")
    def test_reuse_of_criteria_naming_deleted_records_is_refused(self):
        mailing = self.env["sales.mailing.group"].sudo().create({"code": "T-GONE", "name": "Soon gone"})
        self.prospect_buyer.sudo().mailing_group_ids = [(4, mailing.id)]
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        self.add(segment, mailing_group_ids=mailing, allow_existing_contacts=True)
        self.save(segment, "T-GONE")
        mailing.unlink()
        other = self.new_segment()
        with self.assertRaisesRegex(UserError, "no longer exist or that you may not see: Mailing Group #"):
            self.reuse(other, self.env["sales.segment.criteria"].search([("code", "=", "T-GONE")]))
        self.assertFalse(other.line_ids, "nothing was replayed")
        self.assertFalse(other.history_ids)
