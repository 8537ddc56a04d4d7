from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _lang_get


class SalesSegmentLanguage(models.Model):
    """One language version of a segment's interaction: the subject and attachments its contacts get."""

    _name = "sales.segment.language"
    _inherit = ["sales.protected.mixin"]
    _description = "Segment Interaction Language"
    _order = "segment_id, lang"
    _rec_name = "lang"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade", index=True)
    lang = fields.Selection(selection=_lang_get, string="Language", required=True)
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
