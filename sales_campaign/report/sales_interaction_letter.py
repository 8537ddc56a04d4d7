from collections import defaultdict

from markupsafe import Markup

from odoo import api, models


class ReportInteractionLetter(models.AbstractModel):
    """Values of the printed letters: each interaction's text rendered for its contact, in its language."""

    _name = "report.sales_campaign.report_interaction_letter"
    _description = "Interaction Letter"

    @api.model
    def _recipient_lines(self, partner, company, lang):
        """The lines of the recipient block: company, contact, then the postal address in the format of
        the contact's country. The country is left out for letters that stay in the sender's country and
        otherwise named in the letter's language, like everything else in the letter."""
        lines = []
        if partner.commercial_company_name and partner.commercial_company_name != partner.name:
            lines.append(partner.commercial_company_name)
        if partner.name:
            lines.append(partner.name)
        partner = partner.with_context(lang=lang or self.env.lang)
        address_format, args = partner._prepare_display_address(without_company=True)
        if partner.country_id and partner.country_id == company.country_id:
            args["country_name"] = ""
        lines += [line.strip() for line in (address_format % args).splitlines() if line.strip()]
        return lines

    @api.model
    def _get_report_values(self, docids, data=None):
        """Each letter's text, rendered as the user who logged it (whoever prints it: the delivery cron, say).

        The web addresses a campaign's letters print (as text or as links) go through Odoo's link tracker, in
        the text as written (``_track_links``): each becomes the campaign's short tracked URL (``/r/<code>``,
        one per address and campaign, with the campaign's UTM campaign and source and the medium *Letter*),
        short enough to be typed from paper, so that the visits and the leads and orders they bring carry the
        campaign. A printed letter carries no per-contact signature: its visits count for the campaign.
        """
        entries = self.env["sales.interaction.log"].browse(docids)
        Logged = self.env["sales.logged.segment"]
        medium = self.env.ref("sales_campaign.utm_medium_letter", raise_if_not_found=False)
        groups = defaultdict(lambda: self.env["sales.interaction.log"])
        for entry in entries:
            version = entry._text_version()  # the template's text, or the entry's A/B version
            if version:
                sender = entry.logged_segment_id.user_id or self.env.user
                groups[version, entry.campaign_id, sender] |= entry
        bodies, langs = {}, {}
        for (version, campaign, sender), group in groups.items():
            source = (
                version._track_links(Logged._link_tracker_values(campaign, medium), printed=True)[0]
                if campaign
                else None
            )
            rendered = version.with_user(sender)._render_bodies(group.partner_id, source)
            for entry in group:
                bodies[entry.id] = Markup(rendered.get(entry.partner_id.id) or "")
                # The whole letter (date, subject, body) speaks the language of the version it was given.
                langs[entry.id] = version.lang
        return {
            "doc_ids": entries.ids,
            "doc_model": "sales.interaction.log",
            "docs": entries,
            "bodies": bodies,
            "langs": langs,
            "recipient_lines": {
                entry.id: self._recipient_lines(
                    entry.partner_id, entry.company_id or self.env.company, langs.get(entry.id) or entry.lang
                )
                for entry in entries
            },
        }
