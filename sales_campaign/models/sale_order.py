from datetime import datetime, time

from odoo import api, fields, models


class SaleOrder(models.Model):
    """The campaigns that may price a quotation, looked up once for all the orders being priced.

    The order's ``campaign_id`` (Odoo's UTM campaign) is what a user set or what came from an opportunity:
    campaign pricing reads it but never writes it, so a campaign deactivated since the last line was priced
    no longer prices new lines. Each line shows the campaign that priced it.
    """

    _inherit = "sale.order"

    def _get_sales_campaigns_per_order(self):
        """Campaigns that may price each of these orders, in a few queries for all of them.

        The campaign set on the order always does, activated or not; without one, every activated campaign
        whose target group holds the customer (or, failing that, the ordering contact's company), as the
        Business Central price sources do.

        :return: {order: sales.campaign records}, for every order of ``self``
        """
        Campaign = self.env["sales.campaign"]
        with_campaign = self.filtered("campaign_id")
        by_utm = {}
        if with_campaign:
            for campaign in Campaign.search([("utm_campaign_id", "in", with_campaign.campaign_id.ids)]):
                by_utm.setdefault(campaign.utm_campaign_id, campaign)
        without_campaign = self - with_campaign
        activated = Campaign._get_activated_for_partners(
            without_campaign.partner_invoice_id | without_campaign.partner_id,
            without_campaign.company_id | self.env.company,
        )
        result = {}
        for order in self:
            if order.campaign_id:
                result[order] = by_utm.get(order.campaign_id, Campaign)
                continue
            company = order.company_id or self.env.company
            for partner in (order.partner_invoice_id or order.partner_id, order.partner_id):
                campaigns = activated.get(partner.commercial_partner_id, Campaign).filtered(
                    lambda campaign: not campaign.company_id or campaign.company_id == company
                )
                if campaigns:
                    break
            result[order] = campaigns
        return result

    def _get_sales_campaign_date(self):
        """The order's local day, on which campaign periods and currency rates are taken, and the moment at
        which campaign rules are looked up: noon of that day, inside the rules (dated from the campaign's
        first day at 00:00 to its last day at 23:59:59) for every day of the campaign period.

        :return: (date, datetime)
        """
        self.ensure_one()
        day = fields.Datetime.context_timestamp(self, self.date_order or fields.Datetime.now()).date()
        return day, datetime.combine(day, time(12))

    def _get_sales_campaign_rules(self, products, compute_price):
        """The campaigns that may price these orders and their rules for ``products``, fetched once.

        Built per compute batch: the lines of one or many orders ask for their orders at once, so pricing
        costs the same queries for 5 lines as for 50 (and no cache outlives the compute, since a campaign's
        target group changes with every segment edit).

        :param products: the products of the lines to price
        :param compute_price: ``"fixed"`` for the campaign sales prices, ``"percentage"`` for the line discounts
        :return: {order: [(campaign, rules), ...]}: the campaigns running on the order's day, in id order,
            with their rules of that kind that may apply to ``products`` on that day (quantity and product
            still to be checked per line); orders without any are left out
        """
        running = {}
        for order, campaigns in self._get_sales_campaigns_per_order().items():
            day, moment = order._get_sales_campaign_date()
            campaigns = campaigns.filtered(lambda campaign: campaign.pricelist_id and campaign._is_running_on(day))
            if campaigns:
                running[order] = (moment, campaigns.sorted("id"))
        if not running:
            return {}
        pricelists = (
            self.env["sales.campaign"].union(*(campaigns for _moment, campaigns in running.values())).pricelist_id
        )
        # Campaign pricelists are archived, and so are their rules (active follows the pricelist).
        rules = (
            self.env["product.pricelist.item"]
            .with_context(active_test=False)
            .search(
                [
                    ("pricelist_id", "in", pricelists.ids),
                    ("compute_price", "=", compute_price),
                    "|",
                    ("categ_id", "=", False),
                    ("categ_id", "parent_of", products.categ_id.ids),
                    "|",
                    ("product_tmpl_id", "=", False),
                    ("product_tmpl_id", "in", products.product_tmpl_id.ids),
                    "|",
                    ("product_id", "=", False),
                    ("product_id", "in", products.ids),
                ]
            )
            .with_env(self.env)  # back to the caller's context
        )
        rules_per_pricelist = rules.grouped("pricelist_id")
        result = {}
        for order, (moment, campaigns) in running.items():
            result[order] = [
                (
                    campaign,
                    rules_per_pricelist.get(campaign.pricelist_id, rules.browse()).filtered(
                        lambda rule: (
                            (not rule.date_start or rule.date_start <= moment)
                            and (not rule.date_end or moment <= rule.date_end)
                        )
                    ),
                )
                for campaign in campaigns
            ]
        return result

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._register_sales_campaign_responses()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if {"state", "campaign_id", "partner_id"} & set(vals):
            self._register_sales_campaign_responses()
        return result

    def _register_sales_campaign_responses(self):
        """A confirmed sales order carrying a campaign (from a tracked link's UTM, an opportunity, or set by
        hand) is the response of the campaign's target who ordered (see ``_register_document_responses``)."""
        orders = self.filtered(lambda order: order.state == "sale" and order.campaign_id)
        if orders:
            self.env["sales.interaction.log"]._register_document_responses(orders, "order")

    @api.onchange("campaign_id")
    def _onchange_campaign_id_sales_prices(self):
        """Like a new pricelist, a new campaign offers to update the prices of the lines."""
        if self.order_line and self.state in ("draft", "sent"):
            self.show_update_pricelist = True
