from odoo import api, fields, models


class SalesLoggedSegmentCancel(models.TransientModel):
    """Confirm cancelling a log, with buttons named for what they do.

    A plain confirmation would offer "Ok / Cancel", where "Cancel" means "do not cancel the log": in Dutch or
    French the same word would mean both ("Annuleren", "Annuler").
    """

    _name = "sales.logged.segment.cancel"
    _description = "Cancel a Logged Segment"

    logged_segment_id = fields.Many2one("sales.logged.segment", required=True, ondelete="cascade", readonly=True)
    interaction_count = fields.Integer(related="logged_segment_id.interaction_count")
    campaign_entry_count = fields.Integer(related="logged_segment_id.campaign_entry_count")
    waiting_count = fields.Integer(string="Still to Send", compute="_compute_waiting_count")

    @api.depends("logged_segment_id")
    def _compute_waiting_count(self):
        for wizard in self:
            wizard.waiting_count = wizard.logged_segment_id._count_waiting() if wizard.logged_segment_id else 0

    def action_cancel_log(self):
        self.ensure_one()
        self.logged_segment_id.action_cancel()
        return {"type": "ir.actions.act_window_close"}
