"""Logged e-mails leave through Odoo's real mail queue to a real SMTP server, and survive an outage.

An ``aiosmtpd`` server on 127.0.0.1 receives the mails; an ``ir.mail_server`` points at it. Under Odoo's
own test runner (``odoo-bin --test-tags``), Odoo 18 neither connects nor sends while a test runs
(``odoo.modules.module.current_test`` is checked by ``ir.mail_server.connect`` and ``send_email``): that
guard alone is switched off here, so the whole SMTP path runs. pytest-odoo (``./dev test``) never sets
``current_test``, so there the guard is off anyway and the patch changes nothing: either way the mails go
to the sink, which the tests read back.
"""

import email
import email.policy
import socket
from unittest.mock import patch

import aiosmtpd.controller

from odoo import modules
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import config

SUBJECTS = {
    "en_US": "Thank you for your interest",
    "nl_NL": "Bedankt voor uw interesse",
    "nb_NO": "Takk for din interesse",
    "fr_CH": "Merci de votre intérêt",
}
GREETINGS = {"en_US": "Dear", "nl_NL": "Beste", "nb_NO": "Kjære", "fr_CH": "Bonjour"}
BROCHURE = b"%PDF-1.4\n% Rome Guest Chair brochure\n"


class SmtpSink:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def by_recipient(self):
        received = {}
        for _mail_from, recipients, message in self.messages:
            for recipient in recipients:
                received.setdefault(recipient, []).append(message)
        return received


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_smtp_sink(cls):
    """Make the class's tests send for real (the test-mode guard of ir.mail_server off) to an SMTP server on
    ``cls.port``, never through the CLI's SMTP server, with the demo's waiting mails out of the way."""
    cls.startClassPatcher(patch.object(modules.module, "current_test", False))
    cls.startClassPatcher(patch.dict(config.options, {"smtp_server": ""}))
    cls.port = free_port()
    cls.env["ir.mail_server"].search([]).active = False
    mail_server = cls.env["ir.mail_server"].create(
        {
            "name": "Test SMTP sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": cls.port,
            "smtp_encryption": "none",
            "smtp_authentication": "login",
            "sequence": 1,
        }
    )
    # Mails of the demo data waiting in the queue are not these tests' business.
    cls.env["mail.mail"].search([("state", "=", "outgoing")]).state = "cancel"
    return mail_server


class SmtpSinkCase:
    """Tests that send for real to an SMTP server on 127.0.0.1 (``use_smtp_sink``), started for each test:
    ``self.sink`` holds what it received; ``stop_smtp`` and ``start_smtp`` take it down and up again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mail_server = use_smtp_sink(cls)

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.controller = None
        self.start_smtp()
        self.addCleanup(self.stop_smtp)

    def start_smtp(self):
        self.controller = aiosmtpd.controller.Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop_smtp(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@tagged("post_install", "-at_install")
class TestMailDelivery(SmtpSinkCase, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A campaign user, no Mail Template Editor (Odoo's default): the BUS texts use Odoo's safe placeholders
        # only (see test_campaign_user_without_template_editor_rights below).
        cls.user = new_test_user(
            cls.env,
            login="sc_mailer",
            name="Marketing Mailer",
            email="mailer@ourcompany.example",
            groups="base.group_user,sales_campaign.group_sales_campaign_user",
        )
        cls.template = cls.env.ref("sales_campaign.sales_interaction_template_business_letter")

    def partners(self, *xmlids):
        return self.env["res.partner"].concat(*(self.env.ref(f"sales_campaign.{xmlid}") for xmlid in xmlids))

    def log_segment(self, partners, description, attachment=None):
        """As the campaign user: a BUS segment of ``partners``, all by e-mail, logged with sending."""
        segment = (
            self.env["sales.segment"]
            .with_user(self.user)
            .create({"description": description, "template_id": self.template.id})
        )
        self.assertEqual(set(segment.language_ids.mapped("lang")), set(SUBJECTS), "the template's languages")
        segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        if attachment:
            segment.send_attachment = True
            segment.language_ids.filtered(lambda row: row.lang == "nl_NL").attachment_ids = attachment
        segment._run_step("add", {"partner_ids": partners.ids})
        self.assertEqual(segment.line_count, len(partners))
        self.assertEqual(set(segment.line_ids.mapped("correspondence_type")), {"email"})
        logged = self.env["sales.logged.segment"].with_user(self.user)._log_segment(segment, send=True)
        entries = logged.interaction_ids
        self.assertEqual(entries.partner_id, partners)
        self.assertEqual(set(entries.mapped("delivery_status")), {"queued"})
        self.assertEqual(set(entries.mail_mail_id.sudo().mapped("state")), {"outgoing"})
        self.assertFalse(self.sink.messages, "nothing leaves before the queue runs")
        return logged

    def assert_received(self, partners, attachment=None):
        received = self.sink.by_recipient()
        self.assertEqual(set(received), set(partners.mapped("email_normalized")))
        for partner in partners:
            with self.subTest(partner=partner.name):
                messages = received[partner.email_normalized]
                self.assertEqual(len(messages), 1, "each contact gets one e-mail, once")
                message = messages[0]
                self.assertEqual(message["Subject"], SUBJECTS[partner.lang])
                self.assertIn(partner.email_normalized, message["To"])
                self.assertIn("mailer@ourcompany.example", message["From"])
                body = message.get_body(preferencelist=("html",)).get_content()
                self.assertIn(f"{GREETINGS[partner.lang]} {partner.name}", body)
                files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
                if attachment and partner.lang == "nl_NL":
                    self.assertEqual(files, {attachment.name: BROCHURE})
                else:
                    self.assertEqual(files, {})

    # ------------------------------------------------------------------------------------------------

    def test_logged_emails_reach_the_smtp_server_and_are_resent_after_an_outage(self):
        partners = self.partners(
            "res_partner_jan_de_vries_demo",  # nl_NL
            "res_partner_eva_visser_demo",  # nl_NL
            "res_partner_ingrid_hansen_demo",  # nb_NO, prefers hard copy: the segment says e-mail
            "res_partner_lars_johansen_demo",  # nb_NO
            "res_partner_camille_dubois_demo",  # fr_CH
            "res_partner_lea_martin_demo",  # fr_CH
            "res_partner_grace_miller_demo",  # en_US
            "res_partner_emma_clarke_demo",  # en_US
        )
        self.assertEqual(set(partners.mapped("lang")), set(SUBJECTS))
        brochure = (
            self.env["ir.attachment"]
            .with_user(self.user)
            .create({"name": "Rome Guest Chair.pdf", "raw": BROCHURE, "mimetype": "application/pdf"})
        )
        logged = self.log_segment(partners, "Office Futurus visitors", attachment=brochure)
        self.assertIn(brochure, logged.attachment_ids)

        self.env["mail.mail"].process_email_queue()

        self.assertEqual(len(self.sink.messages), len(partners))
        self.assert_received(partners, attachment=brochure)
        entries = logged.interaction_ids
        entries.invalidate_recordset()
        self.assertEqual(set(entries.mapped("delivery_status")), {"sent"})
        self.assertEqual(set(entries.mail_mail_id.sudo().mapped("state")), {"sent"})
        self.assertEqual((logged.queued_count, logged.error_count), (0, 0))

        # The SMTP server goes down: a second segment is logged, the queue runs: nothing leaves nor is lost, the
        # e-mails are in Odoo's own error state and the interactions say why.
        self.stop_smtp()
        self.sink.messages.clear()
        later = self.partners(
            "res_partner_sanne_bakker_demo",  # nl_NL
            "res_partner_nina_berg_demo",  # nb_NO
            "res_partner_julien_moreau_demo",  # fr_CH
            "res_partner_lukas_meier_demo",  # en_US
        )
        waiting = self.log_segment(later, "Office Futurus follow-up")
        mails = waiting.interaction_ids.mail_mail_id.sudo()  # sudo: mail.mail is for administrators
        self.assertEqual(len(mails), len(later))

        self.env["mail.mail"].process_email_queue()

        mails.invalidate_recordset()
        waiting.invalidate_recordset()
        waiting.interaction_ids.invalidate_recordset()
        self.assertFalse(self.sink.messages)
        self.assertEqual(set(mails.mapped("state")), {"exception"}, "Odoo's state of an e-mail that could not leave")
        self.assertEqual(set(waiting.interaction_ids.mapped("delivery_status")), {"error"})
        self.assertIn("The mail server could not be reached: ", waiting.interaction_ids[0].delivery_failure_reason)
        self.assertEqual((waiting.queued_count, waiting.error_count), (0, len(later)))
        # Running the queue again while the server is still down sends nothing: failed e-mails wait for the user.
        self.env["mail.mail"].process_email_queue()
        mails.invalidate_recordset()
        self.assertEqual(set(mails.mapped("state")), {"exception"})

        # The server is back: Resend Failed E-mails puts them back in the queue (the mail's own retry), whose next
        # run delivers them, once, and nothing of the first segment again.
        self.start_smtp()
        waiting.with_user(self.user).action_resend()
        mails.invalidate_recordset()
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.env["mail.mail"].process_email_queue()

        self.assertEqual(len(self.sink.messages), len(later))
        self.assert_received(later)
        mails.invalidate_recordset()
        entries = waiting.interaction_ids
        entries.invalidate_recordset()
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self.assertEqual(set(entries.mapped("delivery_status")), {"sent"})
        self.assertFalse(any(entries.mapped("delivery_failure_reason")))
        waiting.invalidate_recordset()
        self.assertEqual((waiting.queued_count, waiting.error_count), (0, 0))

    def test_campaign_user_without_template_editor_rights(self):
        """Odoo's restricted rendering holds for a campaign user who is no Mail Template Editor (Odoo's default):
        the shipped business letter, with Odoo's safe placeholders only (the contact's name and salesperson), is
        sent through Odoo's fast rendering; a text with another expression (``user.name``) is refused when
        logging, before anything is recorded or sent."""
        self.assertFalse(self.user.has_group("mail.group_mail_template_editor"))
        partner = self.partners("res_partner_jan_de_vries_demo")
        logged = self.log_segment(partner, "Office Futurus visitors")
        self.env["mail.mail"].process_email_queue()
        self.assert_received(partner)
        body = self.sink.messages[0][2].get_body(preferencelist=("html",)).get_content()
        self.assertIn(partner.user_id.name or "Het verkoopteam", body, "signed by the contact's salesperson")
        logged.invalidate_recordset()
        self.assertEqual(logged.interaction_ids.delivery_status, "sent")

        dutch = self.template.language_ids.filtered(lambda version: version.lang == "nl_NL")
        dutch.body_html = str(dutch.body_html).replace("Met vriendelijke groet,", 'Groeten van <t t-out="user.name"/>,')
        self.assertIn("user.name", dutch.body_html)
        with self.assertRaisesRegex(AccessError, "Only members of the Mail Template Editor group"):
            self.log_segment(partner, "Office Futurus follow-up")
        self.assertFalse(self.env["sales.logged.segment"].search([("description", "=", "Office Futurus follow-up")]))
