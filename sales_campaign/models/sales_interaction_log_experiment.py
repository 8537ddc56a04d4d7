from odoo import fields, models

# The parts of a log that tests versions: the test share (each contact got one version, drawn at random) and
# the rest of the segment, which gets the winner.
AB_PARTS = [("test", "Test Share"), ("rest", "Rest of the Segment")]


class SalesInteractionLog(models.Model):
    """What a log drew at random for each interaction: the control group of the campaign, and the version of
    the text an A/B test gave it."""

    _inherit = "sales.interaction.log"

    campaign_control = fields.Boolean(
        string="Control Group",
        default=False,
        readonly=True,
        copy=False,
        help="Drawn at random into the campaign's control group when the segment was logged: the contact got "
        "no letter nor e-mail, at no cost, and the campaign compares its targets with these contacts.",
    )
    version_id = fields.Many2one(
        "sales.segment.version",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The version of the text the e-mail or letter carried (A/B test).",
    )
    ab_part = fields.Selection(
        AB_PARTS,
        string="A/B Test",
        readonly=True,
        copy=False,
        help="Test Share: the contact got one of the versions, drawn at random. Rest of the Segment: the contact "
        "gets the winner of the test, once it is chosen.",
    )

    def _text_version(self):
        """The text this interaction's e-mail or letter carries: its version's (an A/B test) in its language,
        else its template's, by the same rule (its language, else the segment's default language, else the
        first). Either answers ``lang``, ``_render_bodies`` and ``_track_links``."""
        self.ensure_one()
        default = self.segment_id.lang_default
        if self.version_id:
            return self.version_id._get_text(self.lang, default)
        return self.template_id._get_language(self.lang, default)
