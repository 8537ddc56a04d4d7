from collections import defaultdict

from markupsafe import Markup

from odoo import api, models


class ReportInteractionLetter(models.AbstractModel):
    """Values of the printed letters: each interaction's text rendered for its contact, in its language."""

    _name = "report.sales_campaign.report_interaction_letter"
    _description = "Interaction Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        entries = self.env["sales.interaction.log"].browse(docids)
        groups = defaultdict(lambda: self.env["sales.interaction.log"])
        for entry in entries:
            groups[entry.template_id, entry.lang] |= entry
        bodies = {}
        for (template, lang), group in groups.items():
            version = template._get_language(lang)
            if not version:
                continue
            rendered = version.with_context(lang=lang or version.lang)._render_body(group.partner_id.ids)
            for entry in group:
                bodies[entry.id] = Markup(rendered.get(entry.partner_id.id) or "")
        return {
            "doc_ids": entries.ids,
            "doc_model": "sales.interaction.log",
            "docs": entries,
            "bodies": bodies,
        }
