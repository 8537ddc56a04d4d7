from odoo import fields, models


class SalesBusinessRelation(models.Model):
    """How a company relates to us (``CUST`` customer, ``PROS`` prospect, ``VEND`` vendor).

    Set on companies; their persons carry the same relations (see ``res.partner._commercial_fields``).
    """

    _name = "sales.business.relation"
    _inherit = "sales.contact.code.mixin"
    _description = "Business Relation"
    _partner_field = "business_relation_ids"

    partner_ids = fields.Many2many(
        "res.partner",
        "res_partner_sales_business_relation_rel",
        "business_relation_id",
        "partner_id",
        string="Contacts",
    )
