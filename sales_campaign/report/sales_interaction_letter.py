import re
from collections import defaultdict

from lxml import html
from markupsafe import Markup

from odoo import api, models

# A URL written in a letter's text; the punctuation that ends a sentence is not part of it.
PRINTED_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


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
        entries = self.env["sales.interaction.log"].browse(docids)
        groups = defaultdict(lambda: self.env["sales.interaction.log"])
        for entry in entries:
            groups[entry.template_id, entry.lang, entry.logged_segment_id.user_id] |= entry
        bodies, langs = {}, {}
        for (template, lang, sender), group in groups.items():
            version = template._get_language(lang)
            if not version:
                continue
            # Written by the user who logged them, whoever prints them (the delivery cron, say).
            rendered = version._render_bodies(group.partner_id, sender or self.env.user)
            for entry in group:
                bodies[entry.id] = Markup(rendered.get(entry.partner_id.id) or "")
                # The whole letter (date, subject, body) speaks the language of the version it was given.
                langs[entry.id] = version.lang
        self._track_printed_links(entries, bodies)
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

    @api.model
    def _track_printed_links(self, entries, bodies):
        """The web addresses a campaign's letters print (as text or as links) go through Odoo's link tracker:
        each becomes the campaign's short tracked URL (``/r/<code>``, one per address and campaign, with the
        campaign's UTM campaign and source and the medium *Letter*), short enough to be typed from paper, so
        that the visits and the leads and orders they bring carry the campaign. A printed letter cannot carry
        the per-contact signature of an e-mail's links: its visits count for the campaign, not the contact."""
        parsed, wanted = {}, defaultdict(set)
        for entry in entries.filtered("campaign_id"):
            body = bodies.get(entry.id)
            if not body or "http" not in body:
                continue
            root = html.fragment_fromstring(str(body), create_parent="div")
            parsed[entry] = root
            for node in root.iter():
                if node.tag == "a" and PRINTED_URL.fullmatch(node.get("href") or ""):
                    wanted[entry.campaign_id].add(node.get("href"))
                for text in (node.text, node.tail):
                    wanted[entry.campaign_id].update(PRINTED_URL.findall(text or ""))
        if not wanted:
            return
        medium = self.env.ref("sales_campaign.utm_medium_letter", raise_if_not_found=False)
        vals_list = [
            {
                "url": url,
                "title": url,
                "campaign_id": campaign.utm_campaign_id.id,
                "source_id": campaign.utm_source_id.id,
                "medium_id": medium.id if medium else False,
            }
            for campaign, urls in wanted.items()
            for url in sorted(urls)
        ]
        # sudo: link trackers are for administrators; these are the campaign's own addresses, printed by
        # whoever prints its letters
        trackers = self.env["link.tracker"].sudo().search_or_create(vals_list)
        short = {
            (vals["campaign_id"], vals["url"]): tracker.short_url
            for vals, tracker in zip(vals_list, trackers, strict=True)
        }
        for entry, root in parsed.items():
            key = entry.campaign_id.utm_campaign_id.id

            def shorten(text, key=key):
                return PRINTED_URL.sub(lambda match: short.get((key, match.group(0)), match.group(0)), text)

            for node in root.iter():
                if node.tag == "a" and node.get("href") and (key, node.get("href")) in short:
                    node.set("href", short[key, node.get("href")])
                if node.text:
                    node.text = shorten(node.text)
                if node.tail:
                    node.tail = shorten(node.tail)
            # [5:-6]: without the <div> the fragment was given
            bodies[entry.id] = Markup(html.tostring(root, encoding="unicode")[5:-6])
