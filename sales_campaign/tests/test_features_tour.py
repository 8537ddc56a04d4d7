from datetime import datetime, time, timedelta

import pytz

from odoo import fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestFeaturesTour(HttpCase):
    """The test e-mail and a scheduled log with a control group, in the browser, as the demo's marketing manager
    (in Dutch)."""

    def test_test_email_and_scheduled_log_with_a_control_group(self):
        manager = self.env.ref("sales_campaign.user_marketing_manager_demo")
        self.assertEqual((manager.lang, manager.tz), ("nl_NL", "Europe/Amsterdam"))
        visitors = self.env["res.partner"].create(
            [
                {"name": f"Bezoeker {index:02d}", "email": f"bezoeker.{index:02d}@visitors.example"}
                for index in range(15)
            ]
        )
        segment = (
            self.env["sales.segment"]
            .with_user(manager)
            .create(
                {
                    "description": "Beursbezoekers",
                    "template_id": self.env.ref("sales_campaign.sales_interaction_template_business_letter").id,
                    "campaign_id": self.env.ref("sales_campaign.sales_campaign_christmas_2025_demo").id,
                    "campaign_target": True,
                    "subject_default": "Bedankt voor uw bezoek",
                }
            )
        )
        segment._run_step("add", {"partner_ids": visitors.ids})
        segment.line_ids.correspondence_type = "email"
        mails = self.env["mail.mail"].sudo().search_count([])
        self.start_tour(
            f"/odoo/action-sales_campaign.sales_segment_action/{segment.id}",
            "sales_campaign_features_nl",
            login="marketing.manager",
            timeout=180,
        )
        logged = segment.logged_segment_id
        self.assertEqual(logged.state, "scheduled")
        tz = pytz.timezone("Europe/Amsterdam")
        tomorrow = fields.Date.context_today(logged.with_user(manager)) + timedelta(days=1)
        eight = tz.localize(datetime.combine(tomorrow, time(8))).astimezone(pytz.utc).replace(tzinfo=None)
        self.assertEqual(logged.scheduled_date, eight, "tomorrow at 8 in her time zone")
        entries = logged.interaction_ids
        self.assertEqual(len(entries), 15)
        controls = entries.filtered("campaign_control")
        self.assertEqual(len(controls), 3)
        self.assertEqual(set(controls.mapped("cost")), {0})
        self.assertEqual(set((entries - controls).mapped("delivery_status")), {"pending"}, "they wait")
        self.assertEqual(set(entries.mapped("date")), {eight})
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails, "nothing sent: neither test nor log")
