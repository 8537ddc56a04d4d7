from odoo.tests import Form, tagged

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestWalkthroughSegments(SalesSegmentCommon):
    """Walkthrough steps 2 to 4 on the demo data, as the marketing manager."""

    def test_story(self):
        manager = self.env.ref("sales_campaign.user_marketing_manager_demo")
        env = self.env(user=manager)
        purchase = env.ref("sales_campaign.sales_job_responsibility_purchase_demo")
        customer = env.ref("sales_campaign.sales_business_relation_cust_demo")
        campaign = env["sales.campaign"].create({"title": "Office Futurus trade show"})

        segment = env["sales.segment"].create({"description": "Office Futurus trade show visitors"})
        self.assertRegex(segment.name, r"^SM\d{5}$")
        wizard = Form(
            env["sales.segment.contacts.wizard"].with_context(default_segment_id=segment.id, default_mode="add")
        )
        wizard.job_responsibility_ids.add(purchase)
        wizard.save().action_apply()
        visitors = segment.line_count
        purchasers = env["res.partner"].search(
            [("job_responsibility_ids", "in", purchase.ids), ("exclude_from_segments", "=", False)]
        )
        self.assertEqual(visitors, len(purchasers))
        self.assertGreaterEqual(visitors, 10)

        wizard = Form(
            env["sales.segment.contacts.wizard"].with_context(default_segment_id=segment.id, default_mode="reduce")
        )
        wizard.business_relation_ids.add(customer)
        wizard.save().action_apply()
        prospects = segment.line_count
        self.assertLess(prospects, visitors)
        self.assertFalse(segment.line_ids.partner_id.filtered(lambda p: customer in p.business_relation_ids))

        segment.action_go_back()
        self.assertEqual(segment.line_count, visitors)
        wizard = Form(
            env["sales.segment.contacts.wizard"].with_context(default_segment_id=segment.id, default_mode="reduce")
        )
        wizard.business_relation_ids.add(customer)
        wizard.save().action_apply()
        self.assertEqual(segment.line_count, prospects)

        form = Form(segment)
        form.campaign_id = campaign
        form.save()
        segment.action_apply_line_defaults()
        segment.campaign_target = True
        segment.action_apply_line_defaults()
        self.assertEqual(segment.line_ids.campaign_id, campaign)
        self.assertTrue(all(segment.line_ids.mapped("campaign_target")))
        self.assertEqual(campaign.segment_count, 1)
