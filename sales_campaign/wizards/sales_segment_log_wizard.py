from odoo import api, fields, models


class SalesSegmentLogWizard(models.TransientModel):
    """Log a segment: record an interaction per line, and deliver the letters and e-mails if asked."""

    _name = "sales.segment.log.wizard"
    _description = "Log Segment"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")
    is_response = fields.Boolean(related="segment_id.campaign_response")
    line_count = fields.Integer(related="segment_id.line_count")
    send_attachments = fields.Boolean(
        string="Send Attachments",
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

    @api.depends("segment_id")
    def _compute_send_attachments(self):
        for wizard in self:
            segment = wizard.segment_id
            wizard.send_attachments = bool(
                segment
                and not segment.campaign_response
                and self.env["sales.segment.line"].search_count(
                    [("segment_id", "=", segment.id), ("correspondence_type", "!=", False)], limit=1
                )
            )

    def action_log(self):
        self.ensure_one()
        segment = self.segment_id
        logged = self.env["sales.logged.segment"]._log_segment(
            segment,
            send=self.send_attachments,
            followup=self.create_followup_segment,
            missing_email_as_hard_copy=self.missing_email_as_hard_copy,
        )
        followup = logged.followup_segment_id
        message = self.env._(
            "Segment %(segment)s has been logged as %(logged)s: %(count)s interactions.",
            segment=segment.name,
            logged=logged.name,
            count=logged.interaction_count,
        )
        if followup:
            message += " " + self.env._("Follow-up segment %(followup)s holds the same contacts.", followup=followup.name)
        if logged.delivery_state == "in_progress":
            message += " " + self.env._(
                "%(emails)s e-mails and %(letters)s letters are being prepared in the background: you will be "
                "notified when they are ready.",
                emails=logged.email_count,
                letters=logged.letter_count,
            )
        return segment._notify(
            message,
            next_action={
                "type": "ir.actions.act_window",
                "res_model": "sales.logged.segment",
                "res_id": logged.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "main",
            },
        )
