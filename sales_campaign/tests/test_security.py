from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SalesCampaignCommon

CONFIGURATION_MODELS = (
    "sales.job.responsibility",
    "sales.business.relation",
    "sales.mailing.group",
    "sales.campaign.status",
    "sales.interaction.group",
)


@tagged("post_install", "-at_install")
class TestSecurity(SalesCampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls.env["sales.campaign"].create(
            {"title": "Main company campaign", "company_id": cls.company.id}
        )
        cls.campaign_2 = cls.env["sales.campaign"].create({"title": "Nordic campaign", "company_id": cls.company_2.id})
        cls.template = cls.env.ref("sales_campaign.sales_interaction_template_business_letter")
        cls.template_2 = cls.env["sales.interaction.template"].create(
            {
                "code": "T-NORDIC",
                "name": "Nordic letter",
                "group_id": cls.template.group_id.id,
                "company_id": cls.company_2.id,
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Hei"})],
            }
        )

    def test_groups_chain(self):
        manager_group = self.env.ref("sales_campaign.group_sales_campaign_manager")
        user_group = self.env.ref("sales_campaign.group_sales_campaign_user")
        self.assertIn(user_group, manager_group.implied_ids)
        self.assertTrue(self.env.ref("base.user_admin").has_group("sales_campaign.group_sales_campaign_manager"))
        sales_manager = self.env["res.users"].create(
            {
                "name": "Sales Manager",
                "login": "sc_sales_manager",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_manager").ids)],
            }
        )
        self.assertTrue(sales_manager.has_group("sales_campaign.group_sales_campaign_manager"))
        self.assertFalse(self.employee.has_group("sales_campaign.group_sales_campaign_user"))

    def test_staff_reads_but_does_not_change_the_configuration(self):
        for model in CONFIGURATION_MODELS + ("sales.interaction.template",):
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.staff)
                record = Model.search([], limit=1)
                self.assertTrue(record, f"staff reads {model}")
                with self.assertRaises(AccessError):
                    record.write({"name": "Changed"})
                with self.assertRaises(AccessError):
                    Model.create({"code": "X-NEW", "name": "New"})
                with self.assertRaises(AccessError):
                    record.unlink()
        with self.assertRaises(AccessError):
            self.template.language_ids.with_user(self.staff).write({"subject": "Changed"})

    def test_manager_maintains_the_configuration(self):
        for model in CONFIGURATION_MODELS:
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.manager)
                record = Model.create({"code": "x-new", "name": "New"})
                self.assertEqual((record.code, record.name), ("X-NEW", "New"), "codes are upper case")
                record.write({"name": "Renamed"})
                self.assertEqual(Model.search([("code", "=", "X-NEW")]).name, "Renamed")
                record.unlink()
                self.assertFalse(record.exists())
        template = (
            self.env["sales.interaction.template"]
            .with_user(self.manager)
            .create({"code": "X-MEET", "name": "Meeting", "group_id": self.template.group_id.id})
        )
        template.write({"language_ids": [(0, 0, {"lang": "en_US", "subject": "Our meeting"})]})
        self.assertEqual(template.language_ids.mapped("subject"), ["Our meeting"])
        template.unlink()
        self.assertFalse(template.exists())

    def test_staff_works_with_campaigns_but_does_not_delete_them(self):
        campaign = self.env["sales.campaign"].with_user(self.staff).create({"title": "Staff campaign"})
        campaign.write({"title": "Staff campaign, renamed"})
        with self.assertRaises(AccessError):
            campaign.unlink()

    def test_employees_without_the_group_see_no_campaign(self):
        with self.assertRaises(AccessError):
            self.env["sales.campaign"].with_user(self.employee).search([])
        # ...but may read the contact code lists shown on the contact form.
        self.assertTrue(self.env["sales.job.responsibility"].with_user(self.employee).search([]))

    def test_companies_do_not_see_each_other(self):
        Campaign = self.env["sales.campaign"]
        for user, own, other in (
            (self.staff, self.campaign, self.campaign_2),
            (self.manager, self.campaign, self.campaign_2),
            (self.staff_2, self.campaign_2, self.campaign),
            (self.manager_2, self.campaign_2, self.campaign),
        ):
            with self.subTest(user=user.login):
                visible = Campaign.with_user(user).search([("id", "in", (own | other).ids)])
                self.assertEqual(visible, own)
                with self.assertRaises(AccessError):
                    other.with_user(user).read(["title"])
                with self.assertRaises(AccessError):
                    other.with_user(user).write({"title": "Taken over"})
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.manager_2).unlink()
        self.assertTrue(self.campaign.exists())

    def test_templates_of_another_company_are_hidden(self):
        Template = self.env["sales.interaction.template"]
        self.assertNotIn(self.template_2, Template.with_user(self.staff).search([]))
        self.assertIn(self.template_2, Template.with_user(self.staff_2).search([]))
        self.assertIn(self.template, Template.with_user(self.staff_2).search([]), "shared templates are seen by all")
        with self.assertRaises(AccessError):
            self.template_2.language_ids.with_user(self.staff).read(["subject"])
