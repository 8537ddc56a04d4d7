from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formataddr

# Mails are created in batches of this size (one ORM create per batch).
MAIL_BATCH_SIZE = 500


class SalesLoggedSegment(models.Model):
    """A segment that was logged: the interactions and campaign entries it produced, and its letters.

    Logging (``_log_segment``) is one transaction: the checks, the interaction log entries (one set-wise
    INSERT ... SELECT), the campaign entries, the queued e-mails and the printed letters either all exist
    or none does. The e-mails leave afterwards through Odoo's mail queue, so an unreachable mail server
    delays them without losing anything.
    """

    _name = "sales.logged.segment"
    _inherit = ["mail.thread"]
    _description = "Logged Segment"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="No.", required=True, copy=False, readonly=True, index="trigram", default="/")
    segment_id = fields.Many2one("sales.segment", string="Segment", readonly=True, index=True, ondelete="set null")
    description = fields.Char(readonly=True)
    date = fields.Date(default=fields.Date.context_today, readonly=True)
    user_id = fields.Many2one("res.users", string="Logged by", default=lambda self: self.env.user, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    campaign_id = fields.Many2one(related="segment_id.campaign_id")
    followup_segment_id = fields.Many2one(
        "sales.segment", string="Follow-up Segment", readonly=True, ondelete="set null", copy=False
    )
    cancelled = fields.Boolean(default=False, readonly=True, tracking=True, index=True)
    interaction_ids = fields.One2many("sales.interaction.log", "logged_segment_id", string="Interactions")
    campaign_entry_ids = fields.One2many("sales.campaign.entry", "logged_segment_id", string="Campaign Entries")
    interaction_count = fields.Integer(string="No. of Interactions", compute="_compute_counts")
    campaign_entry_count = fields.Integer(string="No. of Campaign Entries", compute="_compute_counts")
    error_count = fields.Integer(string="Delivery Errors", compute="_compute_counts")
    queued_count = fields.Integer(string="Queued E-mails", compute="_compute_counts")
    letters_attachment_id = fields.Many2one("ir.attachment", string="Letters", readonly=True, ondelete="set null")
    # Read as the user: the letters are an attachment of this logged segment, readable with it.
    letters_pdf = fields.Binary(related="letters_attachment_id.datas", string="Letters PDF", related_sudo=False)
    letters_filename = fields.Char(related="letters_attachment_id.name", string="Letters File Name", related_sudo=False)
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_logged_segment_attachment_rel",
        "logged_segment_id",
        "attachment_id",
        string="Documents",
        readonly=True,
        help="The printed letters and the attachments sent with the letters and e-mails.",
    )

    _sql_constraints = [
        ("segment_unique", "UNIQUE(segment_id)", "This segment has already been logged."),
    ]

    def _compute_counts(self):
        Log = self.env["sales.interaction.log"]
        interactions = defaultdict(int)
        statuses = defaultdict(int)
        for logged, cancelled, status, count in Log._read_group(
            [("logged_segment_id", "in", self.ids)], ["logged_segment_id", "cancelled", "delivery_status"], ["__count"]
        ):
            if cancelled == logged.cancelled:
                interactions[logged] += count
            statuses[logged, status] += count
        entries = {
            (logged, cancelled): count
            for logged, cancelled, count in self.env["sales.campaign.entry"]._read_group(
                [("logged_segment_id", "in", self.ids)], ["logged_segment_id", "cancelled"], ["__count"]
            )
        }
        for logged in self:
            logged.interaction_count = interactions[logged]
            logged.campaign_entry_count = entries.get((logged, logged.cancelled), 0)
            logged.error_count = statuses[logged, "error"]
            logged.queued_count = statuses[logged, "queued"]

    # ------------------------------------------------------------------------------------------------
    # A ledger: created by logging, changed by its actions only
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        raise UserError(self.env._("Logged segments are created by logging a segment, not by hand."))

    def _create_logged(self, vals):
        """Create the logged segment of a log (``create`` refuses clients)."""
        if vals.get("name", "/") == "/":
            vals["name"] = self.env["ir.sequence"].next_by_code("sales.logged.segment") or "/"
        return super().create([vals])

    def write(self, vals):
        # The chatter keeps working: posting a message with files may set the main attachment.
        if set(vals) - {"message_main_attachment_id"}:
            raise UserError(
                self.env._(
                    "A logged segment is a record of what was logged: it changes only through its actions "
                    "(cancel, restore, resend)."
                )
            )
        return super().write(vals)

    def _write_ledger(self, vals):
        return super().write(vals)

    # ------------------------------------------------------------------------------------------------
    # Logging a segment
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _log_segment(self, segment, send=True, followup=False, missing_email_as_hard_copy=False):
        """Log ``segment``: all or nothing. Returns the logged segment."""
        segment.ensure_one()
        segment.check_access("write")
        send = send and not segment.campaign_response  # responses are recorded, never sent
        with self.env.cr.savepoint():
            segment._lock_for_logging()
            segment._check_loggable(send, missing_email_as_hard_copy)
            logged = self._create_logged(
                {
                    "segment_id": segment.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                }
            )
            logged._create_campaign_entries(segment)
            logged._insert_interactions(segment, send, missing_email_as_hard_copy)
            segment._set_logged()
            if send:
                logged._queue_emails()
                logged._print_letters()
                if segment.send_attachment:
                    logged._write_ledger({"attachment_ids": [(4, attachment.id) for attachment in segment.language_ids.attachment_ids]})
            if followup:
                logged._write_ledger({"followup_segment_id": logged._create_followup_segment().id})
        return logged

    def _create_campaign_entries(self, segment):
        """One campaign entry per campaign of the lines, with the date and salesperson of its first line."""
        self.ensure_one()
        self.env["sales.segment.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT ON (campaign_id) campaign_id, user_id
                     FROM sales_segment_line
                    WHERE segment_id = %s AND active AND campaign_id IS NOT NULL
                    ORDER BY campaign_id, id""",
                segment.id,
            )
        )
        vals_list = [
            {
                "campaign_id": campaign_id,
                "company_id": segment.company_id.id,
                "description": segment.description,
                "date": segment.date,
                "salesperson_id": user_id,
                "segment_id": segment.id,
                "logged_segment_id": self.id,
            }
            for campaign_id, user_id in self.env.cr.fetchall()
        ]
        return self.env["sales.campaign.entry"]._create_entries(vals_list)

    def _insert_interactions(self, segment, send, missing_email_as_hard_copy):
        """One interaction log entry per line, in one INSERT ... SELECT; returns how many."""
        self.ensure_one()
        self.env.flush_all()
        entry_by_campaign = SQL(", ").join(
            SQL("(%s, %s)", entry.campaign_id.id, entry.id) for entry in self.campaign_entry_ids
        ) or SQL("(NULL::integer, NULL::integer)")
        default_subject = segment.subject_default or None
        has_email = SQL("partner.email_normalized IS NOT NULL AND partner.email_normalized != ''")
        blacklisted = SQL(
            "EXISTS (SELECT 1 FROM mail_blacklist AS bl WHERE bl.active AND bl.email = partner.email_normalized)"
        )
        if send and missing_email_as_hard_copy:
            correspondence = SQL(
                "(CASE WHEN line.correspondence_type = 'email' AND NOT (%s) THEN 'hard_copy' ELSE line.correspondence_type END)",
                has_email,
            )
        else:
            correspondence = SQL("line.correspondence_type")
        if send:
            status = SQL(
                """(CASE WHEN %(type)s IS NULL THEN 'not_applicable'
                         WHEN %(type)s = 'hard_copy' THEN 'sent'
                         WHEN %(blacklisted)s THEN 'blocked'
                         ELSE 'queued' END)""",
                type=correspondence,
                blacklisted=blacklisted,
            )
            reason = SQL(
                "(CASE WHEN %s = 'email' AND %s THEN %s END)",
                correspondence,
                blacklisted,
                self.env._("The e-mail address is blacklisted: nothing was sent."),
            )
        else:
            status, reason = SQL("'not_applicable'"), SQL("NULL")
        header_template = segment.template_id.id or None
        # A line with the header's template takes the header's values (they may have been changed),
        # a line given another template by hand takes that template's.
        from_template = {
            column: SQL(
                "(CASE WHEN template.id = %s THEN %s ELSE template.%s END)",
                header_template,
                value,
                SQL.identifier(template_column),
            )
            for column, template_column, value in (
                ("information_flow", "information_flow", segment.information_flow or None),
                ("initiated_by", "initiated_by", segment.initiated_by or None),
                ("cost", "unit_cost", segment.unit_cost),
                ("duration", "unit_duration", segment.unit_duration),
            )
        }
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """INSERT INTO sales_interaction_log (
                       partner_id, company_partner_id, company_id, date, template_id, group_id, description,
                       subject, lang, correspondence_type, information_flow, initiated_by, cost, duration,
                       campaign_id, campaign_entry_id, campaign_target, campaign_response, segment_id,
                       logged_segment_id, user_id, delivery_status, delivery_failure_reason, cancelled,
                       attempt_failed, create_uid, create_date, write_uid, write_date)
                   SELECT line.partner_id, partner.commercial_partner_id, %(company)s, %(now)s, template.id,
                          template.group_id, %(description)s, COALESCE(line.subject, %(subject)s), line.lang,
                          %(correspondence)s, %(flow)s, %(initiated)s, %(cost)s, %(duration)s,
                          line.campaign_id, campaign_entry.entry_id, line.campaign_target, line.campaign_response,
                          %(segment)s, %(logged)s, COALESCE(line.user_id, %(uid)s), %(status)s, %(reason)s, FALSE,
                          FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                     JOIN sales_interaction_template AS template
                       ON template.id = COALESCE(line.template_id, %(header_template)s)
                     LEFT JOIN (VALUES %(entries)s) AS campaign_entry (campaign_id, entry_id)
                       ON campaign_entry.campaign_id = line.campaign_id
                    WHERE line.segment_id = %(segment)s AND line.active
                    ORDER BY line.id""",
                company=segment.company_id.id,
                now=now,
                description=segment.description,
                subject=default_subject,
                correspondence=correspondence,
                flow=from_template["information_flow"],
                initiated=from_template["initiated_by"],
                cost=from_template["cost"],
                duration=from_template["duration"],
                segment=segment.id,
                logged=self.id,
                uid=self.env.uid,
                status=status,
                reason=reason,
                header_template=header_template,
                entries=entry_by_campaign,
            )
        )
        count = self.env.cr.rowcount
        self.env["sales.interaction.log"].invalidate_model()
        self.invalidate_recordset(["interaction_ids"])
        return count

    def _create_followup_segment(self):
        """A new segment with the same campaign and the contacts of this logged segment."""
        self.ensure_one()
        segment = self.segment_id
        followup = self.env["sales.segment"].create(
            {
                "description": self.env._("Follow-up on segment %(segment)s", segment=segment.name),
                "campaign_id": segment.campaign_id.id,
                "user_id": segment.user_id.id,
                "company_id": segment.company_id.id,
            }
        )
        followup._reuse_logged_segment(self)
        return followup

    # ------------------------------------------------------------------------------------------------
    # Delivery: e-mails through the mail queue, letters as one PDF
    # ------------------------------------------------------------------------------------------------

    def _version(self, segment, lang):
        """The segment language row used for a contact speaking ``lang``."""
        rows = segment.language_ids
        return rows.filtered(lambda row: row.lang == lang)[:1] or rows.filtered(lambda row: row.lang == segment.lang_default)[:1]

    def _queue_emails(self, entries=None):
        """Create the ``mail.mail`` of the queued e-mail entries in batches; the mail cron sends them."""
        self.ensure_one()
        Log = self.env["sales.interaction.log"]
        if entries is None:
            entries = Log.search([("logged_segment_id", "=", self.id), ("delivery_status", "=", "queued")], order="id")
        if not entries:
            return Log
        segment = self.segment_id
        user = segment.user_id or self.env.user
        email_from = user.email_formatted or segment.company_id.email_formatted or self.env.user.email_formatted
        groups = defaultdict(list)
        for entry in entries:
            groups[entry.template_id, self._version(segment, entry.lang).lang or entry.lang].append(entry)
        Mail = self.env["mail.mail"].sudo()  # sudo: users queue the e-mails of their own log; mail.mail is for admins
        links = []
        for (template, lang), group in groups.items():
            version = template._get_language(lang)
            attachments = self._version(segment, lang).attachment_ids if segment.send_attachment else self.env["ir.attachment"]
            for start in range(0, len(group), MAIL_BATCH_SIZE):
                batch = group[start:start + MAIL_BATCH_SIZE]
                partner_ids = [entry.partner_id.id for entry in batch]
                bodies = version._render_body(partner_ids) if version else {}
                # Once per batch: mail.message would look the reply-to up for each mail on its own.
                reply_to = self.env["res.partner"].browse(partner_ids)._notify_get_reply_to(default=email_from)
                vals_list = [
                    {
                        "subject": entry.subject or template.name,
                        "body_html": bodies.get(entry.partner_id.id, ""),
                        "email_from": email_from,
                        "reply_to": reply_to.get(entry.partner_id.id) or email_from,
                        "email_to": formataddr((entry.partner_id.name or "", entry.partner_id.email_normalized)),
                        "author_id": user.partner_id.id,
                        "model": "res.partner",
                        "res_id": entry.partner_id.id,
                        "message_type": "email_outgoing",
                        "attachment_ids": [(6, 0, attachments.ids)],
                        "auto_delete": False,
                        "state": "outgoing",
                    }
                    for entry in batch
                ]
                mails = Mail.create(vals_list)
                links += [
                    SQL("(%s, %s, %s, %s)", entry.id, mail.id, mail.mail_message_id.id, mail.message_id)
                    for entry, mail in zip(batch, mails)
                ]
        self.env.cr.execute(
            SQL(
                """UPDATE sales_interaction_log AS entry
                      SET mail_mail_id = link.mail_id, mail_message_id = link.message_id, message_id = link.rfc_id,
                          delivery_status = 'queued', delivery_failure_reason = NULL
                     FROM (VALUES %s) AS link (entry_id, mail_id, message_id, rfc_id)
                    WHERE entry.id = link.entry_id""",
                SQL(", ").join(links),
            )
        )
        entries.invalidate_recordset(["mail_mail_id", "mail_message_id", "message_id", "delivery_status", "delivery_failure_reason"])
        return entries

    def _print_letters(self):
        """One PDF with a letter per hard-copy contact, in the contact's language, kept on the logged segment."""
        self.ensure_one()
        letters = self.env["sales.interaction.log"].search(
            [("logged_segment_id", "=", self.id), ("correspondence_type", "=", "hard_copy")], order="id"
        )
        if not letters:
            return False
        report = self.env.ref("sales_campaign.action_report_interaction_letter")
        # force_report_rendering: a real PDF even when Odoo runs its tests (it would give HTML otherwise)
        pdf, _format = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            report, letters.ids
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Letters %(logged)s.pdf", logged=self.name),
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self._write_ledger({"letters_attachment_id": attachment.id, "attachment_ids": [(4, attachment.id)]})
        return attachment

    # ------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------

    def action_resend(self):
        """Queue the failed e-mails of this logged segment again."""
        self.ensure_one()
        if self.cancelled:
            raise UserError(self.env._("Logged segment %(logged)s is cancelled: nothing is resent.", logged=self.name))
        failed = self.interaction_ids.filtered(lambda entry: entry.delivery_status == "error" and entry.correspondence_type == "email")
        if not failed:
            raise UserError(self.env._("Logged segment %(logged)s has no failed e-mail to resend.", logged=self.name))
        with_mail = failed.filtered("mail_mail_id")
        # sudo: the mails of this log's own entries are put back in the queue
        with_mail.mail_mail_id.sudo().write({"state": "outgoing", "failure_reason": False, "failure_type": False})
        with_mail._set_delivery_status("queued")
        self._queue_emails(failed - with_mail)
        return self.segment_id._notify(
            self.env._("%(count)s e-mails of logged segment %(logged)s are queued again.", count=len(failed), logged=self.name)
        ) if self.segment_id else True

    def action_cancel(self):
        """Cancel the logged segments with their campaign entries and interactions."""
        done = self.filtered("cancelled")
        if done:
            raise UserError(self.env._("Logged segment %(logged)s is already cancelled.", logged=done[0].name))
        self._set_cancelled(True)
        return True

    def action_restore(self):
        """Restore cancelled logged segments with their campaign entries and interactions."""
        not_cancelled = self.filtered(lambda logged: not logged.cancelled)
        if not_cancelled:
            raise UserError(self.env._("Logged segment %(logged)s is not cancelled.", logged=not_cancelled[0].name))
        self._set_cancelled(False)
        return True

    def _set_cancelled(self, cancelled):
        if self:
            self._write_ledger({"cancelled": cancelled})
            self.campaign_entry_ids._write_ledger({"cancelled": cancelled})
            self.interaction_ids._set_cancelled(cancelled)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if any(not logged.cancelled for logged in self):
            raise UserError(self.env._("Only cancelled logged segments can be deleted: cancel them first."))

    def action_open_interactions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Interactions"),
            "res_model": "sales.interaction.log",
            "view_mode": "list,form,pivot,graph",
            "domain": [("logged_segment_id", "=", self.id)],
        }

    def action_open_campaign_entries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Campaign Entries"),
            "res_model": "sales.campaign.entry",
            "view_mode": "list,form",
            "domain": [("logged_segment_id", "=", self.id)],
        }

    def action_download_letters(self):
        self.ensure_one()
        if not self.letters_attachment_id:
            raise UserError(self.env._("Logged segment %(logged)s has no printed letters.", logged=self.name))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.letters_attachment_id.id}?download=true",
            "target": "self",
        }

