from odoo import api, fields, models


class SalesSegmentWizardMixin(models.AbstractModel):
    """A dialog that changes a segment (its contacts, its log): only on a draft segment the user may change.

    Checked when the dialog opens (``default_get``), when it is created (whatever ``segment_id`` a client
    sends) and before its counts are computed: a dialog on another company's segment would tell, by its counts
    and previews, what that segment holds.
    """

    _name = "sales.segment.wizard.mixin"
    _description = "Segment Dialog"
    # What the dialog needs on its segment: write access on a draft segment, unless it only reads the segment.
    _segment_access = "write"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        self._check_segment(self.env["sales.segment"].browse(values.get("segment_id")).exists(), values)
        return values

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._check_segment(wizard.segment_id, {})
        return wizards

    @api.model
    def _check_segment(self, segment, values):
        """Refuse a segment the user may not change (another company's, a logged one); returns it."""
        if segment:
            segment.check_access(self._segment_access)
            if self._segment_access == "write":
                segment._check_draft()
        return segment

    def _readable_segment(self):
        """The dialog's segment when the user may change it, else an empty one (counts then show nothing)."""
        self.ensure_one()
        segment = self.segment_id._origin
        return segment if segment and segment.has_access(self._segment_access) else self.env["sales.segment"]
