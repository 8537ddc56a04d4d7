from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesSegmentReuseCriteriaWizard(models.TransientModel):
    """Replay saved criteria on a segment against today's contacts, or add the contacts of a logged segment."""

    _name = "sales.segment.reuse.criteria.wizard"
    _description = "Reuse Segment Criteria"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")
    reuse_from = fields.Selection(
        [("criteria", "Saved Criteria"), ("logged", "Logged Segment")], required=True, default="criteria"
    )
    criteria_id = fields.Many2one("sales.segment.criteria")
    logged_segment_id = fields.Many2one("sales.logged.segment")
    segment_step_count = fields.Integer(related="segment_id.history_count")
    criteria_line_ids = fields.One2many(related="criteria_id.line_ids")
    logged_interaction_count = fields.Integer(related="logged_segment_id.interaction_count")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        segment = self.env["sales.segment"].browse(values.get("segment_id")).exists()
        if segment:
            segment.check_access("write")
            segment._check_draft()
        return values

    def action_reuse(self):
        self.ensure_one()
        segment = self.segment_id
        if self.reuse_from == "logged":
            if not self.logged_segment_id:
                raise UserError(self.env._("Choose the logged segment whose contacts to add."))
            step = segment._reuse_logged_segment(self.logged_segment_id)
            return segment._notify(
                self.env._(
                    "Contacts of logged segment %(logged)s added to segment %(segment)s: %(count)s.",
                    count=step.added_count,
                    logged=self.logged_segment_id.name,
                    segment=segment.name,
                ),
                {"added": step.added_count, "removed": 0},
            )
        if not self.criteria_id:
            raise UserError(self.env._("Choose the saved criteria to reuse."))
        steps = segment._reuse_criteria(self.criteria_id)
        return segment._notify(
            self.env._(
                "Criteria %(code)s replayed. Steps: %(count)s; contacts added: %(added)s; lines removed: %(removed)s.",
                code=self.criteria_id.code,
                count=len(steps),
                added=sum(steps.mapped("added_count")),
                removed=sum(steps.mapped("removed_count")),
            ),
            {"added": sum(steps.mapped("added_count")), "removed": sum(steps.mapped("removed_count"))},
        )
