from datetime import datetime, time, timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime


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
    deliver_later = fields.Boolean(
        help="The e-mails go out and the letters are printed at the date and time you choose, not now. Until "
        "then the interactions wait, and the log can be cancelled with nothing sent."
    )
    scheduled_date = fields.Datetime(
        string="Deliver On",
        compute="_compute_scheduled_date",
        store=True,
        readonly=False,
        help="In your time zone. The date of the interactions too.",
    )
    control_share = fields.Integer(
        string="Control Group (%)",
        help="This part of the campaign's targets, drawn at random (per company), gets no letter nor e-mail and "
        "costs nothing: the campaign card compares the targets with them, to show what the campaign changed.",
    )
    version_count = fields.Integer(related="segment_id.version_count", compute_sudo=False)
    summary = fields.Html(
        string="What the Log Makes",
        compute="_compute_summary",
        help="The interactions, e-mails, letters, blocked addresses, control group and versions the log makes, "
        "counted before it runs.",
    )

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

    @api.depends("deliver_later")
    def _compute_scheduled_date(self):
        """Tomorrow at 8 o'clock in the user's time zone, unless a date is chosen already."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        tomorrow = fields.Date.context_today(self) + timedelta(days=1)
        default = tz.localize(datetime.combine(tomorrow, time(8))).astimezone(pytz.utc).replace(tzinfo=None)
        for wizard in self:
            if not wizard.deliver_later:
                wizard.scheduled_date = False
            elif not wizard.scheduled_date:
                wizard.scheduled_date = default

    @api.depends(
        "segment_id",
        "send_attachments",
        "missing_email_as_hard_copy",
        "control_share",
        "deliver_later",
        "scheduled_date",
        "create_followup_segment",
    )
    def _compute_summary(self):
        for wizard in self:
            segment = wizard._readable_segment()
            wizard.summary = wizard._summary(segment) if segment else False

    def _summary(self, segment):
        """The dialog's account of what the log makes, from ``sales.logged.segment._preview_log``: one sentence
        per kind of thing, with the numbers (an option the log will refuse shows nothing to count)."""
        self.ensure_one()
        share = self.control_share if 0 < self.control_share < 100 else 0
        send = self.send_attachments and not segment.campaign_response
        preview = self.env["sales.logged.segment"]._preview_log(segment, send, self.missing_email_as_hard_copy, share)
        _ = self.env._
        items = []
        entries = _("Each of the %(count)s lines becomes an interaction log entry.", count=preview["lines"])
        if preview["campaigns"] == 1:
            entries += " " + _("The campaign gets a campaign entry.")
        elif preview["campaigns"]:
            entries += " " + _("Each of the %(count)s campaigns gets a campaign entry.", count=preview["campaigns"])
        else:
            entries += " " + _("No line has a campaign: no campaign entry is made.")
        items.append(entries)
        if send:
            items.append(
                _(
                    "%(emails)s e-mails go to the mail queue and %(letters)s letters are printed.",
                    emails=preview["emails"],
                    letters=preview["letters"],
                )
            )
            if preview["letters_instead"]:
                items.append(
                    _(
                        "%(count)s of the letters go to contacts without a usable e-mail address.",
                        count=preview["letters_instead"],
                    )
                )
            if preview["blocked"]:
                items.append(
                    _(
                        "%(count)s e-mail addresses are blacklisted: they are blocked, nothing is sent to them and "
                        "they cost nothing.",
                        count=preview["blocked"],
                    )
                )
            if preview["no_email"]:
                items.append(
                    _(
                        "%(count)s contacts should get an e-mail but have no usable address: the log refuses them "
                        "unless they get a letter instead.",
                        count=preview["no_email"],
                    )
                )
        if preview["recorded"]:
            items.append(
                _("%(count)s interactions are only recorded: nothing is sent for them.", count=preview["recorded"])
            )
        if share and preview["targets"]:
            items.append(
                _(
                    "Control group: %(count)s of the %(targets)s campaign targets, drawn at random per company, get "
                    "nothing and cost nothing. The campaign card compares the targets with them.",
                    count=preview["control"],
                    targets=preview["targets"],
                )
            )
        if preview["versions"]:
            parts = ", ".join(
                _("%(version)s to %(count)s contacts", version=version.display_name, count=count)
                for version, count in preview["versions"].items()
            )
            if segment.ab_winner_selection == "manual":
                rest = _("the %(count)s others get the version you choose.", count=preview["rest"])
            else:
                rest = _(
                    "the %(count)s others get the one with the best rate of %(criterion)s, %(hours)s hours after.",
                    count=preview["rest"],
                    criterion=dict(segment._fields["ab_winner_selection"]._description_selection(self.env)).get(
                        segment.ab_winner_selection
                    ),
                    hours=segment.ab_test_hours,
                )
            items.append(_("A/B test: %(parts)s; %(rest)s", parts=parts, rest=rest))
        elif segment.version_ids and not send:
            items.append(_("The versions are tested only when the letters and e-mails are sent."))
        if send and self.deliver_later and self.scheduled_date:
            items.append(
                _(
                    "Nothing is sent before %(date)s: the interactions wait until then, dated then.",
                    date=format_datetime(self.env, self.scheduled_date),
                )
            )
        if self.create_followup_segment:
            items.append(_("A follow-up segment holds the same contacts."))
        items.append(_("The segment can no longer change."))
        return Markup("<ul class='mb-0 ps-3'>%s</ul>") % Markup().join(Markup("<li>%s</li>") % item for item in items)

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
            scheduled_date=self.deliver_later and self.scheduled_date,
            control_share=self.control_share,
        )
        if logged.state == "scheduled":
            message = self.env._(
                "Segment %(segment)s is logged as %(logged)s. Its e-mails and letters wait until %(date)s: until "
                "then you may cancel the log with nothing sent.",
                segment=segment.name,
                logged=logged.name,
                date=format_datetime(self.env, logged.scheduled_date),
            )
        elif logged.state == "in_progress":
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
