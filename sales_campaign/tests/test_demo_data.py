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

    def test_the_story_in_three_languages(self):
        """A user for each language of the story: the Norwegian key account manager is the salesperson of the
        Norwegian-speaking visitors."""
        norway = self.env.ref("sales_campaign.user_sales_norway_demo")
        self.assertEqual((norway.lang, norway.tz), ("nb_NO", "Europe/Oslo"))
        self.assertTrue(norway.has_group("sales_campaign.group_sales_campaign_user"))
        self.assertTrue(norway.has_group("sales_team.group_sale_salesman_all_leads"), "she makes opportunities")
        users = (
            norway
            | self.env.ref("sales_campaign.user_marketing_manager_demo")
            | self.env.ref("sales_campaign.user_marketing_staff_demo")
        )
        self.assertEqual(set(users.mapped("lang")), {"nl_NL", "fr_CH", "nb_NO"})
        norwegians = self.env["res.partner"].search([("lang", "=", "nb_NO"), ("user_id", "=", norway.id)])
        self.assertEqual(set(norwegians.commercial_partner_id.mapped("city")) & {"Oslo", "Bergen"}, {"Oslo", "Bergen"})

    def test_demo_plan_is_translatable(self):
        """The demo activity plan and its steps can be read in each user's language (Odoo keeps one name)."""
        plan = self.env.ref("sales_campaign.mail_activity_plan_trade_show_followup_demo")
        step = self.env.ref("sales_campaign.mail_activity_plan_trade_show_followup_todo_demo")
        self.assertTrue(plan._fields["name"].translate)
        self.assertTrue(step._fields["summary"].translate)
        self.env["res.lang"]._activate_lang("nl_NL")
        plan.with_context(lang="nl_NL").name = "Opvolging beurs"
        step.with_context(lang="nl_NL").summary = "Bespreek de reacties met het verkoopteam"
        self.assertEqual(plan.with_context(lang="en_US").name, "Trade show follow-up")
        self.assertEqual(plan.with_context(lang="nl_NL").name, "Opvolging beurs")
        self.assertEqual(step.with_context(lang="nl_NL").summary, "Bespreek de reacties met het verkoopteam")

    def test_the_modules_utm_records_show_in_the_users_language_and_keep_their_keys(self):
        source = self.env.ref("sales_campaign.utm_source_sales_campaign")
        medium = self.env.ref("sales_campaign.utm_medium_letter")
        self.assertEqual((source.name, medium.name), ("Sales Campaign", "Letter"), "the keys of the tracked links")
        self.assertEqual(source.with_context(lang="en_US").display_name, "Sales Campaign")
        # A renamed source is the user's: shown as named.
        source.name = "Trade show"
        self.assertEqual(source.display_name, "Trade show")
