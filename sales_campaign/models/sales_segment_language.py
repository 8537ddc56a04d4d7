import functools

import babel

from odoo import api, fields, models


@functools.lru_cache(maxsize=512)
def _language_name(code, in_lang, fallback):
    """The name of language ``code`` in language ``in_lang``, as babel (which Odoo ships) names it: "Frans
    (Zwitserland)" for a Dutch user where Odoo says "French (CH) / Français (CH)"."""
    try:
        name = babel.Locale.parse(code.replace("@latin", "_Latn").split("@")[0]).get_display_name(
            babel.Locale.parse((in_lang or "en_US").split("@")[0])
        )
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return fallback
    return name[:1].upper() + name[1:] if name else fallback


def lang_selection(model):
    """The installed languages, each named in the user's language: the selection of the module's language
    fields (Odoo's ``_lang_get`` names them in English and in their own language)."""
    lang = model.env.lang or "en_US"
    return [(code, _language_name(code, lang, name)) for code, name in model.env["res.lang"].get_installed()]


class SalesSegmentLanguage(models.Model):
    """One language version of a segment's interaction: the subject and attachments its contacts get."""

    _name = "sales.segment.language"
    _inherit = ["sales.protected.mixin"]
    _description = "Segment Interaction Language"
    _order = "segment_id, lang"
    _rec_name = "lang"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade", index=True)
    lang = fields.Selection(selection=lang_selection, string="Language", required=True)
    subject = fields.Char()
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_segment_language_attachment_rel",
        "segment_language_id",
        "attachment_id",
        string="Attachments",
    )
    is_default = fields.Boolean(string="Default", compute="_compute_is_default")

    _sql_constraints = [
        ("segment_lang_unique", "UNIQUE(segment_id, lang)", "A segment has one version per language."),
    ]

    @api.depends("segment_id.lang_default", "lang")
    def _compute_is_default(self):
        for row in self:
            row.is_default = row.lang == row.segment_id.lang_default

    @api.model_create_multi
    def create(self, vals_list):
        segments = self.env["sales.segment"].browse(
            {vals["segment_id"] for vals in vals_list if vals.get("segment_id")}
        )
        segments._check_draft()
        rows = super().create(vals_list)
        for row in rows:
            row.attachment_ids._sales_attach_to(row)
        return rows

    def write(self, vals):
        """A new subject reaches the lines of that language that still have the old one (not edited by hand).

        The versions of a logged segment are what was sent: they no longer change.
        """
        self.segment_id._check_draft()
        old_subjects = {row.id: row.subject for row in self} if "subject" in vals else {}
        result = super().write(vals)
        if "attachment_ids" in vals:
            for row in self:
                row.attachment_ids._sales_attach_to(row)
        for row in self:
            if row.id in old_subjects and old_subjects[row.id] != row.subject:
                row.segment_id._apply_subject_change(row.lang, old_subjects[row.id], row.subject)
        return result
