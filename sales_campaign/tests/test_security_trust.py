"""Trust by construction: no client creates or shapes a ledger row, in any way Odoo lets a client speak.

The ledgers (interaction log entries, campaign entries, logged segments, segment history) are written only by
the module's actions and processes. These attacks come over JSON-RPC as the role named, through every way in a
client has besides ``write(vals)``: ``create`` with ``default_*`` context keys (which Odoo adds after any check of
``vals``), ``copy``, ``load`` (import), x2many commands of another record, the mail gateway's public method, the
public routes. Each test asserts the refusal or the absence of effect in the database, then plays the
legitimate flow for the right role.
"""

from email.utils import format_datetime

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import (
    ACCESS_ERROR,
    DSN,
    USER_ERROR,
    VALIDATION_ERROR,
    JsonRpcClient,
    SalesSegmentCommon,
)

REFUSED = (ACCESS_ERROR, USER_ERROR, VALIDATION_ERROR)

REPLY = """\
From: Carla Customer-Buyer <carla@customer.example>
To: sc_staff@example.com
Subject: Re: Thank you for visiting our booth
Message-Id: <reply-{n}@customer.example>
In-Reply-To: {answered}
References: {answered}
Date: {date}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

We are interested in the Rome Guest Chair.
"""


@tagged("post_install", "-at_install", "sales_campaign_attack")
class TestSecurityTrust(JsonRpcClient, HttpCase, SalesSegmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        # The attacker's own contact, with the attacker's address.
        cls.attacker_contact = Partner.create({"name": "Mallory", "email": "mallory@attacker.example"})
        # Company B: its campaign, its logged segment (e-mails with an attachment), its campaign entry.
        cls.campaign_b = cls.env["sales.campaign"].with_user(cls.manager_2).create({"title": "Nordic fair"})
        cls.template_b = (
            cls.env["sales.interaction.template"]
            .with_user(cls.manager_2)
            .create(
                {
                    "code": "T-NORDIC",
                    "name": "Nordic letter",
                    "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
                    "correspondence_type": "email",
                    "company_id": cls.company_2.id,
                    "lang_default": "en_US",
                    "language_ids": [Command.create({"lang": "en_US", "subject": "Nordic prices"})],
                }
            )
        )
        cls.nordic_contact = Partner.create(
            {"name": "Nils Nordic", "email": "nils@nordic.example", "company_id": cls.company_2.id}
        )
        segment_b = (
            cls.env["sales.segment"]
            .with_user(cls.staff_2)
            .create(
                {
                    "description": "Nordic visitors",
                    "template_id": cls.template_b.id,
                    "campaign_id": cls.campaign_b.id,
                    "campaign_target": True,
                    "send_attachment": True,
                }
            )
        )
        cls.nordic_file = cls.env["ir.attachment"].create(
            {
                "name": "nordic-prices.pdf",
                "raw": b"NORDIC CONFIDENTIAL",
                "res_model": "sales.segment.language",
                "res_id": segment_b.language_ids[:1].id,
            }
        )
        segment_b.language_ids[:1].attachment_ids = [Command.link(cls.nordic_file.id)]
        segment_b._run_step("add", {"partner_ids": cls.nordic_contact.ids})
        cls.logged_b = cls.env["sales.logged.segment"].with_user(cls.staff_2)._log_segment(segment_b, send=True)
        cls.entry_b = cls.logged_b.campaign_entry_ids
        # Company A: the staff's campaign with a response template, a logged segment of e-mails.
        cls.response_template = cls.env["sales.interaction.template"].create(
            {
                "code": "T-RESP",
                "name": "Campaign response",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
            }
        )
        cls.campaign.response_template_id = cls.response_template
        segment_a = (
            cls.env["sales.segment"]
            .with_user(cls.staff)
            .create(
                {
                    "description": "Trade show visitors",
                    "template_id": cls.template.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_target": True,
                }
            )
        )
        segment_a._run_step("add", {"partner_ids": (cls.customer_buyer | cls.customer_it).ids})
        cls.logged_a = cls.env["sales.logged.segment"].with_user(cls.staff)._log_segment(segment_a, send=True)
        cls.entry_carla = cls.logged_a.interaction_ids.filtered(lambda entry: entry.partner_id == cls.customer_buyer)
        cls.discount_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Ninety percent",
                "item_ids": [Command.create({"compute_price": "percentage", "percent_price": 90})],
            }
        )

    def assertLoadRefused(self, response):
        """``load`` (the import) reports its errors as messages, or fails as a whole."""
        if "error" in response:
            self.assertIn(response["error"]["data"]["name"], REFUSED)
        else:
            self.assertFalse(response["result"]["ids"], "nothing may be imported")
            self.assertTrue(response["result"]["messages"], "the import must say why it failed")

    def assertNoLedgerRow(self, model, domain):
        self.env.invalidate_all()
        self.assertFalse(self.env[model].sudo().with_context(active_test=False).search(domain))

    # ------------------------------------------------------------------------------------------------
    # D1, D2: no ledger row created or shaped by a client
    # ------------------------------------------------------------------------------------------------

    def test_d1_no_foreign_file_mailed_through_default_context(self):
        vals = {
            "partner_id": self.attacker_contact.id,
            "template_id": self.template.id,
            "correspondence_type": "email",
            "lang": "en_US",
            "description": "Hello",
        }
        forged = {
            "default_logged_segment_id": self.logged_b.id,
            "default_delivery_status": "pending",
        }
        self.assertRefused(
            self.call(self.staff, "sales.interaction.log", "create", vals, context=forged),
            error=ACCESS_ERROR,
        )
        self.assertRefused(self.external(self.staff, "sales.interaction.log", "create", [vals]), error=ACCESS_ERROR)
        self.assertNoLedgerRow("sales.interaction.log", [("partner_id", "=", self.attacker_contact.id)])
        # Company B retries, cancels and restores its log: nothing goes to the attacker.
        self.logged_b.with_user(self.staff_2).action_cancel()
        self.logged_b.with_user(self.staff_2).action_restore()
        self.env["sales.logged.segment"]._cron_deliver()
        mails = self.env["mail.mail"].sudo().search([("email_to", "ilike", "mallory@attacker.example")])
        self.assertFalse(mails)
        self.assertFalse(mails.attachment_ids & self.nordic_file)

    def test_d2_no_forged_ledger_row_through_default_context(self):
        vals = {
            "partner_id": self.customer_it.id,
            "template_id": self.template.id,
            "description": "Call",
            "cost": 1000000,
        }
        forgeries = {
            "default_delivery_status": "sent",
            "default_message_id": self.entry_carla.message_id,
            "default_response_source": "reply",
            "default_replied_date": "2099-01-01 00:00:00",
            "default_clicked_date": "2099-01-01 00:00:00",
            "default_unsubscribed_date": "2099-01-01 00:00:00",
            "default_cancelled": True,
            "default_logged_segment_id": self.logged_b.id,
            "default_campaign_entry_id": self.entry_b.id,
        }
        before = self.entry_b.sudo().read(["cost", "interaction_count"])
        for key, value in forgeries.items():
            with self.subTest(key=key):
                self.assertRefused(
                    self.call(self.staff, "sales.interaction.log", "create", vals, context={key: value}),
                    error=ACCESS_ERROR,
                )
        self.assertRefused(
            self.call(self.manager, "sales.interaction.log", "create", vals, context=forgeries),
            error=ACCESS_ERROR,
        )
        self.assertNoLedgerRow("sales.interaction.log", [("cost", "=", 1000000)])
        self.assertEqual(self.entry_b.sudo().read(["cost", "interaction_count"]), before)
        # The other ledgers: no create, write or unlink by any role, not even through another record's commands.
        for user in (self.staff, self.manager):
            for model, record, vals in (
                (
                    "sales.campaign.entry",
                    self.entry_b,
                    {"campaign_id": self.campaign.id, "description": "Forged"},
                ),
                ("sales.logged.segment", self.logged_a, {"description": "Forged"}),
                (
                    "sales.segment.history",
                    self.logged_a.segment_id.history_ids[:1],
                    {"added_count": 99},
                ),
                ("sales.interaction.log", self.entry_carla, {"cost": 0, "evaluation": "positive"}),
            ):
                with self.subTest(user=user.login, model=model):
                    self.assertRefused(self.call(user, model, "create", vals), error=ACCESS_ERROR)
                    self.assertRefused(self.call(user, model, "write", record.ids, vals), error=ACCESS_ERROR)
                    self.assertRefused(self.call(user, model, "unlink", record.ids), error=ACCESS_ERROR)
                    self.assertRefused(self.call(user, model, "copy", record.ids), error=ACCESS_ERROR)
        draft = self.env["sales.segment"].with_user(self.staff).create({"description": "Draft"})
        self.assertRefused(
            self.call(
                self.staff,
                "sales.segment",
                "write",
                draft.ids,
                {"history_ids": [Command.create({"sequence": 1, "action": "add", "added_count": 5})]},
            ),
            error=ACCESS_ERROR,
        )
        self.assertLoadRefused(
            self.call(
                self.staff,
                "sales.logged.segment",
                "load",
                ["name", "description"],
                [["LS99999", "Imported"]],
            )
        )
        self.assertNoLedgerRow("sales.logged.segment", [("name", "=", "LS99999")])

    # ------------------------------------------------------------------------------------------------
    # D3, D4: protected fields of campaigns, segments and lines
    # ------------------------------------------------------------------------------------------------

    def test_d3_only_managers_activate_campaign_prices(self):
        pricelist = self.discount_pricelist.id
        attempts = [
            ("create", [{"title": "Cheap", "pricelist_id": pricelist, "activated": True}], {}),
            (
                "create",
                [{"title": "Cheap"}],
                {"default_activated": True, "default_pricelist_id": pricelist},
            ),
            ("create", [{"title": "Cheap", "number": "CP9999"}], {}),
            ("create", [{"title": "Cheap"}], {"default_number": "CP9999"}),
            ("copy", [self.campaign.id], {"default_activated": True}),
            ("load", [["title", "activated"], [["Cheap", "True"]]], {}),
            ("write", [self.campaign.ids, {"activated": True}], {}),
            ("write", [self.campaign.ids, {"pricelist_id": pricelist}], {}),
        ]
        for method, args, context in attempts:
            with self.subTest(method=method, context=context):
                response = self.call(self.staff, "sales.campaign", method, *args, context=context)
                if method == "load":
                    self.assertLoadRefused(response)
                elif "error" in response or method == "write":
                    self.assertRefused(response, error=REFUSED)
                else:
                    # Created, but the context keys set nothing: the campaign is a plain new one.
                    created = self.env["sales.campaign"].browse(response["result"])
                    self.assertEqual(
                        (created.activated, created.pricelist_id, created.number == "CP9999"),
                        (False, created.browse().pricelist_id, False),
                    )
        Campaign = self.env["sales.campaign"].sudo().with_context(active_test=False)
        self.assertFalse(Campaign.search(["|", ("activated", "=", True), ("pricelist_id", "=", pricelist)]))
        self.assertFalse(Campaign.search([("number", "=", "CP9999")]))
        # The manager activates through the action.
        segment = (
            self.env["sales.segment"]
            .with_user(self.manager)
            .create({"description": "Targets", "campaign_id": self.campaign.id, "campaign_target": True})
        )
        segment._run_step("add", {"partner_ids": self.prospect_buyer.ids})
        self.assertDone(self.call(self.manager, "sales.campaign", "action_activate", self.campaign.ids))
        self.assertTrue(self.campaign.activated)
        self.assertRefused(
            self.call(self.staff, "sales.campaign", "action_deactivate", self.campaign.ids),
            error=REFUSED,
        )
        self.assertTrue(self.campaign.activated)

    def test_d4_segment_state_and_line_steps_hold_against_default_context(self):
        response = self.call(
            self.staff,
            "sales.segment",
            "create",
            {"description": "Logged?"},
            context={"default_state": "logged"},
        )
        if "error" not in response:
            self.assertEqual(self.env["sales.segment"].browse(response["result"]).state, "draft")
        self.assertNoLedgerRow("sales.segment", [("description", "=", "Logged?"), ("state", "=", "logged")])
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Steps"})
        for partner, vals, context in (
            (self.prospect_buyer, {}, {"default_removed_step": 7, "default_active": False}),
            (self.customer_it, {}, {"default_added_step": 3}),
            (self.prospect_seller, {"removed_step": 7, "active": False}, {}),
        ):
            with self.subTest(context=context, vals=vals):
                response = self.call(
                    self.staff,
                    "sales.segment.line",
                    "create",
                    {"segment_id": segment.id, "partner_id": partner.id, **vals},
                    context=context,
                )
                if vals:
                    self.assertRefused(response, error=REFUSED)
                    continue
                # Created as a line added by hand, a step of its own, whatever the context said.
                line = self.env["sales.segment.line"].browse(self.assertDone(response))
                self.assertTrue(line.active)
                self.assertFalse(line.removed_step)
                self.assertEqual(line.added_step, segment.history_ids[:1].sequence)
        lines = self.env["sales.segment.line"].with_context(active_test=False).search([("segment_id", "=", segment.id)])
        self.assertEqual(lines.partner_id, self.prospect_buyer | self.customer_it)
        # Go Back undoes them one step at a time, as lines added by hand.
        self.assertDone(self.call(self.staff, "sales.segment", "action_go_back", segment.ids))
        self.assertDone(self.call(self.staff, "sales.segment", "action_go_back", segment.ids))
        self.assertFalse(segment.with_context(active_test=False).line_ids)

    def test_d4_versions_of_a_logged_segment_hold_against_default_context(self):
        """What a logged segment sent (its A/B versions and their texts) no longer changes: a version or a text
        put on it through a default_* key, which Odoo adds after the create's own values, is refused too."""
        segment = (
            self.env["sales.segment"]
            .with_user(self.staff)
            .create({"description": "Versions", "template_id": self.template.id})
        )
        segment._run_step("add", {"partner_ids": self.prospect_buyer.ids})
        segment.action_add_version()
        version = segment.version_ids[:1]
        self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=False)
        self.assertEqual(segment.state, "logged")
        versions, texts = segment.version_ids, version.text_ids
        self.assertRefused(
            self.call(
                self.staff, "sales.segment.version", "create", {"name": "C"}, context={"default_segment_id": segment.id}
            ),
            error=REFUSED,
        )
        self.assertRefused(
            self.call(
                self.staff,
                "sales.segment.version.text",
                "create",
                {"lang": "fr_FR", "subject": "Autre chose"},
                context={"default_version_id": version.id},
            ),
            error=REFUSED,
        )
        draft = self.env["sales.segment"].with_user(self.staff).create({"description": "Draft"})
        self.assertRefused(
            self.call(self.staff, "sales.segment.version", "write", versions[1:].ids, {"segment_id": draft.id}),
            error=REFUSED,
        )
        self.assertEqual(segment.version_ids, versions)
        self.assertEqual(version.text_ids, texts)

    # ------------------------------------------------------------------------------------------------
    # D6: cancel and restore act on the whole log
    # ------------------------------------------------------------------------------------------------

    def test_d6_cancel_acts_on_the_whole_log_whatever_the_user_may_read(self):
        restricted = self.env["res.groups"].create({"name": "Restricted address book"})
        self.staff.groups_id = [Command.link(restricted.id)]
        self.env["ir.rule"].create(
            {
                "name": "Restricted address book: no secret contacts",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "groups": [Command.link(restricted.id)],
                "domain_force": "[('ref', '!=', 'SECRET')]",
            }
        )
        secrets = self.env["res.partner"].create(
            [{"name": f"Secret {n}", "ref": "SECRET", "email": f"secret{n}@example.com"} for n in range(2)]
        )
        segment = (
            self.env["sales.segment"]
            .with_user(self.manager)
            .create(
                {
                    "description": "Mixed",
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                }
            )
        )
        segment._run_step("add", {"partner_ids": (secrets | self.prospect_buyer).ids})
        logged = self.env["sales.logged.segment"].with_user(self.manager)._log_segment(segment, send=False)
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_cancel", logged.ids))
        self.assertTrue(logged.cancelled)
        self.assertTrue(all(logged.sudo().interaction_ids.mapped("cancelled")))
        self.assertTrue(all(logged.sudo().campaign_entry_ids.mapped("cancelled")))
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_restore", logged.ids))
        self.assertFalse(any(logged.sudo().interaction_ids.mapped("cancelled")))
        # Another company's log cannot be cancelled at all.
        self.assertRefused(
            self.call(self.staff, "sales.logged.segment", "action_cancel", self.logged_b.ids),
            error=REFUSED,
        )
        self.assertFalse(self.logged_b.cancelled)
        # A user without campaign rights cancels nothing.
        self.assertRefused(
            self.call(self.employee, "sales.logged.segment", "action_cancel", logged.ids),
            error=REFUSED,
        )
        self.assertRefused(
            self.call(self.employee, "sales.interaction.log", "action_cancel", logged.interaction_ids.ids),
            error=REFUSED,
        )
        self.assertFalse(logged.cancelled)

    # ------------------------------------------------------------------------------------------------
    # D7: replies and bounces come from the mail gateway only
    # ------------------------------------------------------------------------------------------------

    def test_d7_replies_and_bounces_only_from_the_mail_gateway(self):
        answered = self.entry_carla.sudo().message_id
        self.assertTrue(answered)
        reply = REPLY.format(n=1, answered=answered, date="Fri, 01 Jan 2099 10:00:00 +0000")
        self.call(self.employee, "mail.thread", "message_process", False, reply)
        self.call(self.staff, "mail.thread", "message_process", False, reply.replace("reply-1", "reply-2"))
        self.assertNoLedgerRow("sales.interaction.log", [("answered_interaction_id", "=", self.entry_carla.id)])
        self.assertFalse(self.entry_carla.sudo().replied_date)
        bounce = DSN.format(
            to="sc_staff@example.com",
            message_id="<dsn-1@mx.example.com>",
            date=format_datetime(fields.Datetime.now()),
            rcpt="carla@customer.example",
            original_headers=f"Message-Id: {answered}\nTo: carla@customer.example\nSubject: Thank you",
        )
        self.call(self.employee, "mail.thread", "message_process", False, bounce)
        self.assertNotEqual(self.entry_carla.sudo().delivery_status, "error")
        # The mail gateway (fetchmail runs it as the superuser) records the reply, dated when it arrived.
        before = fields.Datetime.now()
        self.env["mail.thread"].sudo().message_process(
            False, REPLY.format(n=3, answered=answered, date="Fri, 01 Jan 2099 10:00:00 +0000")
        )
        response = (
            self.env["sales.interaction.log"]
            .sudo()
            .search(
                [
                    ("answered_interaction_id", "=", self.entry_carla.id),
                    ("response_source", "=", "reply"),
                ]
            )
        )
        self.assertEqual(len(response), 1)
        self.assertLessEqual(response.date, fields.Datetime.now())
        self.assertGreaterEqual(response.date, before.replace(microsecond=0))
        self.assertLessEqual(self.entry_carla.sudo().replied_date, fields.Datetime.now())

    # ------------------------------------------------------------------------------------------------
    # D8: no reading across companies
    # ------------------------------------------------------------------------------------------------

    def test_d8_wizards_and_flags_do_not_read_across_companies(self):
        segment_a = self.logged_a.segment_id
        draft_a = self.env["sales.segment"].with_user(self.staff).create({"description": "Draft A"})
        draft_a._run_step("add", {"partner_ids": self.customer_buyer.ids})
        for model, vals in (
            (
                "sales.segment.contacts.wizard",
                {
                    "segment_id": draft_a.id,
                    "mode": "reduce",
                    "partner_domain": f"[('id', '=', {self.customer_buyer.id})]",
                },
            ),
            ("sales.segment.log.wizard", {"segment_id": draft_a.id}),
        ):
            with self.subTest(model=model):
                self.assertRefused(self.call(self.staff_2, model, "create", vals), error=REFUSED)
                count = "match_count" if model == "sales.segment.contacts.wizard" else "line_count"
                response = self.call(
                    self.staff_2,
                    model,
                    "onchange",
                    [],
                    {},
                    [],
                    {"segment_id": {}, count: {}},
                    context={"default_segment_id": draft_a.id, "default_mode": "reduce"},
                )
                if "error" not in response:
                    self.assertFalse(response["result"]["value"].get(count), f"{model} counts company A's lines")
        self.assertRefused(
            self.call(
                self.staff_2,
                "sales.logged.segment",
                "read",
                self.logged_a.ids,
                ["interaction_count"],
            ),
            error=ACCESS_ERROR,
        )
        # A contact targeted by company B's campaign is no "target of another campaign" for company A.
        shared = self.env["res.partner"].create({"name": "Shared visitor", "email": "shared@example.com"})
        segment_b = (
            self.env["sales.segment"]
            .with_user(self.staff_2)
            .create(
                {
                    "description": "B targets",
                    "campaign_id": self.campaign_b.id,
                    "campaign_target": True,
                }
            )
        )
        segment_b._run_step("add", {"partner_ids": shared.ids})
        draft_a._run_step("add", {"partner_ids": shared.ids})
        line = draft_a.with_user(self.staff).line_ids.filtered(lambda line: line.partner_id == shared)
        self.assertFalse(line.in_other_campaign)
        self.assertNotIn(segment_a, self.env["sales.segment"].with_user(self.staff_2).search([]))

    # ------------------------------------------------------------------------------------------------
    # D9: clean refusals, never a server error
    # ------------------------------------------------------------------------------------------------

    def test_d9_bad_input_is_refused_cleanly(self):
        entry = self.entry_carla
        for url, method in (
            (f"/r/abc/c/{entry.id}/%C3%A9t%C3%A9", "GET"),
            (
                f"/sales_campaign/unsubscribe/{entry.id}?email=carla%40customer.example&token=%C3%A9t%C3%A9",
                "GET",
            ),
            (
                f"/sales_campaign/unsubscribe/{entry.id}/one-click?email=carla%40customer.example&token=%C3%A9t%C3%A9",
                "POST",
            ),
        ):
            with self.subTest(url=url):
                if method == "GET":
                    response = self.url_open(url, allow_redirects=False)
                else:
                    response = self.url_open(url, data={"List-Unsubscribe": "One-Click"}, allow_redirects=False)
                self.assertLess(response.status_code, 500, url)
        self.authenticate(self.staff.login, self.staff.login)
        segment = self.logged_a.segment_id
        for url in (
            "/sales_campaign/export/segments",
            "/sales_campaign/export/segments?ids=",
            f"/sales_campaign/export/segments?ids={segment.id},{segment.id}",
            "/sales_campaign/export/segments?ids=99999999999999999999",
        ):
            with self.subTest(url=url):
                self.assertLess(self.url_open(url).status_code, 500, url)
        draft = self.env["sales.segment"].with_user(self.staff).create({"description": "Deep"})
        deep = "[" * 980 + "]" * 980
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.contacts.wizard",
                "create",
                {"segment_id": draft.id, "mode": "add", "partner_domain": deep},
            )
        )
        self.assertRefused(
            self.call(self.staff, "sales.segment.contacts.wizard", "action_apply", [wizard_id]),
            error=USER_ERROR,
            message="nested",
        )

    # ------------------------------------------------------------------------------------------------
    # D10: archived contacts never enter a segment
    # ------------------------------------------------------------------------------------------------

    def test_d10_archived_contacts_never_enter_a_segment(self):
        archived = self.env["res.partner"].create(
            {
                "name": "Archived Buyer",
                "email": "archived@example.com",
                "active": False,
                "job_responsibility_ids": [Command.link(self.resp_purchase.id)],
            }
        )
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Archived?"})
        response = self.call(
            self.staff,
            "sales.segment.contacts.wizard",
            "create",
            {
                "segment_id": segment.id,
                "mode": "add",
                "job_responsibility_ids": [Command.set(self.resp_purchase.ids)],
            },
            context={"active_test": False},
        )
        wizard_id = self.assertDone(response)
        self.call(
            self.staff,
            "sales.segment.contacts.wizard",
            "action_apply",
            [wizard_id],
            context={"active_test": False},
        )
        self.assertNotIn(archived, segment.line_ids.partner_id)
        self.assertIn(self.customer_buyer, segment.line_ids.partner_id)
        self.assertRefused(
            self.call(
                self.staff,
                "sales.segment.line",
                "create",
                {"segment_id": segment.id, "partner_id": archived.id},
                context={"active_test": False},
            ),
            error=REFUSED,
        )
        self.assertNotIn(archived, segment.with_context(active_test=False).line_ids.partner_id)

    # ------------------------------------------------------------------------------------------------
    # The legitimate flows, for the right roles
    # ------------------------------------------------------------------------------------------------

    def test_legitimate_flows_still_work(self):
        # A manual interaction from the contact: the Log Interaction wizard.
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.interaction.log.wizard",
                "create",
                {
                    "partner_id": self.prospect_buyer.id,
                    "template_id": self.template.id,
                    "description": "Phone call about the Rome Guest Chair",
                    "campaign_id": self.campaign.id,
                },
                context={
                    "default_partner_id": self.prospect_buyer.id,
                    "default_delivery_status": "sent",
                },
            )
        )
        self.assertDone(self.call(self.staff, "sales.interaction.log.wizard", "action_log", [wizard_id]))
        entry = self.env["sales.interaction.log"].search([("partner_id", "=", self.prospect_buyer.id)])
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.delivery_status, "not_applicable")
        self.assertEqual(entry.campaign_entry_id.description, "Interactions")
        self.assertEqual(entry.create_uid, self.staff)
        # Its evaluation, through the entry's Evaluate dialog.
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.interaction.log.evaluation.wizard",
                "create",
                {"interaction_id": entry.id, "evaluation": "positive", "comment": "Wants a quote"},
            )
        )
        self.assertDone(self.call(self.staff, "sales.interaction.log.evaluation.wizard", "action_save", [wizard_id]))
        self.assertEqual((entry.evaluation, entry.comment), ("positive", "Wants a quote"))
        # Cancel and restore the entry, the log; resend needs failed e-mails.
        self.assertDone(self.call(self.staff, "sales.interaction.log", "action_cancel", entry.ids))
        self.assertTrue(entry.cancelled)
        self.assertDone(self.call(self.staff, "sales.interaction.log", "action_restore", entry.ids))
        self.assertFalse(entry.cancelled)
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_cancel", self.logged_a.ids))
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_restore", self.logged_a.ids))
        self.assertFalse(self.logged_a.cancelled)
        self.assertRefused(
            self.call(self.staff, "sales.logged.segment", "action_resend", self.logged_a.ids),
            error=USER_ERROR,
        )
        # Nobody else's contact: the wizard refuses a contact the user may not read.
        self.assertRefused(
            self.call(
                self.staff,
                "sales.interaction.log.wizard",
                "create",
                {
                    "partner_id": self.nordic_contact.id,
                    "template_id": self.template.id,
                    "description": "Hi",
                },
            ),
            error=REFUSED,
        )
        # Managers delete cancelled entries (Business Central's Delete Campaign Entries), nothing else.
        entry.with_user(self.staff).action_cancel()
        self.assertRefused(
            self.call(self.staff, "sales.interaction.log", "action_delete", entry.ids),
            error=REFUSED,
        )
        self.assertDone(self.call(self.manager, "sales.interaction.log", "action_delete", entry.ids))
        self.assertFalse(entry.exists())
        self.assertRefused(
            self.call(self.manager, "sales.interaction.log", "action_delete", self.entry_carla.ids),
            error=USER_ERROR,
        )
        self.assertTrue(self.entry_carla.exists())
        # A new user of the campaign group, to be sure nothing above depended on the setup's users.
        newcomer = new_test_user(
            self.env,
            login="sc_trust_newcomer",
            groups="sales_campaign.group_sales_campaign_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.assertTrue(self.assertDone(self.call(newcomer, "sales.interaction.log", "search_count", [])))
