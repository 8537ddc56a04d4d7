from odoo import api, fields, models


class SaleOrderLine(models.Model):
    """Campaign prices and line discounts on quotation lines, Business Central style.

    Odoo's pricelist gives the regular price and discount; the campaigns that may price the order (see
    ``sale.order._get_sales_campaigns_per_order``) offer their best sales price and best line discount for the
    product, quantity and order date, and each wins where it is better for the customer. The line shows which
    campaign priced it, and the order carries that campaign unless the user chose or cleared the order's
    campaign (``sale.order._set_sales_campaign_from_prices``, called once the lines are priced).
    """

    _inherit = "sale.order.line"

    # Fields whose change may give a line another campaign price (its price is computed from them).
    SALES_CAMPAIGN_PRICE_DEPENDS = ("order_id", "product_id", "product_uom", "product_uom_qty")

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

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._after_sales_campaign_pricing(lines.order_id)
        return lines

    def write(self, vals):
        orders = self.order_id
        result = super().write(vals)
        if set(self.SALES_CAMPAIGN_PRICE_DEPENDS) & set(vals):
            self._after_sales_campaign_pricing(orders | self.order_id)
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._set_sales_campaign_from_prices()
        return result

    def _after_sales_campaign_pricing(self, orders):
        """These lines were priced: their ``orders`` carry the campaign that priced them (unless the user chose
        or cleared it), and a confirmed order is the response of the campaign that priced a line added later."""
        orders._set_sales_campaign_from_prices()
        self.filtered("sales_campaign_id").order_id._register_sales_campaign_responses()

    @api.depends("sales_campaign_price_id", "sales_campaign_discount_id")
    def _compute_sales_campaign_id(self):
        for line in self:
            line.sales_campaign_id = line.sales_campaign_price_id or line.sales_campaign_discount_id

    def _get_sales_campaign_offers(self, compute_price):
        """The best campaign sales price or line discount of each of these lines.

        The campaigns and their rules are looked up once for all the lines' orders
        (``sale.order._get_sales_campaign_rules``); what is left per line needs no query.

        :param compute_price: ``"fixed"`` for the best sales price, ``"percentage"`` for the best line discount
        :return: {line: (price in the order currency, campaign)} or {line: (discount %, campaign)}, for the
            lines that have an offer
        """
        lines = self.filtered(
            lambda line: (
                line.order_id
                and line.product_id
                and line.product_uom
                and not line.display_type
                and not line.combo_item_id
            )
        )
        if not lines:
            return {}
        rules_per_order = lines.order_id._get_sales_campaign_rules(lines.product_id, compute_price)
        offers = {}
        for line in lines:
            order = line.order_id
            campaign_rules = rules_per_order.get(order)
            if not campaign_rules:
                continue
            product = line.product_id
            quantity = line.product_uom_qty or 1.0
            qty_in_product_uom = line.product_uom._compute_quantity(quantity, product.uom_id, raise_if_failure=False)
            company = order.company_id or self.env.company
            day, moment = order._get_sales_campaign_date()
            best = None
            for campaign, rules in campaign_rules:
                for rule in rules:
                    if not rule._is_applicable_for(product, qty_in_product_uom):
                        continue
                    if compute_price == "fixed":
                        currency = rule.pricelist_id.currency_id
                        price = rule._compute_price(product, quantity, line.product_uom, moment, currency=currency)
                        price = currency._convert(price, order.currency_id, company, day, round=False)
                        if best is None or price < best[0]:
                            best = (price, campaign)
                    elif rule.percent_price > 0 and (best is None or rule.percent_price > best[0]):
                        best = (rule.percent_price, campaign)
            if best:
                offers[line] = best
        return offers

    def _compute_price_unit(self):
        result = super()._compute_price_unit()
        force = self.env.context.get("force_price_recomputation")
        for line in self:
            line.sales_campaign_price_id = line.sales_campaign_price_id  # kept where the price is kept
        # The lines Odoo priced just now: not a price set by hand, nothing invoiced, no expense at cost.
        lines = self.filtered(
            lambda line: (
                line.order_id
                and (force or line.technical_price_unit == line.price_unit)
                and not line.qty_invoiced > 0
                and not (line.product_id.expense_policy == "cost" and line.is_expense)
            )
        )
        offers = lines._get_sales_campaign_offers("fixed")
        for line in lines:
            offer = offers.get(line)
            campaign = self.env["sales.campaign"]
            if offer:
                line = line.with_company(line.company_id)
                price = line.product_id._get_tax_included_unit_price_from_price(
                    offer[0],
                    product_taxes=line.product_id.taxes_id.filtered(lambda tax: tax.company_id == line.env.company),
                    fiscal_position=line.order_id.fiscal_position_id,
                )
                if line.order_id.currency_id.compare_amounts(price, line.price_unit) < 0:
                    line.price_unit = line.technical_price_unit = price
                    campaign = offer[1]
            line.sales_campaign_price_id = campaign
        return result

    def _compute_discount(self):
        ours = set(self.filtered("sales_campaign_discount_id")._ids)
        result = super()._compute_discount()
        discount_enabled = self.env["product.pricelist.item"]._is_discount_feature_enabled()
        offers = self._get_sales_campaign_offers("percentage")
        for line in self:
            if line.id in ours and not (line.order_id.pricelist_id and discount_enabled):
                # Odoo leaves the discount alone without a pricelist: the campaign's discount must not linger.
                line.discount = 0.0
            offer = offers.get(line)
            if offer and offer[0] > line.discount:
                line.discount = offer[0]
                line.sales_campaign_discount_id = offer[1]
            else:
                line.sales_campaign_discount_id = False
        return result
