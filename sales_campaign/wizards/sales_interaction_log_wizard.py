from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.res_partner import CORRESPONDENCE_TYPES
from ..models.sales_interaction_log import EVALUATIONS
from ..models.sales_interaction_template import INFORMATION_FLOWS, INITIATORS
from ..models.sales_segment_language import lang_selection


class SalesInteractionLogWizard(models.TransientModel):
    """Log Interaction (Business Central's Create Interaction): one interaction with one contact, by hand.

    The interaction log is a ledger no client writes (``sales.ledger.mixin``): this dialog takes what the user
    may choose, checks it as the user, and records the entry through the log's own process.
    """

    _name = "sales.interaction.log.wizard"
    _description = "Log Interaction"

    partner_id = fields.Many2one("res.partner", string="Contact", required=True)
    template_id = fields.Many2one("sales.interaction.template", string="Interaction Template", required=True)
    description = fields.Char(
        compute="_compute_from_template", store=True, readonly=False, precompute=True, required=True
    )
    date = fields.Datetime(string="Date and Time", required=True, default=fields.Datetime.now)
    subject = fields.Char()
    lang = fields.Selection(
        selection=lang_selection,
        string="Language",
        compute="_compute_lang",
        store=True,
        readonly=False,
        precompute=True,
    )
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    information_flow = fields.Selection(
        INFORMATION_FLOWS, compute="_compute_from_template", store=True, readonly=False, precompute=True
    )
    initiated_by = fields.Selection(
        INITIATORS, compute="_compute_from_template", store=True, readonly=False, precompute=True
    )
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    cost = fields.Monetary(compute="_compute_from_template", store=True, readonly=False, precompute=True)
    duration = fields.Float(
        string="Duration (Min.)",
        digits=(16, 2),
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
    )
    campaign_id = fields.Many2one(
        "sales.campaign", compute="_compute_from_template", store=True, readonly=False, precompute=True
    )
    campaign_target = fields.Boolean(compute="_compute_campaign_flags", store=True, readonly=False, precompute=True)
    campaign_response = fields.Boolean(compute="_compute_campaign_flags", store=True, readonly=False, precompute=True)
    user_id = fields.Many2one("res.users", string="Salesperson", default=lambda self: self.env.user)
    evaluation = fields.Selection(EVALUATIONS)
    attempt_failed = fields.Boolean(help="The contact could not be reached.")
    opportunity_id = fields.Many2one("crm.lead")
    comment = fields.Text()

    @api.depends("template_id")
    def _compute_from_template(self):
        for wizard in self:
            template = wizard.template_id
            wizard.description = wizard.description or template.name
            wizard.information_flow = template.information_flow
            wizard.initiated_by = template.initiated_by
            wizard.cost = template.unit_cost
            wizard.duration = template.unit_duration
            wizard.campaign_id = wizard.campaign_id or template.campaign_id

    @api.depends("template_id", "campaign_id")
    def _compute_campaign_flags(self):
        for wizard in self:
            wizard.campaign_target, wizard.campaign_response = wizard.template_id._campaign_flags(
                wizard.campaign_id, wizard.campaign_target, wizard.campaign_response
            )

    @api.depends("partner_id")
    def _compute_lang(self):
        for wizard in self:
            wizard.lang = wizard.partner_id.lang

    def _check_readable(self):
        """What the user chose must be records the user may read (a contact of another company, say, is not)."""
        self.ensure_one()
        for fname in ("partner_id", "template_id", "campaign_id", "user_id", "opportunity_id"):
            record = self[fname]
            if record and not record.sudo(False).has_access("read"):
                raise UserError(
                    self.env._(
                        "%(field)s: you may only choose records you may see.",
                        field=self._fields[fname]._description_string(self.env),
                    )
                )
        if not self.partner_id.active:
            raise UserError(
                self.env._(
                    "%(contact)s is archived: log interactions with active contacts.",
                    contact=self.partner_id.display_name,
                )
            )
        if self.cost < 0 or self.duration < 0:
            raise UserError(self.env._("The cost and the duration of an interaction may not be negative."))
        if (self.campaign_target or self.campaign_response) and not self.campaign_id:
            raise UserError(self.env._("Choose the campaign this interaction targets or responds to."))

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._check_readable()
        return wizards

    def action_log(self):
        self.ensure_one()
        self.env["sales.interaction.log"].check_access("read")
        self._check_readable()
        entry = self.env["sales.interaction.log"]._create_process(
            [
                {
                    "partner_id": self.partner_id.id,
                    "template_id": self.template_id.id,
                    "description": self.description,
                    "date": self.date,
                    "subject": self.subject,
                    "lang": self.lang,
                    "correspondence_type": self.correspondence_type,
                    "information_flow": self.information_flow,
                    "initiated_by": self.initiated_by,
                    "cost": self.cost,
                    "duration": self.duration,
                    "campaign_id": self.campaign_id.id,
                    "campaign_target": self.campaign_target,
                    "campaign_response": self.campaign_response,
                    "user_id": self.user_id.id,
                    "evaluation": self.evaluation,
                    "attempt_failed": self.attempt_failed,
                    "opportunity_id": self.opportunity_id.id,
                    "comment": self.comment,
                    "company_id": self.env.company.id,
                }
            ]
        )
        return entry._get_records_action(context={})
