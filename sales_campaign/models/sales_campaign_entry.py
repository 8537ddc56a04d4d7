from odoo import api, fields, models


class SalesCampaignEntry(models.Model):
    """What a campaign did at one time: one entry per campaign per logged segment.

    Interactions logged one by one (outside segments) share one open entry per campaign, described as
    "Interactions". Its counts and totals are those of its interactions with the same cancelled state.
    """

    _name = "sales.campaign.entry"
    _inherit = ["sales.ledger.mixin"]
    _description = "Campaign Entry"
    _order = "date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    campaign_id = fields.Many2one("sales.campaign", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    description = fields.Char(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    # Business Central's User ID is who logged the entry: ``create_uid``.
    salesperson_id = fields.Many2one("res.users")
    segment_id = fields.Many2one("sales.segment", index="btree_not_null", ondelete="set null")
    logged_segment_id = fields.Many2one("sales.logged.segment", index="btree_not_null", ondelete="set null")
    cancelled = fields.Boolean(default=False, readonly=True, index=True)
    interaction_ids = fields.One2many("sales.interaction.log", "campaign_entry_id", string="Interactions")
    interaction_count = fields.Integer(string="No. of Interactions", compute="_compute_interaction_figures")
    currency_id = fields.Many2one(related="company_id.currency_id")
    cost = fields.Monetary(compute="_compute_interaction_figures")
    duration = fields.Float(string="Duration (Min.)", digits=(16, 2), compute="_compute_interaction_figures")

    def _compute_interaction_figures(self):
        figures = {
            (entry, cancelled): (count, cost, duration)
            for entry, cancelled, count, cost, duration in self.env["sales.interaction.log"]._read_group(
                [("campaign_entry_id", "in", self.ids)],
                ["campaign_entry_id", "cancelled"],
                ["__count", "cost:sum", "duration:sum"],
            )
        }
        for entry in self:
            entry.interaction_count, entry.cost, entry.duration = figures.get((entry, entry.cancelled), (0, 0.0, 0.0))

    # ------------------------------------------------------------------------------------------------
    # A ledger (see ``sales.ledger.mixin``): created by logging, changed by its actions only
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _create_entries(self, vals_list):
        """Create campaign entries for logging, after its checks."""
        # sudo: logging checked the segment first (``_log_segment``); a single interaction's entry comes with it
        return self._ledger_sudo().create(vals_list).with_env(self.env)

    def _write_ledger(self, vals):
        # sudo: the module's processes and actions write the ledger, after their own checks
        return self._ledger_sudo().write(vals)

    @api.model
    def _get_single_interactions_entry(self, campaign):
        """The open entry that interactions logged one by one for ``campaign`` share."""
        entry = self.search(
            [
                ("campaign_id", "=", campaign.id),
                ("logged_segment_id", "=", False),
                ("segment_id", "=", False),
                ("cancelled", "=", False),
            ],
            limit=1,
        )
        return entry or self._create_entries(
            [
                {
                    "campaign_id": campaign.id,
                    "company_id": campaign.company_id.id or self.env.company.id,
                    "description": self.env._("Interactions"),
                }
            ]
        )

    def _set_cancelled(self, cancelled):
        self.write({"cancelled": cancelled})
        self.interaction_ids.write({"cancelled": cancelled})

    def _get_cancelled_parent(self):
        return self.logged_segment_id if self.logged_segment_id.cancelled else None

    def _delete_cancelled(self):
        """A cancelled campaign entry goes with its interactions, as in Business Central."""
        self.interaction_ids.unlink()
        self.unlink()

    def action_open_interactions(self):
        self.ensure_one()
        return self.env["sales.action.mixin"]._action_open_filtered(
            "sales_campaign.sales_interaction_log_action", [("campaign_entry_id", "=", self.id)], context={}
        )
