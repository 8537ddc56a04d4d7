import functools

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .res_partner import CORRESPONDENCE_TYPES
from .sales_interaction_template import INFORMATION_FLOWS, INITIATORS
from .sales_segment_language import lang_selection

DELIVERY_STATUSES = [
    ("not_applicable", "Not Applicable"),
    ("pending", "Waiting"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("error", "Error"),
    ("blocked", "Blocked"),
]
EVALUATIONS = [
    ("very_positive", "Very Positive"),
    ("positive", "Positive"),
    ("neutral", "Neutral"),
    ("negative", "Negative"),
    ("very_negative", "Very Negative"),
]
# Where a response came from. Replies, clicks, leads and orders are found by the system (at most one of each
# source per contact and campaign); "By Hand" are responses logged by a user, from a segment or a contact.
RESPONSE_SOURCES = [
    ("reply", "Reply"),
    ("click", "Click"),
    ("lead", "Lead"),
    ("order", "Sales Order"),
    ("manual", "By Hand"),
]
AUTOMATIC_SOURCES = ("reply", "click", "lead", "order")


def repeated_response_sql(alias):
    """SQL condition: the response ``alias`` (a table alias of ``sales_interaction_log``) was found by the
    system and its contact had responded to the campaign before (a response recorded earlier that is not
    cancelled), so that it does not count again. The one definition of the counting rule: the campaign analysis and
    ``response_repeat`` use it. ``alias`` is a name written in the code, never an input."""
    assert alias.isidentifier()
    return SQL(
        f"""({alias}.response_source IN ('reply', 'click', 'lead', 'order') AND EXISTS (
                SELECT 1 FROM sales_interaction_log earlier
                 WHERE earlier.campaign_id = {alias}.campaign_id AND earlier.partner_id = {alias}.partner_id
                   AND earlier.campaign_response AND NOT earlier.cancelled
                   AND earlier.id < {alias}.id))"""
    )


class SalesInteractionLog(models.Model):
    """An interaction log entry: one letter, e-mail, meeting or response with one contact.

    The ledger of everything that happened with contacts: entries are created by logging a segment
    (set-wise) or one by one from a contact, and are read-only afterwards except for the evaluation,
    the failed-attempt flag, the opportunity and a comment. Cancelled entries are left out of every
    statistic and are the only ones that can be deleted.
    """

    _name = "sales.interaction.log"
    _inherit = ["sales.ledger.mixin"]
    _description = "Interaction Log Entry"
    _order = "date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_partner_id = fields.Many2one(
        "res.partner",
        string="Contact's Company",
        index=True,
        compute="_compute_company_partner_id",
        store=True,
        help="The company of the contact at the time of the interaction (the contact itself for companies).",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date = fields.Datetime(string="Date and Time", required=True, default=fields.Datetime.now, index=True)
    template_id = fields.Many2one(
        "sales.interaction.template", string="Interaction Template", required=True, index=True, check_company=True
    )
    group_id = fields.Many2one(
        "sales.interaction.group",
        string="Interaction Group",
        compute="_compute_from_template",
        store=True,
        readonly=False,
    )
    description = fields.Char(required=True)
    subject = fields.Char()
    lang = fields.Selection(selection=lang_selection, string="Language")
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    information_flow = fields.Selection(INFORMATION_FLOWS, compute="_compute_from_template", store=True, readonly=False)
    initiated_by = fields.Selection(INITIATORS, compute="_compute_from_template", store=True, readonly=False)
    currency_id = fields.Many2one(related="company_id.currency_id")
    cost = fields.Monetary(compute="_compute_from_template", store=True, readonly=False)
    duration = fields.Float(
        string="Duration (Min.)", digits=(16, 2), compute="_compute_from_template", store=True, readonly=False
    )
    campaign_id = fields.Many2one(
        "sales.campaign",
        index="btree_not_null",
        check_company=True,
        compute="_compute_campaign_id",
        store=True,
        readonly=False,
    )
    campaign_entry_id = fields.Many2one(
        "sales.campaign.entry",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        copy=False,
    )
    campaign_target = fields.Boolean(compute="_compute_campaign_flags", store=True, readonly=False)
    campaign_response = fields.Boolean(compute="_compute_campaign_flags", store=True, readonly=False)
    segment_id = fields.Many2one(
        "sales.segment", index="btree_not_null", ondelete="set null", readonly=True, copy=False
    )
    logged_segment_id = fields.Many2one(
        "sales.logged.segment",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
    )
    user_id = fields.Many2one("res.users", string="Salesperson", default=lambda self: self.env.user)
    mail_mail_id = fields.Many2one(
        "mail.mail", string="E-mail", index="btree_not_null", ondelete="set null", readonly=True, copy=False
    )
    mail_message_id = fields.Many2one(
        "mail.message", string="Sent Message", index="btree_not_null", ondelete="set null", readonly=True, copy=False
    )
    message_id = fields.Char(
        string="Message-Id",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The e-mail's Message-Id, to match bounces.",
    )
    delivery_status = fields.Selection(
        DELIVERY_STATUSES, default="not_applicable", required=True, readonly=True, copy=False
    )
    delivery_failure_reason = fields.Text(string="Delivery Failure", readonly=True, copy=False)
    evaluation = fields.Selection(EVALUATIONS)
    attempt_failed = fields.Boolean(help="The contact could not be reached.")
    cancelled = fields.Boolean(default=False, readonly=True, copy=False)
    opportunity_id = fields.Many2one("crm.lead", index="btree_not_null", check_company=True)
    comment = fields.Text()

    # Responses: what the system found (replies, clicks, leads, orders) and what users logged by hand
    response_source = fields.Selection(
        RESPONSE_SOURCES,
        compute="_compute_response_source",
        store=True,
        readonly=True,
        copy=False,
        help="Where the response came from: a reply to a campaign e-mail, a click on one of its links, a lead or "
        "a sales order of a target carrying the campaign, or logged by hand.",
    )
    response_repeat = fields.Boolean(
        string="Repeated Response",
        compute="_compute_response_repeat",
        help="The contact had responded to the campaign before: this response is recorded with its source, but "
        "the contact counts once in the response rate.",
    )
    answered_interaction_id = fields.Many2one(
        "sales.interaction.log",
        string="Answers",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The campaign interaction (an e-mail, a letter) this response answers.",
    )
    response_ids = fields.One2many("sales.interaction.log", "answered_interaction_id", string="Responses")
    reply_message_id = fields.Many2one(
        "mail.message",
        string="Reply",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The e-mail that replied: on a campaign e-mail, its first reply; on a response, the reply it records.",
    )
    reply_email_from = fields.Char(string="Reply From", readonly=True, copy=False)
    reply_other_address = fields.Boolean(
        string="Reply From Another Address",
        readonly=True,
        copy=False,
        help="The reply came from an address that is not the contact's: it was matched by the e-mail it answers.",
    )
    order_id = fields.Many2one(
        "sale.order", string="Sales Order", index="btree_not_null", ondelete="set null", readonly=True, copy=False
    )
    replied_date = fields.Datetime(string="Replied On", readonly=True, copy=False)
    clicked_date = fields.Datetime(
        string="Clicked On", readonly=True, copy=False, help="The contact's first click on a link of the e-mail."
    )
    unsubscribed_date = fields.Datetime(string="Unsubscribed On", readonly=True, copy=False)
    unsubscribe_detail = fields.Char(string="Unsubscribed From", readonly=True, copy=False)

    _sql_constraints = [
        ("cost_positive", "CHECK(cost >= 0)", "The cost of an interaction may not be negative."),
        ("duration_positive", "CHECK(duration >= 0)", "The duration of an interaction may not be negative."),
    ]

    def init(self):
        # A contact gets one response of each automatic source per campaign, whatever the number of replies,
        # clicks or orders, and however many workers of the mail gateway and the website run at once.
        if not tools.index_exists(self.env.cr, "sales_interaction_log_response_once_index"):
            self.env.cr.execute(
                """CREATE UNIQUE INDEX sales_interaction_log_response_once_index
                       ON sales_interaction_log (campaign_id, partner_id, response_source)
                    WHERE response_source IN ('reply', 'click', 'lead', 'order')"""
            )
        # The delivery takes the waiting entries of a log in id order, batch after batch: an index of just
        # those keeps each batch as cheap as the first on a log of 100,000.
        tools.create_index(
            self.env.cr,
            "sales_interaction_log_pending_index",
            self._table,
            ["logged_segment_id", "id"],
            where="delivery_status = 'pending'",
        )

    @api.depends("partner_id")
    def _compute_company_partner_id(self):
        for entry in self:
            entry.company_partner_id = entry.partner_id.commercial_partner_id

    @api.depends("template_id")
    def _compute_from_template(self):
        for entry in self:
            template = entry.template_id
            entry.group_id = template.group_id
            entry.information_flow = template.information_flow
            entry.initiated_by = template.initiated_by
            entry.cost = template.unit_cost
            entry.duration = template.unit_duration

    @api.depends("template_id")
    def _compute_campaign_id(self):
        """Apart from the template values: a campaign given by the user must not keep them from being set."""
        for entry in self:
            entry.campaign_id = entry.campaign_id or entry.template_id.campaign_id

    @api.depends("template_id", "campaign_id")
    def _compute_campaign_flags(self):
        for entry in self:
            entry.campaign_target, entry.campaign_response = entry.template_id._campaign_flags(
                entry.campaign_id, entry.campaign_target, entry.campaign_response
            )

    @api.depends("campaign_response")
    def _compute_response_source(self):
        """Responses logged by users (from a segment or a contact) are "By Hand"; the system gives the others."""
        for entry in self:
            if entry.response_source not in AUTOMATIC_SOURCES:
                entry.response_source = "manual" if entry.campaign_response else False

    @api.depends("campaign_response", "response_source", "cancelled", "campaign_id", "partner_id")
    def _compute_response_repeat(self):
        """One query for the whole recordset, by the rule the campaign analysis counts with."""
        candidates = self.filtered(
            lambda entry: (
                entry.id
                and entry.campaign_response
                and entry.response_source in AUTOMATIC_SOURCES
                and not entry.cancelled
            )
        )
        repeated = set()
        if candidates:
            self.flush_model(["campaign_id", "partner_id", "campaign_response", "cancelled", "response_source"])
            rows = self.env.execute_query(
                SQL(
                    "SELECT entry.id FROM sales_interaction_log entry WHERE entry.id = ANY(%s) AND %s",
                    candidates.ids,
                    repeated_response_sql("entry"),
                )
            )
            repeated = {entry_id for (entry_id,) in rows}
        for entry in self:
            entry.response_repeat = entry.id in repeated

    @api.depends("description", "partner_id")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = (
                f"{entry.partner_id.display_name}: {entry.description}" if entry.partner_id else entry.description
            )

    # ------------------------------------------------------------------------------------------------
    # Access: an entry is seen only by those who may see its contact
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _visible_partners_query(self):
        """The contacts the current user may read (record rules included), as a subquery."""
        return self.env["res.partner"].with_context(active_test=False)._search([])

    def _search(self, domain, offset=0, limit=None, order=None):
        """Entries of contacts hidden from the user by a record rule (another company's, say) are hidden too:
        they would show the contact's name, subjects and company."""
        if not self.env.su:
            domain = expression.AND([domain, [("partner_id", "in", self._visible_partners_query())]])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not any(self._ids):
            return result
        partners = self.sudo().partner_id  # sudo: only to know the contacts; their access is checked next
        hidden = partners - partners.sudo(False)._filtered_access("read")
        if not hidden:
            return None
        forbidden = self.filtered(lambda entry: entry.sudo().partner_id in hidden)
        return forbidden, functools.partial(self.env["ir.rule"]._make_access_error, operation, forbidden)

    # ------------------------------------------------------------------------------------------------
    # A ledger (see ``sales.ledger.mixin``): written by logging, delivery, the responses and the wizards
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _create_process(self, vals_list):
        """Create entries decided by the module: the responses the mail gateway, the tracked links, leads and
        orders bring, and the interactions logged one by one (the Log Interaction dialog, after its checks).

        Entries logged one by one share one campaign entry per campaign ("Interactions").
        """
        for vals in vals_list:
            if not vals.get("description") and vals.get("template_id"):
                vals["description"] = self.env["sales.interaction.template"].browse(vals["template_id"]).name
        # sudo: the callers checked what they record (the gateway's reply, a signed click, the dialog's values)
        entries = self._ledger_sudo().create(vals_list)
        single = entries.filtered(lambda entry: entry.campaign_id and not entry.campaign_entry_id)
        for campaign in single.campaign_id:
            campaign_entry = self.env["sales.campaign.entry"]._get_single_interactions_entry(campaign)
            single.filtered(lambda entry: entry.campaign_id == campaign).write({"campaign_entry_id": campaign_entry.id})
        return entries.with_env(self.env)

    def _write_process(self, vals):
        """Write what logging, delivery, the responses and the actions decide, after their own checks."""
        # sudo: the callers are the module's processes and actions, after their own checks
        return self._ledger_sudo().write(vals)

    def _get_cancelled_parent(self):
        if self.logged_segment_id.cancelled:
            return self.logged_segment_id
        if self.campaign_entry_id.cancelled:
            return self.campaign_entry_id
        return None

    def action_evaluate(self):
        """The entry's Evaluate dialog: its result (evaluation, failed attempt, opportunity, comment)."""
        self.ensure_one()
        self._check_ledger_action()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Evaluate Interaction"),
            "res_model": "sales.interaction.log.evaluation.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_interaction_id": self.id},
        }

    # ------------------------------------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------------------------------------

    def _set_delivery_status(self, status, reason=False):
        self._write_process({"delivery_status": status, "delivery_failure_reason": reason or False})

    @api.model
    def _set_bounced(self, message_ids, reason):
        """E-mails that came back: their entries get the error status with the bounce as reason."""
        # sudo: the bounce is processed by the mail gateway; only the entries of the bounced Message-Ids change
        entries = self.sudo().search([("message_id", "in", message_ids)])
        entries._set_delivery_status("error", reason or self.env._("The e-mail bounced."))
        return entries

    def action_open_mail(self):
        self.ensure_one()
        if not self.mail_message_id:
            raise UserError(self.env._("No e-mail was sent for this interaction."))
        return self.mail_message_id._get_records_action(context={})

    def action_open_reply(self):
        self.ensure_one()
        if not self.reply_message_id:
            raise UserError(self.env._("No reply was received for this interaction."))
        return self.reply_message_id._get_records_action(context={})
