from odoo import fields, models, tools


class SalesCampaignAnalysis(models.Model):
    """Campaign results across campaigns, for pivot and graph views.

    One row per interaction that is not cancelled, per opportunity and per confirmed sales order of a
    campaign (set on the order, or pricing one of its lines), with the measures each contributes; amounts
    are in the company's currency.
    """

    _name = "sales.campaign.analysis"
    _description = "Campaign Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "campaign_id"
    _depends = {
        "sales.campaign": ["status_id", "utm_campaign_id"],
        "sales.interaction.log": [
            "campaign_id", "cancelled", "company_id", "date", "user_id", "company_partner_id",
            "campaign_target", "campaign_response", "cost", "duration",
        ],
        "crm.lead": ["active", "type", "campaign_id", "company_id", "user_id", "partner_id", "stage_id", "expected_revenue"],
        "sale.order": ["state", "campaign_id", "company_id", "date_order", "user_id", "partner_id", "amount_untaxed", "currency_rate"],
        "sale.order.line": ["order_id", "sales_campaign_id", "state"],
    }

    campaign_id = fields.Many2one("sales.campaign", string="Campaign", readonly=True)
    status_id = fields.Many2one("sales.campaign.status", string="Campaign Status", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Company of the Contact", readonly=True)
    contacted_count = fields.Integer(string="Targets Contacted", readonly=True, aggregator="sum")
    responded_count = fields.Integer(string="Responses", readonly=True, aggregator="sum")
    cost = fields.Monetary(readonly=True, aggregator="sum")
    duration = fields.Float(string="Duration (Min.)", readonly=True, aggregator="sum")
    opportunity_count = fields.Integer(string="Opportunities", readonly=True, aggregator="sum")
    expected_revenue = fields.Monetary(string="Estimated Value", readonly=True, aggregator="sum")
    won_count = fields.Integer(string="Won Opportunities", readonly=True, aggregator="sum")
    won_revenue = fields.Monetary(string="Won Value", readonly=True, aggregator="sum")
    order_count = fields.Integer(string="Sales Orders", readonly=True, aggregator="sum")
    revenue = fields.Monetary(readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS
            SELECT ROW_NUMBER() OVER (ORDER BY facts.kind, facts.source_id, facts.campaign_id) AS id,
                   facts.campaign_id, campaign.status_id, facts.company_id, facts.date, facts.user_id,
                   facts.partner_id, facts.contacted_count, facts.responded_count, facts.cost, facts.duration,
                   facts.opportunity_count, facts.expected_revenue, facts.won_count, facts.won_revenue,
                   facts.order_count, facts.revenue
              FROM (
                    SELECT 1 AS kind, entry.id AS source_id, entry.campaign_id, entry.company_id,
                           entry.date::date AS date, entry.user_id, entry.company_partner_id AS partner_id,
                           COALESCE(entry.campaign_target, FALSE)::int AS contacted_count,
                           COALESCE(entry.campaign_response, FALSE)::int AS responded_count,
                           COALESCE(entry.cost, 0) AS cost, COALESCE(entry.duration, 0) AS duration,
                           0 AS opportunity_count, 0 AS expected_revenue, 0 AS won_count, 0 AS won_revenue,
                           0 AS order_count, 0 AS revenue
                      FROM sales_interaction_log entry
                     WHERE entry.campaign_id IS NOT NULL AND NOT entry.cancelled
                     UNION ALL
                    SELECT 2, lead.id, campaign.id, lead.company_id, lead.create_date::date, lead.user_id,
                           contact.commercial_partner_id, 0, 0, 0, 0,
                           1, COALESCE(lead.expected_revenue, 0),
                           COALESCE(stage.is_won, FALSE)::int,
                           CASE WHEN stage.is_won THEN COALESCE(lead.expected_revenue, 0) ELSE 0 END,
                           0, 0
                      FROM crm_lead lead
                      JOIN sales_campaign campaign ON campaign.utm_campaign_id = lead.campaign_id
                      LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                      LEFT JOIN res_partner contact ON contact.id = lead.partner_id
                     WHERE lead.active AND lead.type = 'opportunity'
                     UNION ALL
                    SELECT 3, sale.id, of_campaign.campaign_id, sale.company_id, sale.date_order::date, sale.user_id,
                           partner.commercial_partner_id, 0, 0, 0, 0, 0, 0, 0, 0,
                           1, sale.amount_untaxed / COALESCE(NULLIF(sale.currency_rate, 0), 1)
                      FROM (
                            -- orders set on the campaign, and orders with a line the campaign priced
                            SELECT sale.id AS order_id, campaign.id AS campaign_id
                              FROM sale_order sale
                              JOIN sales_campaign campaign ON campaign.utm_campaign_id = sale.campaign_id
                             WHERE sale.state = 'sale'
                             UNION
                            SELECT line.order_id, line.sales_campaign_id
                              FROM sale_order_line line
                             WHERE line.sales_campaign_id IS NOT NULL AND line.state = 'sale'
                           ) of_campaign
                      JOIN sale_order sale ON sale.id = of_campaign.order_id
                      JOIN res_partner partner ON partner.id = sale.partner_id
                   ) facts
              JOIN sales_campaign campaign ON campaign.id = facts.campaign_id
            """
        )
