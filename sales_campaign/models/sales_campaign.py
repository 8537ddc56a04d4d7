from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SalesCampaign(models.Model):
    """The campaign card.

    It delegates to ``utm.campaign`` so that leads, quotations, invoices and mailings point at the same
    campaign through Odoo's own ``campaign_id``: the description is the UTM campaign's title, the
    salesperson its responsible and the company its company.
    """

    _name = "sales.campaign"
    _inherits = {"utm.campaign": "utm_campaign_id"}
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Campaign"
    _order = "date_start desc, number desc, id desc"
    _rec_names_search = ["number", "title"]
    _check_company_auto = True

    utm_campaign_id = fields.Many2one(
        "utm.campaign",
        string="UTM Campaign",
        required=True,
        ondelete="cascade",
        index=True,
        help="The campaign that leads, quotations, invoices and mailings refer to.",
    )
    number = fields.Char(
        string="No.",
        required=True,
        copy=False,
        readonly=True,
        index="trigram",
        default=lambda self: self.env._("New"),
        tracking=True,
    )
    status_id = fields.Many2one(
        "sales.campaign.status",
        string="Status",
        default=lambda self: self.env["sales.campaign.status"]._default_status(),
        group_expand="_group_expand_status_ids",
        ondelete="restrict",
        tracking=True,
        index=True,
    )
    date_start = fields.Date(string="Starting Date", tracking=True)
    date_end = fields.Date(string="Ending Date", tracking=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True, tracking=True)
    note = fields.Html(string="Notes")
    segment_ids = fields.One2many("sales.segment", "campaign_id", string="Segments")
    segment_count = fields.Integer(string="No. of Segments", compute="_compute_segment_count")
    interaction_count = fields.Integer(string="No. of Interactions", compute="_compute_interaction_count")
    campaign_entry_count = fields.Integer(string="No. of Campaign Entries", compute="_compute_interaction_count")

    _sql_constraints = [
        ("number_unique", "UNIQUE(number)", "This campaign number is already used."),
    ]

    def _compute_interaction_count(self):
        """Interactions and campaign entries that are not cancelled."""
        domain = [("campaign_id", "in", self.ids), ("cancelled", "=", False)]
        interactions = dict(self.env["sales.interaction.log"]._read_group(domain, ["campaign_id"], ["__count"]))
        entries = dict(self.env["sales.campaign.entry"]._read_group(domain, ["campaign_id"], ["__count"]))
        for campaign in self:
            campaign.interaction_count = interactions.get(campaign, 0)
            campaign.campaign_entry_count = entries.get(campaign, 0)

    def action_open_interactions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Interactions"),
            "res_model": "sales.interaction.log",
            "view_mode": "list,form,pivot,graph",
            "domain": [("campaign_id", "=", self.id)],
            "context": {"default_campaign_id": self.id, "search_default_not_cancelled": 1},
        }

    def action_open_campaign_entries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Campaign Entries"),
            "res_model": "sales.campaign.entry",
            "view_mode": "list,form",
            "domain": [("campaign_id", "=", self.id)],
        }

    def _compute_segment_count(self):
        counts = dict(
            self.env["sales.segment"]._read_group([("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"])
        )
        for campaign in self:
            campaign.segment_count = counts.get(campaign, 0)

    @api.model
    def _group_expand_status_ids(self, statuses, domain):
        return statuses.search([])

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if campaign.date_start and campaign.date_end and campaign.date_end < campaign.date_start:
                raise ValidationError(
                    self.env._(
                        "The ending date of campaign %(campaign)s (%(end)s) may not be before its starting date "
                        "(%(start)s).",
                        campaign=campaign.display_name,
                        end=campaign.date_end,
                        start=campaign.date_start,
                    )
                )

    @api.depends("number", "title")
    def _compute_display_name(self):
        for campaign in self:
            campaign.display_name = " ".join(part for part in (campaign.number, campaign.title) if part)

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        for vals in vals_list:
            if not vals.get("number") or vals["number"] == new_label:
                vals["number"] = self.env["ir.sequence"].next_by_code("sales.campaign") or new_label
        return super().create(vals_list)

    def unlink(self):
        """Remove the delegated UTM campaigns too: they exist only for this campaign."""
        utm_campaigns = self.utm_campaign_id
        result = super().unlink()
        # The UTM campaign is this card's own record; unlinking it is reserved to managers through the
        # access line on utm.campaign that this module adds for them.
        utm_campaigns.unlink()
        return result

    def action_open_leads(self):
        self.ensure_one()
        return self.utm_campaign_id.action_redirect_to_leads_opportunities()

    def action_open_quotations(self):
        self.ensure_one()
        return self.utm_campaign_id.action_redirect_to_quotations()

    def action_open_segments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_campaign.sales_segment_action")
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id, "default_description": self.title}
        return action
