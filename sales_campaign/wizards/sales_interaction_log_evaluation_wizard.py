from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.sales_interaction_log import EVALUATIONS


class SalesInteractionLogEvaluationWizard(models.TransientModel):
    """Evaluate a logged interaction: its result is all a user may still change on the ledger's entry."""

    _name = "sales.interaction.log.evaluation.wizard"
    _description = "Evaluate Interaction"

    interaction_id = fields.Many2one("sales.interaction.log", required=True, readonly=True)
    evaluation = fields.Selection(EVALUATIONS, compute="_compute_result", store=True, readonly=False)
    attempt_failed = fields.Boolean(
        compute="_compute_result", store=True, readonly=False, help="The contact could not be reached."
    )
    opportunity_id = fields.Many2one("crm.lead", compute="_compute_result", store=True, readonly=False)
    comment = fields.Text(compute="_compute_result", store=True, readonly=False)

    @api.depends("interaction_id")
    def _compute_result(self):
        for wizard in self:
            entry = wizard.interaction_id
            wizard.evaluation = entry.evaluation
            wizard.attempt_failed = entry.attempt_failed
            wizard.opportunity_id = entry.opportunity_id
            wizard.comment = entry.comment

    def action_save(self):
        self.ensure_one()
        entry = self.interaction_id
        entry._check_ledger_action()
        if self.opportunity_id and not self.opportunity_id.has_access("read"):
            raise UserError(self.env._("You cannot link an interaction to an opportunity you may not see."))
        entry._write_process(
            {
                "evaluation": self.evaluation,
                "attempt_failed": self.attempt_failed,
                "opportunity_id": self.opportunity_id.id,
                "comment": self.comment,
            }
        )
        return {"type": "ir.actions.act_window_close"}
