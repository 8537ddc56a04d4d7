from odoo import fields, models


class LinkTrackerClick(models.Model):
    """A click on a tracked link of a campaign e-mail names the interaction of that e-mail (the link says
    which, signed), as Email Marketing's clicks name their mailing trace."""

    _inherit = "link.tracker.click"

    sales_interaction_id = fields.Many2one(
        "sales.interaction.log", string="Interaction", index="btree_not_null", ondelete="set null", readonly=True
    )
