from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context, formataddr

# The path of the unsubscribe link of a test e-mail: a page that says what the real link does.
TEST_UNSUBSCRIBE_PATH = "/sales_campaign/unsubscribe/test"


class SalesSegmentTestEmail(models.TransientModel):
    """Send Test E-mail: the e-mail of a line of the segment, to oneself, before logging (Email Marketing's
    *Test*).

    The e-mail is the contact's, made by the code of the log's e-mails: the text of the line's language (or of
    each language version), of each version of an A/B test, rendered for the contact by Odoo's mail rendering
    as the user, with the campaign's tracked links, the language's attachments and the unsubscribe footer; its
    subject starts with [TEST]. It goes to the user's own address, at once, and leaves nothing behind: no
    interaction, no statistic, no e-mail kept. Its links name no interaction (they are not signed for one), so
    a click on them counts for no contact; its unsubscribe link opens a page that says what the real one does.
    """

    _name = "sales.segment.test.email"
    _inherit = ["sales.segment.wizard.mixin"]
    _description = "Send Test E-mail"

    line_id = fields.Many2one(
        "sales.segment.line",
        string="Contact",
        compute="_compute_line_id",
        store=True,
        readonly=False,
        domain="[('segment_id', '=', segment_id)]",
        help="The e-mail is rendered for this contact, as the contact will receive it.",
    )
    each_language = fields.Boolean(
        string="Each Language Version",
        help="One e-mail per language version of the segment, all rendered for this contact, instead of the one "
        "in the contact's language.",
    )
    version_id = fields.Many2one(
        "sales.segment.version",
        domain="[('segment_id', '=', segment_id)]",
        help="Leave empty to receive each version of the A/B test.",
    )
    version_count = fields.Integer(related="segment_id.version_count", compute_sudo=False)
    email_to = fields.Char(string="To", compute="_compute_email_to", help="Your own address: test e-mails go to you.")
    email_count = fields.Integer(string="Test E-mails", compute="_compute_texts")

    @api.depends("segment_id")
    def _compute_line_id(self):
        """The first line with an e-mail, else the first line."""
        Line = self.env["sales.segment.line"]
        for wizard in self:
            segment = wizard._readable_segment()
            if wizard.line_id or not segment:
                continue
            wizard.line_id = Line.search(
                [("segment_id", "=", segment.id), ("correspondence_type", "=", "email")], order="id", limit=1
            ) or Line.search([("segment_id", "=", segment.id)], order="id", limit=1)

    @api.depends("segment_id")
    def _compute_email_to(self):
        for wizard in self:
            wizard.email_to = self.env.user.email_formatted

    @api.depends("line_id", "each_language", "version_id")
    def _compute_texts(self):
        for wizard in self:
            wizard.email_count = len(wizard._texts()) if wizard._readable_segment() and wizard.line_id else 0

    def _texts(self):
        """``[(text, version)]`` of the test e-mails: the text of the contact's language (or of each language
        of the segment), of the version chosen (or of each version; of the template without versions), each
        text once (a language without its own text falls back on the default language's)."""
        self.ensure_one()
        segment = self.segment_id
        line = self.line_id
        template = line.template_id or segment.template_id
        if self.each_language:
            langs = list(dict.fromkeys([*segment.language_ids.mapped("lang"), *template.language_ids.mapped("lang")]))
        else:
            langs = [line.lang]
        versions = self.version_id or segment.version_ids
        texts = []
        for version in versions or [None]:
            for lang in langs:
                if version:
                    text = version._get_text(lang, segment.lang_default)
                else:
                    text = template._get_language(lang, segment.lang_default) if template else None
                if text and (text, version) not in texts:
                    texts.append((text, version))
        return texts

    def action_send(self):
        """Send the test e-mails to the user now, and say how it went."""
        self.ensure_one()
        segment = self.segment_id
        if self.line_id.segment_id != segment:
            raise UserError(self.env._("Choose a contact of segment %(segment)s.", segment=segment.name))
        if not self.env.user.email:
            raise UserError(
                self.env._("Your user has no e-mail address: set one in your preferences to receive test e-mails.")
            )
        texts = self._texts()
        if not texts:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no text to send: choose an interaction template with a text.",
                    segment=segment.name,
                )
            )
        vals_list = [self._mail_values(text, version) for text, version in texts]
        # sudo: mail.mail is for administrators; these e-mails go to the user's own address only, with texts
        # rendered and files checked as the user (as Email Marketing's test mailing creates its mails).
        mails = self.env["mail.mail"].sudo().with_context(clean_context(self.env.context)).create(vals_list)
        mails.send(raise_exception=False)
        failed = mails.filtered(lambda mail: mail.state == "exception")
        reasons = "; ".join(failed.mapped("failure_reason")) if failed else ""
        count = len(mails - failed)
        mails.unlink()  # a test leaves nothing behind (auto_delete is off to read the outcome first)
        if failed:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "danger",
                    "sticky": True,
                    "message": self.env._(
                        "%(failed)s test e-mails could not be sent to %(address)s: %(reason)s",
                        failed=len(failed),
                        address=self.env.user.email,
                        reason=reasons,
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return segment._notify(
            self.env._(
                "%(count)s test e-mails went to %(address)s. Nothing was logged.",
                count=count,
                address=self.env.user.email,
            )
        )

    def _mail_values(self, text, version):
        """The values of the test e-mail of ``text`` (of ``version``, if any) for the wizard's contact: those of
        the log's e-mail (``sales.logged.segment._queue_emails``), to the user, marked as a test."""
        segment = self.segment_id
        line = self.line_id
        partner = line.partner_id
        user = self.env.user
        Logged = self.env["sales.logged.segment"]
        campaign = line.campaign_id
        source, _short_urls = text._track_links(Logged._link_tracker_values(campaign)) if campaign else (None, ())
        body = text.with_user(user)._render_bodies(partner, source).get(partner.id) or ""
        footer = Logged._unsubscribe_footer(text.lang) % {"url": f"{segment.get_base_url()}{TEST_UNSUBSCRIBE_PATH}"}
        if version:
            subject = text.subject
        elif text.lang == line.lang:
            subject = line.subject or segment.subject_default
        else:
            subject = segment.language_ids.filtered(lambda row: row.lang == text.lang)[:1].subject or text.subject
        subject = subject or (line.template_id or segment.template_id).name
        attachments = self.env["ir.attachment"]
        if segment.send_attachment:
            attachments = segment.language_ids.filtered(lambda row: row.lang == text.lang).attachment_ids
            attachments.check("read")  # the files sent must be ones the user may read
        sender = segment.user_id or user
        email_from = sender.email_formatted or segment.company_id.email_formatted or user.email_formatted
        return {
            "subject": self.env._("[TEST] %(subject)s", subject=subject),
            "body_html": self._test_banner(partner, text, version) + Markup(body) + footer,
            "email_from": email_from,
            "reply_to": email_from,
            "email_to": formataddr((user.name or "", user.email)),
            "auto_delete": False,
            "headers": repr({"X-Auto-Response-Suppress": "OOF"}),
            "attachment_ids": [Command.link(attachment.id) for attachment in attachments],
        }

    def _test_banner(self, partner, text, version):
        """The line that opens a test e-mail: for whom, in which language and version, and that nothing was
        logged (in the user's language)."""
        langs = dict(text._fields["lang"]._description_selection(self.env))
        if version:
            message = self.env._(
                "Test e-mail of segment %(segment)s for %(contact)s, in %(lang)s, %(version)s. Nothing was logged.",
                segment=self.segment_id.name,
                contact=partner.display_name,
                lang=langs.get(text.lang, text.lang),
                version=version.display_name,
            )
        else:
            message = self.env._(
                "Test e-mail of segment %(segment)s for %(contact)s, in %(lang)s. Nothing was logged.",
                segment=self.segment_id.name,
                contact=partner.display_name,
                lang=langs.get(text.lang, text.lang),
            )
        return (
            Markup(
                '<div style="margin-bottom: 16px; padding: 8px; background-color: #fff3cd; font-size: 12px;">%s</div>'
            )
            % message
        )
