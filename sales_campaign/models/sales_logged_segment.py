from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .sales_segment_ab_test import AB_WINNER_SELECTIONS

# Scheduled: the letters and e-mails wait for the date of the log. A/B Test: the versions went to the test
# share, the rest of the segment waits for the winner.
STATES = [
    ("scheduled", "Scheduled"),
    ("in_progress", "In Progress"),
    ("testing", "A/B Test"),
    ("done", "Done"),
    ("failed", "Failed"),
]


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
    _inherit = ["mail.thread", "sales.action.mixin", "sales.ledger.mixin"]
    _description = "Logged Segment"
    # Users only read logged segments (a ledger): they may still discuss them in the chatter.
    _mail_post_access = "read"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="No.", required=True, copy=False, readonly=True, index="trigram", default="/")
    segment_id = fields.Many2one("sales.segment", readonly=True, index=True, ondelete="set null")
    description = fields.Char(readonly=True)
    date = fields.Date(default=fields.Date.context_today, readonly=True)
    user_id = fields.Many2one("res.users", string="Logged by", default=lambda self: self.env.user, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    campaign_id = fields.Many2one(related="segment_id.campaign_id")
    is_response = fields.Boolean(related="segment_id.campaign_response", string="Records Responses")
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
    email_blocked_count = fields.Integer(
        string="E-mails Blocked",
        compute="_compute_counts",
        help="E-mail lines whose address is blacklisted: nothing is sent to them, at no cost.",
    )
    letter_count = fields.Integer(string="Letters to Print", compute="_compute_counts")
    letter_printed_count = fields.Integer(string="Letters Printed", compute="_compute_counts")
    delivery_progress = fields.Float(compute="_compute_counts")
    scheduled_date = fields.Datetime(
        string="Deliver On",
        readonly=True,
        copy=False,
        help="The date and time the e-mails go out and the letters are printed: the date of the interactions. "
        "Until then nothing is sent, and the log can be cancelled.",
    )
    control_share = fields.Integer(
        string="Control Group (%)",
        readonly=True,
        copy=False,
        help="The part of the campaign's targets drawn at random into the control group: they get nothing, and "
        "the campaign compares its targets with them.",
    )
    control_count = fields.Integer(string="Control Group", compute="_compute_counts")
    ab_test = fields.Boolean(
        string="A/B Test",
        readonly=True,
        copy=False,
        help="The log sent the segment's versions to its test share.",
    )
    version_ids = fields.One2many(related="segment_id.version_ids", string="Versions")
    ab_test_share = fields.Integer(string="Test Share (%)", readonly=True, copy=False)
    ab_winner_selection = fields.Selection(AB_WINNER_SELECTIONS, string="Winner by", readonly=True, copy=False)
    ab_decision_date = fields.Datetime(
        string="Winner Chosen On",
        readonly=True,
        copy=False,
        help="When the version with the best rate goes to the rest of the segment (unless chosen by hand).",
    )
    ab_winner_version_id = fields.Many2one("sales.segment.version", string="Winner", readonly=True, copy=False)
    ab_waiting_count = fields.Integer(
        string="Waiting for the Winner",
        compute="_compute_counts",
        help="Contacts of the rest of the segment, who get the winner.",
    )
    letter_attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_logged_segment_letter_rel",
        "logged_segment_id",
        "attachment_id",
        string="Printed Letters",
        readonly=True,
        copy=False,
        help="The printed letters, in PDF parts of up to a hundred letters each.",
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
        "interaction_ids.campaign_control",
        "interaction_ids.version_id",
    )
    def _compute_counts(self):
        Log = self.env["sales.interaction.log"]
        interactions = defaultdict(int)
        statuses = defaultdict(int)
        deliveries = defaultdict(int)  # (logged, type, done): entries to deliver (those cancelled before it, not)
        blocked, controls, waiting = defaultdict(int), defaultdict(int), defaultdict(int)
        for logged, cancelled, status, correspondence, control, part, version, count in Log._read_group(
            [("logged_segment_id", "in", self.ids)],
            [
                "logged_segment_id",
                "cancelled",
                "delivery_status",
                "correspondence_type",
                "campaign_control",
                "ab_part",
                "version_id",
            ],
            ["__count"],
        ):
            if cancelled == logged.cancelled:
                interactions[logged] += count
                controls[logged] += count if control else 0
                if status == "blocked" and correspondence == "email":
                    blocked[logged] += count
            statuses[logged, status] += count
            if status in ("pending", "queued", "sent", "error") and not (status == "pending" and cancelled):
                deliveries[logged, correspondence, status != "pending"] += count
            if status == "pending" and not cancelled and part == "rest" and not version:
                waiting[logged] += count
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
            logged.email_blocked_count = blocked[logged]
            logged.control_count = controls[logged]
            logged.ab_waiting_count = waiting[logged]
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
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.logged.segment") or "/"
        return super().create(vals_list)

    @api.model
    def _create_logged(self, vals):
        """Create the logged segment of a log, after the checks of logging."""
        # sudo: logging checked the segment, its contacts and its files first (``_log_segment``)
        return self._ledger_sudo().create([vals]).with_env(self.env)

    def _write_ledger(self, vals):
        # sudo: the module's processes and actions write the ledger, after their own checks
        return self._ledger_sudo().write(vals)

    def _due_condition(self):
        """SQL condition on the columns of ``sales_interaction_log`` (unqualified): the waiting entries of the
        log that may be delivered now (``_take_waiting``). An entry waits for its date, which is the date the
        log is scheduled for; an entry of the rest of an A/B test waits for the winner (its version). The entries
        of a log delivered now are dated by the log's moment, to the microsecond: they are due whatever the time."""
        winner = SQL("(ab_part IS DISTINCT FROM 'rest' OR version_id IS NOT NULL)")
        if not self.scheduled_date:
            return winner
        return SQL("(date <= %s AND %s)", fields.Datetime.now(), winner)

    # ------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------

    def action_resend(self):
        """Send the failed e-mails of this logged segment again, through the mail queue's own retry."""
        self.ensure_one()
        self._check_ledger_action()
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

    def action_restore(self):
        """Restore cancelled logged segments with their campaign entries and interactions.

        E-mails and letters that were still waiting when the log was cancelled are delivered now.
        """
        super().action_restore()
        for logged in self:
            logged._start()
        return True

    def action_retry(self):
        """Take up a log whose processing failed, where it stopped."""
        self._check_ledger_action()
        for logged in self:
            if logged.state != "failed":
                raise UserError(self.env._("Logged segment %(logged)s has not failed.", logged=logged.name))
            logged._start()
        return True

    def _set_cancelled(self, cancelled):
        """A logged segment is cancelled or restored whole, whatever its user may read: its campaign entries and
        every interaction it recorded."""
        self.write({"cancelled": cancelled})
        self.campaign_entry_ids.write({"cancelled": cancelled})
        self.interaction_ids.write({"cancelled": cancelled})

    def _delete_cancelled(self):
        self.interaction_ids.unlink()
        self.campaign_entry_ids.unlink()
        self.unlink()

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
