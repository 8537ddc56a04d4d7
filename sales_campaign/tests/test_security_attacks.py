"""Attacks over JSON-RPC, as each role would try them from a script: every one is refused or has no effect.

Each test calls the server the way a client does (``/web/dataset/call_kw`` with the session of the role, or
the external ``/jsonrpc`` API with its password), passing the context keys, ids and values an attacker would,
then checks the database. Each also shows that the legitimate way still works for the right role.
"""

import io

import openpyxl
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ACCESS_ERROR, VALIDATION_ERROR, JsonRpcClient, SalesSegmentCommon


@tagged("post_install", "-at_install", "sales_campaign_attack")
class TestSecurityAttacks(JsonRpcClient, HttpCase, SalesSegmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        # A contact hidden from the staff by a record rule (a restricted address book), and one of company 2.
        restricted = cls.env["res.groups"].create({"name": "Restricted address book"})
        cls.staff.groups_id = [Command.link(restricted.id)]
        cls.env["ir.rule"].create(
            {
                "name": "Restricted address book: no secret contacts",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "groups": [Command.link(restricted.id)],
                "domain_force": "[('ref', '!=', 'SECRET')]",
            }
        )
        cls.secret = Partner.create(
            {
                "name": "Sandra Secret",
                "ref": "SECRET",
                "email": "sandra@secret.example",
                "phone": "+47 555 0101",
                "job_responsibility_ids": [Command.link(cls.resp_purchase.id)],
            }
        )
        cls.nordic = Partner.create(
            {"name": "Nils Nordic", "email": "nils@nordic.example", "company_id": cls.company_2.id}
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="sc_attack_salesperson",
            name="Sam Salesperson",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        # Files the staff may not read: another company's, and another user's private upload.
        cls.segment_nordic = cls.env["sales.segment"].with_user(cls.staff_2).create({"description": "Nordic visitors"})
        cls.file_nordic = cls.env["ir.attachment"].create(
            {
                "name": "nordic-prices.pdf",
                "raw": b"NORDIC CONFIDENTIAL",
                "res_model": "sales.segment",
                "res_id": cls.segment_nordic.id,
            }
        )
        cls.file_private = (
            cls.env["ir.attachment"].with_user(cls.manager).create({"name": "salaries.pdf", "raw": b"MANAGER PRIVATE"})
        )
        cls.file_own = (
            cls.env["ir.attachment"].with_user(cls.staff).create({"name": "brochure.pdf", "raw": b"%PDF-1.4 brochure"})
        )
        # The staff's logged segment (letters and e-mails) and a draft one.
        cls.template.language_ids.body_html = '<p>Dear <t t-out="object.name"/>, thank you.</p>'
        cls.logged_segment = (
            cls.env["sales.segment"]
            .with_user(cls.staff)
            .create(
                {
                    "description": "Logged visitors",
                    "template_id": cls.template.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_target": True,
                }
            )
        )
        cls.logged_segment._run_step("add", {"job_responsibility_ids": cls.resp_purchase.ids})
        cls.logged = cls.env["sales.logged.segment"].with_user(cls.staff)._log_segment(cls.logged_segment, send=True)
        cls.entry = cls.logged.interaction_ids.filtered(lambda entry: entry.partner_id == cls.customer_buyer)
        cls.draft = (
            cls.env["sales.segment"]
            .with_user(cls.staff)
            .create({"description": "Draft visitors", "template_id": cls.template.id})
        )
        cls.draft._run_step("add", {"job_responsibility_ids": cls.resp_it.ids})

    # ------------------------------------------------------------------------------------------------
    # Critical: files
    # ------------------------------------------------------------------------------------------------

    def test_c1_no_foreign_file_through_the_letters_of_a_logged_segment(self):
        for foreign in (self.file_nordic, self.file_private):
            with self.subTest(file=foreign.name):
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.logged.segment",
                        "write",
                        [self.logged.id],
                        {"letter_attachment_ids": [(4, foreign.id)]},
                    )
                )
                self.assertRefused(
                    self.external(
                        self.staff,
                        "sales.logged.segment",
                        "write",
                        [[self.logged.id], {"letter_attachment_ids": [(4, foreign.id)]}],
                    )
                )
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.logged.segment",
                        "write",
                        [self.logged.id],
                        {"attachment_ids": [(4, foreign.id)]},
                    )
                )
                self.assertNotIn(foreign, self.logged.attachment_ids)
                self.assertNotIn(foreign, self.logged.letter_attachment_ids)
        # The staff reads its own letters.
        with_letters = (
            self.env["sales.segment"]
            .with_user(self.staff)
            .create(
                {
                    "description": "Letters",
                    "template_id": self.template.id,
                    "correspondence_type": "hard_copy",
                    "ignore_contact_correspondence_type": True,
                }
            )
        )
        with_letters._run_step("add", {"partner_ids": self.prospect_buyer.ids})
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(with_letters, send=True)
        action = self.assertDone(self.call(self.staff, "sales.logged.segment", "action_download_letters", [logged.id]))
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"%PDF"))

    def test_c2_no_foreign_file_e_mailed_out(self):
        segment = (
            self.env["sales.segment"]
            .with_user(self.staff)
            .create({"description": "Exfiltration", "template_id": self.template.id, "send_attachment": True})
        )
        segment._run_step("add", {"partner_ids": self.customer_buyer.ids})
        rows = segment.language_ids
        for foreign in (self.file_nordic, self.file_private):
            with self.subTest(file=foreign.name):
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.segment.language",
                        "write",
                        rows.ids,
                        {"attachment_ids": [(6, 0, [foreign.id])]},
                    ),
                    message="open yourself",
                )
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.segment.language",
                        "create",
                        {"segment_id": segment.id, "lang": "fr_FR", "attachment_ids": [(6, 0, [foreign.id])]},
                    ),
                    message="open yourself",
                )
                self.assertRefused(
                    self.call(
                        self.manager,
                        "sales.interaction.template.language",
                        "write",
                        self.template.language_ids.ids,
                        {"attachment_ids": [(4, self.file_nordic.id)]},
                    ),
                    message="open yourself",
                )
        self.assertFalse(rows.attachment_ids)
        # The staff's own file is sent: it becomes the language row's, readable with the segment.
        self.assertDone(
            self.call(
                self.staff,
                "sales.segment.language",
                "write",
                rows.ids,
                {"attachment_ids": [(6, 0, [self.file_own.id])]},
            )
        )
        self.assertEqual((self.file_own.res_model, self.file_own.res_id), ("sales.segment.language", rows.id))
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        mails = logged.interaction_ids.sudo().mail_mail_id
        self.assertEqual(mails.attachment_ids, self.file_own)

    # ------------------------------------------------------------------------------------------------
    # High
    # ------------------------------------------------------------------------------------------------

    def test_h1_context_keys_unlock_nothing(self):
        """The context keys the module's code reads, sent by a client, open nothing. (The ``default_*`` keys of
        the protected fields and ledgers are attacked in test_security_trust; ``active_test`` in D10 there.)"""
        # default_name / default_campaign_response shape a template made on the fly: only managers make templates.
        Template = self.env["sales.interaction.template"]
        before = Template.search_count([])
        for method, args in (("name_create", ["RESP"]), ("create", [{"code": "RESP2", "name": "Response"}])):
            with self.subTest(method=method):
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.interaction.template",
                        method,
                        *args,
                        context={"default_campaign_response": True, "default_name": "RESP"},
                    ),
                    error=ACCESS_ERROR,
                )
        self.assertEqual(Template.search_count([]), before)
        # sales_campaign_id names the campaign whose salesperson gets a plan's steps: a campaign the user may not
        # read (another company's) gives nobody, the plan is refused and no activity is made.
        plan = self.env["mail.activity.plan"].create(
            {
                "name": "Campaign report",
                "res_model": "res.partner",
                "template_ids": [
                    Command.create(
                        {
                            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Report to the campaign",
                            "responsible_type": "sales_campaign_user",
                        }
                    )
                ],
            }
        )
        contact = self.env["res.partner"].create({"name": "Nordic visitor", "company_id": self.company_2.id})
        context = {"active_model": "res.partner", "active_ids": [contact.id], "sales_campaign_id": self.campaign.id}
        created = self.call(
            self.staff_2,
            "mail.activity.schedule",
            "create",
            {"plan_id": plan.id, "res_model": "res.partner", "res_ids": str([contact.id])},
            context=context,
        )
        if "result" in created:
            self.assertRefused(
                self.call(
                    self.staff_2, "mail.activity.schedule", "action_schedule_plan", [created["result"]], context=context
                ),
                error=ACCESS_ERROR,
            )
        else:
            self.assertRefused(created, error=ACCESS_ERROR)
        self.assertFalse(
            self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", contact.id)]),
            "no step was given to the salesperson of a campaign the user may not see",
        )
        # force_price_recomputation is Odoo's own "Update Prices": it re-prices with the campaign prices the
        # order's customer is entitled to, nothing more (tested in test_campaign_prices).

        # A campaign rule is dated by its card only, whatever the context.
        rule = (
            self.env["product.pricelist.item"]
            .with_user(self.manager)
            .create(
                {
                    "sales_campaign_id": self.campaign.id,
                    "compute_price": "fixed",
                    "fixed_price": 10.0,
                    "applied_on": "3_global",
                }
            )
        )
        self.assertRefused(
            self.call(
                self.manager,
                "product.pricelist.item",
                "write",
                [rule.id],
                {"date_start": "2001-01-01 00:00:00"},
            ),
            message="campaign card",
        )
        self.assertEqual(rule.date_start, False)
        # The legitimate ways: a result on the entry (its Evaluate dialog), the campaign's dates moving its rules.
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.interaction.log.evaluation.wizard",
                "create",
                {"interaction_id": self.entry.id, "evaluation": "positive"},
            )
        )
        self.assertDone(self.call(self.staff, "sales.interaction.log.evaluation.wizard", "action_save", [wizard_id]))
        self.assertEqual(self.entry.evaluation, "positive")
        self.assertDone(
            self.call(self.staff, "sales.campaign", "write", [self.campaign.id], {"date_start": "2026-01-01"})
        )
        self.assertEqual(str(rule.date_start), "2026-01-01 00:00:00")

    def test_h2_hidden_contacts_are_not_disclosed(self):
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Own"})
        for partner in (self.secret, self.nordic):
            with self.subTest(partner=partner.name):
                self.assertRefused(
                    self.call(
                        self.staff, "sales.segment.line", "create", {"segment_id": segment.id, "partner_id": partner.id}
                    ),
                    message="contact you may see",
                )
                self.assertRefused(
                    self.external(
                        self.staff,
                        "sales.segment.line",
                        "create",
                        [{"segment_id": segment.id, "partner_id": partner.id}],
                    )
                )
        self.assertFalse(segment.line_ids)
        # A colleague who may see Sandra put her in the staff's segment: the staff sees her name, not her details.
        line = (
            self.env["sales.segment.line"]
            .with_user(self.manager)
            .create({"segment_id": segment.id, "partner_id": self.secret.id})
        )
        [values] = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.line",
                "read",
                [line.id],
                ["email", "phone", "company_partner_id", "is_blacklisted"],
            )
        )
        self.assertEqual((values["email"], values["phone"], values["company_partner_id"]), (False, False, False))
        found = self.assertDone(
            self.call(self.staff, "sales.segment.line", "search", [("email", "=", "sandra@secret.example")])
        )
        self.assertEqual(found, [], "no searching the hidden e-mail either")
        _filename, output = self.env["sales.segment.xlsx.export"].with_user(self.staff)._export_file(segment)
        with output:
            content = output.read()
        rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
        self.assertEqual(rows[1][0], "Sandra Secret")
        self.assertEqual(rows[1][2:8], (None,) * 6, "no e-mail, phone or address in the export")
        self.assertNotIn(b"sandra@secret.example", content)
        # The manager, who may see her, reads her details.
        [values] = self.assertDone(self.call(self.manager, "sales.segment.line", "read", [line.id], ["email"]))
        self.assertEqual(values["email"], "sandra@secret.example")

    def test_h3_deleting_a_campaign_keeps_the_ledger(self):
        entries, campaign_entries = self.logged.interaction_ids, self.logged.campaign_entry_ids
        self.assertRefused(
            self.call(self.manager, "sales.campaign", "unlink", [self.campaign.id]),
            message="Cancel its logged segments",
        )
        self.assertTrue(self.campaign.exists() and entries.exists() and campaign_entries.exists())
        # Once its log is cancelled, the manager may delete the campaign.
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_cancel", [self.logged.id]))
        self.assertDone(self.call(self.manager, "sales.campaign", "unlink", [self.campaign.id]))
        self.assertFalse(self.campaign.exists())

    # ------------------------------------------------------------------------------------------------
    # Medium
    # ------------------------------------------------------------------------------------------------

    def test_m1_activation_only_through_its_action(self):
        for values in (
            {"activated": True},
            {"pricelist_id": self.env["product.pricelist"].search([], limit=1).id},
            {"number": "CP9999"},
        ):
            with self.subTest(values=values):
                self.assertRefused(self.call(self.staff, "sales.campaign", "write", [self.campaign.id], values))
        self.assertFalse(self.campaign.activated)
        self.assertRefused(
            self.call(self.staff, "sales.campaign", "action_activate", [self.campaign.id]), error=ACCESS_ERROR
        )
        self.assertDone(self.call(self.manager, "sales.campaign", "action_activate", [self.campaign.id]))
        self.assertTrue(self.campaign.activated)

    def test_m2_ledgers_change_only_through_their_actions(self):
        campaign_entry = self.logged.campaign_entry_ids
        for values in ({"date": "2001-01-01"}, {"description": "Forged"}, {"cancelled": True}):
            with self.subTest(values=values):
                self.assertRefused(self.call(self.staff, "sales.campaign.entry", "write", campaign_entry.ids, values))
        self.assertRefused(
            self.call(
                self.staff,
                "sales.campaign.entry",
                "create",
                {"campaign_id": self.campaign.id, "description": "Forged", "company_id": self.company.id},
            )
        )
        self.assertRefused(
            self.call(self.staff, "sales.logged.segment", "write", [self.logged.id], {"cancelled": True})
        )
        self.assertRefused(
            self.call(
                self.staff,
                "sales.logged.segment",
                "create",
                {"segment_id": self.draft.id, "company_id": self.company.id},
            )
        )
        self.assertFalse(self.draft.logged_segment_ids)
        step = self.draft.history_ids
        added = step.added_count
        self.assertRefused(self.call(self.staff, "sales.segment.history", "write", step.ids, {"added_count": 999}))
        self.assertRefused(self.call(self.staff, "sales.segment.history", "unlink", step.ids))
        self.assertRefused(
            self.call(
                self.staff,
                "sales.segment.history",
                "create",
                {"segment_id": self.draft.id, "action": "add", "added_count": 5},
            )
        )
        self.assertEqual((len(self.draft.history_ids), step.added_count), (1, added))
        logged_nordic = (
            self.env["sales.logged.segment"].sudo().search([("company_id", "=", self.company_2.id)], limit=1)
        )
        self.assertRefused(
            self.call(
                self.staff,
                "sales.interaction.log",
                "create",
                {
                    "partner_id": self.customer_buyer.id,
                    "template_id": self.template.id,
                    "description": "Forged",
                    "delivery_status": "sent",
                    "logged_segment_id": logged_nordic.id or self.logged.id,
                },
            )
        )
        self.assertFalse(campaign_entry.cancelled or self.logged.cancelled)
        # Their actions: cancel the logged segment (cascading), restore it.
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_cancel", [self.logged.id]))
        self.assertTrue(
            self.logged.cancelled and campaign_entry.cancelled and all(self.logged.interaction_ids.mapped("cancelled"))
        )
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_restore", [self.logged.id]))
        self.assertFalse(
            self.logged.cancelled or campaign_entry.cancelled or any(self.logged.interaction_ids.mapped("cancelled"))
        )
        # A hand-logged interaction, the legitimate way: the Log Interaction dialog.
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.interaction.log.wizard",
                "create",
                {
                    "partner_id": self.customer_buyer.id,
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                    "description": "Phone call",
                },
            )
        )
        action = self.assertDone(self.call(self.staff, "sales.interaction.log.wizard", "action_log", [wizard_id]))
        self.assertEqual(
            self.env["sales.interaction.log"].browse(action["res_id"]).campaign_entry_id.description, "Interactions"
        )

    def test_m6_responses_and_their_marks_come_from_the_system_only(self):
        """Replies, clicks, unsubscribes and the responses they make are recorded by the mail gateway and the
        signed links only: no client creates a response with a source, marks an e-mail replied, clicked or
        unsubscribed, or reaches the private methods that do."""
        Log = self.env["sales.interaction.log"]
        base = {
            "partner_id": self.customer_buyer.id,
            "template_id": self.template.id,
            "campaign_id": self.campaign.id,
            "campaign_response": True,
            "description": "Forged response",
        }
        for forged in (
            {"response_source": "reply"},
            {"answered_interaction_id": self.entry.id},
            {"reply_message_id": self.entry.mail_message_id.id},
            {"reply_other_address": True},
            {"order_id": self.env["sale.order"].search([], limit=1).id or 1},
        ):
            with self.subTest(forged=forged):
                self.assertRefused(self.call(self.staff, "sales.interaction.log", "create", dict(base, **forged)))
        self.assertFalse(Log.search([("description", "=", "Forged response")]))
        for forged in (
            {"clicked_date": "2026-01-01 10:00:00"},
            {"replied_date": "2026-01-01 10:00:00"},
            {"unsubscribed_date": "2026-01-01 10:00:00"},
            {"response_source": "click"},
        ):
            with self.subTest(forged=forged):
                self.assertRefused(
                    self.call(
                        self.staff,
                        "sales.interaction.log",
                        "write",
                        [self.entry.id],
                        forged,
                    ),
                )
        self.assertFalse(self.entry.clicked_date or self.entry.replied_date or self.entry.unsubscribed_date)
        for method, args in (
            ("_register_click", []),
            ("_create_process", [[base]]),
            ("_unsubscribe", ["carla@customer.example"]),
            ("_register_responses", [[]]),
        ):
            with self.subTest(method=method):
                self.assertRefused(
                    self.call(self.staff, "sales.interaction.log", method, [self.entry.id], *args),
                    error=ACCESS_ERROR,
                    message="Private methods",
                )
        # A response template of another company, or one the staff may not read, is refused on the campaign.
        nordic = self.env["sales.interaction.template"].create(
            {
                "code": "T-NORDIC-RESP",
                "name": "Nordic response",
                "company_id": self.company_2.id,
                "group_id": self.env.ref("sales_campaign.sales_interaction_group_response").id,
            }
        )
        self.assertRefused(
            self.call(self.staff, "sales.campaign", "write", [self.campaign.id], {"response_template_id": nordic.id})
        )
        self.assertFalse(self.campaign.response_template_id)
        # The legitimate way: the campaign's own template, set by its user.
        self.assertDone(
            self.call(
                self.staff, "sales.campaign", "write", [self.campaign.id], {"response_template_id": self.template.id}
            )
        )
        self.assertEqual(self.campaign.response_template_id, self.template)

    def test_m3_lines_and_segments_stay_where_they_are(self):
        line = self.draft.line_ids[:1]
        self.assertRefused(
            self.call(self.staff, "sales.segment.line", "write", line.ids, {"segment_id": self.logged_segment.id})
        )
        self.assertRefused(self.call(self.staff, "sales.segment.line", "write", line.ids, {"active": False}))
        self.assertEqual(line.segment_id, self.draft)
        self.assertRefused(
            self.call(self.staff_2, "sales.segment", "write", self.segment_nordic.ids, {"company_id": self.company.id})
        )
        self.assertEqual(self.segment_nordic.company_id, self.company_2)
        campaign_2 = self.env["sales.campaign"].with_user(self.manager_2).create({"title": "Nordic campaign"})
        self.assertRefused(
            self.call(self.manager_2, "sales.campaign", "write", campaign_2.ids, {"company_id": self.company.id})
        )
        self.assertEqual(campaign_2.company_id, self.company_2)
        # A line's own values stay editable while the segment is a draft.
        self.assertDone(self.call(self.staff, "sales.segment.line", "write", line.ids, {"subject": "Hello"}))
        self.assertEqual(line.subject, "Hello")

    def test_m3_the_lines_of_the_form_are_the_segments_own(self):
        """The form's lines (``form_line_ids``) are written as ``line_ids``: no way around the lines' checks."""
        lines = self.draft.line_ids
        other_line = self.logged_segment.line_ids[:1]
        for commands in (
            [Command.clear()],  # all lines at once
            [[]],  # no command at all
            "all",
            [Command.set([])],
            [Command.link(other_line.id)],  # a line of another segment moved here
            [Command.create({"partner_id": self.secret.id})],  # a contact the staff may not see
            [Command.update(other_line.id, {"subject": "Forged"})],  # a line of a logged segment
        ):
            with self.subTest(commands=commands):
                self.assertRefused(
                    self.call(self.staff, "sales.segment", "write", self.draft.ids, {"form_line_ids": commands})
                )
        delete = {"form_line_ids": [Command.delete(other_line.id)]}
        self.assertRefused(self.call(self.staff, "sales.segment", "write", self.logged_segment.ids, delete))
        self.assertEqual(self.draft.line_ids, lines)
        self.assertEqual(other_line.segment_id, self.logged_segment)
        self.assertNotEqual(other_line.subject, "Forged")
        # A line added by hand in the form is one more line, with its step
        self.assertDone(
            self.call(
                self.staff,
                "sales.segment",
                "write",
                self.draft.ids,
                {"form_line_ids": [Command.create({"partner_id": self.customer_buyer.id})]},
            )
        )
        self.assertEqual(self.draft.line_ids.partner_id, lines.partner_id | self.customer_buyer)
        self.assertEqual(self.draft.history_ids[0].action, "manual_add")

    def test_m4_campaign_prices_refuse_odd_values(self):
        rule = {"sales_campaign_id": self.campaign.id, "applied_on": "3_global"}
        for values, message in (
            ({"compute_price": "fixed", "fixed_price": -100.0}, "may not be negative"),
            ({"compute_price": "fixed", "fixed_price": 10.0, "min_quantity": -5}, "may not be negative"),
            ({"compute_price": "percentage", "percent_price": 150.0}, "at most 100 %"),
        ):
            with self.subTest(values=values):
                self.assertRefused(
                    self.call(self.manager, "product.pricelist.item", "create", {**rule, **values}),
                    error=VALIDATION_ERROR,
                    message=message,
                )
        self.assertFalse(self.campaign.price_item_ids)
        rule_id = self.assertDone(
            self.call(
                self.manager,
                "product.pricelist.item",
                "create",
                {**rule, "compute_price": "fixed", "fixed_price": 150.0},
            )
        )
        self.assertRefused(
            self.call(self.manager, "product.pricelist.item", "write", [rule_id], {"fixed_price": -1.0}),
            error=VALIDATION_ERROR,
        )
        self.assertEqual(self.campaign.price_item_ids.fixed_price, 150.0)

    def test_l1_l2_bad_filters_give_a_clear_error(self):
        segment = self.env["sales.segment"].with_user(self.staff).create({"description": "Filters"})
        for domain in (
            "[('id', '=', 10**30)]",
            "[('id', '=', 1000000000000000000000000000000)]",
            "[('create_date', '=', '2020-13-45')]",
            "[('id', '=', float('nan'))]",
            "[('id', 'in', list(range(3000000)))]",
            "[('id', 'in', [%s])]" % ", ".join(["1"] * 20_000),
        ):
            with self.subTest(domain=domain[:60]):
                response = self.call(
                    self.staff,
                    "sales.segment.contacts.wizard",
                    "create",
                    {"segment_id": segment.id, "mode": "add", "partner_domain": domain},
                )
                if "error" not in response:  # the filter is refused when used, with a message
                    response = self.call(
                        self.staff, "sales.segment.contacts.wizard", "action_apply", [response["result"]]
                    )
                self.assertRefused(response)
                self.assertNotIn("psycopg2", response["error"]["data"]["message"])
        self.assertFalse(segment.line_ids)
        self.assertFalse(segment.history_ids)
        # Crafted saved criteria: refused when replayed, with a message.
        saved_id = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.criteria",
                "create",
                {
                    "code": "X-CRAFTED",
                    "line_ids": [
                        (0, 0, {"sequence": 1, "action": "add", "criteria": {"job_responsibility_ids": "all"}})
                    ],
                },
            )
        )
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.reuse.criteria.wizard",
                "create",
                {"segment_id": segment.id, "reuse_from": "criteria", "criteria_id": saved_id},
            )
        )
        self.assertRefused(self.call(self.staff, "sales.segment.reuse.criteria.wizard", "action_reuse", [wizard_id]))
        self.assertFalse(segment.line_ids)

    def test_m5_cancel_and_restore_check_the_state(self):
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_cancel", [self.logged.id]))
        self.assertRefused(
            self.call(self.staff, "sales.logged.segment", "action_cancel", [self.logged.id]),
            message="already cancelled",
        )
        self.assertTrue(self.logged.cancelled, "a second Cancel (a double click) does not restore it")
        self.assertDone(self.call(self.staff, "sales.logged.segment", "action_restore", [self.logged.id]))
        self.assertRefused(
            self.call(self.staff, "sales.logged.segment", "action_restore", [self.logged.id]), message="not cancelled"
        )
        self.assertFalse(self.logged.cancelled)
        self.assertDone(self.call(self.staff, "sales.interaction.log", "action_cancel", self.entry.ids))
        self.assertRefused(
            self.call(self.staff, "sales.interaction.log", "action_cancel", self.entry.ids), message="already cancelled"
        )
        self.assertTrue(self.entry.cancelled)

    # ------------------------------------------------------------------------------------------------
    # Low
    # ------------------------------------------------------------------------------------------------

    def test_l3_no_names_across_companies(self):
        # Reuse Log with another company's logged segment.
        logged_segment = (
            self.env["sales.segment"]
            .with_user(self.staff_2)
            .create({"description": "Nordic", "template_id": self.template.id})
        )
        self.env["sales.segment.line"].with_user(self.staff_2).create(
            {"segment_id": logged_segment.id, "partner_id": self.nordic.id}
        )
        logged_nordic = (
            self.env["sales.logged.segment"].with_user(self.staff_2)._log_segment(logged_segment, send=False)
        )
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.reuse.criteria.wizard",
                "create",
                {"segment_id": self.draft.id, "reuse_from": "logged", "logged_segment_id": logged_nordic.id},
            )
        )
        self.assertRefused(
            self.call(self.staff, "sales.segment.reuse.criteria.wizard", "action_reuse", [wizard_id]),
            error=ACCESS_ERROR,
        )
        # Crafted saved criteria naming another company's campaign and contact, replayed.
        nordic_campaign = self.env["sales.campaign"].with_user(self.manager_2).create({"title": "Nordic secret fair"})
        steps = self.draft.history_ids
        for criteria in ({"interaction_campaign_ids": nordic_campaign.ids}, {"partner_ids": [self.nordic.id]}):
            with self.subTest(criteria=criteria):
                saved_id = self.assertDone(
                    self.call(
                        self.staff,
                        "sales.segment.criteria",
                        "create",
                        {
                            "code": f"X-{len(criteria)}-{next(iter(criteria))[:8]}".upper(),
                            "line_ids": [(0, 0, {"sequence": 1, "action": "add", "criteria": criteria})],
                        },
                    )
                )
                wizard_id = self.assertDone(
                    self.call(
                        self.staff,
                        "sales.segment.reuse.criteria.wizard",
                        "create",
                        {"segment_id": self.draft.id, "reuse_from": "criteria", "criteria_id": saved_id},
                    )
                )
                self.assertRefused(
                    self.call(self.staff, "sales.segment.reuse.criteria.wizard", "action_reuse", [wizard_id]),
                    message="may not see",
                )
        self.assertEqual(self.draft.history_ids, steps)
        with self.assertRaisesRegex(UserError, "may not see"):
            self.draft.with_user(self.staff)._run_step("add", {"interaction_campaign_ids": nordic_campaign.ids})
        self.assertNotIn("Nordic secret fair", "".join(self.draft.history_ids.mapped("description")))
        self.assertNotIn("Nils", "".join(self.draft.history_ids.mapped("description")))

    def test_l4_the_log_follows_the_contacts_record_rules(self):
        entry = self.log_interaction(
            self.manager,
            {"partner_id": self.secret.id, "template_id": self.template.id, "description": "Call with Sandra"},
        )
        found = self.assertDone(
            self.call(self.staff, "sales.interaction.log", "search_read", [("id", "=", entry.id)], ["description"])
        )
        self.assertEqual(found, [])
        self.assertRefused(
            self.call(self.staff, "sales.interaction.log", "read", [entry.id], ["description", "subject"]),
            error=ACCESS_ERROR,
        )
        self.assertRefused(
            self.call(
                self.staff,
                "sales.interaction.log.wizard",
                "create",
                {"partner_id": self.secret.id, "template_id": self.template.id, "description": "Forged"},
            ),
            message="you may see",
        )
        groups = self.assertDone(
            self.call(self.staff, "sales.interaction.log", "read_group", [], ["cost:sum"], ["partner_id"])
        )
        self.assertNotIn(self.secret.id, [group["partner_id"][0] for group in groups if group["partner_id"]])
        # The manager sees it.
        found = self.assertDone(
            self.call(self.manager, "sales.interaction.log", "search_read", [("id", "=", entry.id)], ["description"])
        )
        self.assertEqual(found[0]["description"], "Call with Sandra")

    def test_l5_deleting_a_campaign_entry_names_the_campaign_entry(self):
        self.assertRefused(
            self.call(self.staff, "sales.campaign.entry", "unlink", self.logged.campaign_entry_ids.ids),
            error=ACCESS_ERROR,
            message="Campaign Entry",
        )
        self.assertTrue(self.logged.campaign_entry_ids.exists())

    def test_l6_a_salesperson_opens_the_campaign_and_its_statistics(self):
        views = self.assertDone(self.call(self.salesperson, "sales.campaign", "get_views", [[False, "form"]]))
        # What the web client reads: the fields of the form (not those of its embedded lists).
        arch = etree.fromstring(views["views"]["form"]["arch"])
        names = {
            node.get("name") for node in arch.iter("field") if not any(p.tag == "field" for p in node.iterancestors())
        }
        self.assertNotIn("interaction_count", names, "the log's figures are not in the salesperson's form")
        self.assertIn("stat_revenue", names)
        [values] = self.assertDone(
            self.call(self.salesperson, "sales.campaign", "web_read", [self.campaign.id], {name: {} for name in names})
        )
        self.assertEqual(values["number"], self.campaign.number)
        statuses = self.assertDone(self.call(self.salesperson, "sales.campaign.status", "search_read", [], ["name"]))
        self.assertTrue(statuses, "the status bar shows the statuses")
        action = self.assertDone(
            self.call(self.salesperson, "sales.campaign", "action_export_statistics", [self.campaign.id])
        )
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(workbook.sheetnames, ["Campaign"], "no breakdown of the log for a salesperson")
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "sales.campaign"), ("res_id", "=", self.campaign.id)])
        )

    def test_l7_logging_names_the_contact_the_user_may_not_see(self):
        self.env["sales.segment.line"].with_user(self.manager).create(
            {"segment_id": self.draft.id, "partner_id": self.secret.id}
        )
        wizard_id = self.assertDone(
            self.call(
                self.staff,
                "sales.segment.log.wizard",
                "create",
                {"segment_id": self.draft.id, "send_attachments": False},
            )
        )
        self.assertRefused(
            self.call(self.staff, "sales.segment.log.wizard", "action_log", [wizard_id]),
            message="may not see.*Sandra Secret",
        )
        self.assertEqual(self.draft.state, "draft")
        self.assertDone(
            self.call(
                self.manager,
                "sales.segment.log.wizard",
                "action_log",
                [
                    self.assertDone(
                        self.call(
                            self.manager,
                            "sales.segment.log.wizard",
                            "create",
                            {"segment_id": self.draft.id, "send_attachments": False},
                        )
                    )
                ],
            )
        )
        self.assertEqual(self.draft.state, "logged")

    def test_exports_are_downloads_of_what_the_user_may_read(self):
        self.authenticate(self.staff.login, self.staff.login)
        self._session_user = self.staff
        response = self.url_open(f"/sales_campaign/export/segments?ids={self.draft.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames, [self.draft.name])
        response = self.url_open(f"/sales_campaign/export/segments?ids={self.segment_nordic.id}")
        self.assertNotEqual(response.status_code, 200, "another company's segment is not exported")
        self.assertNotIn(b"Nordic", response.content)
