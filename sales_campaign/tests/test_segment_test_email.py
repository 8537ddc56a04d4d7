import re
from urllib.parse import urlsplit

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import formataddr

from odoo.addons.mail.tests.common import MockEmail

from .features_common import SalesFeaturesCommon

LINK = re.compile(r'href="([^"]+)"')


@tagged("post_install", "-at_install")
class TestSegmentTestEmail(HttpCase, SalesFeaturesCommon, MockEmail):
    """Send Test E-mail: before logging, the staff receives the e-mail of a line, as its contact will receive it,
    marked as a test; nothing is logged, no interaction, no statistic, and its links record no click on any
    interaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.template.language_ids = [
            (
                0,
                0,
                {
                    "lang": "nl_NL",
                    "subject": "Bedankt voor uw bezoek",
                    "body_html": '<p>Beste <t t-out="object.name"/>, zie <a href="https://www.example.com/stoel">de '
                    "stoel</a>.</p>",
                },
            )
        ]
        cls.customer_it.lang = "nl_NL"
        cls.staff.email = "julien@company.example"
        cls.brochure = (
            cls.env["ir.attachment"].with_user(cls.staff).create({"name": "brochure.pdf", "raw": b"%PDF-1.4 brochure"})
        )

    def segment(self):
        segment = self.staff_segment(self.customer_buyer | self.customer_it, send_attachment=True)
        segment.language_ids.filtered(lambda row: row.lang == "en_US").attachment_ids = self.brochure
        return segment

    def send_test(self, segment, **values):
        form = Form(
            self.env["sales.segment.test.email"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        for name, value in values.items():
            setattr(form, name, value)
        wizard = form.save()
        with self.mock_mail_gateway(mail_unlink_sent=True):  # the wizard deletes its e-mails once sent
            action = wizard.action_send()
        return wizard, action

    def test_a_test_email_is_the_contacts_email_to_oneself_and_creates_no_interaction(self):
        segment = self.segment()
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        interactions = self.env["sales.interaction.log"].search_count([])
        mails, messages = self.env["mail.mail"].sudo().search_count([]), self.env["mail.message"].search_count([])
        clicks = self.env["link.tracker.click"].search_count([])
        wizard, action = self.send_test(segment, line_id=carla)
        self.assertEqual(wizard.email_count, 1)
        self.assertEqual(wizard.email_to, formataddr(("Marketing Staff", "julien@company.example")))
        self.assertIn("1 test e-mails went to julien@company.example", action["params"]["message"])
        [sent] = self._mails
        self.assertEqual(sent["email_to"], [formataddr(("Marketing Staff", "julien@company.example"))])
        self.assertEqual(sent["subject"], "[TEST] Thank you for visiting our booth")
        body = sent["body"]
        self.assertIn("Dear Carla Customer-Buyer", body, "rendered for the contact")
        self.assertIn("Test e-mail of segment", body)
        self.assertEqual([name for name, _content, _type in sent["attachments"]], ["brochure.pdf"])
        links = LINK.findall(body)
        tracked = [link for link in links if "/r/" in link]
        self.assertEqual(len(tracked), 1, "the campaign's tracked link, as in the log's e-mails")
        self.assertNotIn("/c/", tracked[0], "signed for no interaction: a click counts for no contact")
        unsubscribe = next(link for link in links if "unsubscribe" in link)
        self.assertTrue(unsubscribe.endswith("/sales_campaign/unsubscribe/test"))
        # Nothing left behind: no interaction, no e-mail, no message; the segment is still a draft.
        self.assertEqual(self.env["sales.interaction.log"].search_count([]), interactions)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)
        self.assertEqual(segment.state, "draft")
        self.assertEqual(self.campaign.with_user(self.manager).stat_contacted_count, 0, "no statistic")

        # The links of the test: the tracked one leads to the page and records no interaction's click, the
        # unsubscribe one unsubscribes no one.
        response = self.url_open(urlsplit(tracked[0]).path, allow_redirects=False)
        self.assertIn(response.status_code, (301, 302))
        self.assertEqual(urlsplit(response.headers["Location"]).netloc, "www.example.com")
        self.assertFalse(
            self.env["link.tracker.click"].search([("sales_interaction_id", "!=", False)]), "no interaction's click"
        )
        self.assertLessEqual(self.env["link.tracker.click"].search_count([]), clicks + 1)
        page = self.url_open(urlsplit(unsubscribe).path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("it unsubscribes no one", page.text)
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "carla@customer.example")]))

    def test_each_language_version_rendered_for_the_contact(self):
        segment = self.segment()
        ivan = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_it)
        _wizard, _action = self.send_test(segment, line_id=ivan, each_language=True)
        self.assertEqual(
            sorted(mail["subject"] for mail in self._mails),
            ["[TEST] Bedankt voor uw bezoek", "[TEST] Thank you for visiting our booth"],
        )
        dutch = next(mail for mail in self._mails if "Bedankt" in mail["subject"])
        self.assertIn("Beste Ivan Customer-IT", dutch["body"])
        self.assertIn("/sales_campaign/unsubscribe/test", dutch["body"], "with its unsubscribe footer")
        self.assertFalse(dutch["attachments"], "the Dutch version has no attachment")

    def test_each_version_of_an_ab_test(self):
        segment = self.segment()
        segment.action_add_version()
        segment.version_ids[1].text_ids.filtered(lambda text: text.lang == "en_US").subject = "A chair for you"
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        wizard, _action = self.send_test(segment, line_id=carla)
        self.assertEqual(wizard.email_count, 2)
        self.assertEqual(
            sorted(mail["subject"] for mail in self._mails),
            ["[TEST] A chair for you", "[TEST] Thank you for visiting our booth"],
        )
        self.assertIn("Version B", next(mail for mail in self._mails if "chair" in mail["subject"])["body"])
        _wizard, _action = self.send_test(segment, line_id=carla, version_id=segment.version_ids[1])
        self.assertEqual([mail["subject"] for mail in self._mails], ["[TEST] A chair for you"])

    def test_a_user_without_an_address_is_told(self):
        segment = self.segment()
        self.staff.email = False
        with self.assertRaisesRegex(UserError, "Your user has no e-mail address"):
            self.send_test(segment)

    def test_only_on_a_draft_segment_the_user_may_change(self):
        segment = self.segment()
        self.log(segment)
        with self.assertRaises(UserError):
            segment.with_user(self.staff).action_send_test_email()
        with self.assertRaises(UserError):
            self.env["sales.segment.test.email"].with_user(self.staff).create({"segment_id": segment.id})
