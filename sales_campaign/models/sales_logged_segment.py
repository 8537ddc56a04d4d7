import html
import logging
import re
import threading
import time
from collections import defaultdict

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, config, formataddr
from odoo.tools.mail import URL_REGEX, generate_tracking_message_id

from .privileged import is_privileged, privileged

_logger = logging.getLogger(__name__)

# Delivery runs in batches, each one transaction of the delivery cron (or of the log itself when it is small):
# e-mails put in the mail queue per batch, letters printed per PDF. Ten batches must fit in one cron run
# under Odoo's limit_time_real (120 s by default): wkhtmltopdf prints about 15 letters a second.
EMAIL_BATCH_SIZE = 1000
LETTER_BATCH_SIZE = 100
# Logs of at most this many lines are processed at once, in the request, by the same batches.
IMMEDIATE_DELIVERY_LIMIT = 200
# Seconds of delivery in one call of the delivery cron (see ``_cron_time_budget``).
CRON_TIME_BUDGET = 10
# Contacts named in a message, at most.
LISTED_CONTACTS = 10
STATES = [("in_progress", "In Progress"), ("done", "Done"), ("failed", "Failed")]


class SalesLoggedSegment(models.Model):
    """A segment that was logged: the interactions and campaign entries it produced, and its letters.

    Logging (``_log_segment``, the request) checks the segment, records the logged segment and its campaign
    entries and freezes the segment, all or nothing. The rest is a pipeline of batches (``_process_batch``):
    the interaction log entries (one set-wise INSERT ... SELECT), the follow-up segment, the e-mails put in
    Odoo's mail queue and the letters printed. Small logs run it at once in the request; larger ones in the
    background, by the log cron, one committed batch after the other, each batch once. The e-mails leave
    through Odoo's mail queue, so an unreachable mail server delays them without losing anything.
    """

    _name = "sales.logged.segment"
    _inherit = ["mail.thread", "sales.action.mixin"]
    _description = "Logged Segment"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="No.", required=True, copy=False, readonly=True, index="trigram", default="/")
    segment_id = fields.Many2one("sales.segment", readonly=True, index=True, ondelete="set null")
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
    state = fields.Selection(
        STATES,
        default="in_progress",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="A large log records its interactions, puts its e-mails in the mail queue and prints its letters "
        "in the background, batch by batch.",
    )
    send_documents = fields.Boolean(string="Send Attachments", readonly=True, copy=False)
    missing_email_as_hard_copy = fields.Boolean(string="Letter When No E-mail", readonly=True, copy=False)
    create_followup = fields.Boolean(string="Create Follow-up Segment", readonly=True, copy=False)
    entries_written = fields.Boolean(string="Interactions Recorded", readonly=True, copy=False)
    in_background = fields.Boolean(readonly=True, copy=False)
    failure_reason = fields.Text(readonly=True, copy=False)
    email_count = fields.Integer(string="E-mails to Queue", compute="_compute_counts")
    email_queued_count = fields.Integer(string="E-mails Queued", compute="_compute_counts")
    letter_count = fields.Integer(string="Letters to Print", compute="_compute_counts")
    letter_printed_count = fields.Integer(string="Letters Printed", compute="_compute_counts")
    delivery_progress = fields.Float(compute="_compute_counts")
    letter_attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_logged_segment_letter_rel",
        "logged_segment_id",
        "attachment_id",
        string="Printed Letters",
        readonly=True,
        copy=False,
        help="The printed letters, in parts of %(size)s letters." % {"size": LETTER_BATCH_SIZE},
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_logged_segment_attachment_rel",
        "logged_segment_id",
        "attachment_id",
        string="Documents",
        readonly=True,
        help="The attachments sent with the letters and e-mails.",
    )

    _sql_constraints = [
        ("segment_unique", "UNIQUE(segment_id)", "This segment has already been logged."),
    ]

    @api.depends(
        "cancelled",
        "interaction_ids.cancelled",
        "interaction_ids.delivery_status",
        "interaction_ids.correspondence_type",
    )
    def _compute_counts(self):
        Log = self.env["sales.interaction.log"]
        interactions = defaultdict(int)
        statuses = defaultdict(int)
        deliveries = defaultdict(int)  # (logged, type, done): entries to deliver (those cancelled before it, not)
        for logged, cancelled, status, correspondence, count in Log._read_group(
            [("logged_segment_id", "in", self.ids)],
            ["logged_segment_id", "cancelled", "delivery_status", "correspondence_type"],
            ["__count"],
        ):
            if cancelled == logged.cancelled:
                interactions[logged] += count
            statuses[logged, status] += count
            if status in ("pending", "queued", "sent", "error") and not (status == "pending" and cancelled):
                deliveries[logged, correspondence, status != "pending"] += count
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
            logged.email_queued_count = deliveries[logged, "email", True]
            logged.email_count = logged.email_queued_count + deliveries[logged, "email", False]
            logged.letter_printed_count = deliveries[logged, "hard_copy", True]
            logged.letter_count = logged.letter_printed_count + deliveries[logged, "hard_copy", False]
            # Recording the interactions counts as one step of the work, the e-mails and letters as the others.
            total = logged.email_count + logged.letter_count + 1
            done = logged.email_queued_count + logged.letter_printed_count + (1 if logged.entries_written else 0)
            logged.delivery_progress = 100.0 * done / total

    # ------------------------------------------------------------------------------------------------
    # A ledger: created by logging, changed by its actions only
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_privileged(self._name):
            raise UserError(self.env._("Logged segments are created by logging a segment, not by hand."))
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.logged.segment") or "/"
        return super().create(vals_list)

    def _create_logged(self, vals):
        """Create the logged segment of a log (``create`` refuses clients)."""
        with privileged(self._name):
            return self.create([vals])

    def write(self, vals):
        # The chatter keeps working: posting a message with files may set the main attachment.
        if set(vals) - {"message_main_attachment_id"} and not is_privileged(self._name):
            raise UserError(
                self.env._(
                    "A logged segment is a record of what was logged: it changes only through its actions "
                    "(cancel, restore, resend)."
                )
            )
        return super().write(vals)

    def _write_ledger(self, vals):
        with privileged(self._name):
            return self.write(vals)

    # ------------------------------------------------------------------------------------------------
    # Logging a segment
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _log_segment(self, segment, send=True, followup=False, missing_email_as_hard_copy=False):
        """Log ``segment``: the checks, the logged segment, its campaign entries and the frozen segment, all or
        nothing; then the interactions, the follow-up segment, the e-mails and the letters, at once for a
        small segment and in the background for a large one (see ``_start``). Returns the logged segment."""
        segment.ensure_one()
        segment.check_access("write")
        send = send and not segment.campaign_response  # responses are recorded, never sent
        with self.env.cr.savepoint():
            self._lock_segment(segment)
            self._check_segment_loggable(segment, send, missing_email_as_hard_copy)
            logged = self._create_logged(
                {
                    "segment_id": segment.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                    "send_documents": send,
                    "missing_email_as_hard_copy": missing_email_as_hard_copy,
                    "create_followup": followup,
                }
            )
            logged._create_campaign_entries(segment)
            segment._set_logged()
            if send and segment.send_attachment:
                logged._write_ledger(
                    {"attachment_ids": [(4, attachment.id) for attachment in segment.language_ids.attachment_ids]}
                )
            logged._start()
        return logged

    @api.model
    def _lock_segment(self, segment):
        """Take ``segment`` for this transaction; a second user logging it at the same time is told so."""
        segment.ensure_one()
        segment.flush_recordset()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT state FROM sales_segment WHERE id = %s FOR UPDATE NOWAIT", segment.id),
                    log_exceptions=False,  # a segment being logged by another user is expected, and told below
                )
                state = self.env.cr.fetchone()[0]
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged or changed by another user right now. "
                    "Reload it in a moment: it may have been logged already.",
                    segment=segment.name,
                )
            ) from error
        if state != "draft":
            raise UserError(self.env._("Segment %(segment)s has already been logged.", segment=segment.name))

    @api.model
    def _check_segment_loggable(self, segment, send, missing_email_as_hard_copy=False):
        """Refuse to log with one message that names everything missing."""
        segment.ensure_one()
        Line = self.env["sales.segment.line"]
        Line.flush_model()
        problems = []
        if not segment.description:
            problems.append(self.env._("a description"))
        if not segment.line_count:
            raise UserError(
                self.env._("Segment %(segment)s is empty: add contacts before logging it.", segment=segment.name)
            )
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE COALESCE(line.template_id, %(template)s) IS NULL),
                          array_agg(DISTINCT line.lang) FILTER (WHERE line.correspondence_type IS NOT NULL),
                          array_agg(partner.id ORDER BY partner.name) FILTER (
                              WHERE line.correspondence_type = 'email'
                                AND COALESCE(partner.email_normalized, '') = '')
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                    WHERE line.segment_id = %(segment)s AND line.active""",
                template=segment.template_id.id or None,
                segment=segment.id,
            )
        )
        without_template, delivered_langs, without_email = self.env.cr.fetchone()
        self._check_segment_contacts_readable(segment)
        if without_template:
            problems.append(
                self.env._("an interaction template (lines without one: %(count)s)", count=without_template)
                if segment.template_id
                else self.env._("an interaction template")
            )
        if send:
            known = set(segment.language_ids.mapped("lang"))
            unversioned = [lang or "" for lang in delivered_langs or [] if lang not in known]
            if unversioned and not segment.lang_default:
                names = dict(self.env["res.lang"].get_installed())
                no_language = self.env._("no language")
                problems.append(
                    self.env._(
                        "a default language, or a language version for %(langs)s",
                        langs=", ".join(sorted(names.get(lang, lang or no_language) for lang in unversioned)),
                    )
                )
            templates = segment.template_id.union(
                *(template for [template] in Line._read_group([("segment_id", "=", segment.id)], ["template_id"]))
            )
            without_text = templates.filtered(lambda template: not template.language_ids)
            if delivered_langs and without_text:
                problems.append(
                    self.env._(
                        "a text in interaction template %(templates)s to print or send",
                        templates=", ".join(without_text.mapped("display_name")),
                    )
                )
        if problems:
            raise UserError(
                self.env._(
                    "Segment %(segment)s cannot be logged yet: it needs %(problems)s.",
                    segment=segment.name,
                    problems="; ".join(problems),
                )
            )
        if send and without_email and not missing_email_as_hard_copy:
            partners = self.env["res.partner"].browse(without_email[:LISTED_CONTACTS])
            names = ", ".join(partners.mapped("display_name"))
            if len(without_email) > LISTED_CONTACTS:
                names += self.env._(" and %(count)s more", count=len(without_email) - LISTED_CONTACTS)
            raise UserError(
                self.env._(
                    "These contacts should get an e-mail but have no usable e-mail address: %(names)s. "
                    "Give them one, change their lines to hard copy, or log with the option to send them a letter "
                    "instead.",
                    names=names,
                )
            )

    @api.model
    def _check_segment_contacts_readable(self, segment):
        """Logging writes an entry per contact as the user: name the contacts the user may not see.

        (A segment may hold them when a colleague with wider rights built it; the lines show their names.)
        """
        segment.ensure_one()
        visible = self.env["res.partner"].with_context(active_test=False)._search([])
        self.env.cr.execute(
            SQL(
                """SELECT line.partner_id FROM sales_segment_line AS line
                    WHERE line.segment_id = %s AND line.active AND line.partner_id NOT IN %s
                    ORDER BY line.id LIMIT %s""",
                segment.id,
                visible.subselect(),
                LISTED_CONTACTS + 1,
            )
        )
        hidden = [row[0] for row in self.env.cr.fetchall()]
        if hidden:
            # sudo: the names are those the segment's lines show already
            names = ", ".join(self.env["res.partner"].sudo().browse(hidden[:LISTED_CONTACTS]).mapped("display_name"))
            if len(hidden) > LISTED_CONTACTS:
                names += self.env._(" and more")
            raise UserError(
                self.env._(
                    "Segment %(segment)s holds contacts you may not see, so you cannot log it: %(names)s. "
                    "Ask a colleague who may see them to log it, or remove their lines.",
                    segment=segment.name,
                    names=names,
                )
            )

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
                """(CASE WHEN line.correspondence_type = 'email' AND NOT (%s) THEN 'hard_copy'
                         ELSE line.correspondence_type END)""",
                has_email,
            )
        else:
            correspondence = SQL("line.correspondence_type")
        if send:
            # Letters and e-mails wait for their batch of the delivery (see ``_deliver_batch``).
            status = SQL(
                """(CASE WHEN %(type)s IS NULL THEN 'not_applicable'
                         WHEN %(type)s = 'email' AND %(blacklisted)s THEN 'blocked'
                         ELSE 'pending' END)""",
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
        now = self.create_date  # the moment of the log, whenever its entries are written
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
                          %(segment)s, %(logged)s, COALESCE(line.user_id, %(uid)s), %(status)s, %(reason)s,
                          %(cancelled)s, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
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
                uid=self.user_id.id,  # the user who logged, whoever writes the entries (the log cron, say)
                cancelled=self.cancelled,
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
        """A new segment with the description, campaign and contacts of this logged segment, as Business
        Central makes it (the description is the user's, in the user's words: nothing is added to it)."""
        self.ensure_one()
        segment = self.segment_id
        followup = self.env["sales.segment"].create(
            {
                "description": segment.description,
                "campaign_id": segment.campaign_id.id,
                "user_id": segment.user_id.id,
                "company_id": segment.company_id.id,
            }
        )
        followup._reuse_logged_segment(self)
        return followup

    # ------------------------------------------------------------------------------------------------
    # Delivery: batches of e-mails put in the mail queue and of letters printed, in the background
    # ------------------------------------------------------------------------------------------------

    def _start(self):
        """Run the rest of the log: at once for a small segment, else in the background by the log cron.

        Both ways run the same batches (``_process_batch``). The cron commits each batch, so a worker stopped
        in the middle loses nothing and does nothing twice: each batch takes what is still to do (entries not
        written yet, e-mails and letters still waiting) and marks it done in the same transaction.
        """
        self.ensure_one()
        self._write_ledger({"state": "in_progress", "failure_reason": False})
        if self.segment_id.with_context(active_test=False).line_count <= IMMEDIATE_DELIVERY_LIMIT:
            # sudo: the log was checked when it was made (the user's access to the segment, its contacts and
            # its files); the batches write and deliver what it decided, as the cron does
            while self.sudo()._process_batch():
                pass
        else:
            self._write_ledger({"in_background": True})
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger()

    def _count_waiting(self):
        self.ensure_one()
        return self.env["sales.interaction.log"].search_count(
            [("logged_segment_id", "=", self.id), ("delivery_status", "=", "pending"), ("cancelled", "=", False)]
        )

    @api.model
    def _cron_time_budget(self):
        """Seconds of work for one call of the log cron. Odoo calls a cron up to ten times in a row and kills its
        worker after ``limit_time_real_cron`` (120 s by default) of real time or ``limit_time_cpu`` (60 s) of
        processor time: ten calls must fit in both."""
        real = config["limit_time_real_cron"] if config["limit_time_real_cron"] > 0 else config["limit_time_real"]
        limits = [limit for limit in (real, config["limit_time_cpu"]) if limit and limit > 0]
        return min([CRON_TIME_BUDGET] + [limit / 12 for limit in limits])

    @api.model
    def _cron_deliver(self):
        """The log cron: batches of the logs in progress, oldest first, each committed, for the time budget
        of one call; it calls itself back at once while work remains."""
        deadline = time.monotonic() + self._cron_time_budget()
        auto_commit = not getattr(threading.current_thread(), "testing", False)  # as the mail queue does
        done = 0
        while logged := self.search([("state", "=", "in_progress")], order="id", limit=1):
            try:
                with self.env.cr.savepoint():
                    done += logged._process_batch()
            except Exception as error:
                _logger.exception("Logged segment %s could not be processed", logged.name)
                logged._fail(error)
            if auto_commit:
                # each batch is done for good: a worker killed later loses nothing (a cron, as the mail queue)
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() >= deadline:
                break
        remaining = self.search_count([("state", "=", "in_progress")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining:
            # The cron framework would wait for the cron worker's next wake-up (a minute) after its own runs.
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger()

    def _process_batch(self):
        """Do the next batch of this log: its interaction entries, its follow-up segment, a batch of e-mails,
        then a PDF of letters. Returns how much it did, 0 when nothing is left (the log is then done)."""
        self.ensure_one()
        if not self.entries_written:
            count = self._insert_interactions(self.segment_id, self.send_documents, self.missing_email_as_hard_copy)
            self._write_ledger({"entries_written": True})
            return max(count, 1)
        if self.create_followup and not self.followup_segment_id:
            self._write_ledger({"followup_segment_id": self._create_followup_segment().id})
            return 1
        for correspondence, size, deliver in (
            ("email", EMAIL_BATCH_SIZE, self._queue_emails),
            ("hard_copy", LETTER_BATCH_SIZE, self._print_letters),
        ):
            entries = self._take_waiting(correspondence, size)
            if entries:
                deliver(entries)
                return len(entries)
        self._finish()
        return 0

    def _take_waiting(self, correspondence, size):
        """The next ``size`` waiting entries of this log, locked for this transaction (a second worker on the
        same log skips them instead of delivering them twice)."""
        Log = self.env["sales.interaction.log"]
        Log.flush_model(["delivery_status", "cancelled", "correspondence_type", "logged_segment_id"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM sales_interaction_log
                    WHERE logged_segment_id = %s AND delivery_status = 'pending' AND NOT cancelled
                      AND correspondence_type = %s
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                self.id,
                correspondence,
                size,
            )
        )
        return Log.browse(row[0] for row in self.env.cr.fetchall())

    def _finish(self):
        """Nothing is left to do: the log is done, and the user who logged is told when it ran in the background."""
        if self.state != "in_progress" or self._count_waiting():
            return
        self._write_ledger({"state": "done"})
        if not self.in_background:
            return
        message = self.env._(
            "Logged segment %(logged)s is done: %(count)s interactions recorded, %(emails)s e-mails in the mail "
            "queue, %(letters)s letters printed.",
            logged=self.name,
            count=self.interaction_count,
            emails=self.email_queued_count,
            letters=self.letter_printed_count,
        )
        self._notify_user(message, "success")

    def _fail(self, error):
        """A batch failed: the log waits for the user (Retry), who is told why."""
        reason = str(error.args[0]) if isinstance(error, UserError) and error.args else repr(error)
        self._write_ledger({"state": "failed", "failure_reason": reason})
        self._notify_user(
            self.env._("Logged segment %(logged)s could not be finished: %(reason)s", logged=self.name, reason=reason),
            "danger",
        )

    def _notify_user(self, message, kind):
        """Tell the user who logged: in the chatter of the logged segment, and at once if they are online."""
        self.message_post(body=message)
        self.user_id._bus_send(
            "simple_notification",
            {"type": kind, "title": self.env._("Logged Segment"), "message": message, "sticky": True},
        )

    def _version(self, segment, lang):
        """The segment language row used for a contact speaking ``lang``."""
        rows = segment.language_ids
        return (
            rows.filtered(lambda row: row.lang == lang)[:1]
            or rows.filtered(lambda row: row.lang == segment.lang_default)[:1]
        )

    def _queue_emails(self, entries):
        """Put the e-mails of ``entries`` in Odoo's mail queue (the mail cron sends them).

        Each text is compiled once per template and language and filled in for each contact. The
        ``mail.message`` / ``mail.mail`` rows are inserted set-wise, with the values the ORM gives an e-mail
        created with ``mail.mail.create`` (``test_queued_mails_are_those_odoo_creates`` compares them): the
        ORM's create costs half a millisecond per e-mail, most of a large log's delivery.

        Every e-mail closes the loop (see ``_close_the_loop``): its links are tracked per contact, it ends
        with an unsubscribe link, and it carries the ``List-Unsubscribe`` headers of RFC 8058.
        """
        self.ensure_one()
        segment = self.segment_id
        sender = self.user_id
        user = segment.user_id or sender
        email_from = user.email_formatted or segment.company_id.email_formatted or sender.email_formatted
        groups = defaultdict(lambda: self.env["sales.interaction.log"])
        for entry in entries:
            groups[entry.template_id, self._version(segment, entry.lang).lang or entry.lang] |= entry
        # Once per batch: mail.message would look the reply-to up for each mail on its own.
        reply_to = entries.partner_id._notify_get_reply_to(default=email_from)
        rendered = {}
        for (template, lang), group in groups.items():
            version = template._get_language(lang)
            rendered[template, lang] = version._render_bodies(group.partner_id, sender) if version else {}
        body_of, headers_of = self._close_the_loop(entries, groups, rendered)
        self.env.flush_all()
        now = fields.Datetime.now()
        for (template, lang), group in groups.items():
            attachments = (
                self._version(segment, lang).attachment_ids if segment.send_attachment else self.env["ir.attachment"]
            )
            bodies = rendered[template, lang]
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    entry.id,
                    entry.subject or template.name,
                    entry.partner_id.id,
                    entry.partner_id.display_name,
                    reply_to.get(entry.partner_id.id) or email_from,
                    generate_tracking_message_id(f"{entry.partner_id.id}-res.partner"),
                    body_of(entry, bodies.get(entry.partner_id.id, ""), lang),
                    formataddr((entry.partner_id.name or "", entry.partner_id.email_normalized)),
                    headers_of(entry),
                )
                for entry in group
            )
            self.env.cr.execute(
                SQL(
                    """WITH email (entry_id, subject, res_id, record_name, reply_to, rfc_id, body_html, email_to,
                                   headers) AS (
                                VALUES %(values)s),
                            message AS (
                                INSERT INTO mail_message (subject, date, body, model, res_id, record_name, message_type,
                                                          author_id, email_from, reply_to, message_id,
                                                          email_add_signature, create_uid, create_date, write_uid,
                                                          write_date)
                                SELECT email.subject, %(now)s, '', 'res.partner', email.res_id, email.record_name,
                                       'email_outgoing', %(author)s, %(email_from)s, email.reply_to, email.rfc_id, TRUE,
                                       %(uid)s, %(now)s, %(uid)s, %(now)s
                                  FROM email
                                RETURNING id, message_id),
                            mail AS (
                                INSERT INTO mail_mail (mail_message_id, body_html, email_to, headers, state,
                                                       auto_delete, create_uid, create_date, write_uid, write_date)
                                SELECT message.id, email.body_html, email.email_to, email.headers, 'outgoing', FALSE,
                                       %(uid)s, %(now)s, %(uid)s, %(now)s
                                  FROM message JOIN email ON email.rfc_id = message.message_id
                                RETURNING id, mail_message_id),
                            message_attachment AS (
                                INSERT INTO message_attachment_rel (message_id, attachment_id)
                                SELECT message.id, attachment_id
                                  FROM message CROSS JOIN unnest(%(attachments)s::integer[]) AS attachment_id)
                       UPDATE sales_interaction_log AS entry
                          SET mail_mail_id = mail.id, mail_message_id = message.id, message_id = message.message_id,
                              delivery_status = 'queued', delivery_failure_reason = NULL
                         FROM email
                         JOIN message ON message.message_id = email.rfc_id
                         JOIN mail ON mail.mail_message_id = message.id
                        WHERE entry.id = email.entry_id""",
                    values=values,
                    now=now,
                    author=user.partner_id.id,
                    email_from=email_from,
                    uid=self.env.uid,
                    attachments=attachments.ids,
                )
            )
        self.env["mail.message"].invalidate_model()
        self.env["mail.mail"].invalidate_model()
        entries.partner_id.invalidate_recordset(["message_ids"])
        entries.invalidate_recordset(
            ["mail_mail_id", "mail_message_id", "message_id", "delivery_status", "delivery_failure_reason"]
        )
        entries.modified(["delivery_status"])  # written in SQL: the counts of the logged segment follow
        return entries

    def _close_the_loop(self, entries, groups, rendered):
        """What brings the e-mails of ``entries`` back as responses: their links go through Odoo's link
        tracker, one ``link.tracker`` per distinct URL and campaign (with the campaign's UTM campaign, source and
        medium) for the whole batch, each e-mail's own links ending with its interaction and the signature of
        it (``/r/<code>/c/<interaction>/<signature>``); an unsubscribe link in the contact's language closes
        the text, and the headers carry the one-click unsubscribe of RFC 8058 (as Odoo's Email Marketing
        builds them), all signed for the address the e-mail goes to.

        :return: ``(body_of, headers_of)``: functions giving the text and the headers of each entry's e-mail
        """
        Log = self.env["sales.interaction.log"]
        base_url = self.get_base_url()
        secret = Log._signing_secret()
        short_prefix = f"{base_url}/r/"
        own_prefix = f"{base_url}/sales_campaign/"

        def absolute(url):
            url = html.unescape(url).strip()
            if url.startswith("/") and not url.startswith("//"):
                url = base_url + url
            if not url.startswith(("http://", "https://")) or url.startswith((short_prefix, own_prefix)):
                return None
            return url

        # The links of the campaigns' e-mails, collected over the batch, then tracked in one go.
        wanted = defaultdict(set)  # campaign: {absolute url}
        for (template, lang), group in groups.items():
            bodies = rendered[template, lang]
            for entry in group.filtered("campaign_id"):
                for _href, url in re.findall(URL_REGEX, bodies.get(entry.partner_id.id) or ""):
                    if target := absolute(url):
                        wanted[entry.campaign_id].add(target)
        short_urls = {}  # (campaign id, absolute url): short url
        if wanted:
            vals_list = []
            for campaign, targets in wanted.items():
                utm = {
                    "campaign_id": campaign.utm_campaign_id.id,
                    "source_id": campaign.utm_source_id.id,
                    "medium_id": (campaign.utm_medium_id or self.env.ref("utm.utm_medium_email")).id,
                }
                # the title is the URL: no fetching of every page at queueing time
                vals_list += [dict(utm, url=target, title=target) for target in sorted(targets)]
            # sudo: link trackers are for administrators; these are the campaigns' own links
            trackers = self.env["link.tracker"].sudo().search_or_create(vals_list)
            for vals, tracker in zip(vals_list, trackers, strict=True):
                short_urls[vals["campaign_id"], vals["url"]] = tracker.short_url
        footers = {}
        for _template, lang in groups:
            env = self.with_context(lang=lang).env
            footers[lang] = Markup(
                '<div style="margin-top: 24px; font-size: 12px; color: #6c757d;">%s <a href="%%(url)s">%s</a></div>'
            ) % (env._("Would you rather not receive these e-mails?"), env._("Unsubscribe"))

        def body_of(entry, body, lang):
            """The text of ``entry``'s e-mail (written in ``lang``) with its tracked links and unsubscribe link."""
            if entry.campaign_id and short_urls:
                utm_campaign = entry.campaign_id.utm_campaign_id.id
                suffix = f"/c/{entry.id}/{Log._click_token(entry.id, secret)}"

                def tracked(match):
                    href, url = match.group(1), match.group(2)
                    short = short_urls.get((utm_campaign, absolute(url)))
                    return href.replace(url, short + suffix) if short else href

                body = re.sub(URL_REGEX, tracked, body)
            page_url = Log._unsubscribe_urls(base_url, entry.id, entry.partner_id.email_normalized or "", secret)[0]
            return body + str(footers[lang] % {"url": page_url})

        def headers_of(entry):
            """The headers of ``entry``'s e-mail, as ``mail.mail.headers`` keeps them (a Python literal)."""
            one_click = Log._unsubscribe_urls(base_url, entry.id, entry.partner_id.email_normalized or "", secret)[1]
            return repr(
                {
                    "List-Unsubscribe": f"<{one_click}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Precedence": "list",
                    "X-Auto-Response-Suppress": "OOF",  # no out-of-office answers from Exchange
                }
            )

        return body_of, headers_of

    def _print_letters(self, entries):
        """Print the letters of ``entries`` as one PDF (a part of the log's letters), kept on the logged segment."""
        self.ensure_one()
        report = self.env.ref("sales_campaign.action_report_interaction_letter")
        # force_report_rendering: a real PDF even when Odoo runs its tests (it would give HTML otherwise)
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, entries.ids)
        )
        first = len(self.letter_attachment_ids) * LETTER_BATCH_SIZE + 1
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Letters %(logged)s (%(first)s-%(last)s).pdf",
                    logged=self.name,
                    first=first,
                    last=first + len(entries) - 1,
                ),
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self._write_ledger({"letter_attachment_ids": [(4, attachment.id)]})
        entries._set_delivery_status("sent")
        return attachment

    # ------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------

    def action_resend(self):
        """Send the failed e-mails of this logged segment again, through the mail queue's own retry."""
        self.ensure_one()
        if self.cancelled:
            raise UserError(self.env._("Logged segment %(logged)s is cancelled: nothing is resent.", logged=self.name))
        failed = self.env["sales.interaction.log"].search(
            [
                ("logged_segment_id", "=", self.id),
                ("delivery_status", "=", "error"),
                ("correspondence_type", "=", "email"),
            ]
        )
        if not failed:
            raise UserError(self.env._("Logged segment %(logged)s has no failed e-mail to resend.", logged=self.name))
        with_mail = failed.filtered("mail_mail_id")
        # sudo: the mails of this log's own entries go back to the queue (mail.mail is for administrators)
        mails = with_mail.mail_mail_id.sudo()
        mails.action_retry()  # those the mail server refused
        mails.filtered(lambda mail: mail.state != "outgoing").mark_outgoing()  # those that bounced after leaving
        with_mail._set_delivery_status("queued")
        # Entries whose e-mail is gone wait for a batch of the delivery again.
        (failed - with_mail)._set_delivery_status("pending")
        if failed - with_mail:
            self._start()
        return (
            self._notify(
                self.env._(
                    "%(count)s e-mails of logged segment %(logged)s are queued again.",
                    count=len(failed),
                    logged=self.name,
                )
            )
            if self.segment_id
            else True
        )

    def action_cancel(self):
        """Cancel the logged segments with their campaign entries and interactions."""
        done = self.filtered("cancelled")
        if done:
            raise UserError(self.env._("Logged segment %(logged)s is already cancelled.", logged=done[0].name))
        self._set_cancelled(True)
        return True

    def action_restore(self):
        """Restore cancelled logged segments with their campaign entries and interactions.

        E-mails and letters that were still waiting when the log was cancelled are delivered now.
        """
        not_cancelled = self.filtered(lambda logged: not logged.cancelled)
        if not_cancelled:
            raise UserError(self.env._("Logged segment %(logged)s is not cancelled.", logged=not_cancelled[0].name))
        self._set_cancelled(False)
        for logged in self:
            logged._start()
        return True

    def action_retry(self):
        """Take up a log whose processing failed, where it stopped."""
        for logged in self:
            if logged.state != "failed":
                raise UserError(self.env._("Logged segment %(logged)s has not failed.", logged=logged.name))
            logged._start()
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
        return self._action_open_filtered(
            "sales_campaign.sales_interaction_log_action",
            [("logged_segment_id", "=", self.id)],
            name=self.env._("Interactions"),
            context={},  # a cancelled log's interactions are cancelled too: no filter on them
        )

    def action_open_campaign_entries(self):
        self.ensure_one()
        return self._action_open_filtered(
            "sales_campaign.sales_campaign_entry_action",
            [("logged_segment_id", "=", self.id)],
        )

    def action_download_letters(self):
        """The printed letters: the PDF itself when there is one part, else a zip of the parts."""
        self.ensure_one()
        if not self.letter_attachment_ids:
            raise UserError(self.env._("Logged segment %(logged)s has no printed letters.", logged=self.name))
        if len(self.letter_attachment_ids) == 1:
            url = f"/web/content/{self.letter_attachment_ids.id}?download=true"
        else:
            url = f"/sales_campaign/letters/{self.id}"
        return self._action_download(url)
