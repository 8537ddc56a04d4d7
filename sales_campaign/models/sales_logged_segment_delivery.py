import html
import logging
import re
import threading
import time
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, config, formataddr
from odoo.tools.mail import URL_REGEX, generate_tracking_message_id

_logger = logging.getLogger(__name__)

# Delivery runs in batches, each one transaction of the delivery cron (or of the log itself when it is small):
# e-mails put in the mail queue per batch, letters printed per PDF. Ten batches must fit in one cron run
# under Odoo's limit_time_real (120 s by default): wkhtmltopdf prints about 15 letters a second.
EMAIL_BATCH_SIZE = 1000
LETTER_BATCH_SIZE = 100
# Logs of at most this many lines are processed at once, in the request, by the same batches.
IMMEDIATE_DELIVERY_LIMIT = 200
# Seconds of delivery in one call of the delivery cron (see ``_cron_time_budget``).
CRON_TIME_BUDGET = 10


class SalesLoggedSegment(models.Model):
    """The delivery of a log: batches of e-mails put in the mail queue and of letters printed, at once for a
    small log and in the background (the log cron) for a large one."""

    _inherit = "sales.logged.segment"

    # ------------------------------------------------------------------------------------------------
    # Delivery: batches of e-mails put in the mail queue and of letters printed, in the background
    # ------------------------------------------------------------------------------------------------

    def _start(self):
        """Run the rest of the log: at once for a small segment, else in the background by the log cron.

        Both ways run the same batches (``_process_batch``). The cron commits each batch, so a worker stopped
        in the middle loses nothing and does nothing twice: each batch takes what is still to do (entries not
        written yet, e-mails and letters still waiting) and marks it done in the same transaction.
        """
        self.ensure_one()
        self._write_ledger({"state": "in_progress", "failure_reason": False})
        if self.segment_id.with_context(active_test=False).line_count <= IMMEDIATE_DELIVERY_LIMIT:
            # sudo: the log was checked when it was made (the user's access to the segment, its contacts and
            # its files); the batches write and deliver what it decided, as the cron does
            while self.sudo()._process_batch():
                pass
        else:
            self._write_ledger({"in_background": True})
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger()

    def _count_waiting(self):
        self.ensure_one()
        return self.env["sales.interaction.log"].search_count(
            [("logged_segment_id", "=", self.id), ("delivery_status", "=", "pending"), ("cancelled", "=", False)]
        )

    @api.model
    def _cron_time_budget(self):
        """Seconds of work for one call of the log cron. Odoo calls a cron up to ten times in a row and kills its
        worker after ``limit_time_real_cron`` (120 s by default) of real time or ``limit_time_cpu`` (60 s) of
        processor time: ten calls must fit in both."""
        real = config["limit_time_real_cron"] if config["limit_time_real_cron"] > 0 else config["limit_time_real"]
        limits = [limit for limit in (real, config["limit_time_cpu"]) if limit and limit > 0]
        return min([CRON_TIME_BUDGET] + [limit / 12 for limit in limits])

    @api.model
    def _cron_deliver(self):
        """The log cron: batches of the logs in progress, oldest first, each committed, for the time budget
        of one call; it calls itself back at once while work remains."""
        deadline = time.monotonic() + self._cron_time_budget()
        auto_commit = not getattr(threading.current_thread(), "testing", False)  # as the mail queue does
        done = 0
        while logged := self.search([("state", "=", "in_progress")], order="id", limit=1):
            try:
                with self.env.cr.savepoint():
                    done += logged._process_batch()
            except Exception as error:
                _logger.exception("Logged segment %s could not be processed", logged.name)
                logged._fail(error)
            if auto_commit:
                # each batch is done for good: a worker killed later loses nothing (a cron, as the mail queue)
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() >= deadline:
                break
        remaining = self.search_count([("state", "=", "in_progress")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining:
            # The cron framework would wait for the cron worker's next wake-up (a minute) after its own runs.
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger()

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
        same log skips them instead of delivering them twice)."""
        Log = self.env["sales.interaction.log"]
        Log.flush_model(["delivery_status", "cancelled", "correspondence_type", "logged_segment_id"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM sales_interaction_log
                    WHERE logged_segment_id = %s AND delivery_status = 'pending' AND NOT cancelled
                      AND correspondence_type = %s
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                self.id,
                correspondence,
                size,
            )
        )
        return Log.browse(row[0] for row in self.env.cr.fetchall())

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
        self.message_post(body=message)
        self.user_id._bus_send(
            "simple_notification",
            {"type": kind, "title": self.env._("Logged Segment"), "message": message, "sticky": True},
        )

    def _version(self, segment, lang):
        """The segment language row used for a contact speaking ``lang``."""
        rows = segment.language_ids
        return (
            rows.filtered(lambda row: row.lang == lang)[:1]
            or rows.filtered(lambda row: row.lang == segment.lang_default)[:1]
        )

    def _queue_emails(self, entries):
        """Put the e-mails of ``entries`` in Odoo's mail queue (the mail cron sends them).

        Each text is compiled once per template and language and filled in for each contact. The
        ``mail.message`` / ``mail.mail`` rows are inserted set-wise, with the values the ORM gives an e-mail
        created with ``mail.mail.create`` (``test_queued_mails_are_those_odoo_creates`` compares them): the
        ORM's create costs half a millisecond per e-mail, most of a large log's delivery.

        Every e-mail closes the loop (see ``_close_the_loop``): its links are tracked per contact, it ends
        with an unsubscribe link, and it carries the ``List-Unsubscribe`` headers of RFC 8058.
        """
        self.ensure_one()
        segment = self.segment_id
        sender = self.user_id
        user = segment.user_id or sender
        email_from = user.email_formatted or segment.company_id.email_formatted or sender.email_formatted
        groups = defaultdict(lambda: self.env["sales.interaction.log"])
        for entry in entries:
            groups[entry.template_id, self._version(segment, entry.lang).lang or entry.lang] |= entry
        # Once per batch: mail.message would look the reply-to up for each mail on its own.
        reply_to = entries.partner_id._notify_get_reply_to(default=email_from)
        rendered = {}
        for (template, lang), group in groups.items():
            version = template._get_language(lang)
            rendered[template, lang] = version._render_bodies(group.partner_id, sender) if version else {}
        body_of, headers_of = self._close_the_loop(entries, groups, rendered)
        self.env.flush_all()
        now = fields.Datetime.now()
        for (template, lang), group in groups.items():
            attachments = (
                self._version(segment, lang).attachment_ids if segment.send_attachment else self.env["ir.attachment"]
            )
            bodies = rendered[template, lang]
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    entry.id,
                    entry.subject or template.name,
                    entry.partner_id.id,
                    entry.partner_id.display_name,
                    reply_to.get(entry.partner_id.id) or email_from,
                    generate_tracking_message_id(f"{entry.partner_id.id}-res.partner"),
                    body_of(entry, bodies.get(entry.partner_id.id, ""), lang),
                    formataddr((entry.partner_id.name or "", entry.partner_id.email_normalized)),
                    headers_of(entry),
                )
                for entry in group
            )
            self.env.cr.execute(
                SQL(
                    """WITH email (entry_id, subject, res_id, record_name, reply_to, rfc_id, body_html, email_to,
                                   headers) AS (
                                VALUES %(values)s),
                            message AS (
                                INSERT INTO mail_message (subject, date, body, model, res_id, record_name, message_type,
                                                          author_id, email_from, reply_to, message_id,
                                                          email_add_signature, create_uid, create_date, write_uid,
                                                          write_date)
                                SELECT email.subject, %(now)s, '', 'res.partner', email.res_id, email.record_name,
                                       'email_outgoing', %(author)s, %(email_from)s, email.reply_to, email.rfc_id, TRUE,
                                       %(uid)s, %(now)s, %(uid)s, %(now)s
                                  FROM email
                                RETURNING id, message_id),
                            mail AS (
                                INSERT INTO mail_mail (mail_message_id, body_html, email_to, headers, state,
                                                       auto_delete, create_uid, create_date, write_uid, write_date)
                                SELECT message.id, email.body_html, email.email_to, email.headers, 'outgoing', FALSE,
                                       %(uid)s, %(now)s, %(uid)s, %(now)s
                                  FROM message JOIN email ON email.rfc_id = message.message_id
                                RETURNING id, mail_message_id),
                            message_attachment AS (
                                INSERT INTO message_attachment_rel (message_id, attachment_id)
                                SELECT message.id, attachment_id
                                  FROM message CROSS JOIN unnest(%(attachments)s::integer[]) AS attachment_id)
                       UPDATE sales_interaction_log AS entry
                          SET mail_mail_id = mail.id, mail_message_id = message.id, message_id = message.message_id,
                              delivery_status = 'queued', delivery_failure_reason = NULL
                         FROM email
                         JOIN message ON message.message_id = email.rfc_id
                         JOIN mail ON mail.mail_message_id = message.id
                        WHERE entry.id = email.entry_id""",
                    values=values,
                    now=now,
                    author=user.partner_id.id,
                    email_from=email_from,
                    uid=self.env.uid,
                    attachments=attachments.ids,
                )
            )
        self.env["mail.message"].invalidate_model()
        self.env["mail.mail"].invalidate_model()
        entries.partner_id.invalidate_recordset(["message_ids"])
        entries.invalidate_recordset(
            ["mail_mail_id", "mail_message_id", "message_id", "delivery_status", "delivery_failure_reason"]
        )
        entries.modified(["delivery_status"])  # written in SQL: the counts of the logged segment follow
        return entries

    def _close_the_loop(self, entries, groups, rendered):
        """What brings the e-mails of ``entries`` back as responses: their links go through Odoo's link
        tracker, one ``link.tracker`` per distinct URL and campaign (with the campaign's UTM campaign, source and
        medium) for the whole batch, each e-mail's own links ending with its interaction and the signature of
        it (``/r/<code>/c/<interaction>/<signature>``); an unsubscribe link in the contact's language closes
        the text, and the headers carry the one-click unsubscribe of RFC 8058 (as Odoo's Email Marketing
        builds them), all signed for the address the e-mail goes to.

        :return: ``(body_of, headers_of)``: functions giving the text and the headers of each entry's e-mail
        """
        Log = self.env["sales.interaction.log"]
        base_url = self.get_base_url()
        secret = Log._signing_secret()
        short_prefix = f"{base_url}/r/"
        own_prefix = f"{base_url}/sales_campaign/"

        def absolute(url):
            url = html.unescape(url).strip()
            if url.startswith("/") and not url.startswith("//"):
                url = base_url + url
            if not url.startswith(("http://", "https://")) or url.startswith((short_prefix, own_prefix)):
                return None
            return url

        # The links of the campaigns' e-mails, collected over the batch, then tracked in one go.
        wanted = defaultdict(set)  # campaign: {absolute url}
        for (template, lang), group in groups.items():
            bodies = rendered[template, lang]
            for entry in group.filtered("campaign_id"):
                for _href, url in re.findall(URL_REGEX, bodies.get(entry.partner_id.id) or ""):
                    if target := absolute(url):
                        wanted[entry.campaign_id].add(target)
        short_urls = {}  # (campaign id, absolute url): short url
        if wanted:
            vals_list = []
            for campaign, targets in wanted.items():
                utm = {
                    "campaign_id": campaign.utm_campaign_id.id,
                    "source_id": campaign.utm_source_id.id,
                    "medium_id": (campaign.utm_medium_id or self.env.ref("utm.utm_medium_email")).id,
                }
                # the title is the URL: no fetching of every page at queueing time
                vals_list += [dict(utm, url=target, title=target) for target in sorted(targets)]
            # sudo: link trackers are for administrators; these are the campaigns' own links
            trackers = self.env["link.tracker"].sudo().search_or_create(vals_list)
            for vals, tracker in zip(vals_list, trackers, strict=True):
                short_urls[vals["campaign_id"], vals["url"]] = tracker.short_url
        footers = {}
        for _template, lang in groups:
            env = self.with_context(lang=lang).env
            footers[lang] = Markup(
                '<div style="margin-top: 24px; font-size: 12px; color: #6c757d;">%s <a href="%%(url)s">%s</a></div>'
            ) % (env._("Would you rather not receive these e-mails?"), env._("Unsubscribe"))

        def body_of(entry, body, lang):
            """The text of ``entry``'s e-mail (written in ``lang``) with its tracked links and unsubscribe link."""
            if entry.campaign_id and short_urls:
                utm_campaign = entry.campaign_id.utm_campaign_id.id
                suffix = f"/c/{entry.id}/{Log._click_token(entry.id, secret)}"

                def tracked(match):
                    href, url = match.group(1), match.group(2)
                    short = short_urls.get((utm_campaign, absolute(url)))
                    return href.replace(url, short + suffix) if short else href

                body = re.sub(URL_REGEX, tracked, body)
            page_url = Log._unsubscribe_urls(base_url, entry.id, entry.partner_id.email_normalized or "", secret)[0]
            return body + str(footers[lang] % {"url": page_url})

        def headers_of(entry):
            """The headers of ``entry``'s e-mail, as ``mail.mail.headers`` keeps them (a Python literal)."""
            one_click = Log._unsubscribe_urls(base_url, entry.id, entry.partner_id.email_normalized or "", secret)[1]
            return repr(
                {
                    "List-Unsubscribe": f"<{one_click}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Precedence": "list",
                    "X-Auto-Response-Suppress": "OOF",  # no out-of-office answers from Exchange
                }
            )

        return body_of, headers_of

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
