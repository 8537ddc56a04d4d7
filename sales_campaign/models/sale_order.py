from odoo import api, models


class SaleOrder(models.Model):
    """Quotations carry the campaign that priced them (``campaign_id``, Odoo's UTM campaign)."""

    _inherit = "sale.order"

    def _get_sales_campaigns(self):
        """Campaigns that may price this order's lines.

        The campaign set on the order always does, activated or not; without one, every activated campaign
        whose target group holds the customer (or, failing that, the ordering contact's company).
        """
        self.ensure_one()
        Campaign = self.env["sales.campaign"]
        if self.campaign_id:
            return Campaign.search([("utm_campaign_id", "=", self.campaign_id.id)], limit=1)
        company = self.company_id or self.env.company
        return Campaign._get_activated_for_partner(
            self.partner_invoice_id or self.partner_id, company
        ) or Campaign._get_activated_for_partner(self.partner_id, company)

    def _set_campaign_from_lines(self):
        """An order without campaign takes the campaign that priced one of its lines."""
        for order in self.filtered(lambda order: not order.campaign_id and order.state in ("draft", "sent")):
            campaign = order.order_line.sales_campaign_id[:1]
            if campaign:
                order.campaign_id = campaign.utm_campaign_id

    @api.onchange("order_line")
    def _onchange_order_line_sales_campaign(self):
        self._set_campaign_from_lines()

    @api.onchange("campaign_id")
    def _onchange_campaign_id_sales_prices(self):
        """Like a new pricelist, a new campaign offers to update the prices of the lines."""
        if self.order_line and self.state in ("draft", "sent"):
            self.show_update_pricelist = True

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._set_campaign_from_lines()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if "order_line" in vals:
            self._set_campaign_from_lines()
        return result
