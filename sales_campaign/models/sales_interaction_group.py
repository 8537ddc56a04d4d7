from odoo import fields, models


class SalesInteractionGroup(models.Model):
    """Groups interaction templates by channel (``LETTER``, ``EMAIL``, ``MEETING``) for statistics."""

    _name = "sales.interaction.group"
    _inherit = "sales.code.mixin"
    _description = "Interaction Group"

    template_ids = fields.One2many("sales.interaction.template", "group_id", string="Interaction Templates")
    template_count = fields.Integer(string="No. of Templates", compute="_compute_template_count")

    def _compute_template_count(self):
        counts = dict(
            self.env["sales.interaction.template"]._read_group(
                [("group_id", "in", self.ids)], ["group_id"], ["__count"]
            )
        )
        for group in self:
            group.template_count = counts.get(group, 0)
