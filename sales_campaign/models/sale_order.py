from collections import defaultdict
from datetime import datetime, time

from odoo import api, fields, models


class SaleOrder(models.Model):
    """Campaign pricing on quotations, and the campaign an order carries.

    The campaigns that may price a quotation are looked up once for all the orders being priced. When a
    campaign prices a line of an order without campaign, the order carries it: Odoo's UTM ``campaign_id``, so
    that Odoo's UTM reporting, its Sales Analysis and the invoices see the order as the campaign's, as a
    quotation and once confirmed. ``sales_campaign_origin`` tells who set it, because it decides what the
    campaign may price:

    - *Campaign Pricing*: the campaign came with the prices of a line. It is then one of the activated
      campaigns of the customer's target group and nothing more: once the manager deactivates it, or its
      period ends, it prices no new line of the order, as on any other order. It follows the lines: when no
      line has its prices any more (Update Prices after a deactivation), it leaves the order, or gives way to
      the campaign that priced the first line that has campaign prices;
    - *User*: the campaign was set or cleared on the order (by hand, or written by another application). A
      campaign the user chose prices the order's lines whether or not it is activated, and pricing never
      changes it; a campaign cleared by hand is not set again. A campaign the order was created with (from an
      opportunity, a tracked link or a client) without an origin counts as chosen as well.

    A confirmed order is the response of the campaign's target who ordered, for each campaign it counts for:
    the one it carries and those that priced its lines (``_get_sales_campaigns_counted``), as the campaign's
    figures count it.
    """

    _inherit = "sale.order"

    sales_campaign_origin = fields.Selection(
        [("pricing", "Campaign Pricing"), ("user", "User")],
        string="Campaign Set By",
        help="Campaign Pricing: the campaign came with a campaign price of a line; like any campaign it prices "
        "new lines only while it is activated and within its period. User: the campaign was set or cleared on "
        "the order; a campaign chosen there prices the order's lines even when it is not activated, and "
        "campaign pricing no longer changes it.",
    )

    def _get_sales_campaigns_per_order(self):
        """Campaigns that may price each of these orders, in a few queries for all of them.

        The campaign the user chose on the order always does, activated or not; without one (or with the
        campaign pricing put there), every activated campaign whose target group holds the customer (or,
        failing that, the ordering contact's company), as the Business Central price sources do.

        :return: {order: sales.campaign records}, for every order of ``self``
        """
        Campaign = self.env["sales.campaign"]
        # A campaign that pricing put on the order is not the user's choice: it prices as activated campaigns do.
        with_campaign = self.filtered(lambda order: order.campaign_id and order.sales_campaign_origin != "pricing")
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
            if order in with_campaign:
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

    def _get_sales_campaign_from_prices(self):
        """The campaign each of these orders should carry from its prices, where it is pricing's to give.

        An order whose campaign the user chose or cleared is left out, and so is one created with a campaign
        of no known origin. The others carry the campaign they carry if it still prices one of their lines,
        else the campaign of the first line a campaign priced, else none.

        :return: {order: (utm.campaign, origin)} for the orders whose campaign or origin changes
        """
        changes = {}
        for order in self:
            if order.sales_campaign_origin == "user" or (order.campaign_id and not order.sales_campaign_origin):
                continue
            priced_by = order.order_line.sales_campaign_id.utm_campaign_id
            campaign = order.campaign_id if order.campaign_id in priced_by else priced_by[:1]
            origin = "pricing" if campaign else False
            if (campaign, origin) != (order.campaign_id, order.sales_campaign_origin):
                changes[order] = (campaign, origin)
        return changes

    def _has_sales_campaign_from_pricing(self):
        """Whether the order carries the campaign pricing gave it: put there by pricing, and still the campaign
        of one of its priced lines.

        A user who picks, on such an order, another campaign that priced one of its lines is taken for pricing
        as well: the form cannot tell the two apart, and it is a campaign pricing would have given.
        """
        self.ensure_one()
        return (
            self.sales_campaign_origin == "pricing"
            and self.campaign_id in self.order_line.sales_campaign_id.utm_campaign_id
        )

    def _set_sales_campaign_from_prices(self):
        """Give these orders the campaign that priced their lines (see ``_get_sales_campaign_from_prices``).

        Called where lines get or lose campaign prices: lines created, lines whose product or quantity
        changed, lines removed, Update Prices. Pricing cannot write the order itself, since it reads the
        order's campaign to price the lines.
        """
        grouped = defaultdict(lambda: self.browse())
        for order, values in self._get_sales_campaign_from_prices().items():
            grouped[values] |= order
        for (campaign, origin), orders in grouped.items():
            orders.write({"campaign_id": campaign.id, "sales_campaign_origin": origin})

    def _get_sales_campaigns_counted(self):
        """The campaigns each of these orders counts for: the campaign it carries and those that priced its
        lines, as ``sales.campaign._orders_domain`` and the campaign analysis count its orders.

        :return: {order: sales.campaign records}
        """
        Campaign = self.env["sales.campaign"].with_context(active_test=False)
        by_utm = {}
        if self.campaign_id:
            by_utm = {
                campaign.utm_campaign_id: campaign
                for campaign in Campaign.search([("utm_campaign_id", "in", self.campaign_id.ids)])
            }
        return {order: by_utm.get(order.campaign_id, Campaign) | order.order_line.sales_campaign_id for order in self}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("campaign_id") and "sales_campaign_origin" not in vals:
                vals["sales_campaign_origin"] = "user"
        orders = super().create(vals_list)
        orders._register_sales_campaign_responses()
        return orders

    def write(self, vals):
        campaign_set = "campaign_id" in vals and "sales_campaign_origin" not in vals
        result = super().write(vals)
        if campaign_set:
            # Set or cleared by a user or another application: theirs from now on. But the form sends the
            # campaign without its origin when only the campaign changed with the lines (the origin was
            # pricing's already, see ``_onchange_order_line_sales_campaign``): that one stays pricing's.
            self.filtered(lambda order: not order._has_sales_campaign_from_pricing()).write(
                {"sales_campaign_origin": "user"}
            )
        if {"state", "campaign_id", "partner_id"} & set(vals):
            self._register_sales_campaign_responses()
        return result

    def _recompute_prices(self):
        result = super()._recompute_prices()
        self._set_sales_campaign_from_prices()
        return result

    def _register_sales_campaign_responses(self):
        """A confirmed sales order is the response of the campaign's target who ordered (see
        ``_register_document_responses``), for each campaign it counts for: the campaign it carries (from a
        tracked link's UTM, an opportunity, set by hand or by pricing) and those that priced its lines."""
        orders = self.filtered(lambda order: order.state == "sale")
        if not orders:
            return
        # sudo: the campaigns of the order, whoever confirms it (a salesperson who may not read a campaign of
        # another team); only responses of the campaigns' targets are recorded
        campaigns = orders.sudo()._get_sales_campaigns_counted()
        if any(campaigns.values()):
            self.env["sales.interaction.log"]._register_document_responses(orders, "order", campaigns)

    @api.onchange("order_line")
    def _onchange_order_line_sales_campaign(self):
        """The campaign that priced a line shows on the quotation at once, before it is saved."""
        for order, (campaign, origin) in self._get_sales_campaign_from_prices().items():
            order.campaign_id = campaign
            order.sales_campaign_origin = origin

    @api.onchange("campaign_id")
    def _onchange_campaign_id_sales_prices(self):
        """A campaign the user sets or clears is theirs; like a new pricelist, it offers to update the prices of
        the lines. The campaign pricing has just put on the order (``_onchange_order_line_sales_campaign``) is
        neither."""
        if self._has_sales_campaign_from_pricing():
            return
        if not self.campaign_id and not self.sales_campaign_origin:
            return  # a new quotation without campaign
        self.sales_campaign_origin = "user"
        if self.order_line and self.state in ("draft", "sent"):
            self.show_update_pricelist = True
