"""Campaign e-mails go out through a real SMTP server and come back as responses, end to end.

The e-mails of a logged segment leave through Odoo's mail queue to an ``aiosmtpd`` sink (as in
``test_mail_delivery.py``); the test takes each message the sink received and answers it as the contact's mail
client or mail server would: a reply (an RFC 822 message with In-Reply-To and References), an out-of-office
answer and a bounce (a delivery status notification), all given to Odoo's mail gateway (``message_process``).
The links of the received e-mails are opened over HTTP: the tracked link, the one-click unsubscribe of the
``List-Unsubscribe`` header (POSTed without a session, as a mailbox provider does), a forged one, and the
unsubscribe page in headless Chromium in Dutch and in French, for the demo contacts who speak them.
"""

import email
import email.policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, urlencode, urlsplit

import aiosmtpd.controller
import requests

from odoo.tests import HttpCase, new_test_user, tagged

from .common import DSN
from .test_mail_delivery import SmtpSink, use_smtp_sink

LINK = '<p>See the <a href="https://www.example.com/rome-guest-chair">Rome Guest Chair</a>.</p>'


@tagged("post_install", "-at_install")
class TestMailResponses(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_smtp_sink(cls)
        cls.user = new_test_user(
            cls.env,
            login="sc_responder",
            name="Marketing Mailer",
            email="mailer@ourcompany.example",
            groups="base.group_user,sales_campaign.group_sales_campaign_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="sc_responses_manager",
            name="Eline Manager",
            email="eline@ourcompany.example",
            groups="base.group_user,sales_campaign.group_sales_campaign_manager",
        )
        cls.template = cls.env.ref("sales_campaign.sales_interaction_template_business_letter")
        for version in cls.template.language_ids:
            version.body_html = f"{version.body_html}{LINK}"
        cls.response_template = (
            cls.env["sales.interaction.template"]
            .with_user(cls.manager)
            .create(
                {
                    "code": "RESP",
                    "name": "Campaign response",
                    "group_id": cls.env.ref("sales_campaign.sales_interaction_group_response").id,
                    "information_flow": "inbound",
                    "initiated_by": "them",
                }
            )
        )
        cls.campaign = (
            cls.env["sales.campaign"]
            .with_user(cls.manager)
            .create({"title": "Office Futurus trade show", "response_template_id": cls.response_template.id})
        )
        cls.newsletter = cls.env.ref("sales_campaign.sales_mailing_group_news_demo")

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.controller = aiosmtpd.controller.Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.addCleanup(self.controller.stop)

    def partners(self, *names):
        return self.env["res.partner"].concat(
            *(self.env.ref(f"sales_campaign.res_partner_{name}_demo") for name in names)
        )

    def local(self, url):
        """A link of an e-mail, on the test server (the e-mails name the database's base URL)."""
        parts = urlsplit(url)
        return f"{self.base_url()}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def received(self):
        return {recipients[0]: message for _from, recipients, message in self.sink.messages}

    def answer(self, received, sender, subject=None, body="Thank you, please send us an offer.", **headers):
        """A reply to ``received`` as ``sender``'s mail client writes it, given to the mail gateway."""
        reply = EmailMessage()
        reply["From"] = sender
        reply["To"] = received["Reply-To"] or received["From"]
        reply["Subject"] = subject or f"Re: {received['Subject']}"
        reply["Message-Id"] = make_msgid(domain="visitors.example")
        reply["In-Reply-To"] = received["Message-Id"]
        reply["References"] = received["Message-Id"]
        reply["Date"] = formatdate(localtime=True)
        for name, value in headers.items():
            reply[name.replace("_", "-")] = value
        reply.set_content(f"{body}\n\n> {received['Subject']}")
        self.env["mail.thread"].message_process(None, reply.as_bytes(policy=email.policy.SMTP))
        return reply["Message-Id"]

    def test_campaign_emails_come_back_as_replies_clicks_and_unsubscribes(self):
        jan, camille, grace, emma, lukas = partners = self.partners(
            "jan_de_vries", "camille_dubois", "grace_miller", "emma_clarke", "lukas_meier"
        )
        self.assertEqual(partners.mapped("lang"), ["nl_NL", "fr_CH", "en_US", "en_US", "en_US"])
        jan.mailing_group_ids = self.newsletter
        segment = (
            self.env["sales.segment"]
            .with_user(self.user)
            .create(
                {
                    "description": "Office Futurus visitors",
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                }
            )
        )
        segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment._run_step("add", {"partner_ids": partners.ids})
        logged = self.env["sales.logged.segment"].with_user(self.user)._log_segment(segment, send=True)
        entries = {entry.partner_id: entry for entry in logged.interaction_ids}
        self.env["mail.mail"].process_email_queue()
        received = self.received()
        self.assertEqual(set(received), set(partners.mapped("email_normalized")))

        # What left: the one-click unsubscribe headers of RFC 8058, a tracked link per contact, the unsubscribe link.
        for partner in partners:
            message = received[partner.email_normalized]
            entry = entries[partner]
            with self.subTest(partner=partner.name):
                one_click = message["List-Unsubscribe"]
                self.assertRegex(
                    one_click,
                    rf"^<https?://[^>]+/sales_campaign/unsubscribe/{entry.id}/one-click\?email=[^&]+&token=[0-9a-f]{{64}}>$",
                )
                self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
                self.assertEqual(message["Precedence"], "list")
                self.assertEqual(message["Message-Id"], entry.message_id)
                body = message.get_body(preferencelist=("html",)).get_content()
                self.assertRegex(body, rf'href="https?://[^"]+/r/[A-Za-z0-9]+/c/{entry.id}/[0-9a-f]{{64}}"')
                self.assertRegex(body, rf'href="https?://[^"]+/sales_campaign/unsubscribe/{entry.id}\?email=')
        self.assertEqual(set(logged.interaction_ids.mapped("delivery_status")), {"sent"})

        # Grace replies; Emma's mail server answers that she is out of office; Lukas's address bounces.
        reply_id = self.answer(received[grace.email_normalized], formataddr((grace.name, grace.email)))
        self.answer(
            received[emma.email_normalized],
            formataddr((emma.name, emma.email)),
            subject="Automatic reply: out of office",
            body="I am out of the office until Monday.",
            Auto_Submitted="auto-replied",
            X_Auto_Response_Suppress="All",
        )
        bounced = received[lukas.email_normalized]
        headers = "\n".join(
            f"{name}: {value}"
            for name, value in bounced.items()
            if name in ("From", "To", "Subject", "Message-Id", "Date")
        )
        dsn = DSN.format(
            to=bounced["Return-Path"] or bounced["From"],
            message_id=make_msgid(domain="mx.example.com"),
            date=formatdate(localtime=True),
            rcpt=lukas.email_normalized,
            original_headers=headers,
        )
        self.env["mail.thread"].message_process(None, dsn.encode())
        self.env.invalidate_all()

        reply = self.env["mail.message"].search([("message_id", "=", reply_id)])
        self.assertEqual((reply.model, reply.res_id), ("res.partner", grace.id))
        responses = self.env["sales.interaction.log"].with_user(self.user).search([("campaign_response", "=", True)])
        self.assertEqual(
            [
                (r.partner_id, r.template_id, r.response_source, r.answered_interaction_id, r.reply_message_id)
                for r in responses
            ],
            [(grace, self.response_template, "reply", entries[grace], reply)],
        )
        self.assertFalse(entries[emma].replied_date, "an out-of-office answer is no reply")
        self.assertEqual(entries[lukas].delivery_status, "error")
        self.assertIn("User unknown", entries[lukas].delivery_failure_reason)

        # Camille opens the link of her e-mail: counted on her interaction, then on to the page with the UTM.
        body = received[camille.email_normalized].get_body(preferencelist=("html",)).get_content()
        tracked = next(part.split('"')[0] for part in body.split('href="')[1:] if "/r/" in part.split('"')[0])
        response = self.url_open(self.local(tracked), allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        target = urlsplit(response.headers["Location"])
        self.assertEqual(f"{target.netloc}{target.path}", "www.example.com/rome-guest-chair")
        self.assertEqual(parse_qs(target.query)["utm_campaign"], [self.campaign.utm_campaign_id.name])
        self.env.invalidate_all()
        self.assertTrue(entries[camille].clicked_date)

        # Emma's mailbox provider unsubscribes her with one click: a POST without session, cookie or CSRF token.
        one_click = self.local(received[emma.email_normalized]["List-Unsubscribe"][1:-1])
        parts = urlsplit(one_click)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.assertEqual(query["email"], emma.email_normalized)
        forged = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(dict(query, email=grace.email_normalized))}"
        self.assertEqual(requests.post(forged, data={"List-Unsubscribe": "One-Click"}, timeout=10).status_code, 403)
        response = requests.post(one_click, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self.env["mail.blacklist"].search([]).mapped("email"), [emma.email_normalized])

        # Jan (Dutch) leaves the newsletter, Camille (French) unsubscribes her address, on the page, in Chromium.
        for partner, tour in ((jan, "sales_campaign_unsubscribe_nl"), (camille, "sales_campaign_unsubscribe_fr")):
            body = received[partner.email_normalized].get_body(preferencelist=("html",)).get_content()
            page = next(
                part.split('"')[0] for part in body.split('href="')[1:] if "/sales_campaign/unsubscribe/" in part
            )
            page = urlsplit(page.replace("&amp;", "&"))
            self.start_tour(f"{page.path}?{page.query}", tour)
        self.env.invalidate_all()
        self.assertFalse(jan.mailing_group_ids)
        self.assertFalse(jan.is_blacklisted)
        self.assertTrue(camille.is_blacklisted)
        self.assertEqual(
            sorted(self.env["mail.blacklist"].search([]).mapped("email")),
            sorted([emma.email_normalized, camille.email_normalized]),
        )

        campaign = self.campaign.with_user(self.user)
        self.assertEqual(
            (
                campaign.stat_contacted_count,
                campaign.stat_emailed_count,
                campaign.stat_replied_count,
                campaign.stat_reply_rate,
                campaign.stat_clicked_count,
                campaign.stat_click_rate,
                campaign.stat_unsubscribed_count,
                campaign.stat_unsubscribe_rate,
                campaign.stat_responded_count,
                campaign.stat_response_rate,
            ),
            (5, 4, 1, 25.0, 1, 25.0, 3, 75.0, 1, 20.0),
        )
