from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesSegmentLogWizard(models.TransientModel):
    """Log a segment: record an interaction per line, and deliver the letters and e-mails if asked."""

    _name = "sales.segment.log.wizard"
    _inherit = ["sales.segment.wizard.mixin"]
    _description = "Log Segment"

    # Read as the user (``compute_sudo``): the dialog's segment is one the user may change.
    is_response = fields.Boolean(related="segment_id.campaign_response", compute_sudo=False)
    line_count = fields.Integer(related="segment_id.line_count", compute_sudo=False)
    send_attachments = fields.Boolean(
        compute="_compute_send_attachments",
        store=True,
        readonly=False,
        help="Print the letters of hard-copy lines and queue the e-mails of e-mail lines. "
        "Without it, the interactions are only recorded.",
    )
    create_followup_segment = fields.Boolean(
        string="Create Follow-up Segment", help="A new segment with the same campaign and contacts, for the next step."
    )
    missing_email_as_hard_copy = fields.Boolean(
        string="Letter When No E-mail",
        help="Contacts that should get an e-mail but have no usable address get a printed letter instead. "
        "Without it, logging is refused and lists those contacts.",
    )

    attachment_warning = fields.Char(compute="_compute_attachment_warning")

    @api.depends("segment_id", "send_attachments")
    def _compute_attachment_warning(self):
        """Send Attachment is on but some languages of the lines have no file to send: say which, before
        letters and e-mails that announce an attachment go without one."""
        names = dict(self.env["res.lang"].get_installed())
        for wizard in self:
            segment = wizard._readable_segment()
            wizard.attachment_warning = False
            if not (segment.send_attachment and wizard.send_attachments and not wizard.is_response):
                continue
            langs = [
                lang
                for [lang] in self.env["sales.segment.line"]._read_group(
                    [("segment_id", "=", segment.id), ("correspondence_type", "!=", False)], ["lang"]
                )
            ]
            versions = segment.language_ids
            default = versions.filtered(lambda row: row.lang == segment.lang_default)[:1]
            used = versions.browse().union(
                *(versions.filtered(lambda row, lang=lang: row.lang == lang)[:1] or default for lang in langs)
            )
            without = used.filtered(lambda row: not row.attachment_ids)
            if without:
                wizard.attachment_warning = self.env._(
                    "Send Attachment is on, but %(langs)s have no attachment: "
                    "their letters and e-mails go without one.",
                    langs=", ".join(sorted(names.get(row.lang, row.lang) for row in without)),
                )

    @api.depends("segment_id")
    def _compute_send_attachments(self):
        for wizard in self:
            segment = wizard._readable_segment()
            wizard.send_attachments = bool(
                segment
                and not segment.campaign_response
                and self.env["sales.segment.line"].search_count(
                    [("segment_id", "=", segment.id), ("correspondence_type", "!=", False)], limit=1
                )
            )

    @api.model
    def _check_segment(self, segment, values):
        """Refuse to log an empty segment, too."""
        segment = super()._check_segment(segment, values)
        if segment and not segment.line_count:
            raise UserError(
                self.env._("Segment %(segment)s is empty: add contacts before logging it.", segment=segment.name)
            )
        return segment

    def action_log(self):
        self.ensure_one()
        segment = self.segment_id
        logged = self.env["sales.logged.segment"]._log_segment(
            segment,
            send=self.send_attachments,
            followup=self.create_followup_segment,
            missing_email_as_hard_copy=self.missing_email_as_hard_copy,
        )
        if logged.state == "in_progress":
            message = self.env._(
                "Segment %(segment)s is logged as %(logged)s. Its %(count)s interactions, e-mails and letters are "
                "being prepared in the background: you will be notified when it is done.",
                segment=segment.name,
                logged=logged.name,
                count=segment.line_count,
            )
        else:
            message = self.env._(
                "Segment %(segment)s has been logged as %(logged)s. Interactions: %(count)s.",
                segment=segment.name,
                logged=logged.name,
                count=logged.interaction_count,
            )
            if logged.followup_segment_id:
                message += " " + self.env._(
                    "Follow-up segment %(followup)s holds the same contacts.", followup=logged.followup_segment_id.name
                )
        return segment._notify(
            message,
            # on top of the segment (target current): the breadcrumb leads back to it
            next_action=logged._get_records_action(context={}),
        )
