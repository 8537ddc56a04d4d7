from odoo import api, fields, models


class SalesCampaignStatus(models.Model):
    """User-defined campaign status codes (``1-PLAN``, ``2-ACTIVE``, ``3-DONE``), shown as a statusbar."""

    _name = "sales.campaign.status"
    _inherit = "sales.code.mixin"
    _description = "Campaign Status"
    _order = "sequence, code"

    sequence = fields.Integer(default=10)
    fold = fields.Boolean(
        string="Folded in Kanban", help="Fold this column in the campaign kanban view (e.g. finished campaigns)."
    )
    campaign_count = fields.Integer(string="No. of Campaigns", compute="_compute_campaign_count")

    def _compute_campaign_count(self):
        counts = dict(
            self.env["sales.campaign"]._read_group([("status_id", "in", self.ids)], ["status_id"], ["__count"])
        )
        for status in self:
            status.campaign_count = counts.get(status, 0)

    @api.model
    def _default_status(self):
        return self.search([], limit=1)
