from odoo import api, models


class CrmLead(models.Model):
    """A lead or opportunity that arrives with a campaign (the UTM of a tracked link, a web form, or set by
    hand) from one of the campaign's targets is the target's response."""

    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._register_sales_campaign_responses()
        return leads

    def write(self, vals):
        result = super().write(vals)
        if {"campaign_id", "partner_id", "email_from", "active"} & set(vals):
            self._register_sales_campaign_responses()
        return result

    def _register_sales_campaign_responses(self):
        leads = self.filtered(lambda lead: lead.campaign_id and lead.active)
        if leads:
            self.env["sales.interaction.log"]._register_document_responses(leads, "lead")
