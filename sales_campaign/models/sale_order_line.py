from datetime import datetime, time

from odoo import api, fields, models


class SaleOrderLine(models.Model):
    """Campaign prices and line discounts on quotation lines, Business Central style.

    Odoo's pricelist gives the regular price and discount; the campaigns that may price the order (see
    ``sale.order._get_sales_campaigns``) offer their best sales price and best line discount for the product,
    quantity and order date, and each wins where it is better for the customer.
    """

    _inherit = "sale.order.line"

    # Computed with the price and the discount (same methods), so that they are set wherever those are.
    sales_campaign_price_id = fields.Many2one(
        "sales.campaign",
        string="Campaign of the Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
    )
    sales_campaign_discount_id = fields.Many2one(
        "sales.campaign",
        string="Campaign of the Discount",
        compute="_compute_discount",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
    )
    sales_campaign_id = fields.Many2one(
        "sales.campaign",
        string="Campaign Price",
        compute="_compute_sales_campaign_id",
        store=True,
        help="The campaign whose sales price or line discount this line got.",
    )

    @api.depends("sales_campaign_price_id", "sales_campaign_discount_id")
    def _compute_sales_campaign_id(self):
        for line in self:
            line.sales_campaign_id = line.sales_campaign_price_id or line.sales_campaign_discount_id

    def _get_sales_campaign_offer(self):
        """The best campaign sales price and line discount for this line.

        :return: ((price in the order currency, campaign) or None, (discount %, campaign) or None)
        """
        self.ensure_one()
        order = self.order_id
        if not (order and self.product_id and self.product_uom) or self.display_type or self.combo_item_id:
            return None, None
        order_date = order.date_order or fields.Datetime.now()
        day = fields.Datetime.context_timestamp(self, order_date).date()
        campaigns = order._get_sales_campaigns().filtered(lambda campaign: campaign.pricelist_id and campaign._is_running_on(day))
        if not campaigns:
            return None, None
        product = self.product_id
        quantity = self.product_uom_qty or 1.0
        qty_in_product_uom = self.product_uom._compute_quantity(quantity, product.uom_id, raise_if_failure=False)
        # Noon of the local order day: inside the campaign's rules for every day of its period.
        moment = datetime.combine(day, time(12))
        company = order.company_id or self.env.company
        best_price = best_discount = None
        for campaign in campaigns:
            pricelist = campaign.pricelist_id
            for rule in pricelist._get_applicable_rules(product, moment):
                if not rule._is_applicable_for(product, qty_in_product_uom):
                    continue
                if rule.compute_price == "fixed":
                    price = rule._compute_price(product, quantity, self.product_uom, moment, currency=pricelist.currency_id)
                    price = pricelist.currency_id._convert(price, order.currency_id, company, day, round=False)
                    if best_price is None or price < best_price[0]:
                        best_price = (price, campaign)
                elif rule.compute_price == "percentage" and rule.percent_price > 0:
                    if best_discount is None or rule.percent_price > best_discount[0]:
                        best_discount = (rule.percent_price, campaign)
        return best_price, best_discount

    def _compute_price_unit(self):
        super()._compute_price_unit()
        force = self.env.context.get("force_price_recomputation")
        for line in self:
            line.sales_campaign_price_id = line.sales_campaign_price_id  # kept where the price is kept
            if (
                not line.order_id
                or (line.technical_price_unit != line.price_unit and not force)
                or line.qty_invoiced > 0
                or (line.product_id.expense_policy == "cost" and line.is_expense)
            ):
                continue
            line = line.with_company(line.company_id)
            offer = line._get_sales_campaign_offer()[0]
            campaign = self.env["sales.campaign"]
            if offer:
                price = line.product_id._get_tax_included_unit_price_from_price(
                    offer[0],
                    product_taxes=line.product_id.taxes_id.filtered(lambda tax: tax.company_id == line.env.company),
                    fiscal_position=line.order_id.fiscal_position_id,
                )
                if line.order_id.currency_id.compare_amounts(price, line.price_unit) < 0:
                    line.price_unit = line.technical_price_unit = price
                    campaign = offer[1]
            line.sales_campaign_price_id = campaign

    def _compute_discount(self):
        ours = self.filtered("sales_campaign_discount_id")
        super()._compute_discount()
        discount_enabled = self.env["product.pricelist.item"]._is_discount_feature_enabled()
        for line in self:
            if line in ours and not (line.order_id.pricelist_id and discount_enabled):
                # Odoo leaves the discount alone without a pricelist: the campaign's discount must not linger.
                line.discount = 0.0
            offer = line._get_sales_campaign_offer()[1]
            if offer and offer[0] > line.discount:
                line.discount = offer[0]
                line.sales_campaign_discount_id = offer[1]
            else:
                line.sales_campaign_discount_id = False
