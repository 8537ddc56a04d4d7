import re
import secrets

from lxml import html
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.mail import TEXT_URL_REGEX, URL_REGEX

from .sales_segment_language import lang_selection

# Punctuation that ends a sentence after a web address printed in a letter: not part of the address.
SENTENCE_END = ".,;:!?)"


class SalesInteractionTemplateLanguage(models.Model):
    """One language version of an interaction template: subject, body and attachments.

    The body is a QWeb template rendered for each contact (``object`` is the contact) by Odoo's mail
    rendering engine (``mail.render.mixin``), with its restrictions for users who are not Mail Template
    Editors, as the texts of Odoo's mail composer are.
    """

    _name = "sales.interaction.template.language"
    _inherit = ["mail.render.mixin"]
    _description = "Interaction Template Language"
    _order = "template_id, lang"
    _rec_name = "lang"

    template_id = fields.Many2one(
        "sales.interaction.template", string="Interaction Template", required=True, ondelete="cascade", index=True
    )
    lang = fields.Selection(selection=lang_selection, string="Language", required=True)
    subject = fields.Char()
    body_html = fields.Html(
        string="Body",
        render_engine="qweb",
        sanitize="email_outgoing",  # keeps the QWeb placeholders, as mail.template bodies do
        help='Letter or e-mail text. Placeholders such as <t t-out="object.name"/> are filled per contact.',
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_interaction_template_language_attachment_rel",
        "template_language_id",
        "attachment_id",
        string="Attachments",
    )

    _sql_constraints = [
        ("template_lang_unique", "UNIQUE(template_id, lang)", "A template has one version per language."),
    ]

    def _compute_render_model(self):
        self.render_model = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        languages = super().create(vals_list)
        languages._check_body_expressions()
        for language in languages:
            language.attachment_ids._sales_attach_to(language)
        return languages

    def write(self, vals):
        result = super().write(vals)
        if "body_html" in vals:
            self._check_body_expressions()
        if "attachment_ids" in vals:
            for row in self:
                row.attachment_ids._sales_attach_to(row)
        return result

    def _check_body_expressions(self):
        """Only Mail Template Editors may write or send texts with expressions beyond Odoo's safe placeholders
        (``object.name`` and the like), as for Odoo's mail templates and composer. Checked when a text is saved
        and when a segment is logged with it (by the current user); rendering checks it again (``_render_bodies``)."""
        if self.env.su or self.env.is_admin() or self.env.user.has_group("mail.group_mail_template_editor"):
            return
        for language in self:
            if language.body_html and self._has_unsafe_expression_template_qweb(
                str(language.body_html), language.render_model
            ):
                raise AccessError(
                    self.env._(
                        "Only members of the Mail Template Editor group may use dynamic expressions in the text of "
                        "interaction template %(template)s.",
                        template=language.template_id.display_name,
                    )
                )

    # ------------------------------------------------------------------------------------------------
    # Rendering
    # ------------------------------------------------------------------------------------------------

    def _render_body(self, partner_ids):
        """Render the body for the given contacts in this line's language: ``{partner_id: html}``."""
        self.ensure_one()
        return self._render_bodies(self.env["res.partner"].browse(partner_ids))

    def _render_bodies(self, partners, source=None):
        """``{partner_id: html}``: ``source`` (else this version's body) rendered for each of ``partners``
        (``object``) in this version's language, as the current user (``user``).

        Odoo's mail rendering (``mail.render.mixin._render_template``, the QWeb engine) does it: texts with
        only Odoo's safe placeholders (``<t t-out="object.name"/>``) go through its fast path without QWeb;
        other expressions are rendered for Mail Template Editors only, checked now, whoever wrote the text
        (the delivery renders as the user who logged, see ``sales.logged.segment._render_as``).

        Odoo compiles a text that needs QWeb again for each record it renders (a few milliseconds each); for
        the users who may render it, the contacts are looped over in the text itself, as QWeb reports loop
        over their documents (``t-foreach``): one compilation for all of them, the same rendering API and
        evaluation context. (Variables a text sets with ``t-set`` are then seen by the next contacts' parts.)
        """
        self.ensure_one()
        source = (self.body_html if source is None else source) or ""
        if not partners:
            return {}
        Render = self.with_context(lang=self.lang)
        model = self.render_model
        unrestricted = (
            self._unrestricted_rendering
            or self.env.is_admin()
            or self.env.user.has_group("mail.group_mail_template_editor")
        )
        if len(partners) == 1 or not unrestricted or not self._has_unsafe_expression_template_qweb(source, model):
            return Render._render_template(source, model, partners.ids, engine="qweb", options={"post_process": True})
        # A text that cannot be in a contact's data (nor in the text): the contacts' parts are cut at it.
        cut = f"sales-campaign-contact-{secrets.token_hex(16)}"
        looped = f'<t t-foreach="sales_campaign_contacts" t-as="object">{cut}{source}</t>'
        rendered = Render._render_template(
            looped,
            model,
            partners[:1].ids,
            engine="qweb",
            # the contacts as the renderer reads them (its rights, the text's language), as Odoo browses them
            add_context={"sales_campaign_contacts": Render.env[model].browse(partners.ids)},
            options={"post_process": True},
        )[partners[0].id]
        parts = str(rendered).split(cut)[1:]
        if len(parts) != len(partners):
            raise UserError(
                self.env._(
                    "The text in %(lang)s of interaction template %(template)s could not be rendered for each contact.",
                    lang=dict(lang_selection(self)).get(self.lang, self.lang),
                    template=self.template_id.display_name,
                )
            )
        return {partner.id: Markup(part) for partner, part in zip(partners, parts, strict=True)}

    def _track_links(self, link_tracker_vals, printed=False):
        """This version's text with its web addresses going through Odoo's link tracker: each becomes a short
        tracked URL (``/r/<code>``) with ``link_tracker_vals`` (the campaign's UTM campaign, source and medium),
        one tracker per address, label and UTM, as Email Marketing converts the links of a mailing's text.

        Only the text as written is converted, before it is rendered for each contact: a web address in a
        contact's data (a name, say) is never tracked nor redirected to. E-mails track their links
        (``<a href>``); letters (``printed``) also the addresses printed as text, which their readers type.

        :return: ``(text, short URLs)``: the converted text and the short URLs of its links
        """
        self.ensure_one()
        source = self.body_html or ""
        if not source:
            return source, set()
        base_url = self.get_base_url()
        # Our own pages (the unsubscribe links) are never tracked, as Email Marketing keeps its own out.
        blacklist = [f"{base_url}/sales_campaign/"]
        # sudo: link trackers are for administrators; these are the addresses written in the template's text
        # by those allowed to write it, for the campaign whose links they become.
        Render = self.env["mail.render.mixin"].sudo()
        source = Render._shorten_links(source, link_tracker_vals, blacklist=blacklist, base_url=base_url)
        if printed and re.search(TEXT_URL_REGEX, source):
            # (the converter of text addresses compares its blacklist with the addresses' paths)
            source = self._shorten_printed_links(source, link_tracker_vals, ["/sales_campaign/"], base_url)
        short_prefix = f"{base_url}/r/"
        short_urls = {url for _href, url in re.findall(URL_REGEX, source) if url.startswith(short_prefix)}
        return source, short_urls

    @api.model
    def _shorten_printed_links(self, source, link_tracker_vals, blacklist, base_url):
        """``_shorten_links_text`` (Odoo's converter of addresses written as text) on the text of ``source``,
        not its attributes (an image's address stays), each address without the punctuation that ends its
        sentence ("visit https://www.example.com/chair." tracks https://www.example.com/chair)."""
        # sudo: see _track_links
        Render = self.env["mail.render.mixin"].sudo()

        def shorten(match):
            url = match.group(0)
            address = url.rstrip(SENTENCE_END)
            return Render._shorten_links_text(address, link_tracker_vals, blacklist, base_url) + url[len(address) :]

        root = html.fromstring(source)
        for node in root.iter():
            if isinstance(node.tag, str):  # not comments nor processing instructions
                if node.text:
                    node.text = re.sub(TEXT_URL_REGEX, shorten, node.text)
                if node.tail and node is not root:
                    node.tail = re.sub(TEXT_URL_REGEX, shorten, node.tail)
        return html.tostring(root, encoding="unicode", method="xml")
