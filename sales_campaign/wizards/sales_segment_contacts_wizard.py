from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.sales_segment_filters import ADD_OPTIONS, REMOVE_OPTIONS

MODES = [("add", "Add Contacts"), ("reduce", "Reduce Contacts"), ("refine", "Refine Contacts")]


class SalesSegmentContactsWizard(models.TransientModel):
    """Add, Reduce or Refine the contacts of a segment with groups of filters (all set groups must match)."""

    _name = "sales.segment.contacts.wizard"
    _inherit = ["sales.segment.wizard.mixin"]
    _description = "Add, Reduce or Refine Segment Contacts"

    mode = fields.Selection(MODES, required=True, default="add")

    # Filter groups
    partner_domain = fields.Char(string="Contact Filter", default="[]")
    job_responsibility_ids = fields.Many2many("sales.job.responsibility", string="Job Responsibilities")
    business_relation_ids = fields.Many2many("sales.business.relation", string="Business Relations")
    industry_ids = fields.Many2many("res.partner.industry", string="Industries")
    mailing_group_ids = fields.Many2many("sales.mailing.group", string="Mailing Groups")
    interaction_template_ids = fields.Many2many(
        "sales.interaction.template",
        string="Interaction Templates",
        help="Contacts with a logged interaction of these templates.",
    )
    interaction_campaign_ids = fields.Many2many(
        "sales.campaign", string="Interaction Campaigns", help="Contacts with a logged interaction in these campaigns."
    )
    logged_segment_ids = fields.Many2many(
        "sales.logged.segment", string="Logged Segments", help="Contacts of these logged segments."
    )

    # Options of Add
    allow_existing_contacts = fields.Boolean(help="Add contacts even when the segment has them already.")
    expand_contact_companies = fields.Boolean(help="Add the company of each matching person with all its persons.")
    allow_related_companies = fields.Boolean(help="Add the company of each contact as well.")
    ignore_exclusion = fields.Boolean(help="Add contacts flagged Exclude from segments as well.")
    exclude_blacklisted = fields.Boolean(
        string="Leave Out Blacklisted E-mails", help="Leave out contacts whose e-mail address is blacklisted."
    )
    # Option of Reduce and Refine
    entire_companies = fields.Boolean(
        help="Compare whole companies: a matching contact brings its company and all its persons along."
    )

    confirm_all = fields.Boolean(
        string="Go Ahead Without a Filter",
        help="A step without any filter adds every contact, removes every line (Reduce) or keeps only the lines "
        "whose contact may still be in a segment (Refine): it runs once this is ticked.",
    )
    has_filters = fields.Boolean(compute="_compute_has_filters")
    no_filter_message = fields.Char(compute="_compute_no_filter_message")
    match_count = fields.Integer(
        string="Lines to Change",
        compute="_compute_has_filters",
        help="The contacts Add would add, or the lines Reduce or Refine would remove, "
        "counted by the query the step runs.",
    )

    @api.depends(
        "segment_id",
        "mode",
        "partner_domain",
        "job_responsibility_ids",
        "business_relation_ids",
        "industry_ids",
        "mailing_group_ids",
        "interaction_template_ids",
        "interaction_campaign_ids",
        "logged_segment_ids",
        *ADD_OPTIONS,
        *REMOVE_OPTIONS,
    )
    def _compute_has_filters(self):
        Segment = self.env["sales.segment"]
        for wizard in self:
            criteria = wizard._criteria()
            try:
                wizard.has_filters = Segment._criteria_has_filters(criteria)
                # The step's own query, counted: what the step will do if applied now.
                segment = wizard._readable_segment()
                wizard.match_count = segment._preview_step(wizard.mode, criteria) if segment else 0
            except UserError:
                # An unfinished contact filter: the count shows once it is valid.
                wizard.has_filters = True
                wizard.match_count = 0

    @api.depends("mode", "match_count")
    def _compute_no_filter_message(self):
        """What a step without a filter would do, with its count, in one whole sentence per mode."""
        for wizard in self:
            count = wizard.match_count
            if wizard.mode == "add":
                message = self.env._(
                    "No filter is set: every contact that may be in a segment would be added (contacts: %(count)s).",
                    count=count,
                )
            elif wizard.mode == "reduce":
                message = self.env._("No filter is set: every line would be removed (lines: %(count)s).", count=count)
            else:
                message = self.env._(
                    "No filter is set: only the lines whose contact can still be in a segment would be kept "
                    "(lines removed: %(count)s).",
                    count=count,
                )
            wizard.no_filter_message = message

    @api.model
    def _check_segment(self, segment, values):
        """Refuse to reduce or refine a segment without lines, too."""
        segment = super()._check_segment(segment, values)
        if segment and values.get("mode") in ("reduce", "refine") and not segment.line_count:
            raise UserError(self.env._("Segment %(segment)s has no lines to reduce or refine.", segment=segment.name))
        return segment

    def _criteria(self):
        """The wizard's filters and options as the criteria a history step keeps."""
        self.ensure_one()
        options = ADD_OPTIONS if self.mode == "add" else REMOVE_OPTIONS
        criteria = {
            "partner_domain": self.partner_domain or "[]",
            "job_responsibility_ids": self.job_responsibility_ids.ids,
            "business_relation_ids": self.business_relation_ids.ids,
            "industry_ids": self.industry_ids.ids,
            "mailing_group_ids": self.mailing_group_ids.ids,
            "interaction_template_ids": self.interaction_template_ids.ids,
            "interaction_campaign_ids": self.interaction_campaign_ids.ids,
            "logged_segment_ids": self.logged_segment_ids.ids,
            "options": {option: bool(self[option]) for option in options if self[option]},
        }
        return {key: value for key, value in criteria.items() if value and value != "[]"}

    def action_apply(self):
        """Run the step and tell how many lines it added or removed.

        A step without any filter takes every contact (Add), removes every line (Reduce) or keeps only the
        lines whose contact may still be in a segment (Refine): it runs only once the user ticked
        ``confirm_all``, in the same dialog that shows how many contacts or lines it concerns.
        """
        self.ensure_one()
        segment = self.segment_id
        criteria = self._criteria()
        if not segment._criteria_has_filters(criteria) and not self.confirm_all:
            messages = {
                "add": self.env._(
                    "No filter is set: every contact would be added to segment %(segment)s. "
                    "Set a filter, or confirm that you want all contacts.",
                    segment=segment.name,
                ),
                "reduce": self.env._(
                    "No filter is set: every line would be removed from segment %(segment)s. "
                    "Set a filter, or confirm that you want to remove all lines.",
                    segment=segment.name,
                ),
                "refine": self.env._(
                    "No filter is set: segment %(segment)s would keep only the lines whose contact can still be "
                    "in a segment. Set a filter, or confirm that you want to refine without one.",
                    segment=segment.name,
                ),
            }
            raise UserError(messages[self.mode])
        step = segment._run_step(self.mode, criteria)
        if self.mode == "add":
            message = self.env._(
                "Contacts added to segment %(segment)s: %(count)s.", count=step.added_count, segment=segment.name
            )
        else:
            message = self.env._(
                "Lines removed from segment %(segment)s: %(count)s.", count=step.removed_count, segment=segment.name
            )
        return segment._notify(message, {"added": step.added_count, "removed": step.removed_count})
