from datetime import date

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestCampaignActivities(SalesSegmentCommon):
    """Activity plans and opportunities of a campaign (walkthrough step 7.2)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = cls.env["res.users"].create({"name": "Team Leader", "login": "sc_leader"})
        cls.team = cls.env["crm.team"].create({"name": "Chairs team", "user_id": cls.leader.id})
        cls.campaign.write({"date_start": date(2026, 12, 1), "user_id": cls.manager.id, "team_id": cls.team.id})
        cls.customer_buyer.user_id = cls.staff
        Plan = cls.env["mail.activity.plan"]
        cls.contact_plan = Plan.create(
            {
                "name": "Follow-up",
                "res_model": "res.partner",
                "template_ids": [
                    (
                        0,
                        0,
                        {
                            "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                            "summary": "Call",
                            "sequence": 1,
                            "delay_count": 3,
                            "delay_from": "after_plan_date",
                            "responsible_type": "sales_contact_user",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Visit",
                            "sequence": 2,
                            "delay_count": 7,
                            "delay_from": "sales_after_previous",
                            "responsible_type": "sales_team_leader",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Report",
                            "sequence": 3,
                            "delay_count": 1,
                            "delay_unit": "weeks",
                            "delay_from": "sales_after_previous",
                            "responsible_type": "sales_campaign_user",
                        },
                    ),
                ],
            }
        )
        cls.segment = cls.new_segment(cls, campaign_id=cls.campaign.id, campaign_target=True)
        lines = cls.env["sales.segment.line"].create(
            [
                {"segment_id": cls.segment.id, "partner_id": partner.id}
                for partner in (cls.customer_buyer, cls.prospect_buyer)
            ]
        )
        # As Add Contacts leaves them: the contact's salesperson, none for the prospect.
        lines[0].user_id = cls.staff
        lines[1].user_id = False

    def schedule(self, user, **values):
        form = Form(
            self.env["sales.campaign.activity.wizard"]
            .with_user(user)
            .with_context(default_campaign_id=self.campaign.id)
        )
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def test_plan_on_the_contacts_of_a_segment(self):
        wizard = self.schedule(self.manager, apply_on="contacts", segment_id=self.segment, plan_id=self.contact_plan)
        self.assertEqual(wizard.plan_date, date(2026, 12, 1), "steps count from the campaign start")
        self.assertEqual(wizard.record_count, 2)
        self.assertEqual(wizard.activity_count, 6)
        wizard.action_schedule()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", (self.customer_buyer | self.prospect_buyer).ids)]
        )
        self.assertEqual(len(activities), 6)
        by_key = {(activity.res_id, activity.summary): activity for activity in activities}
        call = by_key[(self.customer_buyer.id, "Call")]
        self.assertEqual(call.date_deadline, date(2026, 12, 4))
        self.assertEqual(call.user_id, self.staff, "the contact's own salesperson")
        self.assertEqual(
            by_key[(self.prospect_buyer.id, "Call")].user_id, self.manager, "no salesperson: the one asked at launch"
        )
        visit = by_key[(self.customer_buyer.id, "Visit")]
        self.assertEqual(visit.date_deadline, date(2026, 12, 11), "7 days after the call")
        self.assertEqual(visit.user_id, self.leader)
        report = by_key[(self.customer_buyer.id, "Report")]
        self.assertEqual(report.date_deadline, date(2026, 12, 18))
        self.assertEqual(report.user_id, self.manager, "the campaign's salesperson")
        self.assertIn("Activities: 6.", self.campaign.message_ids[0].body)

    def test_plan_on_the_campaign_and_on_opportunities(self):
        campaign_plan = self.env["mail.activity.plan"].create(
            {
                "name": "Campaign review",
                "res_model": "sales.campaign",
                "template_ids": [
                    (
                        0,
                        0,
                        {
                            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Review",
                            "delay_count": 30,
                            "delay_from": "after_plan_date",
                            "responsible_type": "sales_team_leader",
                        },
                    )
                ],
            }
        )
        self.schedule(self.manager, apply_on="campaign", plan_id=campaign_plan).action_schedule()
        self.assertEqual(self.campaign.activity_ids.summary, "Review")
        self.assertEqual(self.campaign.activity_ids.user_id, self.leader)
        self.assertEqual(self.campaign.activity_ids.date_deadline, date(2026, 12, 31))

        self.segment.with_user(self.manager).action_create_opportunities()
        lead_plan = self.env["mail.activity.plan"].create(
            {
                "name": "Opportunity follow-up",
                "res_model": "crm.lead",
                "template_ids": [
                    (
                        0,
                        0,
                        {
                            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                            "summary": "Call the buyer",
                            "delay_count": 2,
                            "delay_from": "after_plan_date",
                            "responsible_type": "sales_contact_user",
                        },
                    )
                ],
            }
        )
        wizard = self.schedule(
            self.manager,
            apply_on="opportunities",
            segment_id=self.segment,
            plan_id=lead_plan,
            plan_date=date(2027, 1, 4),
        )
        self.assertEqual(wizard.record_count, 2)
        wizard.action_schedule()
        leads = self.env["crm.lead"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)])
        self.assertEqual(leads.activity_ids.mapped("date_deadline"), [date(2027, 1, 6)] * 2)
        self.assertEqual(set(leads.activity_ids.mapped("user_id")), set(leads.mapped("user_id")))

    def test_plan_needs_a_segment_with_records(self):
        empty = self.new_segment(campaign_id=self.campaign.id)
        with self.assertRaisesRegex(UserError, "nothing to schedule"):
            self.schedule(
                self.manager, apply_on="contacts", segment_id=empty, plan_id=self.contact_plan
            ).action_schedule()

    def test_create_opportunities_once_per_contact(self):
        segment = self.segment.with_user(self.manager)
        action = segment.action_create_opportunities()
        self.assertIn("Created: 2;", action["params"]["message"])
        leads = self.env["crm.lead"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)])
        self.assertEqual(leads.partner_id, self.customer_buyer | self.prospect_buyer)
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        self.assertEqual(leads.filtered(lambda lead: lead.partner_id == self.customer_buyer).user_id, self.staff)
        self.assertEqual(
            leads.filtered(lambda lead: lead.partner_id == self.prospect_buyer).user_id,
            self.manager,
            "the campaign's salesperson",
        )
        self.assertEqual(leads.team_id, self.team)
        # Again: the open opportunities are not duplicated; a won one does not count as open.
        action = segment.action_create_opportunities()
        self.assertIn("Created: 0;", action["params"]["message"])
        leads[0].stage_id = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        segment.action_create_opportunities()
        self.assertEqual(self.env["crm.lead"].search_count([("campaign_id", "=", self.campaign.utm_campaign_id.id)]), 3)
        self.assertEqual(self.campaign.stat_opportunity_count, 3)

    def test_create_opportunities_needs_a_campaign(self):
        segment = self.new_segment().with_user(self.manager)
        self.env["sales.segment.line"].create({"segment_id": segment.id, "partner_id": self.customer_buyer.id})
        with self.assertRaisesRegex(UserError, "campaign"):
            segment.action_create_opportunities()
