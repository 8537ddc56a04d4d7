from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

CAMPAIGN_PRICE_TYPES = [("price", "Sales Price"), ("discount", "Line Discount")]


class ProductPricelistItem(models.Model):
    """Campaign sales prices and line discounts are the rules of the campaign's own pricelist.

    A sales price is a fixed-price rule, a line discount a percentage rule; both apply to a product or a
    product category from a minimum quantity, and their dates are the campaign's, kept in step by the
    campaign card only.
    """

    _inherit = "product.pricelist.item"

    sales_campaign_id = fields.Many2one(
        "sales.campaign", string="Campaign", index="btree_not_null", ondelete="cascade", copy=False
    )
    sales_campaign_price_type = fields.Selection(
        CAMPAIGN_PRICE_TYPES,
        string="Type",
        compute="_compute_sales_campaign_price_type",
        inverse="_inverse_sales_campaign_price_type",
        help="A sales price replaces the product's price, a line discount is given on the order line.",
    )

    @api.depends("compute_price")
    def _compute_sales_campaign_price_type(self):
        for item in self:
            item.sales_campaign_price_type = "discount" if item.compute_price == "percentage" else "price"

    def _inverse_sales_campaign_price_type(self):
        for item in self.filtered("sales_campaign_id"):
            item.compute_price = "percentage" if item.sales_campaign_price_type == "discount" else "fixed"

    @api.constrains("sales_campaign_id", "compute_price", "fixed_price", "percent_price", "min_quantity")
    def _check_sales_campaign_values(self):
        """Campaign prices are prices and campaign discounts are discounts.

        Odoo's pricelists allow negative prices and discounts as mark-ups; a campaign rule with a negative
        price, a negative minimum quantity or a discount of 0 % or above 100 % only makes nonsense quotations.
        """
        for item in self.filtered("sales_campaign_id"):
            values = {"rule": item.name, "campaign": item.sales_campaign_id.display_name}
            if item.compute_price == "fixed" and item.fixed_price < 0:
                raise ValidationError(
                    self.env._(
                        "The sales price of %(rule)s in campaign %(campaign)s may not be negative (%(price)s).",
                        price=item.fixed_price,
                        **values,
                    )
                )
            if item.compute_price == "percentage" and not 0 < item.percent_price <= 100:
                raise ValidationError(
                    self.env._(
                        "The line discount of %(rule)s in campaign %(campaign)s must be more than 0 %% and at most "
                        "100 %% (not %(discount)s %%).",
                        discount=item.percent_price,
                        **values,
                    )
                )
            if item.min_quantity < 0:
                raise ValidationError(
                    self.env._(
                        "The minimum quantity of %(rule)s in campaign %(campaign)s may not be negative (%(quantity)s).",
                        quantity=item.min_quantity,
                        **values,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        campaigns = self.env["sales.campaign"]
        for vals in vals_list:
            if not vals.get("sales_campaign_id") and vals.get("pricelist_id"):
                # a rule added to a campaign's pricelist is a rule of that campaign
                pricelist = self.env["product.pricelist"].browse(vals["pricelist_id"])
                vals["sales_campaign_id"] = pricelist.sales_campaign_id.id
            if vals.get("sales_campaign_id"):
                vals.update(campaigns.browse(vals["sales_campaign_id"])._get_price_item_values())
        return super().create(vals_list)

    def write(self, vals):
        if (
            {"date_start", "date_end", "pricelist_id", "sales_campaign_id"} & set(vals)
            and self.filtered("sales_campaign_id")
            and not self.env.su
        ):
            raise UserError(
                self.env._(
                    "The dates of campaign prices and discounts can only be changed on the campaign card; "
                    "they follow the campaign's starting and ending dates."
                )
            )
        return super().write(vals)

    def _write_campaign_dates(self, date_start, date_end):
        """The campaign's dates moved: its rules follow (``write`` refuses date changes on campaign rules)."""
        # sudo: any campaign user may move the campaign's dates (checked by the campaign's write); its price
        # rules follow them
        return self.sudo().write({"date_start": date_start, "date_end": date_end})
