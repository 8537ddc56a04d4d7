from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import clean_context, format_date


class SalesCampaign(models.Model):
    """The campaign card.

    It delegates to ``utm.campaign`` so that leads, quotations, invoices and mailings point at the same
    campaign through Odoo's own ``campaign_id``: the description is the UTM campaign's title, the
    salesperson its responsible and the company its company.
    """

    _name = "sales.campaign"
    _inherits = {"utm.campaign": "utm_campaign_id"}
    _inherit = ["mail.thread", "mail.activity.mixin", "sales.action.mixin", "sales.protected.mixin"]
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
        # Salespeople read campaigns (quotations show them) but not their log: they see no counts.
        Log, Entry = self.env["sales.interaction.log"], self.env["sales.campaign.entry"]
        interactions = dict(Log._read_group(domain, ["campaign_id"], ["__count"])) if Log.has_access("read") else {}
        entries = dict(Entry._read_group(domain, ["campaign_id"], ["__count"])) if Entry.has_access("read") else {}
        for campaign in self:
            campaign.interaction_count = interactions.get(campaign, 0)
            campaign.campaign_entry_count = entries.get(campaign, 0)

    def action_open_interactions(self):
        self.ensure_one()
        return self._action_open_filtered(
            "sales_campaign.sales_interaction_log_action",
            [("campaign_id", "=", self.id)],
            context={"default_campaign_id": self.id, "search_default_not_cancelled": 1},
        )

    def action_open_campaign_entries(self):
        self.ensure_one()
        return self._action_open_filtered("sales_campaign.sales_campaign_entry_action", [("campaign_id", "=", self.id)])

    def _compute_segment_count(self):
        Segment = self.env["sales.segment"]
        counts = (
            dict(Segment._read_group([("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]))
            if Segment.has_access("read")
            else {}
        )
        for campaign in self:
            campaign.segment_count = counts.get(campaign, 0)

    @api.model
    def _group_expand_status_ids(self, statuses, domain):
        # Every status is a column, and they are few.
        return statuses.search([])  # pylint: disable=no-search-all

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if campaign.date_start and campaign.date_end and campaign.date_end < campaign.date_start:
                raise ValidationError(
                    self.env._(
                        "The ending date of campaign %(campaign)s (%(end)s) may not be before its starting date "
                        "(%(start)s).",
                        campaign=campaign.display_name,
                        end=format_date(self.env, campaign.date_end),
                        start=format_date(self.env, campaign.date_start),
                    )
                )

    # Set by the actions only: Activate/Deactivate Prices, the first price or discount (see sales.protected.mixin).
    _protected_fields = ("activated", "pricelist_id")

    def _check_own_numbering(self, vals_list):
        """The number comes from the sequence (a campaign manager may give one, e.g. when taking campaigns over
        from Business Central) and the UTM campaign is the card's own, created with it: a client choosing
        one would make the card count another campaign's leads and orders."""
        if self.env.su:
            return
        context_keys = {key[8:] for key in self.env.context if key.startswith("default_")}
        new_label = self.env._("New")
        for vals in vals_list:
            given = set(vals) | context_keys
            if "utm_campaign_id" in given:
                raise UserError(self.env._("A campaign gets its own UTM campaign: it cannot take another one."))
            number = vals.get("number")
            if (
                number
                and number != new_label
                and not self.env.user.has_group("sales_campaign.group_sales_campaign_manager")
            ):
                raise UserError(
                    self.env._("Campaign numbers come from the number series; only campaign managers may give one.")
                )

    def write(self, vals):
        if not self.env.su and {"number", "utm_campaign_id"} & set(vals):
            raise UserError(self.env._("The number and the UTM campaign of a campaign cannot be changed."))
        result = super().write(vals)
        if {"date_start", "date_end"} & set(vals):
            self._sync_price_items()
        if "company_id" in vals:
            # Odoo checks the record rules before a write, not after: no moving a campaign (with its
            # segments' targets and log) into a company its user does not work in.
            self.check_access("write")
        return result

    def _write_protected(self, vals):
        """Write the fields ``write`` refuses to clients, for the campaign's own actions after their checks."""
        # sudo: Activate/Deactivate Prices checked the user is a campaign manager; the first price or discount
        # is recorded by a campaign manager editing the card (the pricelist is the campaign's own)
        return self.sudo().with_context(clean_context(self.env.context)).write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        """The interaction log is a ledger (Business Central keeps it): a campaign with logged interactions
        or campaign entries that are not cancelled is not deleted with them."""
        domain = [("campaign_id", "in", self.ids), ("cancelled", "=", False)]
        # sudo: whether such entries exist at all, whoever may see them
        entries = self.env["sales.campaign.entry"].sudo().search(domain, limit=1)
        interactions = self.env["sales.interaction.log"].sudo().search(domain, limit=1)
        if entries or interactions:
            campaign = (entries.campaign_id or interactions.campaign_id).sudo(False)
            raise UserError(
                self.env._(
                    "Campaign %(campaign)s has logged interactions and campaign entries: it cannot be deleted "
                    "while they are not cancelled. Cancel its logged segments and campaign entries first, or "
                    "archive the campaign instead.",
                    campaign=campaign.display_name,
                )
            )

    def _is_running_on(self, day):
        self.ensure_one()
        return (not self.date_start or self.date_start <= day) and (not self.date_end or day <= self.date_end)

    @api.depends("number", "title")
    def _compute_display_name(self):
        for campaign in self:
            campaign.display_name = " ".join(part for part in (campaign.number, campaign.title) if part)

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        self._check_own_numbering(vals_list)
        for vals in vals_list:
            if not vals.get("number") or vals["number"] == new_label:
                vals["number"] = self.env["ir.sequence"].next_by_code("sales.campaign") or new_label
        return super().create(vals_list)

    def unlink(self):
        """Remove the campaign entries first, then the campaigns, then their delegated UTM campaigns (they exist
        only for these campaigns).

        The entries (all cancelled: ``_unlink_except_logged``) go with their interactions, and the campaign's
        other interactions lose their campaign. Left to PostgreSQL's cascades in one statement, the two run in
        the order their foreign keys were created, and in one of them clearing the campaign of an interaction
        whose entry is already gone fails.
        """
        self.check_access("unlink")
        self._unlink_except_logged()
        # sudo: the entries are a ledger no user deletes; these are cancelled (checked above) and would go with
        # their campaign anyway (``ondelete="cascade"``), now in a statement of their own
        self.env["sales.campaign.entry"].sudo().search([("campaign_id", "in", self.ids)]).unlink()
        utm_campaigns = self.utm_campaign_id
        result = super().unlink()
        # sudo: the UTM campaign is this card's own record, created with it (``_check_own_numbering``), and
        # goes with it; Odoo lets only administrators delete UTM campaigns
        utm_campaigns.sudo().unlink()
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
