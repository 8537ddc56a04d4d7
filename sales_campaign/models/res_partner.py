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

    sales_interaction_count = fields.Integer(
        string="Interactions",
        compute="_compute_sales_interaction_count",
        groups="sales_campaign.group_sales_campaign_user",
    )

    def _compute_sales_interaction_count(self):
        """Interactions with the contact, and for a company with its persons too (not cancelled)."""
        counts = dict(
            self.env["sales.interaction.log"]._read_group(
                [("company_partner_id", "in", self.commercial_partner_id.ids), ("cancelled", "=", False)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            if partner.is_company:
                partner.sales_interaction_count = sum(
                    count for person, count in counts.items() if person.commercial_partner_id == partner
                )
            else:
                partner.sales_interaction_count = counts.get(partner, 0)

    def action_open_sales_interactions(self):
        self.ensure_one()
        field = "company_partner_id" if self.is_company else "partner_id"
        return self.env["sales.action.mixin"]._action_open_filtered(
            "sales_campaign.sales_interaction_log_action",
            [(field, "=", self.id)],
            name=self.env._("Interactions of %(contact)s", contact=self.display_name),
            context={"default_partner_id": self.id, "search_default_not_cancelled": 1},
        )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["business_relation_ids"]
