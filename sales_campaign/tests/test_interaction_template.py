from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SalesCampaignCommon


@tagged("post_install", "-at_install")
class TestInteractionTemplate(SalesCampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.template = cls.env["sales.interaction.template"].create(
            {
                "code": "T-LETTER",
                "name": "Thank-you letter",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
                "unit_cost": 2.0,
                "unit_duration": 4,
                "lang_default": "en_US",
                "language_ids": [
                    (
                        0,
                        0,
                        {"lang": "en_US", "subject": "Thank you", "body_html": '<p>Dear <t t-out="object.name"/>,</p>'},
                    ),
                    (
                        0,
                        0,
                        {"lang": "nl_NL", "subject": "Bedankt", "body_html": '<p>Beste <t t-out="object.name"/>,</p>'},
                    ),
                ],
            }
        )

    def test_shipped_setup_data(self):
        statuses = self.env["sales.campaign.status"].search([])
        self.assertEqual(statuses[:3].mapped("code"), ["1-PLAN", "2-ACTIVE", "3-DONE"])
        groups = self.env["sales.interaction.group"].search([]).mapped("code")
        self.assertTrue({"LETTER", "EMAIL", "MEETING"} <= set(groups))
        bus = self.env.ref("sales_campaign.sales_interaction_template_business_letter")
        self.assertEqual(bus.code, "BUS")
        self.assertEqual(bus.group_id.code, "LETTER")

    def test_defaults_follow_business_central(self):
        template = self.env["sales.interaction.template"].create(
            {"code": "T-NEW", "name": "New", "group_id": self.template.group_id.id}
        )
        self.assertEqual(template.correspondence_type, "email")
        self.assertEqual(template.information_flow, "outbound")
        self.assertEqual(template.initiated_by, "us")
        self.assertEqual(template.currency_id, self.env.company.currency_id)

    def test_language_choice_falls_back_to_the_default(self):
        self.assertEqual(self.template._get_language("nl_NL").subject, "Bedankt")
        self.assertEqual(self.template._get_language("fr_FR").subject, "Thank you")

    def test_body_is_rendered_per_contact(self):
        dutch = self.template._get_language("nl_NL")
        rendered = dutch._render_body((self.customer_buyer | self.prospect_buyer).ids)
        self.assertIn("Beste Carla Customer-Buyer", rendered[self.customer_buyer.id])
        self.assertIn("Beste Paula Prospect-Buyer", rendered[self.prospect_buyer.id])

    def test_default_language_must_be_one_of_the_languages(self):
        with self.assertRaisesRegex(ValidationError, "must be one of its languages"):
            self.template.lang_default = "fr_FR"

    def test_negative_cost_or_duration_is_refused(self):
        for field in ("unit_cost", "unit_duration"):
            with (
                self.subTest(field=field),
                mute_logger("odoo.sql_db"),
                self.assertRaises(IntegrityError),
                self.cr.savepoint(),
            ):
                self.template.write({field: -1})
                self.template.flush_recordset()

    def test_one_version_per_language(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.template.language_ids = [(0, 0, {"lang": "en_US", "subject": "Again"})]
            self.template.flush_recordset()
