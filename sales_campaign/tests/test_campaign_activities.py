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

    def create_opportunities(self, segment, **values):
        """Create Opportunities as the user does: the segment's action opens the dialog, which asks first."""
        action = segment.action_create_opportunities()
        form = Form(segment.env[action["res_model"]].with_context(**action["context"]))
        for name, value in values.items():
            setattr(form, name, value)
        return form

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
        # The campaign card leads to them
        self.assertEqual(self.campaign.planned_activity_count, 6)
        listed = self.env["mail.activity"].search(self.campaign.action_open_planned_activities()["domain"])
        self.assertEqual(listed, activities)

    def test_the_dialog_shows_the_steps_and_who_gets_them_before_ok(self):
        self.prospect_co.user_id = self.leader  # the prospect buyer has no salesperson: her company's
        wizard = self.schedule(self.manager, apply_on="contacts", segment_id=self.segment, plan_id=self.contact_plan)
        summary = wizard.plan_summary
        self.assertIn("Call", summary)
        self.assertIn("12/04/2026", summary, "the due date of the first step, 3 days after the plan date")
        self.assertIn("Marketing Staff (1)", summary, "the contact's salesperson")
        self.assertIn("Team Leader (1)", summary, "the company's salesperson")
        self.assertIn("Team Leader (2)", summary, "the campaign's team leader")
        self.assertIn("Marketing Manager (2)", summary, "the campaign's salesperson")
        action = wizard.action_schedule()
        self.assertEqual(action["params"]["next"]["domain"], [("sales_campaign_id", "=", self.campaign.id)])
        activities = self.env["mail.activity"].search([("sales_campaign_id", "=", self.campaign.id)])
        calls = activities.filtered(lambda activity: activity.summary == "Call")
        self.assertEqual(
            sorted(calls.user_id.mapped("name")), ["Marketing Staff", "Team Leader"], "as the dialog showed"
        )

    def test_the_segment_picker_shows_number_and_description(self):
        self.assertEqual(self.segment.display_name, f"{self.segment.name} Trade show visitors")
        found = self.env["sales.segment"].name_search("show visitors", [("campaign_id", "=", self.campaign.id)])
        self.assertIn((self.segment.id, self.segment.display_name), found)

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

        self.create_opportunities(self.segment.with_user(self.manager)).save().action_create()
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
        form = self.create_opportunities(segment)
        self.assertEqual((form.opportunity_count, form.skipped_count), (2, 0), "it asks first, with the count")
        self.assertEqual(form.team_id, self.team, "the campaign's team")
        action = form.save().action_create()
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
        form = self.create_opportunities(segment)
        self.assertEqual((form.opportunity_count, form.skipped_count), (0, 2))
        leads[0].stage_id = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        form = self.create_opportunities(segment)
        self.assertEqual((form.opportunity_count, form.skipped_count), (1, 1))
        form.save().action_create()
        self.assertEqual(self.env["crm.lead"].search_count([("campaign_id", "=", self.campaign.utm_campaign_id.id)]), 3)
        self.assertEqual(self.campaign.stat_opportunity_count, 3)

    def test_create_opportunities_needs_a_campaign(self):
        segment = self.new_segment().with_user(self.manager)
        self.env["sales.segment.line"].create({"segment_id": segment.id, "partner_id": self.customer_buyer.id})
        with self.assertRaisesRegex(UserError, "campaign"):
            segment.action_create_opportunities()

    def test_create_opportunities_with_expected_revenue_team_and_stage(self):
        other_team = self.env["crm.team"].create({"name": "Nordic team"})
        stage = self.env["crm.stage"].create({"name": "Trade show lead", "team_id": other_team.id, "sequence": 0})
        form = self.create_opportunities(self.segment.with_user(self.manager), expected_revenue=1500.0)
        form.team_id = other_team
        self.assertEqual(form.stage_id, stage, "the team's first stage")
        form.save().action_create()
        leads = self.env["crm.lead"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)])
        self.assertEqual(len(leads), 2)
        self.assertEqual(set(leads.mapped("expected_revenue")), {1500.0})
        self.assertEqual((leads.team_id, leads.stage_id), (other_team, stage))
        self.assertEqual(self.campaign.stat_opportunity_value, 3000.0)

    def test_create_opportunities_refuses_a_negative_value(self):
        form = self.create_opportunities(self.segment.with_user(self.manager), expected_revenue=-1.0)
        with self.assertRaisesRegex(UserError, "negative"):
            form.save().action_create()
        self.assertFalse(self.env["crm.lead"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)]))
