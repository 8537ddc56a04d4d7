from odoo import fields, models

from .sales_segment_history import ACTIONS


class SalesSegmentCriteriaLine(models.Model):
    """One saved step: its action, filters and options."""

    _name = "sales.segment.criteria.line"
    _inherit = ["sales.protected.mixin"]
    _description = "Saved Segment Criteria Step"
    _order = "criteria_id, sequence, id"

    criteria_id = fields.Many2one(
        "sales.segment.criteria", required=True, ondelete="cascade", index=True, string="Saved Criteria"
    )
    sequence = fields.Integer(string="Step")
    action = fields.Selection(ACTIONS, required=True)
    criteria = fields.Json(string="Filter Values")
    description = fields.Text(string="Filters")
