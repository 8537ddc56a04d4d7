from odoo import api, fields, models
from odoo.exceptions import UserError


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

    campaign_id = fields.Many2one("sales.campaign", string="Campaign", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    description = fields.Char(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user)
    salesperson_id = fields.Many2one("res.users", string="Salesperson")
    segment_id = fields.Many2one("sales.segment", string="Segment", index="btree_not_null", ondelete="set null")
    logged_segment_id = fields.Many2one(
        "sales.logged.segment", string="Logged Segment", index="btree_not_null", ondelete="set null"
    )
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

    @api.model
    def _get_single_interactions_entry(self, campaign):
        """The open entry that interactions logged one by one for ``campaign`` share."""
        entry = self.search(
            [("campaign_id", "=", campaign.id), ("logged_segment_id", "=", False), ("segment_id", "=", False), ("cancelled", "=", False)],
            limit=1,
        )
        # sudo: a user logging an interaction may create the campaign's shared entry; its values are fixed here.
        return entry or self.sudo().create(
            {
                "campaign_id": campaign.id,
                "company_id": campaign.company_id.id or self.env.company.id,
                "description": self.env._("Interactions"),
            }
        ).sudo(False)

    def action_switch_cancelled(self):
        """Cancel the entries with their interactions, or restore both."""
        for entry in self:
            if entry.cancelled and entry.logged_segment_id.cancelled:
                raise UserError(
                    self.env._(
                        "Campaign entry %(entry)s belongs to cancelled logged segment %(logged)s: restore that first.",
                        entry=entry.display_name,
                        logged=entry.logged_segment_id.display_name,
                    )
                )
        to_restore = self.filtered("cancelled")
        (self - to_restore)._set_cancelled(True)
        to_restore._set_cancelled(False)
        return True

    def _set_cancelled(self, cancelled):
        if self:
            self.write({"cancelled": cancelled})
            self.interaction_ids._set_cancelled(cancelled)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if any(not entry.cancelled for entry in self):
            raise UserError(self.env._("Only cancelled campaign entries can be deleted: cancel them first."))

    def unlink(self):
        """A cancelled campaign entry goes with its interactions, as in Business Central."""
        self.interaction_ids.unlink()
        return super().unlink()

    def action_open_interactions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Interactions"),
            "res_model": "sales.interaction.log",
            "view_mode": "list,form,pivot,graph",
            "domain": [("campaign_entry_id", "=", self.id)],
            "context": {"active_test": False},
        }
