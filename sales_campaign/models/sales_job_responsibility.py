from odoo import fields, models


class SalesJobResponsibility(models.Model):
    """What a person does in their company (``PURCHASE``, ``SALES``, ``IT``): a segment filter group."""

    _name = "sales.job.responsibility"
    _inherit = "sales.contact.code.mixin"
    _description = "Job Responsibility"
    _partner_field = "job_responsibility_ids"

    partner_ids = fields.Many2many(
        "res.partner",
        "res_partner_sales_job_responsibility_rel",
        "job_responsibility_id",
        "partner_id",
        string="Persons",
    )
