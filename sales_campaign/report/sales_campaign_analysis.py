from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _lang_get

from ..models.sales_interaction_log import repeated_response_sql

FACT_TYPES = [
    ("interaction", "Interaction"),
    ("opportunity", "Opportunity"),
    ("quotation", "Quotation"),
    ("order", "Sales Order"),
]


class SalesCampaignAnalysis(models.Model):
    """The campaign figures: one row per fact a campaign's results are made of, the one source of them.

    A row per interaction that is not cancelled, per active opportunity and per quotation or sales order
    that is not cancelled (set on the campaign, or with a line the campaign priced), with the measures it
    contributes. The campaign card's statistics, the campaign list and kanban, the Excel export and the
    *Campaign Analysis* pivot all read these rows with ``_read_group``, so they agree.

    Which rows count for a campaign: those of its company (every company for a campaign shared by all
    companies; a user then sees those of the companies they work in, through the record rule).

    Conversion, once, at the rate of the day of the fact:

    - a quotation or sales order counts its untaxed amount divided by its own ``currency_rate``, the rate
      of its order date that Odoo fixes on the order: the company's currency amount its invoice and journal
      entries start from, and the rule of Odoo's own *Sales Analysis*. A campaign's revenue therefore does
      not move every day with the exchange rates, and an order counts the same here as in sales reporting;
    - opportunities (expected revenue) and interactions (cost) are in their company's currency already;
    - for a campaign shared by all companies only, rows of a company whose currency is not the current
      company's are converted into the current company's currency at the rate of the row's date (the same
      rule again, the same rate table as ``res.currency._convert``), since one total adds several companies.

    A campaign of a company therefore has its figures in its company's currency, with no second conversion.
    """

    _name = "sales.campaign.analysis"
    _description = "Campaign Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "campaign_id"
    _depends = {
        "sales.campaign": ["status_id", "utm_campaign_id"],
        "utm.campaign": ["company_id"],
        "res.company": ["currency_id"],
        "res.currency.rate": ["rate", "name", "company_id", "currency_id"],
        "sales.interaction.log": [
            "campaign_id",
            "cancelled",
            "company_id",
            "date",
            "user_id",
            "company_partner_id",
            "template_id",
            "logged_segment_id",
            "lang",
            "campaign_target",
            "campaign_response",
            "cost",
            "duration",
            "correspondence_type",
            "delivery_status",
            "replied_date",
            "clicked_date",
            "unsubscribed_date",
            "response_source",
            "partner_id",
            "version_id",
            "campaign_control",
        ],
        "crm.lead": [
            "active",
            "type",
            "campaign_id",
            "company_id",
            "create_date",
            "user_id",
            "partner_id",
            "stage_id",
            "expected_revenue",
        ],
        "crm.stage": ["is_won"],
        "sale.order": [
            "state",
            "campaign_id",
            "company_id",
            "date_order",
            "user_id",
            "partner_id",
            "amount_untaxed",
            "currency_rate",
        ],
        "sale.order.line": ["order_id", "sales_campaign_id", "state"],
    }

    fact_type = fields.Selection(FACT_TYPES, string="Type", readonly=True)
    campaign_id = fields.Many2one("sales.campaign", readonly=True)
    status_id = fields.Many2one("sales.campaign.status", string="Campaign Status", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Company of the Contact", readonly=True)
    template_id = fields.Many2one("sales.interaction.template", string="Interaction Template", readonly=True)
    logged_segment_id = fields.Many2one("sales.logged.segment", readonly=True)
    lang = fields.Selection(selection=_lang_get, string="Language", readonly=True)
    version_id = fields.Many2one("sales.segment.version", readonly=True, help="The version of the text (A/B test).")
    campaign_control = fields.Boolean(string="Control Group", readonly=True)
    contacted_count = fields.Integer(string="Targets Contacted", readonly=True, aggregator="sum")
    responded_count = fields.Integer(
        string="Responses",
        readonly=True,
        aggregator="sum",
        help="Response interactions, but a contact's responses found by the campaign itself (replies, clicks, leads, "
        "orders) once: its first.",
    )
    emailed_count = fields.Integer(string="E-mails Sent", readonly=True, aggregator="sum")
    replied_count = fields.Integer(string="Replies", readonly=True, aggregator="sum")
    clicked_count = fields.Integer(string="Clicks", readonly=True, aggregator="sum")
    unsubscribed_count = fields.Integer(string="Unsubscribes", readonly=True, aggregator="sum")
    reply_pending_count = fields.Integer(string="Replies without a Response Template", readonly=True, aggregator="sum")
    response_reply_count = fields.Integer(string="Responses by Reply", readonly=True, aggregator="sum")
    response_click_count = fields.Integer(string="Responses by Click", readonly=True, aggregator="sum")
    response_lead_count = fields.Integer(string="Responses by Lead", readonly=True, aggregator="sum")
    response_order_count = fields.Integer(string="Responses by Sales Order", readonly=True, aggregator="sum")
    response_manual_count = fields.Integer(string="Responses Logged by Hand", readonly=True, aggregator="sum")
    cost = fields.Monetary(readonly=True, aggregator="sum")
    duration = fields.Float(string="Duration (Min.)", readonly=True, aggregator="sum")
    opportunity_count = fields.Integer(string="Opportunities", readonly=True, aggregator="sum")
    expected_revenue = fields.Monetary(string="Estimated Value", readonly=True, aggregator="sum")
    won_count = fields.Integer(string="Won Opportunities", readonly=True, aggregator="sum")
    won_revenue = fields.Monetary(string="Won Value", readonly=True, aggregator="sum")
    quotation_count = fields.Integer(string="Open Quotations", readonly=True, aggregator="sum")
    order_count = fields.Integer(string="Sales Orders", readonly=True, aggregator="sum")
    revenue = fields.Monetary(readonly=True, aggregator="sum")

    def _rate_sql(self, currency, date):
        """The rate of ``currency`` (SQL) on ``date`` (SQL), as ``res.currency._get_rates`` reads it."""
        return SQL(
            """COALESCE((SELECT rate.rate FROM res_currency_rate rate
                          WHERE rate.currency_id = %(currency)s AND rate.name <= %(date)s
                            AND (rate.company_id IS NULL OR rate.company_id = %(root)s)
                          ORDER BY rate.company_id, rate.name DESC LIMIT 1), 1.0)""",
            currency=currency,
            date=date,
            root=self.env.company.root_id.id,
        )

    @property
    def _table_query(self):
        currency_id = self.env.company.currency_id.id
        return SQL(
            """
            SELECT -- unique, and partitioned by campaign so that a filter on campaigns reaches the tables
                   facts.campaign_id::bigint * 4294967296
                   + ROW_NUMBER() OVER (PARTITION BY facts.campaign_id ORDER BY facts.fact_type, facts.source_id) AS id,
                   facts.fact_type, facts.campaign_id, campaign.status_id, facts.company_id,
                   CASE WHEN utm.company_id IS NULL THEN %(currency)s ELSE company.currency_id END AS currency_id,
                   facts.date, facts.user_id, facts.partner_id, facts.template_id, facts.logged_segment_id,
                   facts.lang, facts.version_id, facts.campaign_control, facts.contacted_count,
                   facts.responded_count,
                   facts.emailed_count, facts.replied_count, facts.clicked_count, facts.unsubscribed_count,
                   facts.reply_pending_count, facts.response_reply_count, facts.response_click_count,
                   facts.response_lead_count, facts.response_order_count, facts.response_manual_count,
                   facts.cost * conversion.factor AS cost, facts.duration,
                   facts.opportunity_count, facts.expected_revenue * conversion.factor AS expected_revenue,
                   facts.won_count, facts.won_revenue * conversion.factor AS won_revenue,
                   facts.quotation_count, facts.order_count, facts.revenue * conversion.factor AS revenue
              FROM (
                    SELECT 'interaction' AS fact_type, entry.id AS source_id, entry.campaign_id, entry.company_id,
                           entry.date::date AS date, entry.user_id, entry.company_partner_id AS partner_id,
                           entry.template_id, entry.logged_segment_id, entry.lang, entry.version_id,
                           COALESCE(entry.campaign_control, FALSE) AS campaign_control,
                           COALESCE(entry.campaign_target, FALSE)::int AS contacted_count,
                           -- responses, but a contact's responses found by the campaign itself once, its first
                           (COALESCE(entry.campaign_response, FALSE)
                            AND NOT COALESCE(%(repeated)s, FALSE))::int AS responded_count,
                           ((entry.correspondence_type = 'email' AND entry.delivery_status = 'sent') IS TRUE)::int
                               AS emailed_count,
                           (entry.replied_date IS NOT NULL)::int AS replied_count,
                           (entry.clicked_date IS NOT NULL)::int AS clicked_count,
                           (entry.unsubscribed_date IS NOT NULL)::int AS unsubscribed_count,
                           -- replies kept while the campaign had no response template: no reply response yet
                           (entry.replied_date IS NOT NULL AND NOT EXISTS (
                                SELECT 1 FROM sales_interaction_log response
                                 WHERE response.campaign_id = entry.campaign_id
                                   AND response.partner_id = entry.partner_id
                                   AND response.response_source = 'reply'))::int AS reply_pending_count,
                           ((entry.campaign_response AND entry.response_source = 'reply') IS TRUE)::int
                               AS response_reply_count,
                           ((entry.campaign_response AND entry.response_source = 'click') IS TRUE)::int
                               AS response_click_count,
                           ((entry.campaign_response AND entry.response_source = 'lead') IS TRUE)::int
                               AS response_lead_count,
                           ((entry.campaign_response AND entry.response_source = 'order') IS TRUE)::int
                               AS response_order_count,
                           ((entry.campaign_response AND entry.response_source = 'manual') IS TRUE)::int
                               AS response_manual_count,
                           COALESCE(entry.cost, 0) AS cost, COALESCE(entry.duration, 0) AS duration,
                           0 AS opportunity_count, 0 AS expected_revenue, 0 AS won_count, 0 AS won_revenue,
                           0 AS quotation_count, 0 AS order_count, 0 AS revenue
                      FROM sales_interaction_log entry
                     WHERE entry.campaign_id IS NOT NULL AND NOT entry.cancelled
                     UNION ALL
                    SELECT 'opportunity', lead.id, campaign.id, lead.company_id, lead.create_date::date, lead.user_id,
                           contact.commercial_partner_id, NULL, NULL, NULL, NULL, FALSE,
                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           1, COALESCE(lead.expected_revenue, 0),
                           COALESCE(stage.is_won, FALSE)::int,
                           CASE WHEN stage.is_won THEN COALESCE(lead.expected_revenue, 0) ELSE 0 END,
                           0, 0, 0
                      FROM crm_lead lead
                      JOIN sales_campaign campaign ON campaign.utm_campaign_id = lead.campaign_id
                      LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                      LEFT JOIN res_partner contact ON contact.id = lead.partner_id
                     WHERE lead.active AND lead.type = 'opportunity'
                     UNION ALL
                    SELECT CASE WHEN sale.state = 'sale' THEN 'order' ELSE 'quotation' END, sale.id,
                           of_campaign.campaign_id, sale.company_id, sale.date_order::date, sale.user_id,
                           partner.commercial_partner_id, NULL, NULL, NULL, NULL, FALSE,
                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           0, 0, 0, 0,
                           (sale.state != 'sale')::int, (sale.state = 'sale')::int,
                           CASE WHEN sale.state = 'sale'
                                THEN sale.amount_untaxed / COALESCE(NULLIF(sale.currency_rate, 0), 1)
                                ELSE 0 END
                      FROM (
                            -- orders set on the campaign, and orders with a line the campaign priced
                            SELECT sale.id AS order_id, campaign.id AS campaign_id
                              FROM sale_order sale
                              JOIN sales_campaign campaign ON campaign.utm_campaign_id = sale.campaign_id
                             WHERE sale.state != 'cancel'
                             UNION
                            SELECT line.order_id, line.sales_campaign_id
                              FROM sale_order_line line
                             WHERE line.sales_campaign_id IS NOT NULL AND line.state != 'cancel'
                           ) of_campaign
                      JOIN sale_order sale ON sale.id = of_campaign.order_id
                      JOIN res_partner partner ON partner.id = sale.partner_id
                   ) facts
              JOIN sales_campaign campaign ON campaign.id = facts.campaign_id
              JOIN utm_campaign utm ON utm.id = campaign.utm_campaign_id
              JOIN res_company company ON company.id = facts.company_id
             CROSS JOIN LATERAL (
                    SELECT CASE WHEN utm.company_id IS NOT NULL OR company.currency_id = %(currency)s THEN 1.0
                                ELSE %(target_rate)s / %(source_rate)s END AS factor
                   ) conversion
             -- a campaign of a company counts that company's facts; a campaign shared by all, every company's
             WHERE utm.company_id IS NULL OR utm.company_id = facts.company_id
            """,
            currency=currency_id,
            repeated=repeated_response_sql("entry"),
            target_rate=self._rate_sql(currency_id, SQL("facts.date")),
            source_rate=self._rate_sql(SQL("company.currency_id"), SQL("facts.date")),
        )
