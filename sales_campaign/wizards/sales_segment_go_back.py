from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesSegmentGoBack(models.TransientModel):
    """Go Back, asked first: which step it undoes and what that does to the lines."""

    _name = "sales.segment.go.back"
    _inherit = ["sales.segment.wizard.mixin"]
    _description = "Go Back to Before the Last Step of a Segment"

    step_id = fields.Many2one(
        "sales.segment.history", string="Step to Undo", compute="_compute_step_id", store=True, readonly=True
    )
    step_description = fields.Text(related="step_id.description", string="Filters of the Step")
    message = fields.Text(compute="_compute_message")

    @api.depends("segment_id")
    def _compute_step_id(self):
        History = self.env["sales.segment.history"]
        for wizard in self:
            wizard.step_id = History.search(
                [("segment_id", "=", wizard._readable_segment().id)], order="sequence desc, id desc", limit=1
            )

    @api.depends("step_id")
    def _compute_message(self):
        for wizard in self:
            step = wizard.step_id
            if not step:
                wizard.message = self.env._("The segment has no step to undo.")
                continue
            parts = [self.env._("Go Back undoes step %(step)s.", step=step.display_name)]
            if step.added_count:
                parts.append(
                    self.env._("The %(count)s lines this step added leave the segment.", count=step.added_count)
                )
            if step.removed_count:
                parts.append(
                    self.env._(
                        "The %(count)s lines this step removed come back as they were.", count=step.removed_count
                    )
                )
            if not step.added_count and not step.removed_count:
                parts.append(self.env._("The step changed no line: only the step goes."))
            wizard.message = " ".join(parts)

    def action_go_back(self):
        self.ensure_one()
        if not self.step_id:
            raise UserError(self.env._("Segment %(segment)s has no step to go back to.", segment=self.segment_id.name))
        return self.segment_id._go_back(self.step_id)
