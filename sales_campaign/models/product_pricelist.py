from odoo import fields, models


class ProductPricelist(models.Model):
    """A campaign keeps its prices and line discounts in a pricelist of its own.

    That pricelist is archived from the start: it never shows up as a customer's or an order's pricelist,
    Odoo's price rules still work on it, and sale order lines pick it up through their campaign.
    """

    _inherit = "product.pricelist"

    sales_campaign_id = fields.Many2one(
        "sales.campaign", string="Campaign", index="btree_not_null", ondelete="cascade", readonly=True, copy=False
    )

    _sql_constraints = [
        ("sales_campaign_unique", "UNIQUE(sales_campaign_id)", "A campaign has a single pricelist."),
    ]
