import ast
import io
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from unittest.mock import MagicMock, patch
from urllib.parse import parse_qs, urlsplit

import openpyxl
import requests

from odoo import Command, tools
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import SalesSegmentCommon

TRACKED = re.compile(r'href="(https?://[^"]+/r/([A-Za-z0-9]+)/c/(\d+)/([0-9a-f]+))"')
UNSUBSCRIBE = re.compile(r'href="(https?://[^"]+/sales_campaign/unsubscribe/(\d+)\?[^"]+)"')

BOUNCE = """\
From: MAILER-DAEMON@mail.customer.example (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-Id: <bounce-{n}@mail.customer.example>
Date: {date}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.customer.example.
Your message could not be delivered: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.customer.example

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--BOUNDARY
Content-Type: message/rfc822

From: {sender}
To: {rcpt}
Subject: {subject}
Message-Id: {message_id}

Hello

--BOUNDARY--
"""


@tagged("post_install", "-at_install")
class TestCampaignResponses(HttpCase, SalesSegmentCommon):
    """Replies, clicks, unsubscribes, leads and orders come back as responses of the campaign by themselves.

    The staff logs a segment of e-mails (Carla, Ivan and Paula, targets of the campaign); the contacts answer
    through Odoo's incoming mail (``message_process``, as the mail gateway does), open their links and the
    unsubscribe page over HTTP; the statistics are read as the staff reads them.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.language_ids.body_html = (
            '<p>Dear <t t-out="object.name"/>, see <a href="https://www.example.com/rome-guest-chair?color=red&amp;size=2">'
            'the Rome Guest Chair</a> or <a href="/contactus">write to us</a>.</p>'
        )
        cls.response_template = (
            cls.env["sales.interaction.template"]
            .with_user(cls.manager)
            .create(
                {
                    "code": "T-RESP",
                    "name": "Campaign response",
                    "group_id": cls.env.ref("sales_campaign.sales_interaction_group_response").id,
                    "information_flow": "inbound",
                    "initiated_by": "them",
                    "unit_duration": 15,
                }
            )
        )
        cls.campaign.with_user(cls.manager).response_template_id = cls.response_template
        cls.chair = cls.env["product.product"].create({"name": "Rome Guest Chair", "list_price": 180})
        cls.mailers = 0

    def log_emails(self, partners=None, campaign=None, statuses=("queued",)):
        """As the staff: a segment of ``partners`` (Carla, Ivan, Paula), all by e-mail, targets of the campaign,
        logged with sending; returns the entries by contact."""
        partners = partners or (self.customer_buyer | self.customer_it | self.prospect_buyer)
        segment = self.new_segment(
            template_id=self.template.id, campaign_id=(campaign or self.campaign).id, campaign_target=True
        ).with_user(self.staff)
        segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment._run_step("add", {"partner_ids": partners.ids})
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        entries = logged.interaction_ids
        self.assertEqual(set(entries.mapped("delivery_status")), set(statuses))
        return {entry.partner_id: entry for entry in entries}

    def send(self, entries):
        """The mail queue sends them (a mail server that accepts everything)."""
        IrMailServer = type(self.env["ir.mail_server"])
        with (
            patch.object(IrMailServer, "connect", return_value=MagicMock()),
            patch.object(
                IrMailServer, "send_email", side_effect=lambda message, *args, **kwargs: message["Message-Id"]
            ),
        ):
            self.env["sales.interaction.log"].concat(*entries).sudo().mail_mail_id.send()
        self.env.invalidate_all()

    def incoming(self, entry, sender=None, subject=None, body="Yes, please send us an offer for 40 chairs.", **headers):
        """An e-mail answering ``entry``'s, as a mail client writes it, given to Odoo's mail gateway."""
        mail = entry.sudo().mail_mail_id
        message = EmailMessage()
        message["From"] = sender or formataddr((entry.partner_id.name, entry.partner_id.email))
        message["To"] = mail.reply_to or mail.email_from
        message["Subject"] = subject or f"Re: {mail.subject}"
        message["Message-Id"] = make_msgid(domain="customer.example")
        message["In-Reply-To"] = entry.message_id
        message["References"] = entry.message_id
        message["Date"] = formatdate()
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        self.env["mail.thread"].message_process(None, message.as_bytes())
        self.env.invalidate_all()
        return self.env["mail.message"].search([("message_id", "=", message["Message-Id"])])

    def as_staff(self, records):
        return records.with_user(self.staff)

    def campaign_as_staff(self):
        self.env.invalidate_all()
        return self.campaign.with_user(self.staff)

    def links(self, entry, pattern):
        return pattern.findall(entry.sudo().mail_mail_id.body_html)

    # ------------------------------------------------------------------------------------------------
    # Replies

    def test_a_reply_is_the_contacts_response_once(self):
        entries = self.log_emails()
        carla = entries[self.customer_buyer]
        self.send(entries.values())
        reply = self.incoming(carla)

        self.assertEqual(
            (reply.model, reply.res_id), ("res.partner", self.customer_buyer.id), "on the contact's thread"
        )
        carla = self.as_staff(carla)
        response = carla.response_ids
        self.assertEqual(len(response), 1)
        self.assertEqual(
            (
                response.partner_id,
                response.template_id,
                response.campaign_id,
                response.response_source,
                response.campaign_response,
                response.campaign_target,
                response.response_repeat,
                response.answered_interaction_id,
                response.reply_message_id,
                response.reply_other_address,
                response.correspondence_type,
                response.duration,
            ),
            (
                self.customer_buyer,
                self.response_template,
                self.campaign,
                "reply",
                True,
                False,
                False,
                carla,
                reply,
                False,
                "email",
                15,
            ),
        )
        self.assertEqual(response.description, "Reply: Re: Thank you for visiting our booth")
        self.assertEqual(response.campaign_entry_id.description, "Interactions")
        self.assertEqual((carla.reply_message_id, bool(carla.replied_date)), (reply, True))

        # A second reply of Carla is posted on her thread too, but it is no second response.
        second = self.incoming(carla, body="And 10 tables.")
        self.assertEqual(second.res_id, self.customer_buyer.id)
        self.assertEqual(carla.response_ids, response)
        self.assertEqual(carla.reply_message_id, reply, "the e-mail keeps its first reply")
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (
                campaign.stat_emailed_count,
                campaign.stat_replied_count,
                campaign.stat_reply_rate,
                campaign.stat_responded_count,
                campaign.stat_response_rate,
                campaign.stat_response_reply_count,
                campaign.stat_reply_pending_count,
            ),
            (3, 1, 33.3, 1, 33.3, 1, 0),
        )

    def test_out_of_office_and_bounces_are_no_responses(self):
        entries = self.log_emails()
        self.send(entries.values())
        carla, ivan = entries[self.customer_buyer], entries[self.customer_it]
        auto = self.incoming(
            carla, subject="Automatic reply: out of office", body="Back on Monday.", Auto_Submitted="auto-replied"
        )
        self.assertEqual(auto.res_id, self.customer_buyer.id, "Odoo still posts it on the contact's thread")
        vacation = self.incoming(ivan, subject="Vacation", X_Autoreply="yes")
        self.assertTrue(vacation)
        self.assertFalse(self.as_staff(carla).replied_date or self.as_staff(ivan).replied_date)

        mail = ivan.sudo().mail_mail_id
        bounce = BOUNCE.format(
            n=1,
            to=mail.email_from,
            date=formatdate(),
            rcpt=ivan.partner_id.email,
            sender=mail.email_from,
            subject=mail.subject,
            message_id=ivan.message_id,
        )
        self.env["mail.thread"].message_process(None, bounce.encode())
        self.env.invalidate_all()
        self.assertEqual(self.as_staff(ivan).delivery_status, "error")
        self.assertIn("User unknown", self.as_staff(ivan).delivery_failure_reason)
        self.assertFalse(self.as_staff(ivan).replied_date)
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (campaign.stat_emailed_count, campaign.stat_replied_count, campaign.stat_responded_count),
            (2, 0, 0),
            "the bounced e-mail was not delivered",
        )
        self.assertFalse(self.env["sales.interaction.log"].search([("campaign_response", "=", True)]))

    def test_a_reply_from_another_address_is_matched_by_the_thread(self):
        entries = self.log_emails()
        carla = entries[self.customer_buyer]
        self.incoming(carla, sender='"Assistant of Carla" <assistant@customer.example>')
        response = self.as_staff(carla).response_ids
        self.assertEqual(
            (response.partner_id, response.reply_other_address, response.reply_email_from),
            (self.customer_buyer, True, '"Assistant of Carla" <assistant@customer.example>'),
        )
        self.assertEqual(
            response.description,
            'Reply from "Assistant of Carla" <assistant@customer.example> (not the contact\'s address): '
            "Re: Thank you for visiting our booth",
        )

    def test_replies_without_a_response_template_are_kept_until_one_is_set(self):
        self.campaign.with_user(self.manager).response_template_id = False
        entries = self.log_emails()
        carla, ivan = entries[self.customer_buyer], entries[self.customer_it]
        first = self.incoming(carla)
        self.incoming(ivan, sender="ivan.private@home.example")
        self.assertFalse(self.env["sales.interaction.log"].search([("campaign_response", "=", True)]))
        self.assertEqual(self.as_staff(carla).reply_message_id, first, "kept on the e-mail it answers")
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (campaign.stat_replied_count, campaign.stat_reply_pending_count, campaign.stat_responded_count), (2, 2, 0)
        )
        with self.assertRaisesRegex(UserError, "Set a response template"):
            campaign.action_register_responses()

        self.campaign.with_user(self.manager).response_template_id = self.response_template
        action = self.campaign_as_staff().action_register_responses()
        self.assertEqual(
            action["params"]["message"], f"2 responses recorded for campaign {self.campaign.display_name}."
        )
        responses = self.as_staff(carla | ivan).response_ids
        self.assertEqual(responses.mapped("response_source"), ["reply", "reply"])
        self.assertEqual(self.as_staff(carla).response_ids.reply_message_id, first)
        self.assertTrue(self.as_staff(ivan).response_ids.reply_other_address)
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (campaign.stat_reply_pending_count, campaign.stat_responded_count, campaign.stat_response_reply_count),
            (0, 2, 2),
        )
        action = self.campaign_as_staff().action_register_responses()
        self.assertEqual(
            action["params"]["message"], f"0 responses recorded for campaign {self.campaign.display_name}."
        )

    # ------------------------------------------------------------------------------------------------
    # Clicks

    def test_links_are_tracked_per_contact_with_one_tracker_per_link(self):
        entries = self.log_emails()
        trackers = self.env["link.tracker"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)])
        base_url = self.campaign.get_base_url()
        self.assertEqual(
            sorted(trackers.mapped("url")),
            [f"{base_url}/contactus", "https://www.example.com/rome-guest-chair?color=red&size=2"],
            "one tracker per link for the three e-mails",
        )
        self.assertEqual(
            (trackers.source_id, trackers.medium_id),
            (self.env.ref("sales_campaign.utm_source_sales_campaign"), self.env.ref("utm.utm_medium_email")),
        )
        for partner, entry in entries.items():
            links = self.links(entry, TRACKED)
            self.assertEqual(len(links), 2, partner.name)
            for _url, code, entry_id, token in links:
                self.assertIn(code, trackers.mapped("code"))
                self.assertEqual(int(entry_id), entry.id)
                self.assertEqual(token, tools.hmac(self.env(su=True), "sales_campaign-interaction-click", entry.id))

    def test_printed_addresses_of_letters_are_the_campaigns_tracked_links(self):
        self.template.language_ids.body_html = (
            '<p>Dear <t t-out="object.name"/>, visit https://www.example.com/rome-guest-chair. Or '
            '<a href="https://www.example.com/showroom">our showroom</a>.</p>'
        )
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id, campaign_target=True)
        segment = segment.with_user(self.staff)
        segment._run_step("add", {"partner_ids": (self.prospect_buyer | self.customer_buyer).ids})
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=False)
        values = (
            self.env["report.sales_campaign.report_interaction_letter"]
            .with_user(self.staff)
            ._get_report_values(logged.interaction_ids.ids)
        )
        trackers = self.env["link.tracker"].search([("campaign_id", "=", self.campaign.utm_campaign_id.id)])
        self.assertEqual(
            sorted(trackers.mapped("url")),
            ["https://www.example.com/rome-guest-chair", "https://www.example.com/showroom"],
        )
        self.assertEqual(trackers.medium_id, self.env.ref("sales_campaign.utm_medium_letter"))
        short = {tracker.url: tracker.short_url for tracker in trackers}
        for entry in logged.interaction_ids:
            self.assertEqual(
                str(values["bodies"][entry.id]),
                f"<p>Dear {entry.partner_id.name}, visit {short['https://www.example.com/rome-guest-chair']}. Or "
                f'<a href="{short["https://www.example.com/showroom"]}">our showroom</a>.</p>',
            )

    def test_the_first_click_is_recorded_and_a_forged_one_is_not(self):
        entries = self.log_emails()
        carla, ivan = entries[self.customer_buyer], entries[self.customer_it]
        self.send(entries.values())
        chair = self.env["link.tracker.code"].search([("link_id.url", "like", "rome-guest-chair")]).code
        url, code, _entry_id, _token = next(link for link in self.links(carla, TRACKED) if link[1] == chair)
        path = urlsplit(url).path
        response = self.url_open(path, allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        target = urlsplit(response.headers["Location"])
        self.assertEqual((target.netloc, target.path), ("www.example.com", "/rome-guest-chair"))
        self.assertEqual(
            {key: values[0] for key, values in parse_qs(target.query).items()},
            {
                "color": "red",
                "size": "2",
                "utm_campaign": self.campaign.utm_campaign_id.name,
                "utm_medium": "Email",
                "utm_source": "Sales Campaign",
            },
        )
        clicked = self.as_staff(carla).clicked_date
        self.assertTrue(clicked)
        click = self.env["link.tracker.click"].search([("sales_interaction_id", "=", carla.id)])
        self.assertEqual(len(click), 1)
        self.assertEqual(click.link_id.code, code)
        self.assertFalse(self.as_staff(carla).response_ids, "clicks are no responses unless the campaign says so")

        # Carla's signature on Ivan's interaction: the link still works, the click counts for nobody.
        forged = path.replace(f"/c/{carla.id}/", f"/c/{ivan.id}/")
        self.assertEqual(self.url_open(forged, allow_redirects=False).status_code, 302)
        self.assertFalse(self.as_staff(ivan).clicked_date)
        self.assertFalse(self.env["link.tracker.click"].search([("sales_interaction_id", "=", ivan.id)]))

        # Clicks count as responses now: Carla's next click is no first click; Ivan's is, and is his response.
        self.campaign.with_user(self.manager).click_is_response = True
        self.url_open(path, allow_redirects=False)
        self.assertEqual(self.as_staff(carla).clicked_date, clicked)
        self.assertFalse(self.as_staff(carla).response_ids)
        ivan_path = urlsplit(self.links(ivan, TRACKED)[0][0]).path
        self.url_open(ivan_path, allow_redirects=False)
        self.url_open(ivan_path, allow_redirects=False)
        self.assertEqual(self.as_staff(ivan).response_ids.mapped("response_source"), ["click"])
        # Carla's earlier click becomes her response with Register Responses.
        self.campaign_as_staff().action_register_responses()
        self.assertEqual(self.as_staff(carla).response_ids.mapped("response_source"), ["click"])
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (
                campaign.stat_clicked_count,
                campaign.stat_click_rate,
                campaign.stat_response_click_count,
                campaign.stat_responded_count,
            ),
            (2, 66.7, 2, 2),
        )

    # ------------------------------------------------------------------------------------------------
    # Unsubscribe

    def test_every_email_carries_its_unsubscribe_link_and_headers(self):
        entries = self.log_emails()
        base_url = self.campaign.get_base_url()
        for partner, entry in entries.items():
            mail = entry.sudo().mail_mail_id
            token = tools.hmac(
                self.env(su=True), "sales_campaign-interaction-unsubscribe", (entry.id, partner.email_normalized)
            )
            query = f"email={partner.email_normalized.replace('@', '%40')}&token={token}"
            self.assertEqual(
                ast.literal_eval(mail.headers),
                {
                    "List-Unsubscribe": f"<{base_url}/sales_campaign/unsubscribe/{entry.id}/one-click?{query}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Precedence": "list",
                    "X-Auto-Response-Suppress": "OOF",
                },
            )
            self.assertIn(
                "Would you rather not receive these e-mails? "
                f'<a href="{base_url}/sales_campaign/unsubscribe/{entry.id}?'
                f'{query.replace("&", "&amp;")}">Unsubscribe</a></div>',
                mail.body_html,
            )

    def test_one_click_unsubscribe_works_without_a_session_and_only_for_its_address(self):
        entries = self.log_emails()
        self.send(entries.values())
        carla, ivan = entries[self.customer_buyer], entries[self.customer_it]
        one_click = ast.literal_eval(carla.sudo().mail_mail_id.headers)["List-Unsubscribe"][1:-1]
        path = urlsplit(one_click)
        url = f"{self.base_url()}{path.path}?{path.query}"
        Blacklist = self.env["mail.blacklist"]

        # Another address in the link, or another interaction: refused, nothing changes.
        for forged in (
            url.replace("carla%40customer.example", "ivan%40customer.example"),
            url.replace(f"/unsubscribe/{carla.id}/", f"/unsubscribe/{ivan.id}/"),
            url.replace("token=", "token=0"),
        ):
            response = requests.post(forged, data={"List-Unsubscribe": "One-Click"}, timeout=10)
            self.assertEqual(response.status_code, 403, forged)
        self.assertFalse(Blacklist.search([]))

        # The mailbox provider's POST (RFC 8058): no cookie, no CSRF token, no page.
        response = requests.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        self.assertEqual((response.status_code, response.text), (200, ""))
        self.env.invalidate_all()
        self.assertEqual(Blacklist.search([]).email, "carla@customer.example")
        self.assertTrue(self.customer_buyer.is_blacklisted)
        self.assertEqual(self.as_staff(carla).unsubscribe_detail, "All e-mails (blacklisted)")
        self.assertFalse(self.as_staff(ivan).unsubscribed_date)
        campaign = self.campaign_as_staff()
        self.assertEqual((campaign.stat_unsubscribed_count, campaign.stat_unsubscribe_rate), (1, 33.3))

        # Later Adds leave her out when asked to, later Logs block her e-mail.
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it, exclude_blacklisted=True)
        self.assertEqual(self.contacts(segment), self.customer_it | self.prospect_buyer)
        later = self.log_emails(self.customer_buyer | self.customer_it, statuses=("queued", "blocked"))
        self.assertEqual(self.as_staff(later[self.customer_buyer]).delivery_status, "blocked")
        self.assertFalse(later[self.customer_buyer].sudo().mail_mail_id)

    def test_the_unsubscribe_page_asks_then_does_what_the_contact_chooses(self):
        entries = self.log_emails()
        paula = entries[self.prospect_buyer]
        [(url, _entry_id)] = self.links(paula, UNSUBSCRIBE)
        url = url.replace("&amp;", "&")
        page_path = f"{urlsplit(url).path}?{urlsplit(url).query}"
        page = self.url_open(page_path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("paula@prospect.example", page.text)
        self.assertIn("Only this mailing group: <strong>Newsletter</strong>", page.text)
        self.assertFalse(
            self.as_staff(paula).unsubscribed_date, "opening the page (or a link checker) unsubscribes nobody"
        )

        form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        self.assertEqual(set(form), {"csrf_token", "email", "token"})
        # Without the page's CSRF token (another site's form), the POST is refused.
        refused = self.url_open(
            urlsplit(url).path, data={"email": form["email"], "token": form["token"], "choice": "blacklist"}
        )
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(self.env["mail.blacklist"].search([]))
        # A group that is not the contact's is refused too.
        foreign = self.env["sales.mailing.group"].create({"code": "T-OTHER", "name": "Other"})
        refused = self.url_open(urlsplit(url).path, data=dict(form, choice=f"group-{foreign.id}"))
        self.assertEqual(refused.status_code, 400)

        done = self.url_open(urlsplit(url).path, data=dict(form, choice=f"group-{self.mailing_news.id}"))
        self.assertEqual(done.status_code, 200)
        self.assertIn("You left this mailing group: <strong>Newsletter</strong>", done.text)
        self.env.invalidate_all()
        self.assertFalse(self.prospect_buyer.mailing_group_ids)
        self.assertFalse(self.prospect_buyer.is_blacklisted, "only the group was left")
        self.assertEqual(self.as_staff(paula).unsubscribe_detail, "Mailing group Newsletter")
        # Later Adds of the group no longer find her.
        segment = self.new_segment(template_id=self.template.id).with_user(self.staff)
        self.add(segment, mailing_group_ids=self.mailing_news)
        self.assertFalse(segment.line_ids)

    # ------------------------------------------------------------------------------------------------
    # Leads and orders, and how responses count

    def order(self, partner, campaign=None):
        order = (
            self.env["sale.order"]
            .with_user(self.staff)
            .create(
                {
                    "partner_id": partner.id,
                    "campaign_id": (campaign or self.campaign).utm_campaign_id.id,
                    "order_line": [Command.create({"product_id": self.chair.id, "product_uom_qty": 40})],
                }
            )
        )
        order.action_confirm()
        return order

    def test_leads_and_orders_of_targets_are_responses_and_a_contact_counts_once(self):
        entries = self.log_emails()
        carla, ivan, paula = entries[self.customer_buyer], entries[self.customer_it], entries[self.prospect_buyer]
        Lead = self.env["crm.lead"].with_user(self.staff)
        utm = self.campaign.utm_campaign_id

        # Carla replies, then asks for an offer on the website, then orders: three responses, one contact.
        self.incoming(carla)
        lead = Lead.create(
            {"name": "40 Rome Guest Chairs", "partner_id": self.customer_buyer.id, "campaign_id": utm.id}
        )
        quotation = (
            self.env["sale.order"]
            .with_user(self.staff)
            .create(
                {
                    "partner_id": self.customer_buyer.id,
                    "campaign_id": utm.id,
                    "order_line": [Command.create({"product_id": self.chair.id, "product_uom_qty": 40})],
                }
            )
        )
        self.assertEqual(len(self.as_staff(carla).response_ids), 2, "a quotation is no response yet")
        quotation.action_confirm()
        self.order(self.customer_buyer)  # a second order of hers: no second response
        responses = self.as_staff(carla).response_ids.sorted("id")
        self.assertEqual(
            [(r.response_source, r.response_repeat, r.opportunity_id, r.order_id) for r in responses],
            [
                ("reply", False, self.env["crm.lead"], self.env["sale.order"]),
                ("lead", True, lead, self.env["sale.order"]),
                ("order", True, self.env["crm.lead"], quotation),
            ],
        )
        self.assertEqual(responses[2].description, f"Sales order {quotation.name}")

        # Ivan's web form: no contact on the lead yet, his e-mail address.
        Lead.create({"name": "Offer for chairs", "email_from": "Ivan <IVAN@customer.example>", "campaign_id": utm.id})
        self.assertEqual(self.as_staff(ivan).response_ids.mapped("response_source"), ["lead"])
        # Paula's lead gets the campaign by hand, later.
        paula_lead = Lead.create({"name": "Chairs for Prospect Company", "partner_id": self.prospect_buyer.id})
        self.assertFalse(self.as_staff(paula).response_ids)
        paula_lead.campaign_id = utm
        self.assertEqual(self.as_staff(paula).response_ids.opportunity_id, paula_lead)
        # Sven was no target: his lead is no response.
        Lead.create({"name": "Sven's chairs", "partner_id": self.prospect_seller.id, "campaign_id": utm.id})
        self.assertFalse(self.env["sales.interaction.log"].search([("partner_id", "=", self.prospect_seller.id)]))

        campaign = self.campaign_as_staff()
        self.assertEqual(
            (
                campaign.stat_contacted_count,
                campaign.stat_responded_count,
                campaign.stat_response_rate,
                campaign.stat_response_reply_count,
                campaign.stat_response_lead_count,
                campaign.stat_response_order_count,
                campaign.stat_response_manual_count,
            ),
            (3, 3, 100.0, 1, 3, 1, 0),
        )

    def test_hand_logged_responses_count_each_and_a_later_reply_repeats(self):
        entries = self.log_emails()
        ivan = entries[self.customer_it]
        self.log_interaction(
            self.staff,
            {
                "partner_id": self.customer_it.id,
                "template_id": self.response_template.id,
                "campaign_id": self.campaign.id,
                "campaign_response": True,
                "description": "Called back",
            },
        )
        self.incoming(ivan)
        response = self.as_staff(ivan).response_ids
        self.assertEqual((response.response_source, response.response_repeat), ("reply", True))
        campaign = self.campaign_as_staff()
        self.assertEqual(
            (campaign.stat_responded_count, campaign.stat_response_manual_count, campaign.stat_response_reply_count),
            (1, 1, 1),
        )
        # The response logged by hand is cancelled: the reply is his first response now, and counts.
        self.env["sales.interaction.log"].search([("response_source", "=", "manual")]).with_user(
            self.staff
        ).action_cancel()
        self.env.invalidate_all()
        self.assertFalse(self.as_staff(ivan).response_ids.response_repeat)
        self.assertEqual(self.campaign_as_staff().stat_responded_count, 1)
        self.order(self.customer_it)
        order_response = self.as_staff(ivan).response_ids.filtered(lambda r: r.response_source == "order")
        self.assertTrue(order_response.response_repeat)
        self.assertEqual(self.campaign_as_staff().stat_responded_count, 1)

    def test_response_fields_are_set_by_the_system_only(self):
        entries = self.log_emails()
        carla = self.as_staff(entries[self.customer_buyer])
        reply = self.incoming(entries[self.customer_buyer])
        Log = self.env["sales.interaction.log"].with_user(self.staff)
        for forged in (
            {"response_source": "reply"},
            {"answered_interaction_id": carla.id},
            {"reply_message_id": reply.id},
            {"clicked_date": "2025-01-01 10:00:00"},
            {"order_id": self.order(self.prospect_seller).id},
        ):
            with self.subTest(forged=forged), self.assertRaises(AccessError):
                Log.create(
                    {
                        "partner_id": self.customer_buyer.id,
                        "template_id": self.response_template.id,
                        "campaign_id": self.campaign.id,
                        "campaign_response": True,
                        "description": "Forged",
                        **forged,
                    }
                )
            with self.subTest(forged=forged), self.assertRaises(AccessError):
                carla.write(forged)
        hidden = self.env["sales.interaction.template"].create(
            {
                "code": "T-NORDIC",
                "name": "Nordic response",
                "company_id": self.company_2.id,
                "group_id": self.env.ref("sales_campaign.sales_interaction_group_response").id,
            }
        )
        with self.assertRaises(UserError):
            self.campaign.with_user(self.staff).response_template_id = hidden

    # ------------------------------------------------------------------------------------------------
    # The picture

    def test_funnel_and_export_show_replies_clicks_and_unsubscribes(self):
        entries = self.log_emails()
        self.send(entries.values())
        carla, ivan, paula = entries[self.customer_buyer], entries[self.customer_it], entries[self.prospect_buyer]
        self.incoming(carla)
        self.url_open(urlsplit(self.links(ivan, TRACKED)[0][0]).path, allow_redirects=False)
        self.as_staff(paula).sudo()._unsubscribe(self.prospect_buyer.email_normalized)

        campaign = self.campaign_as_staff()
        funnel = [(step["label"], step["value"], step["rate"], step["kind"]) for step in campaign.stat_chart["funnel"]]
        self.assertEqual(
            funnel,
            [
                ("Target Contacts Contacted", 3, None, "step"),
                ("E-mails Sent", 3, None, "email"),
                ("Clicks", 1, 33.3, "email"),
                ("Replies", 1, 33.3, "email"),
                ("Contacts Responded", 1, 33.3, "step"),
                ("Opportunities", 0, None, "step"),
                ("Won Opportunities", 0, None, "step"),
                ("Sales Orders", 0, None, "step"),
                ("Unsubscribes", 1, 33.3, "unsubscribe"),
            ],
        )
        self.authenticate(self.staff.login, self.staff.login)
        response = self.url_open(f"/sales_campaign/export/statistics/{self.campaign.id}")
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        figures = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(min_row=5, values_only=True)}
        self.assertEqual(
            {
                label: figures[label]
                for label in (
                    "E-mails Sent",
                    "Replies",
                    "Reply Rate (%)",
                    "Clicks",
                    "Click Rate (%)",
                    "Unsubscribes",
                    "Unsubscribe Rate (%)",
                    "Responses by Reply",
                    "Responses by Click",
                    "Replies without a Response Template",
                )
            },
            {
                "E-mails Sent": 3,
                "Replies": 1,
                "Reply Rate (%)": 33.3,
                "Clicks": 1,
                "Click Rate (%)": 33.3,
                "Unsubscribes": 1,
                "Unsubscribe Rate (%)": 33.3,
                "Responses by Reply": 1,
                "Responses by Click": 0,
                "Replies without a Response Template": 0,
            },
        )
        by_segment = list(workbook.worksheets[1].iter_rows(values_only=True))
        self.assertEqual(
            by_segment[0][6:],
            (
                "E-mails Sent",
                "Replies",
                "Reply Rate (%)",
                "Clicks",
                "Click Rate (%)",
                "Unsubscribes",
                "Unsubscribe Rate (%)",
            ),
        )
        logged_row = next(row for row in by_segment[1:] if row[0] != "Single interactions")
        self.assertEqual(logged_row[1:], (3, 0, 0, 4.5, 9, 3, 1, 33.3, 1, 33.3, 1, 33.3))
