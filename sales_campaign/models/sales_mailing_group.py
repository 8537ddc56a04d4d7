from odoo import fields, models


class SalesMailingGroup(models.Model):
    """A mailing group (``XMAS`` Christmas cards, ``NEWS`` newsletter) any contact can belong to."""

    _name = "sales.mailing.group"
    _inherit = "sales.contact.code.mixin"
    _description = "Mailing Group"
    _partner_field = "mailing_group_ids"

    partner_ids = fields.Many2many(
        "res.partner",
        "res_partner_sales_mailing_group_rel",
        "mailing_group_id",
        "partner_id",
        string="Contacts",
    )
