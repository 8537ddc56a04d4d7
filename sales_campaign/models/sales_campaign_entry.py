from odoo import api, fields, models
from odoo.exceptions import UserError

from .privileged import is_privileged, privileged


class SalesCampaignEntry(models.Model):
    """What a campaign did at one time: one entry per campaign per logged segment.

    Interactions logged one by one (outside segments) share one open entry per campaign, described as
    "Interactions". Its counts and totals are those of its interactions with the same cancelled state.
    """

    _name = "sales.campaign.entry"
    _description = "Campaign Entry"
    _order = "date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    campaign_id = fields.Many2one("sales.campaign", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    description = fields.Char(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
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
    # A ledger: created by logging, changed by its actions only
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_privileged(self._name):
            raise UserError(
                self.env._("Campaign entries are created by logging a segment or an interaction, not by hand.")
            )
        return super().create(vals_list)

    def _create_entries(self, vals_list):
        """Create campaign entries for the logging processes (``create`` refuses clients)."""
        with privileged(self._name):
            return self.create(vals_list)

    def write(self, vals):
        if not is_privileged(self._name):
            raise UserError(
                self.env._("Campaign entries are a ledger: they change only by being cancelled or restored.")
            )
        return super().write(vals)

    def _write_ledger(self, vals):
        with privileged(self._name):
            return self.write(vals)

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

    def action_cancel(self):
        """Cancel the entries with their interactions."""
        done = self.filtered("cancelled")
        if done:
            raise UserError(self.env._("Campaign entry %(entry)s is already cancelled.", entry=done[0].display_name))
        self._set_cancelled(True)
        return True

    def action_restore(self):
        """Restore cancelled entries with their interactions, unless their logged segment is cancelled."""
        not_cancelled = self.filtered(lambda entry: not entry.cancelled)
        if not_cancelled:
            raise UserError(
                self.env._("Campaign entry %(entry)s is not cancelled.", entry=not_cancelled[0].display_name)
            )
        for entry in self.filtered(lambda entry: entry.logged_segment_id.cancelled):
            raise UserError(
                self.env._(
                    "Campaign entry %(entry)s belongs to cancelled logged segment %(logged)s: restore that first.",
                    entry=entry.display_name,
                    logged=entry.logged_segment_id.display_name,
                )
            )
        self._set_cancelled(False)
        return True

    def _set_cancelled(self, cancelled):
        if self:
            self._write_ledger({"cancelled": cancelled})
            self.interaction_ids._set_cancelled(cancelled)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if any(not entry.cancelled for entry in self):
            raise UserError(self.env._("Only cancelled campaign entries can be deleted: cancel them first."))

    def unlink(self):
        """A cancelled campaign entry goes with its interactions, as in Business Central."""
        self.check_access("unlink")  # the entry's own rights first, before its interactions'
        self._unlink_only_cancelled()
        self.interaction_ids.unlink()
        return super().unlink()

    def action_open_interactions(self):
        self.ensure_one()
        return self.env["sales.action.mixin"]._action_open_filtered(
            "sales_campaign.sales_interaction_log_action", [("campaign_entry_id", "=", self.id)], context={}
        )
