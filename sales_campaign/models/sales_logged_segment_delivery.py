import logging
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, clean_context, formataddr
from odoo.tools.mail import URL_REGEX, generate_tracking_message_id

_logger = logging.getLogger(__name__)

# Delivery runs in batches, each one transaction: one call of the delivery cron, or a step of a small log
# delivered at once. E-mails are put in the mail queue per batch, letters printed per PDF.
EMAIL_BATCH_SIZE = 1000
LETTER_BATCH_SIZE = 100
# Logs of at most this many lines are processed at once, in the request, by the same batches.
IMMEDIATE_DELIVERY_LIMIT = 200
# Times a call of the delivery cron starts its batch again after a concurrent change of the log (a cancel):
# each try is a new transaction, which sees the change.
CONCURRENCY_TRIES = 3


class SalesLoggedSegment(models.Model):
    """The delivery of a log: batches of e-mails put in the mail queue and of letters printed, at once for a
    small log and in the background (the log cron) for a large one."""

    _inherit = "sales.logged.segment"

    last_batch_turn = fields.Integer(
        readonly=True,
        copy=False,
        help="The order of the logs' latest delivery batches: the logs in progress take turns, the one whose "
        "latest batch is the oldest first.",
    )

    # ------------------------------------------------------------------------------------------------
    # Delivery: batches of e-mails put in the mail queue and of letters printed, in the background
    # ------------------------------------------------------------------------------------------------

    def _start(self):
        """Run the rest of the log: at once for a small segment, else in the background by the log cron.

        Both ways run the same batches (``_process_batch``), each one transaction: a worker stopped in the
        middle loses nothing and does nothing twice, as each batch takes what is still to do (entries not
        written yet, e-mails and letters still waiting) and marks it done in the same transaction.
        """
        self.ensure_one()
        self._check_texts_renderable()
        self._write_ledger({"state": "in_progress", "failure_reason": False})
        if self.segment_id.with_context(active_test=False).line_count <= IMMEDIATE_DELIVERY_LIMIT:
            logged = self._as_delivery()
            while logged._process_batch():
                pass
        else:
            self._write_ledger({"in_background": True})
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger()

    def _as_delivery(self):
        """This log as its batches run it, in the request or in the cron: in the language of the user who
        logged (the notifications, the letters' files), with the rights of the process.

        sudo: the log was checked when it was made (the user's access to the segment, its contacts and its
        files); the batches write and deliver what it decided. The texts are rendered as the user who logged,
        with that user's rights (``_render_as``), and the files sent are checked as that user.
        """
        return self.with_context(lang=self.user_id.lang or self.env.lang).sudo()

    def _render_as(self, versions):
        """``versions`` (of interaction templates) as the user who logged renders them: the texts are theirs,
        rendered with their rights and Odoo's restrictions for them, whoever runs the batch (the cron)."""
        return versions.with_user(self.user_id)

    def _check_texts_renderable(self):
        """Refuse, before anything is recorded or sent, texts the user who logged may not render: expressions
        beyond Odoo's safe placeholders are for Mail Template Editors (rendering checks it again)."""
        segment = self.segment_id
        if not self.send_documents or not segment:
            return
        templates = segment.template_id.union(
            *(
                template
                for [template] in self.env["sales.segment.line"]
                .with_context(active_test=False)
                ._read_group([("segment_id", "=", segment.id)], ["template_id"])
            )
        )
        self._render_as(templates.language_ids)._check_body_expressions()

    def _count_waiting(self):
        """The entries of this log still waiting for their e-mail or letter (those ``_take_waiting`` takes)."""
        self.ensure_one()
        return self.env["sales.interaction.log"].search_count(self._waiting_domain())

    def _waiting_domain(self):
        return [
            ("logged_segment_id", "=", self.id),
            ("company_id", "=", self.company_id.id),
            ("delivery_status", "=", "pending"),
            ("cancelled", "=", False),
        ]

    @api.model
    def _cron_deliver(self):
        """The log cron: one batch of the log in progress whose turn it is (``_take_turn``), then the progress.

        Odoo's cron runner calls the job again while work remains (up to ten times in a row, then again as soon
        as the other jobs had their turn), committing after each call: each batch is one transaction, so a
        worker killed in the middle loses nothing and sends nothing twice. A batch that meets a change of its
        log by a user (a cancel) starts again in a new transaction, which sees the change.
        """
        for attempt in range(1, CONCURRENCY_TRIES + 1):
            try:
                logged = self._take_turn()
                if logged:
                    logged._run_batch()
                break
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == CONCURRENCY_TRIES:
                    raise
                _logger.info("A logged segment changed during its delivery batch: the batch starts again.")
                # Nothing of this batch is kept: the next try is a new transaction, as Odoo's requests retry.
                self.env.cr.rollback()
        # done: the batch of this call; remaining: the logs still in progress (each has a batch left at least)
        remaining = self.search_count([("state", "=", "in_progress")])
        self.env["ir.cron"]._notify_progress(done=len(logged), remaining=remaining)

    @api.model
    def _take_turn(self):
        """The log in progress whose latest batch is the oldest (a new log first), which takes the next turn.

        Logs take turns batch by batch, so that a small log made while a large one is being delivered is done
        after a few batches, not after the large one.
        """
        self.flush_model(["state", "last_batch_turn"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id, (SELECT COALESCE(MAX(last_batch_turn), 0) FROM sales_logged_segment)
                     FROM sales_logged_segment
                    WHERE state = 'in_progress'
                    ORDER BY last_batch_turn NULLS FIRST, id
                    LIMIT 1"""
            )
        )
        if not rows:
            return self.browse()
        [(logged_id, latest_turn)] = rows
        logged = self.browse(logged_id)
        logged._write_ledger({"last_batch_turn": latest_turn + 1})
        return logged

    def _run_batch(self):
        """One batch of this log (``_process_batch``); a batch that fails stops the log, and the user who
        logged is told (Retry). A concurrent change of the log is left to the caller, whose transaction is lost."""
        self.ensure_one()
        logged = self._as_delivery()
        try:
            with self.env.cr.savepoint():
                logged._process_batch()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:  # any failure of a batch stops its log, which the user retries
            _logger.exception("Logged segment %s could not be processed", self.name)
            logged._fail(error)

    def _process_batch(self):
        """Do the next batch of this log: its interaction entries, its follow-up segment, a batch of e-mails,
        then a PDF of letters. Returns how much it did, 0 when nothing is left (the log is then done)."""
        self.ensure_one()
        if not self.entries_written:
            count = self._insert_interactions(self.segment_id, self.send_documents, self.missing_email_as_hard_copy)
            self._write_ledger({"entries_written": True})
            return max(count, 1)
        if self.create_followup and not self.followup_segment_id:
            self._write_ledger({"followup_segment_id": self._create_followup_segment().id})
            return 1
        for correspondence, size, deliver in (
            ("email", EMAIL_BATCH_SIZE, self._queue_emails),
            ("hard_copy", LETTER_BATCH_SIZE, self._print_letters),
        ):
            entries = self._take_waiting(correspondence, size)
            if entries:
                deliver(entries)
                return len(entries)
        self._finish()
        return 0

    def _take_waiting(self, correspondence, size):
        """The next ``size`` waiting entries of this log, locked for this transaction (a second worker on the
        same log skips them instead of delivering them twice). Only entries of the log's company: an entry of
        another company attached to the log is never delivered with it. Only entries due now
        (``_due_condition``: not before the log's date, the rest of an A/B test once it has its winner)."""
        Log = self.env["sales.interaction.log"]
        Log.flush_model(
            [
                "delivery_status",
                "cancelled",
                "correspondence_type",
                "logged_segment_id",
                "company_id",
                "date",
                "ab_part",
                "version_id",
            ]
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM sales_interaction_log
                    WHERE logged_segment_id = %s AND company_id = %s AND delivery_status = 'pending'
                      AND NOT cancelled AND correspondence_type = %s AND %s
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                self.id,
                self.company_id.id,
                correspondence,
                self._due_condition(),
                size,
            )
        )
        return Log.browse(row[0] for row in rows)

    def _finish(self):
        """Nothing is left to do: the log is done, and the user who logged is told when it ran in the background."""
        if self.state != "in_progress" or self._count_waiting():
            return
        self._write_ledger({"state": "done"})
        if not self.in_background:
            return
        message = self.env._(
            "Logged segment %(logged)s is done: %(count)s interactions recorded, %(emails)s e-mails in the mail "
            "queue, %(letters)s letters printed.",
            logged=self.name,
            count=self.interaction_count,
            emails=self.email_queued_count,
            letters=self.letter_printed_count,
        )
        self._notify_user(message, "success")

    def _fail(self, error):
        """A batch failed: the log waits for the user (Retry), who is told why."""
        reason = str(error.args[0]) if isinstance(error, UserError) and error.args else repr(error)
        self._write_ledger({"state": "failed", "failure_reason": reason})
        self._notify_user(
            self.env._("Logged segment %(logged)s could not be finished: %(reason)s", logged=self.name, reason=reason),
            "danger",
        )

    def _notify_user(self, message, kind):
        """Tell the user who logged: in the chatter of the logged segment, and at once if they are online."""
        self.message_post(body=message, author_id=self.env.ref("base.partner_root").id)
        self.user_id._bus_send(
            "simple_notification",
            {"type": kind, "title": self.env._("Logged Segment"), "message": message, "sticky": True},
        )

    # ------------------------------------------------------------------------------------------------
    # E-mails
    # ------------------------------------------------------------------------------------------------

    def _queue_emails(self, entries):
        """Put the e-mails of ``entries`` in Odoo's mail queue (the mail cron sends them), as Email Marketing
        does: ``mail.mail`` created in one batch, their texts rendered per language version by Odoo's mail
        rendering as the user who logged.

        Every e-mail closes the loop: the links of a campaign's e-mails go through Odoo's link tracker, each
        ending with the e-mail's interaction and its signature (``/r/<code>/c/<interaction>/<signature>``),
        the text ends with an unsubscribe link, and the headers carry the one-click unsubscribe of RFC 8058
        (as Email Marketing builds them), all signed for the address the e-mail goes to.
        """
        self.ensure_one()
        Log = self.env["sales.interaction.log"]
        segment = self.segment_id
        sender = self.user_id
        user = segment.user_id or sender
        email_from = user.email_formatted or segment.company_id.email_formatted or sender.email_formatted
        attachments_of = (
            {row.lang: row.attachment_ids for row in segment.language_ids} if segment.send_attachment else {}
        )
        # Once per batch: mail.message would look the reply-to up for each mail on its own.
        reply_to = entries.partner_id._notify_get_reply_to(default=email_from)
        base_url = self.get_base_url()
        versions, groups = {}, defaultdict(list)  # (text version, campaign): entries
        for entry in entries:
            key = entry.template_id, entry.lang, entry.version_id
            if key not in versions:
                versions[key] = entry._text_version()  # the template's text, or the entry's A/B version
            groups[versions[key], entry.campaign_id].append(entry.id)
        queued, vals_list = [], []
        for (version, campaign), entry_ids in groups.items():
            group = Log.browse(entry_ids)
            attachments = attachments_of.get(version.lang, self.env["ir.attachment"])
            # The mails are created with sudo: the files sent must be ones the user who logged may read.
            attachments.with_user(sender).check("read")
            source, short_urls = (
                version._track_links(self._link_tracker_values(campaign)) if version and campaign else (None, ())
            )
            bodies = self._render_as(version)._render_bodies(group.partner_id, source) if version else {}
            footer = self._unsubscribe_footer(version.lang or group[:1].lang)
            for entry in group:
                partner = entry.partner_id
                email = partner.email_normalized or ""
                page_url, one_click_url = Log._unsubscribe_urls(base_url, entry.id, email)
                body = str(bodies.get(partner.id) or "")
                if short_urls:
                    body = self._sign_links(body, short_urls, entry)
                vals_list.append(
                    {
                        "subject": entry.subject or entry.template_id.name,
                        "body": "",
                        "body_html": body + str(footer % {"url": page_url}),
                        "model": "res.partner",
                        "res_id": partner.id,
                        "record_name": partner.display_name,
                        "message_type": "email_outgoing",
                        "author_id": user.partner_id.id,
                        "email_from": email_from,
                        "reply_to": reply_to.get(partner.id) or email_from,
                        "message_id": generate_tracking_message_id(f"{partner.id}-res.partner"),
                        "email_to": formataddr((partner.name or "", email)),
                        "headers": repr(
                            {
                                "List-Unsubscribe": f"<{one_click_url}>",
                                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                "Precedence": "list",
                                "X-Auto-Response-Suppress": "OOF",  # no out-of-office answers from Exchange
                            }
                        ),
                        "auto_delete": False,
                        "attachment_ids": [Command.link(attachment.id) for attachment in attachments],
                    }
                )
                queued.append(entry.id)
        queued = Log.browse(queued)
        # sudo: mail.mail is for administrators; these are the e-mails of this log's entries, whose texts were
        # rendered and files checked as the user who logged (as Email Marketing's composer creates its mails).
        mails = self.env["mail.mail"].sudo().with_context(clean_context(self.env.context)).create(vals_list)
        for entry, mail in zip(queued, mails, strict=True):
            entry._write_process(
                {
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "message_id": mail.message_id,
                    "delivery_status": "queued",
                    "delivery_failure_reason": False,
                }
            )
        return queued

    @api.model
    def _link_tracker_values(self, campaign, medium=None):
        """The UTM values of ``campaign``'s tracked links (medium: the campaign's, else e-mail)."""
        return {
            "campaign_id": campaign.utm_campaign_id.id,
            "source_id": campaign.utm_source_id.id,
            "medium_id": (medium or campaign.utm_medium_id or self.env.ref("utm.utm_medium_email")).id,
        }

    @api.model
    def _sign_links(self, body, short_urls, entry):
        """``body`` with its tracked links (``short_urls``) ending with ``entry``'s interaction and its signature,
        as Email Marketing's e-mails end theirs with their trace (``/r/<code>/m/<trace>``): the click counts for
        the contact, and cannot be put on another interaction by editing the link."""
        suffix = f"/c/{entry.id}/{self.env['sales.interaction.log']._click_token(entry.id)}"

        def sign(match):
            href, url = match.group(1), match.group(2)
            return href.replace(url, url + suffix) if url in short_urls else href

        return re.sub(URL_REGEX, sign, body)

    @api.model
    def _unsubscribe_footer(self, lang):
        """The unsubscribe line that ends every e-mail, in ``lang``, with a ``%(url)s`` for the entry's page."""
        env = self.with_context(lang=lang).env
        return Markup(
            '<div style="margin-top: 24px; font-size: 12px; color: #6c757d;">%s <a href="%%(url)s">%s</a></div>'
        ) % (env._("Would you rather not receive these e-mails?"), env._("Unsubscribe"))

    # ------------------------------------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------------------------------------

    def _print_letters(self, entries):
        """Print the letters of ``entries`` as one PDF (a part of the log's letters), kept on the logged segment."""
        self.ensure_one()
        report = self.env.ref("sales_campaign.action_report_interaction_letter")
        # force_report_rendering: a real PDF even when Odoo runs its tests (it would give HTML otherwise)
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, entries.ids)
        )
        first = len(self.letter_attachment_ids) * LETTER_BATCH_SIZE + 1
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Letters %(logged)s (%(first)s-%(last)s).pdf",
                    logged=self.name,
                    first=first,
                    last=first + len(entries) - 1,
                ),
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self._write_ledger({"letter_attachment_ids": [(4, attachment.id)]})
        entries._set_delivery_status("sent")
        return attachment
