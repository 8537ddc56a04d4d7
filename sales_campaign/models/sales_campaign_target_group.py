from odoo import fields, models, tools
from odoo.tools import SQL


class SalesCampaignTargetGroup(models.Model):
    """The companies an activated campaign gives its prices to (Business Central's Campaign Target Group).

    A view on the targets themselves (open segment lines and interactions marked Campaign Target), so the
    group follows every change of the segments and the log while the campaign is activated, and is empty
    once it is deactivated.
    """

    _name = "sales.campaign.target.group"
    _description = "Campaign Target Group"
    _auto = False
    _order = "campaign_id, partner_id"
    _rec_name = "partner_id"
    _depends = {
        "sales.campaign": ["activated", "utm_campaign_id"],
        "sales.segment": ["state"],
        "sales.segment.line": ["active", "campaign_id", "campaign_target", "partner_id", "segment_id"],
        "sales.interaction.log": ["campaign_id", "campaign_target", "cancelled", "company_partner_id"],
        "res.partner": ["commercial_partner_id"],
        "utm.campaign": ["company_id"],
    }

    campaign_id = fields.Many2one("sales.campaign", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Company", readonly=True)
    company_id = fields.Many2one("res.company", string="Campaign Company", readonly=True)
    customer_rank = fields.Integer(related="partner_id.customer_rank", string="Customer Rank")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %(view)s AS
                   SELECT ROW_NUMBER() OVER (ORDER BY targets.campaign_id, targets.partner_id) AS id,
                          targets.campaign_id, targets.partner_id, utm.company_id
                     FROM (%(targets)s) AS targets
                     JOIN sales_campaign campaign ON campaign.id = targets.campaign_id AND campaign.activated
                     JOIN utm_campaign utm ON utm.id = campaign.utm_campaign_id""",
                view=SQL.identifier(self._table),
                targets=self.env["sales.campaign"]._target_group_query(all_campaigns=True),
            )
        )
