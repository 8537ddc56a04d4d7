from odoo import fields, models


class MailActivity(models.Model):
    """Activities know the campaign whose plan scheduled them, for the campaign's *Activities* button."""

    _inherit = "mail.activity"

    sales_campaign_id = fields.Many2one(
        "sales.campaign",
        string="Campaign",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The campaign whose activity plan scheduled this activity.",
    )
