import ast
import re
from email.utils import formatdate, make_msgid
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import SQL, formataddr, mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import MockEmail

from .common import DSN, SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentLog(SalesSegmentCommon):
    """Log Segment (walkthrough steps 5 and 6) as the marketing staff, and the ledger it leaves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.template.language_ids.body_html = '<p>Dear <t t-out="object.name"/>, thank you.</p>'
        cls.template.language_ids = [
            (
                0,
                0,
                {
                    "lang": "nl_NL",
                    "subject": "Bedankt voor uw bezoek",
                    "body_html": '<p>Beste <t t-out="object.name"/>, dank u.</p>',
                },
            )
        ]
        cls.customer_it.lang = "nl_NL"
        # Uploaded by the staff in the segment's language dialog.
        cls.attachment = (
            cls.env["ir.attachment"].with_user(cls.staff).create({"name": "brochure.pdf", "raw": b"%PDF-1.4 brochure"})
        )

    def staff_segment(self, **values):
        """A segment of the staff with the thank-you template, linked to the campaign as target."""
        segment = self.new_segment(
            template_id=self.template.id, campaign_id=self.campaign.id, campaign_target=True, **values
        ).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        return segment

    def log(self, segment, **options):
        form = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        for name, value in options.items():
            setattr(form, name, value)
        action = form.save().action_log()
        self.assertEqual(action["params"]["next"]["target"], "current", "the breadcrumb leads back to the segment")
        return self.env["sales.logged.segment"].browse(action["params"]["next"]["res_id"]).with_user(self.staff)

    # ------------------------------------------------------------------------------------------------

    def test_log_records_an_interaction_per_line_and_a_campaign_entry(self):
        segment = self.staff_segment()
        self.assertEqual(segment.line_count, 3)
        logged = self.log(segment, send_attachments=False)

        self.assertEqual(segment.state, "logged")
        self.assertEqual(segment.logged_segment_id, logged)
        entries = logged.interaction_ids
        self.assertEqual(entries.partner_id, self.customer_buyer | self.customer_it | self.prospect_buyer)
        self.assertEqual(logged.interaction_count, 3)
        for entry in entries:
            self.assertEqual(entry.template_id, self.template)
            self.assertEqual(entry.group_id, self.template.group_id)
            self.assertEqual(entry.cost, 1.5)
            self.assertEqual(entry.duration, 3)
            self.assertEqual(entry.campaign_id, self.campaign)
            self.assertTrue(entry.campaign_target)
            self.assertEqual(entry.description, "Trade show visitors")
            self.assertEqual(entry.delivery_status, "not_applicable")
            self.assertEqual(entry.company_partner_id, entry.partner_id.commercial_partner_id)
        by_partner = {entry.partner_id: entry for entry in entries}
        self.assertEqual(by_partner[self.customer_it].subject, "Bedankt voor uw bezoek")
        self.assertEqual(by_partner[self.customer_it].lang, "nl_NL")
        self.assertEqual(by_partner[self.customer_buyer].subject, "Thank you for visiting our booth")

        campaign_entry = logged.campaign_entry_ids
        self.assertEqual(len(campaign_entry), 1)
        self.assertEqual(campaign_entry.campaign_id, self.campaign)
        self.assertEqual(campaign_entry.interaction_count, 3)
        self.assertEqual(campaign_entry.cost, 4.5)
        self.assertEqual(campaign_entry.duration, 9)
        self.assertEqual(self.campaign.interaction_count, 3)
        self.assertEqual(self.campaign.campaign_entry_count, 1)
        # Both open from the logged segment, in their own views.
        action = logged.action_open_interactions()
        self.assertEqual(self.env[action["res_model"]].with_user(self.staff).search(action["domain"]), entries)
        action = logged.action_open_campaign_entries()
        self.assertEqual(self.env[action["res_model"]].with_user(self.staff).search(action["domain"]), campaign_entry)

        # The segment left the Segments list and can no longer change.
        action = self.env.ref("sales_campaign.sales_segment_action")
        self.assertNotIn(segment, self.env["sales.segment"].with_user(self.staff).search(safe_eval(action.domain)))
        with self.assertRaises(UserError):
            segment.description = "Changed"
        with self.assertRaises(UserError):
            self.add(segment, mailing_group_ids=self.mailing_news)
        # The contact sees the interaction.
        self.assertEqual(self.customer_it.with_user(self.staff).sales_interaction_count, 1)
        self.assertEqual(self.customer_co.with_user(self.staff).sales_interaction_count, 2)

    def test_a_campaign_entry_per_campaign_with_the_salesperson_of_its_first_line(self):
        segment = self.staff_segment()
        carla, ivan, paula = segment.line_ids.sorted("id")
        self.assertEqual(
            (carla + ivan + paula).partner_id, self.customer_buyer + self.customer_it + self.prospect_buyer
        )
        fair = self.env["sales.campaign"].create({"title": "Furniture fair"})
        carla.user_id = self.manager
        ivan.write({"campaign_id": fair.id, "user_id": self.staff.id})
        paula.write({"campaign_id": fair.id, "user_id": self.manager.id})
        logged = self.log(segment, send_attachments=False)
        self.assertEqual(
            {entry.campaign_id: (entry.salesperson_id, entry.interaction_count) for entry in logged.campaign_entry_ids},
            {self.campaign: (self.manager, 1), fair: (self.staff, 2)},
        )

    def test_log_refuses_what_is_missing_and_changes_nothing(self):
        Logged = self.env["sales.logged.segment"]
        empty = self.new_segment(template_id=self.template.id).with_user(self.staff)
        with self.assertRaisesRegex(UserError, "is empty"):
            self.log(empty)
        no_description = self.staff_segment(description=False)
        with self.assertRaisesRegex(UserError, "description"):
            self.log(no_description, send_attachments=False)
        no_template = self.new_segment().with_user(self.staff)
        self.add(no_template, job_responsibility_ids=self.resp_purchase)
        with self.assertRaisesRegex(UserError, "interaction template"):
            self.log(no_template, send_attachments=False)
        # Everything missing at once, a whole sentence per problem, one per line.
        nothing = self.new_segment(description=False).with_user(self.staff)
        self.add(nothing, job_responsibility_ids=self.resp_purchase)
        with self.assertRaises(UserError) as refusal:
            self.log(nothing, send_attachments=False)
        self.assertEqual(
            refusal.exception.args[0],
            f"Segment {nothing.name} cannot be logged yet:\n"
            "- The segment has no description.\n"
            "- The segment has no interaction template, and 2 of its lines have none either.",
        )
        bare = self.env["sales.interaction.template"].create(
            {"code": "T-BARE", "name": "Bare", "group_id": self.template.group_id.id, "correspondence_type": "email"}
        )
        unsendable = self.new_segment(template_id=bare.id, lang_default=False).with_user(self.staff)
        self.add(unsendable, job_responsibility_ids=self.resp_purchase | self.resp_it)
        with self.assertRaises(UserError) as refusal:
            self.log(unsendable, send_attachments=True)
        self.assertEqual(
            refusal.exception.args[0],
            f"Segment {unsendable.name} cannot be logged yet:\n"
            "- The segment needs a default language, or a language version for English (US).\n"
            "- Interaction template Bare has no text to print or send.",
        )
        self.assertFalse(Logged.search([]))
        self.assertFalse(self.env["sales.interaction.log"].search([]))
        self.assertEqual((empty | no_description | no_template | nothing | unsendable).mapped("state"), ["draft"] * 5)

        segment = self.staff_segment()
        self.log(segment, send_attachments=False)
        with self.assertRaisesRegex(UserError, "already been logged"):
            self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=False)
        self.assertEqual(len(Logged.search([("segment_id", "=", segment.id)])), 1)

    def test_emails_are_queued_per_language_with_attachments(self):
        segment = self.staff_segment(send_attachment=True)
        segment.language_ids.filtered(lambda row: row.lang == "en_US").attachment_ids = self.attachment
        logged = self.log(segment, send_attachments=True)

        entries = {entry.partner_id: entry for entry in logged.interaction_ids}
        carla, ivan, paula = entries[self.customer_buyer], entries[self.customer_it], entries[self.prospect_buyer]
        self.assertEqual((carla.delivery_status, ivan.delivery_status), ("queued", "queued"))
        self.assertEqual(carla.sudo().mail_mail_id.state, "outgoing")
        self.assertEqual(carla.sudo().mail_mail_id.subject, "Thank you for visiting our booth")
        self.assertIn("Dear Carla Customer-Buyer", carla.sudo().mail_mail_id.body_html)
        self.assertEqual(carla.sudo().mail_mail_id.attachment_ids, self.attachment)
        self.assertIn("carla@customer.example", carla.sudo().mail_mail_id.email_to)
        self.assertEqual(ivan.sudo().mail_mail_id.subject, "Bedankt voor uw bezoek")
        self.assertIn("Beste Ivan Customer-IT", ivan.sudo().mail_mail_id.body_html)
        self.assertTrue(carla.message_id)
        # Paula prefers hard copy: her letter is in the PDF of the logged segment.
        self.assertEqual(paula.correspondence_type, "hard_copy")
        self.assertEqual(paula.delivery_status, "sent")
        self.assertFalse(paula.sudo().mail_mail_id)
        self.assertEqual(len(logged.letter_attachment_ids), 1)
        self.assertEqual(logged.letter_attachment_ids.mimetype, "application/pdf")
        self.assertEqual(logged.state, "done", "a small log is delivered at once")
        self.assertEqual(
            (logged.email_queued_count, logged.email_count, logged.letter_printed_count, logged.letter_count),
            (2, 2, 1, 1),
        )
        self.assertIn(self.attachment, logged.attachment_ids)
        self.assertEqual(logged.queued_count, 2)

    def test_queued_mails_carry_what_odoo_sends(self):
        """The e-mails of a log are Odoo's ``mail.mail``, made by ``mail.mail.create`` with what the mail queue
        needs: recipient, subject, text, sender and reply-to, Message-Id, headers, files, the contact's thread."""
        segment = self.staff_segment(send_attachment=True)
        segment.language_ids.filtered(lambda row: row.lang == "en_US").attachment_ids = self.attachment
        logged = self.log(segment, send_attachments=True)
        entry = logged.interaction_ids.filtered(lambda entry: entry.partner_id == self.customer_buyer)
        mail = entry.sudo().mail_mail_id  # sudo: mail.mail is for administrators
        sender = segment.user_id or self.staff  # the segment's salesperson, else the user who logged
        self.assertRecordValues(
            mail,
            [
                {
                    "state": "outgoing",
                    "auto_delete": False,
                    "subject": "Thank you for visiting our booth",
                    "email_to": formataddr(("Carla Customer-Buyer", "carla@customer.example")),
                    "email_from": sender.email_formatted,
                    "author_id": sender.partner_id.id,
                    "model": "res.partner",
                    "res_id": self.customer_buyer.id,
                    "record_name": False,  # as Email Marketing's mass mails: no name worked out per contact
                    "message_type": "email_outgoing",
                    "create_uid": self.staff.id,
                }
            ],
        )
        self.assertTrue(mail.reply_to)
        self.assertEqual(mail.attachment_ids, self.attachment)
        self.assertIn("<p>Dear Carla Customer-Buyer, thank you.</p>", mail.body_html)
        self.assertIn("/sales_campaign/unsubscribe/", mail.body_html)
        headers = ast.literal_eval(mail.headers)
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn(f"/sales_campaign/unsubscribe/{entry.id}/one-click?", headers["List-Unsubscribe"])
        self.assertRegex(mail.message_id, rf"^<[0-9.]+-openerp-{self.customer_buyer.id}-res\.partner@")
        self.assertEqual((entry.message_id, entry.sudo().mail_message_id), (mail.message_id, mail.mail_message_id))
        self.assertIn(mail.mail_message_id, self.customer_buyer.message_ids, "the contact's chatter shows it")

    def test_log_dialog_warns_of_languages_without_attachment(self):
        segment = self.staff_segment(send_attachment=True)
        english = segment.language_ids.filtered(lambda row: row.lang == "en_US")
        english.attachment_ids = self.attachment
        wizard = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        self.assertEqual(
            wizard.attachment_warning,
            "Send Attachment is on, but Dutch / Nederlands have no attachment: "
            "their letters and e-mails go without one.",
        )
        wizard.send_attachments = False
        self.assertFalse(wizard.attachment_warning, "nothing is sent: nothing to warn of")
        segment.language_ids.filtered(lambda row: row.lang == "nl_NL").attachment_ids = self.attachment
        wizard = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        self.assertFalse(wizard.attachment_warning)

    def test_blacklisted_addresses_are_blocked_not_sent(self):
        self.env["mail.blacklist"]._add("carla@customer.example")
        segment = self.staff_segment()
        logged = self.log(segment, send_attachments=True)
        carla = logged.interaction_ids.filtered(lambda entry: entry.partner_id == self.customer_buyer)
        self.assertEqual(carla.delivery_status, "blocked")
        self.assertIn("blacklisted", carla.delivery_failure_reason)
        self.assertFalse(carla.mail_mail_id)

    def test_contacts_without_email_refuse_the_log_or_get_a_letter(self):
        self.customer_buyer.email = False
        segment = self.staff_segment()
        with self.assertRaisesRegex(UserError, "Carla Customer-Buyer"):
            self.log(segment, send_attachments=True)
        self.assertEqual(segment.state, "draft")
        self.assertFalse(self.env["sales.interaction.log"].search([]))
        self.assertFalse(self.env["sales.campaign.entry"].search([("campaign_id", "=", self.campaign.id)]))

        logged = self.log(segment, send_attachments=True, missing_email_as_hard_copy=True)
        carla = logged.interaction_ids.filtered(lambda entry: entry.partner_id == self.customer_buyer)
        self.assertEqual(carla.correspondence_type, "hard_copy")
        self.assertEqual(carla.delivery_status, "sent")
        # One PDF, a page per letter: Carla's and Paula's (who prefers hard copy).
        pdf = logged.letter_attachment_ids.raw
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(len(re.findall(rb"/Type\s*/Page[^s]", pdf)), 2)

    def test_a_letter_speaks_the_contacts_language_not_the_users(self):
        """A French-speaking user prints the letter of a Dutch contact: body and address block are Dutch."""
        self.env["res.lang"]._activate_lang("fr_CH")
        self.staff.lang = "fr_CH"
        switzerland = self.env.ref("base.ch")
        switzerland.with_context(lang="nl_NL").name = "Zwitserland"
        switzerland.with_context(lang="fr_CH").name = "Suisse"
        self.customer_it.write({"country_id": switzerland.id, "city": "Genève", "street": "Rue du Rhône 48"})
        self.assertNotEqual(self.customer_it.company_id.country_id or self.env.company.country_id, switzerland)
        logged = self.log(self.staff_segment(), send_attachments=False)
        entry = logged.interaction_ids.filtered(lambda entry: entry.partner_id == self.customer_it)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.staff)
            .with_context(lang="fr_CH")
            ._render_qweb_html("sales_campaign.report_interaction_letter", entry.ids)[0]
            .decode()
        )
        self.assertIn("Zwitserland", html)
        self.assertNotIn("Suisse", html)
        self.assertIn("Beste", html)

    def test_logging_is_all_or_nothing(self):
        segment = self.staff_segment()
        mails_before = self.env["mail.mail"].search_count([])
        with (
            patch.object(
                type(self.env["sales.logged.segment"]), "_print_letters", side_effect=UserError("printer on fire")
            ),
            self.assertRaisesRegex(UserError, "printer on fire"),
        ):
            self.log(segment, send_attachments=True)
        self.assertEqual(segment.state, "draft")
        self.assertFalse(self.env["sales.logged.segment"].search([]))
        self.assertFalse(self.env["sales.interaction.log"].search([]))
        self.assertFalse(self.env["sales.campaign.entry"].search([("campaign_id", "=", self.campaign.id)]))
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertEqual(segment.line_count, 3)
        # And it logs fine once the cause is gone.
        self.assertEqual(self.log(segment, send_attachments=True).interaction_count, 3)

    def test_followup_segment_and_reuse_log(self):
        segment = self.staff_segment()
        logged = self.log(segment, send_attachments=False, create_followup_segment=True)
        followup = logged.followup_segment_id
        self.assertEqual(len(followup), 1)
        self.assertEqual(
            followup.description, segment.description, "the description of the segment, as in Business Central"
        )
        self.assertEqual(followup.campaign_id, self.campaign)
        self.assertEqual(followup.line_ids.partner_id, logged.interaction_ids.partner_id)
        self.assertEqual(followup.history_ids.criteria["logged_segment_ids"], logged.ids)
        self.assertIn(logged.name, followup.history_ids.description)

        # Reuse Log from the wizard, as a user: an undoable step.
        other = self.new_segment().with_user(self.staff)
        wizard = Form(
            self.env["sales.segment.reuse.criteria.wizard"]
            .with_user(self.staff)
            .with_context(default_segment_id=other.id, default_reuse_from="logged")
        )
        wizard.logged_segment_id = logged
        wizard.save().action_reuse()
        self.assertEqual(other.line_ids.partner_id, logged.interaction_ids.partner_id)
        other.action_go_back()
        self.assertFalse(other.line_ids)

        # The interaction history filter group of Add Contacts.
        third = self.new_segment().with_user(self.staff)
        self.add(third, interaction_template_ids=self.template, job_responsibility_ids=self.resp_it)
        self.assertEqual(third.line_ids.partner_id, self.customer_it | self.prospect_buyer)

    def test_responses_are_recorded_without_sending(self):
        Template = self.env["sales.interaction.template"].with_user(self.manager)
        response = Template.browse(Template.with_context(default_campaign_response=True).name_create("RESP")[0])
        self.assertEqual(
            (response.code, response.name, response.group_id.code), ("RESP", "Campaign Response", "RESPONSE")
        )
        meeting = Template.browse(Template.name_create("Showroom visit")[0])
        self.assertEqual((meeting.code, meeting.name), ("SHOWROOM-VISIT", "Showroom visit"))
        self.assertEqual(response.information_flow, "inbound")
        segment = self.new_segment(
            template_id=response.id, campaign_id=self.campaign.id, campaign_response=True
        ).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        wizard = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        self.assertFalse(wizard.send_attachments)
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        self.assertTrue(all(logged.interaction_ids.mapped("campaign_response")))
        self.assertEqual(set(logged.interaction_ids.mapped("delivery_status")), {"not_applicable"})
        self.assertFalse(logged.interaction_ids.mail_mail_id)
        self.assertEqual(logged.campaign_entry_ids.interaction_count, 2)
        # Responses logged by hand, on the campaign card and in its statistics.
        self.assertEqual(logged.interaction_ids.mapped("response_source"), ["manual", "manual"])
        campaign = self.campaign.with_user(self.staff)
        self.assertEqual((campaign.stat_response_manual_count, campaign.stat_responded_count), (2, 2))

    def test_cancel_cascades_and_only_cancelled_is_deleted_by_managers(self):
        logged = self.log(self.staff_segment(), send_attachments=False)
        entries, campaign_entries = logged.interaction_ids, logged.campaign_entry_ids
        for user in (self.staff, self.manager):
            with self.assertRaises(AccessError):
                logged.with_user(user).unlink()
        with self.assertRaisesRegex(AccessError, "Only campaign managers"):
            logged.with_user(self.staff).action_delete()
        with self.assertRaisesRegex(UserError, "not cancelled"):
            logged.with_user(self.manager).action_delete()

        # Cancel the Log asks first (the button's confirmation), with buttons named for what they do.
        arch = self.env.ref("sales_campaign.sales_logged_segment_view_form").arch
        self.assertIn('confirm-label="Cancel the Log"', arch)
        self.assertIn('cancel-label="Keep the Log"', arch)
        logged.with_user(self.staff).action_cancel()
        self.assertTrue(logged.cancelled)
        self.assertTrue(all(campaign_entries.mapped("cancelled")) and all(entries.mapped("cancelled")))
        self.assertEqual(logged.interaction_count, 3, "counted with the logged segment's own cancelled state")
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.interaction_count, 0, "cancelled interactions leave the campaign figures")
        with self.assertRaisesRegex(UserError, "restore that first"):
            entries[0].with_user(self.staff).action_restore()
        logged.with_user(self.staff).action_restore()
        self.assertFalse(any(entries.mapped("cancelled")) or campaign_entries.cancelled)
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.interaction_count, 3)

        with self.assertRaisesRegex(UserError, "not cancelled"):
            campaign_entries.with_user(self.manager).action_delete()
        campaign_entries.with_user(self.staff).action_cancel()
        self.assertTrue(all(entries.mapped("cancelled")))
        campaign_entries.with_user(self.manager).action_delete()
        self.assertFalse(entries.exists(), "a campaign entry goes with its interactions")

        logged.with_user(self.staff).action_cancel()
        logged.with_user(self.manager).action_delete()
        self.assertFalse(logged.exists())

    def reorder_campaign_foreign_keys(self, reverse):
        """Re-create the foreign keys that point at campaigns, in their name's order or the reverse: PostgreSQL
        fires the actions of a deleted row's references (cascade, set null) in the order their constraints were
        created, which on a real database is the order the modules' tables happened to be made in."""
        self.env.cr.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE confrelid = 'sales_campaign'::regclass AND contype = 'f' ORDER BY conname"""
        )
        constraints = self.env.cr.fetchall()
        for table, name, definition in reversed(constraints) if reverse else constraints:
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s DROP CONSTRAINT %s, ADD CONSTRAINT %s %s",
                    SQL.identifier(table),
                    SQL.identifier(name),
                    SQL.identifier(name),
                    SQL(definition),
                )
            )
        return [name for _table, name, _definition in constraints]

    def assert_cancelled_campaign_deleted(self, reverse):
        """Deleting a campaign deletes its (cancelled) campaign entries with their interactions, in the
        transaction that logged and cancelled them, whatever the order of PostgreSQL's cascades
        (``sales.campaign.unlink`` does them in an order of its own)."""
        names = self.reorder_campaign_foreign_keys(reverse)
        self.assertIn("sales_interaction_log_campaign_id_fkey", names)
        logged = self.log(self.staff_segment(), send_attachments=False)
        entries, campaign_entries = logged.interaction_ids, logged.campaign_entry_ids
        self.assertTrue(entries and campaign_entries and entries.campaign_id == self.campaign)
        logged.with_user(self.staff).action_cancel()
        self.campaign.with_user(self.manager).unlink()
        self.assertFalse(self.campaign.exists() or campaign_entries.exists() or entries.exists())
        self.assertTrue(logged.exists(), "the logged segment stays, cancelled")

    def test_a_cancelled_campaign_is_deleted_with_cascades_in_one_order(self):
        self.assert_cancelled_campaign_deleted(reverse=False)

    def test_a_cancelled_campaign_is_deleted_with_cascades_in_the_other_order(self):
        self.assert_cancelled_campaign_deleted(reverse=True)

    def test_ledger_is_read_only_but_results_can_be_recorded(self):
        entry = self.log(self.staff_segment(), send_attachments=False).interaction_ids[0].with_user(self.staff)
        with self.assertRaises(AccessError):
            entry.cost = 10
        with self.assertRaises(AccessError):
            entry.evaluation = "positive"
        with self.assertRaises(AccessError):
            entry.unlink()
        action = entry.action_evaluate()
        form = Form(self.env[action["res_model"]].with_user(self.staff).with_context(**action["context"]))
        form.evaluation = "positive"
        form.attempt_failed = True
        form.comment = "Called back"
        form.save().action_save()
        self.assertEqual((entry.evaluation, entry.attempt_failed, entry.comment), ("positive", True, "Called back"))
        self.assertEqual(entry.write_uid, self.staff)

    def test_single_interaction_logged_from_a_contact(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_campaign.sales_interaction_log_wizard_action")
        action["context"] = safe_eval(action["context"], {"active_id": self.prospect_buyer.id})
        meeting = self.env["sales.interaction.template"].create(
            {
                "code": "T-MEET",
                "name": "Meeting",
                "company_id": self.company.id,
                "group_id": self.env.ref("sales_campaign.sales_interaction_group_meeting").id,
                "unit_cost": 40,
                "unit_duration": 60,
                "campaign_id": self.campaign.id,
                "campaign_response": True,
            }
        )
        Wizard = self.env["sales.interaction.log.wizard"].with_user(self.staff).with_context(**action["context"])
        form = Form(Wizard)
        form.template_id = meeting
        self.assertEqual(form.description, "Meeting")
        form.description = "Visit at the showroom"
        entry = self.env["sales.interaction.log"].browse(form.save().action_log()["res_id"])
        self.assertEqual(entry.partner_id, self.prospect_buyer)
        self.assertEqual((entry.cost, entry.duration), (40, 60))
        self.assertEqual(entry.campaign_id, self.campaign)
        self.assertTrue(entry.campaign_response)
        self.assertEqual(entry.response_source, "manual")
        self.assertEqual(entry.campaign_entry_id.description, "Interactions")
        self.assertEqual(entry.create_uid, self.staff)
        form = Form(Wizard)
        form.template_id = meeting
        second = self.env["sales.interaction.log"].browse(form.save().action_log()["res_id"])
        self.assertEqual(second.campaign_entry_id, entry.campaign_entry_id, "one shared entry per campaign")
        self.assertEqual(entry.campaign_entry_id.interaction_count, 2)

    def test_logged_targets_show_as_overlap_with_another_campaign(self):
        wizard = (
            self.env["sales.interaction.log.wizard"]
            .with_user(self.staff)
            .create(
                {
                    "partner_id": self.customer_it.id,
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                }
            )
        )
        wizard.action_log()
        spring = self.env["sales.campaign"].create({"title": "Spring mailing"})
        segment = self.new_segment(campaign_id=spring.id).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_it)
        overlap = segment.line_ids.filtered("in_other_campaign").partner_id
        self.assertEqual(overlap, self.customer_it)
        self.assertEqual(
            segment.line_ids.search([("segment_id", "=", segment.id), ("in_other_campaign", "=", True)]).partner_id,
            self.customer_it,
        )
        # A change not written to the database yet counts: the other campaign ended yesterday.
        # (yesterday of the staff, whose day the lines' flag takes, not of the superuser in another time zone)
        self.campaign.date_end = fields.Date.add(fields.Date.context_today(segment), days=-1)
        segment.line_ids.invalidate_recordset(["in_other_campaign"])
        self.assertFalse(segment.line_ids.filtered("in_other_campaign"))

    def test_log_refuses_a_segment_holding_contacts_the_user_may_not_see(self):
        """A colleague with wider rights put a contact of another company in the segment: the staff may not log
        it, told which contact; without that line the same segment logs."""
        segment = self.staff_segment()
        nordic = self.env["res.partner"].create({"name": "Nils Nordic", "company_id": self.company_2.id})
        self.assertFalse(self.env["res.partner"].with_user(self.staff).search([("id", "=", nordic.id)]))
        # sudo: the line a colleague of both companies added
        hidden = self.env["sales.segment.line"].sudo().create({"segment_id": segment.id, "partner_id": nordic.id})
        with self.assertRaisesRegex(UserError, f"Segment {segment.name} holds contacts you may not see.*Nils Nordic"):
            self.log(segment, send_attachments=False)
        self.assertFalse(self.env["sales.logged.segment"].search([("segment_id", "=", segment.id)]))
        hidden.unlink()
        logged = self.log(segment, send_attachments=False)
        self.assertEqual(logged.interaction_count, len(segment.line_ids))
        self.assertNotIn(nordic, logged.interaction_ids.partner_id)

    def test_other_company_sees_nothing(self):
        logged = self.log(self.staff_segment(), send_attachments=False)
        for model in ("sales.logged.segment", "sales.interaction.log", "sales.campaign.entry"):
            self.assertFalse(self.env[model].with_user(self.staff_2).search([]), model)
        with self.assertRaises(AccessError):
            logged.with_user(self.staff_2).read(["name"])


@tagged("post_install", "-at_install")
class TestDeliveryStatus(SalesSegmentCommon, MockEmail):
    """The delivery status of the entries follows their e-mails through Odoo's mail queue (Odoo's mail
    gateway mock: the e-mails are built and handed to a mocked SMTP connection)."""

    def setUp(self):
        super().setUp()
        self.template.language_ids.body_html = '<p>Dear <t t-out="object.name"/>, thank you.</p>'
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_it)
        segment.correspondence_type = "email"
        segment.ignore_contact_correspondence_type = True
        segment.action_apply_line_defaults()
        self.logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        self.entries = self.logged.interaction_ids
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"queued"})
        self.addresses = [formataddr((entry.partner_id.name, entry.partner_id.email)) for entry in self.entries]
        self.author = self.entries.sudo().mail_mail_id.author_id

    def send(self, error=None):
        """The mail queue sends the log's e-mails (as superuser); ``error``: what the SMTP server answers."""
        mails = self.entries.sudo().mail_mail_id
        with self.mock_mail_gateway():
            self._new_mails = mails  # the log queued them before the mock
            if error:
                with patch.object(type(self.env["ir.mail_server"]), "send_email", side_effect=error):
                    mails.send()
            else:
                mails.send()

    def test_sent(self):
        self.send()
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"sent"})
        self.assertMailMailWEmails(
            self.addresses, "sent", author=self.author, fields_values={"subject": "Thank you for visiting our booth"}
        )
        sent = {mail["email_to"][0]: mail for mail in self._mails}
        self.assertEqual(set(sent), set(self.addresses), "one e-mail to each contact, built by Odoo's mail server")
        self.assertIn("Dear Ivan Customer-IT", sent[formataddr(("Ivan Customer-IT", "ivan@customer.example"))]["body"])

    def test_error_then_resend(self):
        with mute_logger("odoo.addons.mail.models.mail_mail"):  # the refused mails are logged as errors
            self.send(error=ValueError("mailbox full"))
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"error"})
        self.assertIn("mailbox full", self.entries[0].delivery_failure_reason)
        self.assertMailMailWEmails(self.addresses, "exception", author=self.author)
        self.assertEqual(self.logged.error_count, 2)
        self.logged.action_resend()
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"queued"})
        self.assertEqual(set(self.entries.sudo().mail_mail_id.mapped("state")), {"outgoing"})
        self.send()
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"sent"})
        self.assertMailMailWEmails(self.addresses, "sent", author=self.author)
        with self.assertRaisesRegex(UserError, "no failed e-mail"):
            self.logged.action_resend()

    def test_unreachable_server_shows_the_error_until_resent(self):
        IrMailServer = type(self.env["ir.mail_server"])
        with patch.object(IrMailServer, "connect", side_effect=ConnectionRefusedError("no server")):
            self.entries.sudo().mail_mail_id.send()
        self.assertEqual(set(self.entries.sudo().mail_mail_id.mapped("state")), {"exception"})
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"error"})
        self.assertEqual(self.entries[0].delivery_failure_reason, "The mail server could not be reached: no server")
        self.logged.action_resend()
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"queued"})
        self.send()
        self.assertEqual(set(self.entries.mapped("delivery_status")), {"sent"})

    def test_bounce_puts_the_entry_in_error(self):
        """The recipient's server returns a delivery status notification, which Odoo's mail gateway reads."""
        self.send()
        entry = self.entries[0]
        sent = next(
            mail
            for mail in self._mails
            if mail["email_to"] == [formataddr((entry.partner_id.name, entry.partner_id.email))]
        )
        dsn = DSN.format(
            to=sent["email_from"],
            message_id=make_msgid(domain="mx.example.com"),
            date=formatdate(localtime=True),
            rcpt=entry.partner_id.email_normalized,
            original_headers=f"Message-Id: {sent['message_id']}\nTo: {entry.partner_id.email_normalized}",
        )
        self.env["mail.thread"].message_process(None, dsn.encode())
        self.assertEqual(entry.delivery_status, "error")
        self.assertIn("User unknown", entry.delivery_failure_reason)
        self.assertEqual(set(self.entries[1:].mapped("delivery_status")), {"sent"})
