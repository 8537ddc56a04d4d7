from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestWalkthroughTour(HttpCase):
    """The whole walkthrough in headless Chromium on the demo data, as the marketing manager and staff."""

    def test_walkthrough(self):
        url = "/odoo/action-sales_campaign.sales_campaign_action"
        self.start_tour(url, "sales_campaign_walkthrough_manager", login="marketing.manager", timeout=300)
        campaign = self.env["sales.campaign"].search([("title", "=", "Office Futurus trade show")])
        self.assertEqual(len(campaign), 1)
        self.assertRegex(campaign.number, r"^CP\d{4}$")
        segment = campaign.segment_ids
        self.assertEqual(segment.description, "Office Futurus trade show visitors")
        self.assertTrue(segment.line_ids)
        self.assertTrue(all(segment.line_ids.mapped("campaign_target")))
        customer = self.env.ref("sales_campaign.sales_business_relation_cust_demo")
        self.assertFalse(
            segment.line_ids.partner_id.filtered(lambda partner: customer in partner.business_relation_ids)
        )
        self.assertTrue(self.env["sales.segment.criteria"].search([("code", "=", "FUTURUS")]))

        self.start_tour(
            "/odoo/action-sales_campaign.sales_segment_action",
            "sales_campaign_walkthrough_staff",
            login="marketing.staff",
            timeout=300,
        )
        self.assertEqual(segment.state, "logged")
        entries = segment.logged_segment_id.interaction_ids
        self.assertEqual(len(entries), len(segment.line_ids))
        self.assertEqual(set(entries.mapped("template_id.code")), {"BUS"})
        self.assertEqual(entries.campaign_id, campaign)

        self.start_tour(
            "/odoo/action-sales_campaign.sales_segment_action",
            "sales_campaign_walkthrough_results",
            login="marketing.manager",
            timeout=300,
        )
        responses = self.env["sales.interaction.log"].search(
            [("campaign_id", "=", campaign.id), ("campaign_response", "=", True)]
        )
        self.assertEqual(len(responses), len(entries))
        self.assertEqual(set(responses.mapped("template_id.code")), {"RESP"})
        self.assertTrue(campaign.activated)
        self.assertEqual(campaign.price_item_ids.fixed_price, 159)
        self.assertEqual(campaign.stat_responded_count, len(entries))
        self.assertEqual(campaign.stat_response_rate, 100.0)
