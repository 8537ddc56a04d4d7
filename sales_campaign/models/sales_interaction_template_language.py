from lxml import html

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .sales_segment_language import lang_selection


class SalesInteractionTemplateLanguage(models.Model):
    """One language version of an interaction template: subject, body and attachments.

    The body is a QWeb template rendered for each contact (``object`` is the contact) by Odoo's mail
    rendering engine, as ``mail.template`` bodies are.
    """

    _name = "sales.interaction.template.language"
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
        """Only Mail Template Editors may write code into bodies, as for ``mail.template``: bodies are
        rendered unrestricted (see ``_render_body``)."""
        if self.env.su or self.env.user.has_group("mail.group_mail_template_editor"):
            return
        Render = self.env["mail.render.mixin"]
        for language in self:
            if language.body_html and Render._has_unsafe_expression_template_qweb(
                str(language.body_html), "res.partner"
            ):
                raise AccessError(
                    self.env._(
                        "Only members of the Mail Template Editor group may use dynamic expressions in the text of "
                        "interaction template %(template)s.",
                        template=language.template_id.display_name,
                    )
                )

    def _render_body(self, partner_ids):
        """Render the body for the given contacts in this line's language: ``{partner_id: html}``."""
        self.ensure_one()
        return self._render_bodies(self.env["res.partner"].browse(partner_ids), self.env.user)

    def _render_bodies(self, partners, user):
        """Render the body for each of ``partners`` (``object``) as written by ``user``: ``{partner_id: html}``.

        Rendered like ``mail.template`` bodies (Odoo's QWeb engine, unrestricted: writing expressions is
        reserved to Mail Template Editors above), but compiled once and filled in for each contact, where
        ``mail.template`` compiles the text again for every record: that compilation was most of the time
        of a large log.
        """
        self.ensure_one()
        Render = self.env["mail.template"].with_context(lang=self.lang)
        source = self.body_html or ""
        if not source or not partners:
            return dict.fromkeys(partners.ids, "")
        variables = dict(Render._render_eval_context(), user=user)
        qweb = self.env["ir.qweb"].with_context(lang=self.lang)._prepare_environment(variables)
        functions, name = qweb._compile(html.fragment_fromstring(source, create_parent="div"))
        render = functions[name]
        rendered = {}
        for partner in partners.with_context(lang=self.lang):
            # [5:-6]: without the <div> that wraps the text's nodes, as mail.template does
            rendered[partner.id] = "".join(render(qweb, dict(variables, object=partner)))[5:-6]
        return Render._render_template_postprocess("res.partner", rendered)
