from odoo import api, fields, models


class SalesSegmentCriteria(models.Model):
    """Saved segment criteria: the steps of a segment under a code, to replay on other segments."""

    _name = "sales.segment.criteria"
    _inherit = ["sales.protected.mixin"]
    _description = "Saved Segment Criteria"
    _order = "code"
    _rec_names_search = ["code", "description"]

    code = fields.Char(required=True, size=20)
    description = fields.Char()
    user_id = fields.Many2one("res.users", string="Saved by", default=lambda self: self.env.user, readonly=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    line_ids = fields.One2many("sales.segment.criteria.line", "criteria_id", string="Steps", copy=True)
    action_count = fields.Integer(string="No. of Steps", compute="_compute_action_count")

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "Saved criteria with this code already exist."),
    ]

    @api.depends("line_ids")
    def _compute_action_count(self):
        for criteria in self:
            criteria.action_count = len(criteria.line_ids)

    @api.depends("code", "description")
    def _compute_display_name(self):
        for criteria in self:
            criteria.display_name = " - ".join(part for part in (criteria.code, criteria.description) if part)
