from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo story's starting point (walkthrough, "Setting the scene"): ./dev always loads it."""

    def test_trade_show_visitors(self):
        partners = self.env["res.partner"].search(
            [
                (
                    "id",
                    "in",
                    self.env["ir.model.data"]
                    .search([("module", "=", "sales_campaign"), ("model", "=", "res.partner")])
                    .mapped("res_id"),
                )
            ]
        )
        companies = partners.filtered("is_company")
        persons = partners - companies
        self.assertGreaterEqual(len(partners), 40)
        self.assertGreaterEqual(len(companies), 10)
        # The French of the story is Swiss (the users' Business Central documents): fr_FR stays free for Odoo's
        # own tests, which deactivate it (crm's NewLeadNotification).
        self.assertEqual(
            set(partners.mapped("lang")), {"en_US", "nl_NL", "nb_NO", "fr_CH"}, "they speak four languages"
        )
        letters = self.env.ref("sales_campaign.sales_interaction_template_business_letter").language_ids
        self.assertEqual(set(letters.mapped("lang")), {"en_US", "nl_NL", "nb_NO", "fr_CH"}, "a letter per language")
        self.assertTrue(persons.filtered("exclude_from_segments"), "a few are excluded from segments")
        self.assertTrue(persons.filtered(lambda p: not p.email), "a few have no e-mail")
        self.assertEqual(
            set(persons.job_responsibility_ids.mapped("code")) & {"PURCHASE", "SALES", "IT"},
            {"PURCHASE", "SALES", "IT"},
        )
        self.assertEqual(set(companies.business_relation_ids.mapped("code")), {"CUST", "PROS", "VEND"})
        self.assertGreaterEqual(len(companies.industry_id), 5)
        self.assertFalse(
            persons.filtered(lambda p: p.parent_id and p.business_relation_ids != p.parent_id.business_relation_ids)
        )

    def test_story_setup(self):
        self.assertEqual(self.env.ref("sales_campaign.product_rome_guest_chair_demo").name, "Rome Guest Chair")
        manager = self.env.ref("sales_campaign.user_marketing_manager_demo")
        staff = self.env.ref("sales_campaign.user_marketing_staff_demo")
        self.assertTrue(manager.has_group("sales_campaign.group_sales_campaign_manager"))
        self.assertTrue(staff.has_group("sales_campaign.group_sales_campaign_user"))
        self.assertFalse(staff.has_group("sales_campaign.group_sales_campaign_manager"))
        # The campaign of the story gets the first number of the series: the demo campaign's was typed.
        self.assertFalse(self.env["sales.campaign"].search([("number", "=like", "CP%")]))
        self.assertEqual(self.env.ref("sales_campaign.seq_sales_campaign").number_next_actual, 1)
