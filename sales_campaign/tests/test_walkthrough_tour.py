import io
import re

import openpyxl

from odoo.tests import HttpCase, tagged

from .common import print_without_report_server


@tagged("post_install", "-at_install")
class TestWalkthroughTour(HttpCase):
    """The whole walkthrough in headless Chromium on the demo data, as the demo's marketing manager (in Dutch),
    staff (in Swiss French) and key account manager for Norway (in Norwegian)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The tour prints letters: wkhtmltopdf would ask this server for the styles while the request that
        # prints holds the test's only cursor.
        print_without_report_server(cls)

    def test_walkthrough(self):
        manager = self.env.ref("sales_campaign.user_marketing_manager_demo")
        staff = self.env.ref("sales_campaign.user_marketing_staff_demo")
        norway = self.env.ref("sales_campaign.user_sales_norway_demo")
        self.assertEqual((manager.lang, staff.lang, norway.lang), ("nl_NL", "fr_CH", "nb_NO"))
        url = "/odoo/action-sales_campaign.sales_campaign_action"
        self.start_tour(url, "sales_campaign_walkthrough_manager", login="marketing.manager", timeout=300)
        campaign = self.env["sales.campaign"].search([("title", "=", "Office Futurus trade show")])
        self.assertEqual(len(campaign), 1)
        self.assertRegex(campaign.number, r"^CP\d{4}$")
        self.assertEqual(campaign.status_id, self.env.ref("sales_campaign.sales_campaign_status_plan"))
        self.assertLess(campaign.date_start, campaign.date_end)
        segment = campaign.segment_ids
        self.assertEqual(segment.description, "Office Futurus trade show visitors")
        self.assertTrue(segment.line_ids)
        self.assertTrue(all(segment.line_ids.mapped("campaign_target")))
        customer = self.env.ref("sales_campaign.sales_business_relation_cust_demo")
        self.assertFalse(
            segment.line_ids.partner_id.filtered(lambda partner: customer in partner.business_relation_ids)
        )
        saved = self.env["sales.segment.criteria"].search([("code", "=", "FUTURUS")])
        self.assertEqual(saved.description, segment.description, "Save Criteria started with the segment's")
        self.assertEqual(
            segment.history_ids.sorted("sequence").mapped("action"), ["add", "reduce"], "Go Back undid a Reduce"
        )

        self.start_tour(
            "/odoo/action-sales_campaign.sales_segment_action",
            "sales_campaign_walkthrough_staff",
            login="marketing.staff",
            timeout=300,
        )
        self.assertEqual(segment.state, "logged")
        # The subject Julien typed after choosing the template went to the header and, with Update Lines, to
        # the lines of the default language (the others have their language's subject)
        self.assertEqual(segment.subject_default, "Merci de votre visite sur notre stand")
        english = segment.line_ids.filtered(lambda line: line.lang == "en_US")
        self.assertTrue(english)
        self.assertEqual(set(english.mapped("subject")), {"Merci de votre visite sur notre stand"})
        entries = segment.logged_segment_id.interaction_ids
        self.assertEqual(len(entries), len(segment.line_ids))
        self.assertEqual(set(entries.mapped("template_id.code")), {"BUS"})
        self.assertEqual(entries.campaign_id, campaign)
        # The thank-you letters Julien printed: one PDF page per hard-copy contact, the e-mails in the queue
        logged = segment.logged_segment_id
        letters = entries.filtered(lambda entry: entry.correspondence_type == "hard_copy")
        self.assertTrue(letters)
        self.assertEqual(set(letters.mapped("delivery_status")), {"sent"})
        pdf = b"".join(logged.letter_attachment_ids.mapped("raw"))
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(len(re.findall(rb"/Type\s*/Page[^s]", pdf)), len(letters))
        emails = entries - letters
        self.assertEqual(set(emails.mapped("delivery_status")), {"queued"})
        self.assertEqual(len(emails.mail_mail_id), len(emails))

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
        self.assertEqual(set(responses.mapped("template_id.code")), {"RESP"}, "the typed RESP is the code")
        self.assertEqual(
            responses.template_id.group_id, self.env.ref("sales_campaign.sales_interaction_group_response")
        )
        self.assertTrue(responses.template_id.campaign_response)
        self.assertTrue(campaign.activated)
        self.assertEqual(campaign.price_item_ids.fixed_price, 159)
        self.assertEqual(campaign.stat_responded_count, len(entries))
        self.assertEqual(campaign.stat_response_rate, 100.0)
        # The target group the manager opened: the companies of the logged contacts, which get the prices
        targets = self.env["sales.campaign.target.group"].search([("campaign_id", "=", campaign.id)])
        self.assertEqual(targets.partner_id, entries.company_partner_id)
        # The activities the manager planned, for the salespeople of the targets
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", entries.partner_id.ids)]
        )
        self.assertTrue(activities)
        self.assertEqual(activities.sales_campaign_id, campaign, "the campaign's Activities button lists them")
        self.assertEqual(campaign.planned_activity_count, len(activities))
        self.assertIn(norway, activities.user_id, "the Norwegian visitors' salesperson")
        # Marte's segment in Norwegian: two lines removed from within the segment (a step Go Back undoes), and
        # an opportunity per remaining contact with the expected revenue she gave
        self.start_tour(
            "/odoo/action-sales_campaign.sales_segment_action",
            "sales_campaign_walkthrough_norway",
            login="sales.norway",
            timeout=300,
        )
        mine = self.env["sales.segment"].search([("description", "=", "Office Futurus, norske besøkende")])
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine.history_ids.sorted("sequence").mapped("action"), ["add", "manual_remove"])
        self.assertEqual(mine.history_ids.filtered(lambda step: step.action == "manual_remove").removed_count, 2)
        self.assertEqual(mine.campaign_id, campaign)
        leads = self.env["crm.lead"].search(
            [("campaign_id", "=", campaign.utm_campaign_id.id), ("partner_id", "in", mine.line_ids.partner_id.ids)]
        )
        self.assertEqual(leads.partner_id, mine.line_ids.partner_id)
        self.assertEqual(set(leads.mapped("expected_revenue")), {2500.0})

        # The statistics the manager exports to Excel, in Dutch
        self.authenticate("marketing.manager", "marketing.manager")
        response = self.url_open(f"/sales_campaign/export/statistics/{campaign.id}")
        self.assertEqual(response.status_code, 200)
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(len(workbook.sheetnames), 5)
        values = [value for row in workbook.worksheets[0].iter_rows(values_only=True) for value in row]
        self.assertIn(len(entries), values)
        self.assertTrue(any(isinstance(value, str) and campaign.title in value for value in values))
