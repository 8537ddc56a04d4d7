from odoo import fields, models


class SalesSegmentReuseCriteriaWizard(models.TransientModel):
    """Replay saved criteria on a segment against today's contacts."""

    _name = "sales.segment.reuse.criteria.wizard"
    _description = "Reuse Segment Criteria"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")
    criteria_id = fields.Many2one("sales.segment.criteria", string="Criteria", required=True)
    segment_step_count = fields.Integer(related="segment_id.history_count")
    criteria_line_ids = fields.One2many(related="criteria_id.line_ids")

    def action_reuse(self):
        self.ensure_one()
        steps = self.segment_id._reuse_criteria(self.criteria_id)
        return self.segment_id._notify(
            self.env._(
                "Criteria %(code)s replayed in %(count)s steps: %(added)s contacts added, %(removed)s removed.",
                code=self.criteria_id.code,
                count=len(steps),
                added=sum(steps.mapped("added_count")),
                removed=sum(steps.mapped("removed_count")),
            ),
            {"added": sum(steps.mapped("added_count")), "removed": sum(steps.mapped("removed_count"))},
        )
