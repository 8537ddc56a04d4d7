import logging
import re
import threading
import time
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, clean_context, formataddr, split_every, str2bool
from odoo.tools.mail import URL_REGEX, generate_tracking_message_id

_logger = logging.getLogger(__name__)

# Delivery runs in batches, each one transaction: one call of a delivery lane, or a step of a small log delivered
# at once. E-mails are put in the mail queue per batch (and sent by the lane that queued them), letters printed
# per PDF. A batch of e-mails takes a few seconds, so that a lane's ten calls in a row (Odoo's cron runner) stay
# well within the cron worker's time limits, even when one worker runs two lanes one after the other.
EMAIL_BATCH_SIZE = 250
# When the lanes send their e-mails too: at most this many a batch (sending takes ten times as long as queueing).
EMAIL_SEND_BATCH_SIZE = 100
LETTER_BATCH_SIZE = 100
# Logs of at most this many lines are processed at once, in the request, by the same batches.
IMMEDIATE_DELIVERY_LIMIT = 200
# Times a call of a lane starts its batch again after a concurrent change of the log (a cancel, another lane):
# each try is a new transaction, which sees the change.
CONCURRENCY_TRIES = 3
# The e-mails a lane queues are its own to send for this long: Odoo's mail queue leaves them until then
# (``scheduled_date``), and sends what a lane could not (a worker killed while sending) once it is over.
SEND_LEASE = timedelta(minutes=10)
# A lane starts sending a new group of its e-mails (one SMTP session, ``mail.mail.send``) only this long after
# it queued them, so that it is done with them long before its lease is over.
SEND_DEADLINE = timedelta(minutes=3)
SEND_CHUNK_SIZE = 100
# A run of a lane (the runner's calls of its job, up to ten) ends after this many seconds. The cron worker of an
# Odoo server with workers runs every job due in one go, within ``limit_time_real_cron`` (or ``limit_time_real``)
# and ``limit_time_cpu`` (60 s by default) for all of them, both lanes included; past them it is killed.
LANE_RUN_SECONDS = 15
# The run of a lane the cron thread is in: the runner's cursor of that run, and when the run began.
_lane_run = threading.local()
# The server action every lane runs: a scheduled action of the logged segments running it is a lane.
LANE_CODE = "model._cron_deliver()"
# System parameter: "False" leaves the e-mails to Odoo's mail queue (its cron sends them), for an outgoing mail
# server that limits the rate at which it accepts e-mails, say.
SEND_PARAM = "sales_campaign.lanes_send_emails"
# The bus notification of a batch done, on the logged segment's channel: its open forms reload it.
BUS_DELIVERY = "sales_campaign.delivery"
# The context Odoo's mass mailing creates its e-mails with: no follower, tracking or log note on the contacts.
MASS_MAIL_CONTEXT = {
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "tracking_disable": True,
}


class SalesLoggedSegment(models.Model):
    """The delivery of a log: batches of e-mails put in the mail queue and sent, and of letters printed, at once
    for a small log and in the background (the delivery lanes) for a large one."""

    _name = "sales.logged.segment"
    _inherit = ["sales.logged.segment", "bus.listener.mixin"]

    last_batch_turn = fields.Integer(
        readonly=True,
        copy=False,
        help="The order of the logs' latest delivery batches: the logs in progress take turns, the one whose "
        "latest batch is the oldest first.",
    )

    # ------------------------------------------------------------------------------------------------
    # Delivery: batches of e-mails put in the mail queue and sent, and of letters printed, in the background
    # ------------------------------------------------------------------------------------------------

    def _start(self):
        """Run the rest of the log: at once for a small segment, else in the background by the delivery lanes.

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
            for lane in self._lanes():
                lane._trigger()

    @api.model
    def _lanes(self):
        """The delivery lanes: the active scheduled actions that run the delivery (``_cron_deliver``).

        A scheduled action runs on one cron worker at a time (Odoo's runner locks its row), so one lane is
        delivered by one worker; each lane takes its own batches (``FOR UPDATE SKIP LOCKED``), so that as many
        workers as lanes, on one server or several on the same database, deliver one large log together.
        Two lanes are shipped, as many as the cron threads of one Odoo server by default
        (``max_cron_threads``); a copy of a lane (Settings > Technical > Scheduled Actions) is one more.
        """
        # sudo: scheduled actions are for administrators; the lanes are only triggered
        return (
            self.env["ir.cron"]
            .sudo()
            .search([("model_id.model", "=", self._name), ("code", "=", LANE_CODE), ("active", "=", True)])
        )

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
        """A delivery lane: one batch of the logs in progress (``_deliver_next_batch``), the e-mails it queued
        sent (``_send_queued``), then the progress.

        Odoo's cron runner calls the lane again while work remains (up to ten times in a row), committing after
        each call: each batch is one transaction, so a worker killed in the middle loses nothing and sends
        nothing twice. A lane with work left asks every lane to run again at once (``ir.cron._trigger``), as the
        runner would otherwise leave them until a cron worker next polls the database, an hour later for a lane
        that found nothing to do. A batch that meets a change of its log by a user (a cancel) or by another lane
        starts again in a new transaction, which sees the change. A run of the lane ends after
        ``LANE_RUN_SECONDS``, within the cron worker's time limits.
        """
        self._lane_run_begins()
        logged, mails = self.browse(), self.env["mail.mail"]
        for attempt in range(1, CONCURRENCY_TRIES + 1):
            try:
                logged, mails = self._deliver_next_batch()
                break
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == CONCURRENCY_TRIES:
                    raise
                _logger.info("A logged segment changed during its delivery batch: the batch starts again.")
                # Nothing of this batch is kept: the next try is a new transaction, as Odoo's requests retry.
                self.env.cr.rollback()
        if mails:
            logged._send_queued(mails)
        # done: the batch of this call; remaining: the logs still in progress (each has a batch left at least)
        remaining = self.search_count([("state", "=", "in_progress")])
        lane = self.env["ir.cron"].browse(self.env.context.get("cron_id"))
        if logged and remaining and lane:
            # Every lane, not only this one: a lane that found nothing to share (the interactions of a new log
            # not written yet by the lane holding it) stopped asking to run, and has work again now.
            for each_lane in self._lanes():
                each_lane._trigger()
            if self._lane_run_is_over():
                # Nothing left for this run, as far as the runner knows: it ends the run here, and the trigger
                # above starts the next one as soon as the cron worker is back (its time limits counted anew).
                remaining = 0
        self.env["ir.cron"]._notify_progress(done=len(logged), remaining=remaining)

    def _lane_run_begins(self):
        """Note when the run of the lane this call belongs to began (the runner's calls of a job share its
        cursor), if this is its first call."""
        if getattr(_lane_run, "cr", None) is not self.env.cr:
            _lane_run.cr, _lane_run.start = self.env.cr, time.monotonic()

    def _lane_run_is_over(self):
        """Whether the run of the lane this call belongs to has lasted ``LANE_RUN_SECONDS``."""
        return getattr(_lane_run, "cr", None) is self.env.cr and time.monotonic() - _lane_run.start >= LANE_RUN_SECONDS

    @api.model
    def _deliver_next_batch(self):
        """The next batch of the logs in progress, taken in turn (``_turns``): returns the log it was of (or
        nothing, when none had a batch for this lane) and the e-mails it queued for this lane to send."""
        for logged, exclusive in self._turns():
            did, mails = logged._run_batch(exclusive)
            if did:
                return logged, mails
        return self.browse(), self.env["mail.mail"]

    @api.model
    def _turns(self):
        """The logs in progress in the order of their turns (the one whose latest batch is the oldest first),
        each with whether this lane holds it.

        The first one no other lane holds is taken for this transaction (its row is locked, ``SKIP LOCKED``)
        and takes the next turn: its lane writes its interactions, follow-up segment and end. The logs other
        lanes hold are shared: their waiting e-mails and letters are taken batch by batch by every lane, each
        batch locked for its own (``_take_waiting``). Logs take turns batch by batch, so that a small log made
        while a large one is being delivered is done after a few batches, not after the large one.
        """
        self.flush_model(["state", "last_batch_turn"])
        held = self._lock_rows(
            SQL(
                """SELECT id FROM sales_logged_segment WHERE state = 'in_progress'
                    ORDER BY last_batch_turn NULLS FIRST, id
                    LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"""
            )
        )
        held_id = held[0][0] if held else None
        if held_id:
            [(latest_turn,)] = self.env.execute_query(
                SQL("SELECT COALESCE(MAX(last_batch_turn), 0) FROM sales_logged_segment")
            )
            logged = self.browse(held_id)
            logged._write_ledger({"last_batch_turn": latest_turn + 1})
            yield logged, True
        shared = self.env.execute_query(
            SQL(
                """SELECT id FROM sales_logged_segment WHERE state = 'in_progress' AND id != %s
                    ORDER BY last_batch_turn NULLS FIRST, id""",
                held_id or 0,
            )
        )
        for [logged_id] in shared:
            yield self.browse(logged_id), False

    @api.model
    def _lock_rows(self, query):
        """The rows of ``query``, a ``FOR ... SKIP LOCKED`` of the lanes (its fields flushed by the caller).

        The cron runs in REPEATABLE READ: a row that another lane changed and committed since this transaction
        began cannot be locked, and PostgreSQL raises a serialization failure, which ``_cron_deliver`` meets by
        starting the batch again in a new transaction. It is expected, so it is not logged as a "bad query"
        (an ERROR in the server log) either.
        """
        self.env.cr.execute(query, log_exceptions=False)
        return self.env.cr.fetchall()

    def _run_batch(self, exclusive=True):
        """One batch of this log for a lane (``_next_step``), which ends the log when nothing is left and the
        lane holds it; a batch that fails stops the log, and the user who logged is told (Retry). A concurrent
        change of the log is left to the caller, whose transaction is lost.

        Returns whether it did anything, and the e-mails it queued for its lane to send.
        """
        self.ensure_one()
        logged = self._as_delivery()
        count, mails = 0, self.env["mail.mail"]
        try:
            with self.env.cr.savepoint():
                count, mails = logged._next_step(exclusive, self._send_lease())
                if exclusive and not count:
                    logged._finish()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:  # any failure of a batch stops its log, which the user retries
            _logger.exception("Logged segment %s could not be processed", self.name)
            logged._fail(error)
        did = bool(count) or exclusive
        if did:
            self._bus_notify_delivery()
        return did, mails

    @api.model
    def _send_lease(self):
        """Until when the e-mails a lane queues now are its own to send, or nothing when the lanes leave
        sending to Odoo's mail queue (system parameter ``sales_campaign.lanes_send_emails``)."""
        # sudo: a system parameter, read by the delivery
        if not str2bool(self.env["ir.config_parameter"].sudo().get_param(SEND_PARAM, "True"), True):
            return None
        return fields.Datetime.now() + SEND_LEASE

    def _bus_notify_delivery(self):
        """Tell the web clients that follow this log (its form and its segment's, open) that a batch is done:
        they reload it (``sales_campaign/static/src/delivery_follower``)."""
        self.ensure_one()
        self._bus_send(BUS_DELIVERY, {"id": self.id})

    def _process_batch(self):
        """Do the next batch of this log (``_next_step``) at once, for a small log delivered in its request:
        returns how much it did, 0 when nothing is left (the log is then done)."""
        self.ensure_one()
        count, _mails = self._next_step(exclusive=True, lease=None)
        if not count:
            self._finish()
        return count

    def _next_step(self, exclusive, lease):
        """The next step of this log: its interaction entries, its follow-up segment, a batch of e-mails, then
        a PDF of letters. A lane that shares the log with the one holding it (not ``exclusive``) only takes a
        batch of e-mails or letters.

        Returns how much it did (0: nothing left for this lane) and the e-mails it queued with ``lease`` (see
        ``_queue_emails``), for its lane to send.
        """
        mails = self.env["mail.mail"]
        if not self.entries_written:
            if not exclusive:
                return 0, mails
            count = self._insert_interactions(self.segment_id, self.send_documents, self.missing_email_as_hard_copy)
            self._write_ledger({"entries_written": True})
            return max(count, 1), mails
        if exclusive and self.create_followup and not self.followup_segment_id:
            self._write_ledger({"followup_segment_id": self._create_followup_segment().id})
            return 1, mails
        entries = self._take_waiting(
            "email", min(EMAIL_BATCH_SIZE, EMAIL_SEND_BATCH_SIZE) if lease else EMAIL_BATCH_SIZE
        )
        if entries:
            queued = self._queue_emails(entries, lease=lease)
            if lease:
                mails = queued.mail_mail_id
            return len(entries), mails
        entries = self._take_waiting("hard_copy", LETTER_BATCH_SIZE)
        if entries:
            self._print_letters(entries)
            return len(entries), mails
        return 0, mails

    def _send_queued(self, mails):
        """Send ``mails``, which this lane has just queued, with Odoo's ``mail.mail.send``: its SMTP session
        per group of e-mails, its failure states, and the delivery status of their interactions
        (``mail.mail._postprocess_sent_message``).

        The e-mails and their interactions are committed first, as they were queued: sending cannot be undone,
        so that nothing sent is ever rolled back. Then, as Odoo's mail queue does, each e-mail's state is
        committed as soon as it is sent: a worker killed while sending leaves the e-mails it had not sent yet
        in the mail queue, which sends them when their lease is over (at most the one e-mail being handed to
        the mail server at that moment could leave twice, as with Odoo's own mail queue). Odoo's mail queue
        never sends them meanwhile (their ``scheduled_date``), so that no e-mail leaves twice. A lane starts a
        new group only within ``SEND_DEADLINE``, long before its lease is over.
        """
        # Not while Odoo runs tests, as Odoo's mail queue (their transaction is the test's).
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        deadline = fields.Datetime.now() + SEND_DEADLINE
        Mail = self.env["mail.mail"].sudo()  # sudo: mail.mail is for administrators; the lane's own e-mails
        for ids in split_every(SEND_CHUNK_SIZE, mails.ids):
            if fields.Datetime.now() > deadline:
                break
            try:
                Mail.browse(ids).send(auto_commit=auto_commit)
            except Exception:  # as Odoo's mail queue: the e-mails left are sent by it when their lease is over
                _logger.exception("The delivery of logged segment %s could not send its e-mails", self.name)
                break
        # An e-mail the mail server refused waits for the user (Resend Failed E-mails), not for its lease.
        mails = Mail.browse(mails.ids)
        mails.filtered(lambda mail: mail.state == "exception").write({"scheduled_date": False})
        self._bus_notify_delivery()

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
        rows = self._lock_rows(
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

    def _queue_emails(self, entries, lease=None):
        """Put the e-mails of ``entries`` in Odoo's mail queue, as Email Marketing does: ``mail.mail`` created in
        one batch, their texts rendered per language version by Odoo's mail rendering as the user who logged.
        Odoo's mail queue sends them, unless a ``lease`` is given: the lane that queues them then sends them
        itself (``_send_queued``), Odoo's mail queue leaving them until the lease is over (``scheduled_date``).

        Every e-mail closes the loop: the links of a campaign's e-mails go through Odoo's link tracker, each
        ending with the e-mail's interaction and its signature (``/r/<code>/c/<interaction>/<signature>``),
        the text ends with an unsubscribe link, and the headers carry the one-click unsubscribe of RFC 8058
        (as Email Marketing builds them), all signed for the address the e-mail goes to.

        The messages are created first, then their e-mails, each with every value it needs: Odoo then works
        out the defaults of a message once, where creating the e-mails alone has it work them out twice (for
        the e-mail, then for the message it creates).
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
        now = fields.Datetime.now()
        versions, groups = {}, defaultdict(list)  # (text version, campaign): entries
        for entry in entries:
            key = entry.template_id, entry.lang, entry.version_id
            if key not in versions:
                versions[key] = entry._text_version()  # the template's text, or the entry's A/B version
            groups[versions[key], entry.campaign_id].append(entry.id)
        queued, message_vals, mail_vals = [], [], []
        for (version, campaign), entry_ids in groups.items():
            group = Log.browse(entry_ids)
            attachments = attachments_of.get(version.lang, self.env["ir.attachment"])
            # The mails are created with sudo: the files sent must be ones the user who logged may read.
            attachments.with_user(sender).check("read")
            attachment_commands = [Command.link(attachment.id) for attachment in attachments]
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
                message_vals.append(
                    {
                        "subject": entry.subject or entry.template_id.name,
                        "body": "",
                        "date": now,
                        "model": "res.partner",
                        "res_id": partner.id,
                        # as Odoo's composer in mass mail mode: the contact's name is not worked out per e-mail
                        "record_name": False,
                        "message_type": "email_outgoing",
                        "author_id": user.partner_id.id,
                        "email_from": email_from,
                        "reply_to": reply_to.get(partner.id) or email_from,
                        "message_id": generate_tracking_message_id(f"{partner.id}-res.partner"),
                        "attachment_ids": attachment_commands,
                    }
                )
                mail_vals.append(
                    {
                        "body_html": body + str(footer % {"url": page_url}),
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
                        "is_notification": False,
                        "state": "outgoing",
                        "scheduled_date": lease or False,
                    }
                )
                queued.append(entry.id)
        queued = Log.browse(queued)
        # sudo: mail.message and mail.mail are for administrators; these are the e-mails of this log's entries,
        # whose texts were rendered and files checked as the user who logged (as Email Marketing's composer
        # creates its mails).
        # Without the default_* keys of the context (clean_context), which would fill these models' fields, and
        # with the keys of Odoo's mass mailing: no follower, no tracking, no log note on the contacts.
        env = self.env(context=dict(clean_context(self.env.context), **MASS_MAIL_CONTEXT), su=True)
        messages = env["mail.message"].create(message_vals)
        for vals, message in zip(mail_vals, messages, strict=True):
            vals["mail_message_id"] = message.id
        mails = env["mail.mail"].create(mail_vals)
        queued._write_process({"delivery_status": "queued", "delivery_failure_reason": False})
        self._link_mails(queued, mails, [vals["message_id"] for vals in message_vals])
        return queued

    @api.model
    def _link_mails(self, entries, mails, message_ids):
        """Each of ``entries`` gets its e-mail (``mails``, in the same order), its message and its Message-Id, in
        one query on the module's own table: one ``write`` per entry cost as much as creating its e-mail."""
        Log = self.env["sales.interaction.log"]
        fnames = ["mail_mail_id", "mail_message_id", "message_id"]
        Log.flush_model(fnames)
        self.env.cr.execute(
            SQL(
                """UPDATE sales_interaction_log AS entry
                      SET mail_mail_id = link.mail_id, mail_message_id = link.mail_message_id,
                          message_id = link.message_id
                     FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[])
                          AS link(id, mail_id, mail_message_id, message_id)
                    WHERE entry.id = link.id""",
                entries.ids,
                mails.ids,
                [mail.mail_message_id.id for mail in mails],
                message_ids,
            )
        )
        entries.invalidate_recordset(fnames)

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
