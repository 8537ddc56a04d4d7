from odoo import api, fields, models

CORRESPONDENCE_TYPES = [("hard_copy", "Hard copy"), ("email", "E-mail")]


class ResPartner(models.Model):
    """Segmentation data on contacts: the filter sources of segments.

    Job responsibilities and mailing groups belong to each contact. Business relations and the industry
    belong to the company; its persons carry the company's (they are commercial fields, synchronised
    by Odoo from the company to its persons), so a filter on persons finds them directly.
    """

    _inherit = "res.partner"

    job_responsibility_ids = fields.Many2many(
        "sales.job.responsibility",
        "res_partner_sales_job_responsibility_rel",
        "partner_id",
        "job_responsibility_id",
        string="Job Responsibilities",
        help="What this person does in the company, e.g. purchase, sales or IT.",
    )
    business_relation_ids = fields.Many2many(
        "sales.business.relation",
        "res_partner_sales_business_relation_rel",
        "partner_id",
        "business_relation_id",
        string="Business Relations",
        help="How the company relates to us, e.g. customer, prospect or vendor. Persons share the "
        "relations of their company.",
    )
    mailing_group_ids = fields.Many2many(
        "sales.mailing.group",
        "res_partner_sales_mailing_group_rel",
        "partner_id",
        "mailing_group_id",
        string="Mailing Groups",
    )
    exclude_from_segments = fields.Boolean(
        help="Segments skip this contact unless their Add Contacts step ignores exclusions.",
    )
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Preferred Correspondence",
        help="How this contact prefers to receive letters from us; empty means no preference.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["business_relation_ids"]
