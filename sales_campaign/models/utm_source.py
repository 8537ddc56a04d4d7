from odoo import api, models

# The name of the module's own source: a key written into every tracked link (``utm_source=``), never translated.
SALES_CAMPAIGN_SOURCE = "Sales Campaign"


class UtmSource(models.Model):
    """The module's UTM source is shown in the user's language.

    Odoo keeps UTM names untranslated on purpose: they are unique keys, written into every tracked link and
    matched by name when a visitor comes back. So the name stays as it is, and only what the screens show of
    the module's own source (while it keeps its name) is translated.
    """

    _inherit = "utm.source"

    @api.depends_context("lang")
    def _compute_display_name(self):
        result = super()._compute_display_name()
        own = self.env.ref("sales_campaign.utm_source_sales_campaign", raise_if_not_found=False)
        for source in self & own if own else ():
            if source.name == SALES_CAMPAIGN_SOURCE:
                source.display_name = self.env._("Sales Campaign")
        return result
