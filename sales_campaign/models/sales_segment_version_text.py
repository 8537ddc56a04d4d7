from odoo import api, fields, models

from .sales_segment_language import lang_selection


class SalesSegmentVersionText(models.Model):
    """The text of one version of a segment in one language: a subject and a body, as an interaction template's
    language versions have.

    The body is rendered by the very code of the template's versions (``_as_template_language``): the same
    mail rendering and restrictions, the same link tracking, in e-mails, letters and test e-mails alike. The
    attachments stay the segment's, per language: the versions of a test differ in their words only.
    """

    _name = "sales.segment.version.text"
    _inherit = ["sales.protected.mixin"]
    _description = "Segment Version Text"
    _order = "version_id, lang"
    _rec_name = "lang"

    version_id = fields.Many2one("sales.segment.version", required=True, ondelete="cascade")
    segment_id = fields.Many2one(related="version_id.segment_id", store=True, index=True)
    lang = fields.Selection(selection=lang_selection, string="Language", required=True)
    subject = fields.Char()
    body_html = fields.Html(
        string="Body",
        sanitize="email_outgoing",  # keeps the QWeb placeholders, as the templates' bodies do
        help='The e-mail or letter text of this version. Placeholders such as <t t-out="object.name"/> are '
        "filled per contact.",
    )

    _sql_constraints = [
        ("version_lang_unique", "UNIQUE(version_id, lang)", "A version has one text per language."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self.env["sales.segment.version"].browse(
            {vals["version_id"] for vals in vals_list if vals.get("version_id")}
        ).segment_id._check_draft()
        texts = super().create(vals_list)
        # the version the texts got, whichever way (a default_version_id key is added after the vals above)
        texts.segment_id._check_draft()
        texts._check_body_expressions()
        return texts

    def write(self, vals):
        """The texts of a logged segment are what was sent: they no longer change."""
        self.segment_id._check_draft()
        result = super().write(vals)
        if "version_id" in vals:
            self.segment_id._check_draft()
        if "body_html" in vals:
            self._check_body_expressions()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        self.segment_id._check_draft()

    def _check_body_expressions(self):
        """Only Mail Template Editors may write dynamic expressions beyond Odoo's safe placeholders, as in the
        templates' texts (the same check)."""
        for text in self:
            text._as_template_language()._check_body_expressions()

    # ------------------------------------------------------------------------------------------------
    # Rendering: as an interaction template's language version
    # ------------------------------------------------------------------------------------------------

    def _as_template_language(self):
        """This text as a language version of the segment's interaction template (a record in memory, never
        saved), so that it is rendered, checked and link-tracked by the templates' own code."""
        self.ensure_one()
        return self.env["sales.interaction.template.language"].new(
            {
                "template_id": self.segment_id.template_id.id,
                "lang": self.lang,
                "subject": self.subject,
                "body_html": self.body_html,
            }
        )

    def _render_bodies(self, partners, source=None):
        """``{partner_id: html}``, as ``sales.interaction.template.language._render_bodies`` renders it."""
        return self._as_template_language()._render_bodies(partners, source)

    def _track_links(self, link_tracker_vals, printed=False):
        """This text with its links tracked, as ``sales.interaction.template.language._track_links`` does."""
        return self._as_template_language()._track_links(link_tracker_vals, printed=printed)
