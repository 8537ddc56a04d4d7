from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# The figures a winner can be chosen on: (field of the rate, field of the count), per choice of the segment.
WINNER_RATES = {
    "replied": ("ab_reply_rate", "ab_replied_count"),
    "clicked": ("ab_click_rate", "ab_clicked_count"),
    "responded": ("ab_response_rate", "ab_responded_count"),
    "ordered": ("ab_order_rate", "ab_ordered_count"),
}


class SalesSegmentVersion(models.Model):
    """One version of a segment's text for an A/B test: a subject and a body per language.

    When the segment is logged with two versions or more, each version goes to an equal part, drawn at random,
    of the segment's test share; after the waiting time, the version with the best rate (replies, clicks,
    responses or orders, as the segment says) goes to the rest of the segment, by itself or when the user
    picks it (see ``sales.logged.segment._send_winner``). The figures of each version are those of its part of
    the test share.
    """

    _name = "sales.segment.version"
    _inherit = ["sales.protected.mixin"]
    _description = "Segment Text Version"
    _order = "segment_id, sequence, id"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Version", help="A, B, ... unless you name it.")
    text_ids = fields.One2many("sales.segment.version.text", "version_id", string="Texts", copy=True)
    subject = fields.Char(
        compute="_compute_subject", help="The subject of the version in the segment's default language."
    )
    lang_count = fields.Integer(string="Languages", compute="_compute_subject")
    logged_segment_id = fields.Many2one(related="segment_id.logged_segment_id", string="Logged Segment")
    is_winner = fields.Boolean(string="Winner", compute="_compute_is_winner")

    # The figures of the version's part of the test share (its interactions marked A/B Test)
    ab_contact_count = fields.Integer(string="Contacts", compute="_compute_figures")
    ab_sent_count = fields.Integer(
        string="Sent", compute="_compute_figures", help="E-mails and letters of the version that left."
    )
    ab_replied_count = fields.Integer(string="Replies", compute="_compute_figures")
    ab_clicked_count = fields.Integer(string="Clicks", compute="_compute_figures")
    ab_responded_count = fields.Integer(
        string="Responses", compute="_compute_figures", help="Contacts who responded to the version's e-mail or letter."
    )
    ab_ordered_count = fields.Integer(
        string="Orders", compute="_compute_figures", help="Contacts whose sales order was a response to the version."
    )
    ab_reply_rate = fields.Float(string="Reply Rate (%)", digits=(16, 1), compute="_compute_figures")
    ab_click_rate = fields.Float(string="Click Rate (%)", digits=(16, 1), compute="_compute_figures")
    ab_response_rate = fields.Float(string="Response Rate (%)", digits=(16, 1), compute="_compute_figures")
    ab_order_rate = fields.Float(string="Order Rate (%)", digits=(16, 1), compute="_compute_figures")

    # ------------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------------

    @api.depends("text_ids.lang", "text_ids.subject", "segment_id.lang_default")
    def _compute_subject(self):
        for version in self:
            version.subject = version._get_text(version.segment_id.lang_default).subject
            version.lang_count = len(version.text_ids)

    @api.depends("segment_id.logged_segment_ids.ab_winner_version_id")
    def _compute_is_winner(self):
        for version in self:
            version.is_winner = version.segment_id.logged_segment_id.ab_winner_version_id == version._origin

    @api.depends_context("uid")
    def _compute_figures(self):
        """The figures of each version's part of the test share, in one query for all the versions.

        Sent: e-mails queued or sent, letters printed (blocked and bounced ones are left out); the rates are
        per sent. A response counts for the version of the e-mail or letter it answers (a reply, a click, a
        lead or a sales order the campaign recorded as a response), once per contact.
        """
        figures = {}
        versions = self.filtered("id")
        if versions and self.env["sales.interaction.log"].has_access("read"):
            Log = self.env["sales.interaction.log"]
            Log.flush_model(
                [
                    "version_id",
                    "ab_part",
                    "cancelled",
                    "delivery_status",
                    "replied_date",
                    "clicked_date",
                    "answered_interaction_id",
                    "campaign_response",
                    "response_source",
                ]
            )
            # Counts of the log's own rows, which the user may read (the log's record rules apply to them).
            visible = Log._search([("version_id", "in", versions.ids), ("ab_part", "=", "test")])
            rows = self.env.execute_query(
                SQL(
                    """SELECT entry.version_id, COUNT(*),
                              COUNT(*) FILTER (WHERE entry.delivery_status IN ('queued', 'sent')),
                              COUNT(*) FILTER (WHERE entry.replied_date IS NOT NULL),
                              COUNT(*) FILTER (WHERE entry.clicked_date IS NOT NULL),
                              COUNT(*) FILTER (WHERE EXISTS (
                                  SELECT 1 FROM sales_interaction_log response
                                   WHERE response.answered_interaction_id = entry.id
                                     AND response.campaign_response AND NOT response.cancelled)),
                              COUNT(*) FILTER (WHERE EXISTS (
                                  SELECT 1 FROM sales_interaction_log response
                                   WHERE response.answered_interaction_id = entry.id
                                     AND response.campaign_response AND NOT response.cancelled
                                     AND response.response_source = 'order'))
                         FROM sales_interaction_log entry
                        WHERE entry.id IN %s AND NOT entry.cancelled
                        GROUP BY entry.version_id""",
                    visible.subselect(),
                )
            )
            figures = {row[0]: row[1:] for row in rows}
        for version in self:
            contacts, sent, replied, clicked, responded, ordered = figures.get(version._origin.id, (0,) * 6)

            def rate(count, sent=sent):
                return round(count / sent * 100, 1) if sent else 0.0

            version.update(
                {
                    "ab_contact_count": contacts,
                    "ab_sent_count": sent,
                    "ab_replied_count": replied,
                    "ab_clicked_count": clicked,
                    "ab_responded_count": responded,
                    "ab_ordered_count": ordered,
                    "ab_reply_rate": rate(replied),
                    "ab_click_rate": rate(clicked),
                    "ab_response_rate": rate(responded),
                    "ab_order_rate": rate(ordered),
                }
            )

    # ------------------------------------------------------------------------------------------------
    # CRUD: versions of a draft segment, named A, B, ... and filled with the segment's texts
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Segment = self.env["sales.segment"]
        segments = Segment.browse({vals["segment_id"] for vals in vals_list if vals.get("segment_id")})
        segments._check_draft()
        taken = {segment.id: len(segment.version_ids) for segment in segments}
        for vals in vals_list:
            segment = Segment.browse(vals.get("segment_id"))
            if not vals.get("name"):
                vals["name"] = self._letter(taken.get(segment.id, 0))
            taken[segment.id] = taken.get(segment.id, 0) + 1
            if "text_ids" not in vals and segment:
                vals["text_ids"] = segment._version_texts_values()
        versions = super().create(vals_list)
        # the segment the versions got, whichever way (a default_segment_id key is added after the vals above)
        versions.segment_id._check_draft()
        return versions

    def write(self, vals):
        self.segment_id._check_draft()
        result = super().write(vals)
        if "segment_id" in vals:
            self.segment_id._check_draft()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        self.segment_id._check_draft()

    @api.model
    def _letter(self, index):
        """The name of the segment's ``index``-th version: A, B, ..., Z, then AA, AB, ..."""
        name = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(ord("A") + rest) + name
        return name

    @api.depends("name", "segment_id")
    def _compute_display_name(self):
        for version in self:
            version.display_name = self.env._("Version %(version)s", version=version.name or "")

    # ------------------------------------------------------------------------------------------------
    # Texts
    # ------------------------------------------------------------------------------------------------

    def _get_text(self, lang, default=None):
        """The text for ``lang``, else the one of ``default`` (the segment's default language), else the first,
        as a template's language versions are chosen (``sales.interaction.template._get_language``)."""
        self.ensure_one()
        texts = self.text_ids
        for wanted in (lang, default):
            text = texts.filtered(lambda text, wanted=wanted: text.lang == wanted)[:1] if wanted else texts.browse()
            if text:
                return text
        return texts[:1]

    def _subject_sql(self, lang):
        """SQL: the subject of this version for the language in SQL ``lang`` (a column), by ``_get_text``'s rule."""
        self.ensure_one()
        default = self._get_text(self.segment_id.lang_default)
        cases = [SQL("WHEN %s THEN %s", text.lang, text.subject or None) for text in self.text_ids]
        if not cases:
            return SQL("NULL::varchar")
        return SQL("(CASE %s %s ELSE %s END)", lang, SQL(" ").join(cases), default.subject or None)

    # ------------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------------

    def action_send_as_winner(self):
        """Send this version to the rest of the segment now, as the winner of the test."""
        self.ensure_one()
        logged = self.segment_id.logged_segment_id
        if not logged:
            raise UserError(
                self.env._("%(version)s has not been sent yet: log the segment first.", version=self.display_name)
            )
        logged._check_ledger_action()
        return logged._action_send_winner(self)
