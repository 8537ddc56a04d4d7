from odoo import fields, models


class MailActivityPlan(models.Model):
    """Activity plans named in each user's language: campaign plans are chosen by Dutch, Norwegian and French
    users alike (Odoo keeps one name for all)."""

    _inherit = "mail.activity.plan"

    name = fields.Char(translate=True)
