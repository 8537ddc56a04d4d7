"""The activities a campaign's plans scheduled (Plan Activities), on the campaign card."""

from odoo import fields, models


class SalesCampaign(models.Model):
    _inherit = "sales.campaign"

    planned_activity_count = fields.Integer(
        string="No. of Planned Activities",
        compute="_compute_planned_activity_count",
        help="Open activities that Plan Activities scheduled for this campaign.",
    )

    def _compute_planned_activity_count(self):
        Activity = self.env["mail.activity"]
        counts = dict(Activity._read_group([("sales_campaign_id", "in", self.ids)], ["sales_campaign_id"], ["__count"]))
        for campaign in self:
            campaign.planned_activity_count = counts.get(campaign, 0)

    def action_open_planned_activities(self):
        """The activities the campaign's plans scheduled, on its contacts, opportunities or itself."""
        self.ensure_one()
        return self._action_open_filtered(
            "mail.mail_activity_action",
            [("sales_campaign_id", "=", self.id)],
            name=self.env._("Activities of %(campaign)s", campaign=self.display_name),
            context={"create": False},
        )
