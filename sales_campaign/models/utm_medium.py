from odoo import api, models

# The name of the module's medium of letters: a key written into the letters' tracked links, never translated.
LETTER_MEDIUM = "Letter"


class UtmMedium(models.Model):
    """The module's UTM medium of letters is shown in the user's language (see ``utm_source.py``: the name,
    a key of the tracked links, stays)."""

    _inherit = "utm.medium"

    @api.depends_context("lang")
    def _compute_display_name(self):
        result = super()._compute_display_name()
        own = self.env.ref("sales_campaign.utm_medium_letter", raise_if_not_found=False)
        for medium in self & own if own else ():
            if medium.name == LETTER_MEDIUM:
                medium.display_name = self.env._("Letter")
        return result
