from odoo.exceptions import UserError
from odoo.tests import tagged

from .features_common import SalesFeaturesCommon


@tagged("post_install", "-at_install")
class TestSegmentLogControl(SalesFeaturesCommon):
    """The log's control group (a random part of the campaign's targets, drawn per company, that gets nothing),
    and what the log dialog and the logged segment say of the e-mails, letters and blocked addresses."""

    def test_a_control_group_of_20_percent_of_100_contacts(self):
        visitors = self.persons(100)
        segment = self.staff_segment(visitors)
        form = self.log_form(segment)
        form.control_share = 20
        self.assertIn("Control group: 20 of the 100 campaign targets", form.summary, "counted beforehand")
        self.assertIn("80 e-mails go to the mail queue and 0 letters are printed", form.summary)
        logged = (
            self.env["sales.logged.segment"]
            .with_user(self.staff)
            .browse(form.save().action_log()["params"]["next"]["res_id"])
        )
        entries = logged.interaction_ids
        control = entries.filtered("campaign_control")
        # About 20: exactly 20 here, each visitor being a company of its own.
        self.assertEqual(len(control), 20)
        self.assertEqual(logged.control_count, 20)
        self.assertFalse(self.mails_of(control), "none of them e-mailed")
        self.assertEqual(set(control.mapped("delivery_status")), {"not_applicable"})
        self.assertEqual(set(control.mapped("correspondence_type")), {False})
        self.assertEqual((sum(control.mapped("cost")), sum(control.mapped("duration"))), (0, 0), "nor costed")
        self.assertFalse(any(control.mapped("campaign_target")), "not targets: no campaign price either")
        targets = entries - control
        self.assertEqual(len(self.mails_of(targets)), 80)
        self.assertEqual(set(targets.mapped("cost")), {1.5})
        campaign = self.campaign.with_user(self.manager)
        self.assertEqual((campaign.stat_contacted_count, campaign.stat_cost), (80, 120.0))
        # The draw is the segment's (a segment is logged once): another segment of the same contacts draws others.
        other = self.staff_segment(visitors)
        other_logged = self.log(other, control_share=20, send_attachments=False)
        other_control = other_logged.interaction_ids.filtered("campaign_control").partner_id
        self.assertEqual(len(other_control), 20)
        self.assertNotEqual(other_control, control.partner_id)

    def test_the_control_group_is_drawn_per_company(self):
        companies = self.env["res.partner"].create(
            [{"name": f"Buyer Company {n}", "is_company": True} for n in range(10)]
        )
        visitors = self.env["res.partner"].browse()
        for company in companies:
            visitors |= self.persons(3, prefix=f"Buyer {company.id}", company=company)
        visitors |= self.persons(10, prefix="Single")
        segment = self.staff_segment(visitors)
        logged = self.log(segment, control_share=25, send_attachments=False)
        control = logged.interaction_ids.filtered("campaign_control")
        # 25% of 40 contacts: the companies drawn until 10 contacts are reached, give or take a company's.
        self.assertTrue(10 <= len(control) <= 12, len(control))
        for company in companies:
            drawn = control.filtered(lambda entry, company=company: entry.company_partner_id == company)
            self.assertIn(len(drawn), (0, 3), "all the contacts of a company are on the same side")

    def test_only_the_campaigns_targets_are_drawn(self):
        segment = self.staff_segment(self.persons(10))
        not_targets = segment.line_ids[:5]
        not_targets.campaign_target = False
        logged = self.log(segment, control_share=40, send_attachments=False)
        control = logged.interaction_ids.filtered("campaign_control")
        self.assertEqual(len(control), 2, "40% of the 5 targets")
        self.assertFalse(control.partner_id & not_targets.partner_id)

    def test_a_control_group_needs_campaign_targets(self):
        segment = self.staff_segment(self.persons(3), campaign_id=False, campaign_target=False)
        with self.assertRaisesRegex(UserError, "drawn among the campaign's targets"):
            self.log(segment, control_share=10)
        with self.assertRaisesRegex(UserError, "between 1 and 99"):
            self.log(self.staff_segment(self.persons(3)), control_share=100)

    def test_blocked_addresses_are_told_before_and_after_and_cost_nothing(self):
        """Issue 21, point 6: after a contact unsubscribed, the log says beforehand how many e-mails, letters and
        blocked addresses it makes, and the logged segment shows the blocked ones next to the queued ones."""
        self.env["mail.blacklist"]._add("carla@customer.example")
        segment = self.staff_segment(self.customer_buyer | self.customer_it | self.prospect_buyer)
        form = self.log_form(segment)
        self.assertIn("1 e-mails go to the mail queue and 1 letters are printed", form.summary)
        self.assertIn("1 e-mail addresses are blacklisted", form.summary)
        self.assertIn("The campaign gets a campaign entry", form.summary)
        logged = (
            self.env["sales.logged.segment"]
            .with_user(self.staff)
            .browse(form.save().action_log()["params"]["next"]["res_id"])
        )
        self.assertEqual(
            (logged.email_queued_count, logged.email_count, logged.email_blocked_count, logged.letter_count),
            (1, 1, 1, 1),
        )
        carla = logged.interaction_ids.filtered(lambda entry: entry.partner_id == self.customer_buyer)
        self.assertEqual((carla.delivery_status, carla.cost, carla.duration), ("blocked", 0, 0))
        self.assertEqual(self.campaign.with_user(self.manager).stat_cost, 3.0, "the blocked e-mail costs nothing")

    def test_without_a_campaign_no_campaign_entry_is_promised(self):
        segment = self.staff_segment(self.persons(2), campaign_id=False, campaign_target=False)
        form = self.log_form(segment)
        self.assertIn("No line has a campaign: no campaign entry is made.", form.summary)
        self.assertNotIn("The campaign gets", form.summary)
        logged = (
            self.env["sales.logged.segment"]
            .with_user(self.staff)
            .browse(form.save().action_log()["params"]["next"]["res_id"])
        )
        self.assertFalse(logged.campaign_entry_ids)
