import contextlib
import io
import logging
import re
import threading
import time
import uuid
import zipfile
from contextlib import closing
from datetime import timedelta
from unittest.mock import MagicMock, patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, mute_logger

from odoo.addons.base.models.ir_mail_server import IrMailServer
from odoo.addons.bus.models.bus import channel_with_db, json_dump

from ..models import sales_logged_segment_delivery
from .common import SalesSegmentCommon
from .test_mail_delivery import SmtpSinkCase

DELIVERY_LOGGER = "odoo.addons.sales_campaign.models.sales_logged_segment_delivery"


class WorkerKilled(BaseException):
    """Stands for a cron worker killed in the middle of a batch: what it did since its last commit is lost.

    A ``BaseException``, as the signal that kills a worker is nothing its code catches."""


def small_batches(test):
    """Batch sizes and the limit of an immediate delivery lowered so that a few contacts make a "large" log:
    e-mails in batches of 2, letters in PDFs of 2, at most 4 lines delivered at once."""
    for name, value in (("EMAIL_BATCH_SIZE", 2), ("LETTER_BATCH_SIZE", 2), ("IMMEDIATE_DELIVERY_LIMIT", 4)):
        patcher = patch.object(sales_logged_segment_delivery, name, value)
        patcher.start()
        test.addCleanup(patcher.stop)


@tagged("post_install", "-at_install")
class TestSegmentLogDelivery(SmtpSinkCase, HttpCase, SalesSegmentCommon):
    """Large logs are delivered in the background by the delivery lanes, batch by batch, each batch once, each
    lane sending the e-mails it queued to the SMTP server of the tests (``SmtpSinkCase``).

    The batches are small here (see ``small_batches``): 5 e-mails in batches of 2, 3 letters in PDFs of 2.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.language_ids.body_html = '<p>Dear <t t-out="object.name"/>, from <t t-out="user.name"/>.</p>'
        Partner = cls.env["res.partner"]
        cls.company_partner = Partner.create({"name": "Delivery Test Company", "is_company": True})
        cls.mailed = Partner.create(
            [
                {"name": f"Mailed {n}", "email": f"mailed{n}@delivery.example", "parent_id": cls.company_partner.id}
                for n in range(5)
            ]
        )
        cls.printed = Partner.create(
            [
                {"name": f"Printed {n}", "parent_id": cls.company_partner.id, "correspondence_type": "hard_copy"}
                for n in range(3)
            ]
        )
        cls.cron = cls.env.ref("sales_campaign.ir_cron_deliver_logged_segments")
        # The text signs with user.name, beyond Odoo's safe placeholders: the staff may render it as a Mail
        # Template Editor (which Odoo 18 makes of administrators only, unless template rendering is unrestricted).
        cls.editor_group = cls.env.ref("mail.group_mail_template_editor")
        cls.staff.groups_id += cls.editor_group

    def setUp(self):
        super().setUp()
        small_batches(self)

    def log_large(self, partners=None, user=None, email_only=False, attachment=None, **values):
        """As ``user`` (the staff): a segment of ``partners`` (the 5 mailed and 3 printed contacts) with the
        template and the campaign (and ``attachment`` to send), logged with sending: a log for the background."""
        user = user or self.staff
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id, **values)
        if email_only:
            segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment = segment.with_user(user)
        if attachment:
            segment.write({"send_attachment": True})
            segment.language_ids.attachment_ids = attachment
        self.env["sales.segment.line"].with_user(user).create(
            [{"segment_id": segment.id, "partner_id": partner.id} for partner in partners or self.mailed | self.printed]
        )
        return self.env["sales.logged.segment"].with_user(user)._log_segment(segment, send=True)

    def run_cron(self):
        """One call of the delivery cron's method, as the cron worker makes it (as the cron's user)."""
        self.env["sales.logged.segment"].with_user(self.cron.user_id)._cron_deliver()
        self.env.invalidate_all()

    def run_cron_job(self):
        """One run of the delivery cron job by Odoo's cron runner (``ir.cron._process_job``, as Odoo's own
        cron tests run a job): the job's method is called again while it reports remaining work, at most ten
        times, each call in a transaction of its own (here a savepoint of the test's transaction)."""
        self.env.flush_all()
        job = {**self.cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
        with self.registry.cursor() as cron_cr:
            self.registry["ir.cron"]._process_job(self.registry.db_name, cron_cr, job)
        self.env.invalidate_all()

    def statuses(self, logged):
        return sorted(logged.interaction_ids.mapped("delivery_status"))

    def emails_of(self, partners):
        # sudo: mail.mail is for administrators
        return self.env["mail.mail"].sudo().search([("res_id", "in", partners.ids), ("model", "=", "res.partner")])

    # ------------------------------------------------------------------------------------------------

    def test_a_large_log_returns_at_once_and_is_delivered_batch_by_batch(self):
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id.code", "=", "model._cron_deliver()")])
        logged = self.log_large()
        self.assertEqual(logged.state, "in_progress")
        self.assertFalse(
            logged.interaction_ids, "the request only checked, froze the segment and made the campaign entry"
        )
        self.assertEqual(logged.campaign_entry_ids.campaign_id, self.campaign)
        self.assertEqual(logged.segment_id.state, "logged")
        lanes = self.env["ir.cron"].search([("code", "=", "model._cron_deliver()")])
        self.assertEqual(len(lanes), 2, "two lanes, as an Odoo server runs two cron threads")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "in", lanes.ids)]),
            triggers_before + 2,
            "every lane is woken up",
        )
        self.assertEqual(logged.delivery_progress, 0.0)

        progress = []
        for _batch in range(7):
            self.run_cron()
            progress.append((len(logged.interaction_ids), logged.email_queued_count, logged.letter_printed_count))
        # The entries first; then the e-mails, two at a time; then the letters, a PDF of two and one of one.
        self.assertEqual(progress, [(8, 0, 0), (8, 2, 0), (8, 4, 0), (8, 5, 0), (8, 5, 2), (8, 5, 3), (8, 5, 3)])
        self.assertEqual(logged.interaction_ids.mapped("create_uid"), self.staff, "the user who logged, not the cron")
        self.assertEqual(logged.state, "done")
        self.assertEqual(logged.delivery_progress, 100.0)
        mails = logged.interaction_ids.sudo().mail_mail_id
        self.assertEqual(len(mails), 5)
        self.assertEqual(len(set(mails.mapped("email_to"))), 5, "one e-mail per contact")
        self.assertEqual(set(mails.mapped("state")), {"sent"}, "sent by the lane that queued them")
        self.assertEqual(sorted(self.sink.by_recipient()), sorted(self.mailed.mapped("email_normalized")))
        self.assertEqual(len(self.sink.messages), 5, "each once")
        self.assertIn("from Marketing Staff", mails[0].body_html, "written by the user who logged, not by the cron")
        self.assertEqual(len(logged.letter_attachment_ids), 2)
        pages = [len(re.findall(rb"/Type\s*/Page[^s]", pdf.raw)) for pdf in logged.letter_attachment_ids.sorted("id")]
        self.assertEqual(pages, [2, 1])
        self.assertIn("(1-2)", logged.letter_attachment_ids.sorted("id")[0].name)
        # The user who logged is told, in the chatter too.
        self.assertIn(
            "is done: 8 interactions recorded, 5 e-mails in the mail queue, 3 letters printed",
            logged.message_ids[0].body,
        )

    def test_one_run_of_the_cron_job_delivers_batch_after_batch_and_reports_its_progress(self):
        """Each call of the job is one batch that reports its progress; Odoo's runner calls it again while
        work remains, and the lane asks to run again after each call that leaves work (else its worker would
        leave it until it next polls the database)."""
        logged = self.log_large()
        Trigger, Progress = self.env["ir.cron.trigger"], self.env["ir.cron.progress"]
        triggers = Trigger.search_count([("cron_id", "=", self.cron.id)])
        progress_before = Progress.search([("cron_id", "=", self.cron.id)])
        self.run_cron_job()
        self.assertEqual(logged.state, "done", "one run of the job delivers the log, batch after batch")
        self.assertEqual((logged.email_queued_count, logged.letter_printed_count), (5, 3))
        self.assertEqual(len(self.emails_of(self.mailed)), 5, "each e-mail once")
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", self.cron.id)]), triggers + 6, "after each call but the last"
        )
        calls = Progress.search([("cron_id", "=", self.cron.id)], order="id") - progress_before
        # The entries, 3 batches of e-mails, 2 PDFs of letters, the end of the log: one call each.
        self.assertEqual(len(calls), 7)
        self.assertEqual(calls.mapped("done"), [1] * 7)
        self.assertEqual(calls.mapped("remaining"), [1] * 6 + [0], "one log in progress, then none")
        self.assertEqual(self.cron.failure_count, 0)

    def test_a_run_of_a_lane_ends_after_its_time_and_the_lane_runs_again(self):
        """The cron worker of an Odoo server with workers runs every job due in one go, within its time limits
        for all of them: a lane's run ends after ``LANE_RUN_SECONDS`` (here at once: one call a run) and its
        trigger starts the next run, until the log is done, each e-mail once."""
        self.startPatcher(patch.object(sales_logged_segment_delivery, "LANE_RUN_SECONDS", 0))
        logged = self.log_large()
        Trigger, Progress = self.env["ir.cron.trigger"], self.env["ir.cron.progress"]
        progress_before = Progress.search([("cron_id", "=", self.cron.id)])
        triggers = Trigger.search_count([("cron_id", "=", self.cron.id)])
        other_triggers = Trigger.search_count([("cron_id.code", "=", "model._cron_deliver()")]) - triggers
        self.run_cron_job()
        calls = Progress.search([("cron_id", "=", self.cron.id)], order="id") - progress_before
        self.assertEqual(len(calls), 1, "the run ended after its first call")
        self.assertEqual((calls.done, calls.remaining), (1, 0), "the runner is told the run is over")
        self.assertEqual(Trigger.search_count([("cron_id", "=", self.cron.id)]), triggers + 1, "the next run")
        other_lane = self.env["ir.cron"].search([("code", "=", "model._cron_deliver()"), ("id", "!=", self.cron.id)])
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", other_lane.id)]),
            other_triggers + 1,
            "the other lane, which had nothing to share while the interactions were not written, runs again too",
        )
        self.assertEqual((logged.state, len(logged.interaction_ids), logged.email_queued_count), ("in_progress", 8, 0))
        for _run in range(6):
            self.run_cron_job()
        self.assertEqual(logged.state, "done")
        self.assertEqual((logged.email_queued_count, logged.letter_printed_count), (5, 3))
        self.assertEqual(len(self.emails_of(self.mailed)), 5, "each e-mail once")
        self.assertEqual(self.cron.failure_count, 0)

    def test_a_small_log_is_done_while_a_large_one_is_in_progress(self):
        """Logs in progress take turns batch by batch: a log made while a large one is being delivered is done
        within the next run of the job, the large one going on after it, and nothing is delivered twice."""
        Partner = self.env["res.partner"]
        crowd = Partner.create([{"name": f"Visitor {n}", "email": f"visitor{n}@crowd.example"} for n in range(41)])
        large = self.log_large(crowd, email_only=True)
        self.run_cron_job()  # ten calls: the entries and 9 batches of 2 e-mails
        self.assertEqual((large.state, large.email_queued_count), ("in_progress", 18))

        small = self.log_large(self.mailed, email_only=True)
        self.assertEqual(small.state, "in_progress", "five lines: a log for the background")
        self.run_cron_job()  # ten calls, in turn: the small log's five steps and five of the large one's
        self.assertEqual((small.state, small.email_queued_count), ("done", 5))
        self.assertEqual((large.state, large.email_queued_count), ("in_progress", 28))
        self.assertEqual(len(self.emails_of(self.mailed)), 5)
        self.assertEqual(len(self.emails_of(crowd)), 28, "each e-mail once")

        for _run in range(3):
            self.run_cron_job()
        self.assertEqual((large.state, large.email_queued_count), ("done", 41))
        self.assertEqual(len(self.emails_of(crowd)), 41)

    def test_a_worker_stopped_in_a_batch_delivers_nothing_twice_and_loses_nothing(self):
        logged = self.log_large()
        self.run_cron()  # the entries
        self.run_cron()  # two e-mails
        Logged = type(self.env["sales.logged.segment"])
        original = Logged._queue_emails

        def queue_then_die(self, entries, **kwargs):
            original(self, entries, **kwargs)
            raise WorkerKilled()

        with (
            patch.object(Logged, "_queue_emails", queue_then_die),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            logged._as_delivery()._process_batch()  # as the cron does, but the worker dies before its commit
        self.env.invalidate_all()
        self.assertEqual(logged.email_queued_count, 2, "the killed batch left nothing behind")
        for _batch in range(6):
            self.run_cron()
        entries = logged.interaction_ids.filtered(lambda entry: entry.correspondence_type == "email")
        self.assertEqual(len(entries.sudo().mail_mail_id), 5)
        self.assertEqual(len(self.emails_of(self.mailed)), 5, "no duplicate")
        self.assertEqual(logged.state, "done")

    def test_a_lane_sends_what_it_queued_and_the_mail_queue_leaves_it_alone(self):
        """The e-mails of a batch leave from the lane that queued them, each once; meanwhile Odoo's mail queue
        leaves them alone (their lease), and it finds nothing to send again afterwards."""
        logged = self.log_large(self.mailed, email_only=True)
        self.run_cron()  # the entries
        Mail = type(self.env["mail.mail"])
        with patch.object(Mail, "send", autospec=True, side_effect=Mail.send) as send:
            self.run_cron()  # two e-mails, queued and sent
        entries = logged.interaction_ids.sorted("id")
        mails = entries.sudo().mail_mail_id
        self.assertEqual(len(mails), 2)
        self.assertEqual(send.call_count, 1, "one call of Odoo's sending, one SMTP session, for the batch")
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self.assertEqual(entries.filtered("mail_mail_id").mapped("delivery_status"), ["sent", "sent"])
        self.assertEqual(len(self.sink.messages), 2)
        self.assertTrue(all(date > fields.Datetime.now() for date in mails.mapped("scheduled_date")), "the lease")

        self.env["mail.mail"].process_email_queue()
        self.assertEqual(len(self.sink.messages), 2, "the mail queue sends none of them again")

    def test_a_worker_killed_while_sending_loses_nothing_and_sends_nothing_twice(self):
        """A lane's worker dies between two groups of its e-mails: those sent stay sent (their state was
        committed with each), the others wait for their lease to end, Odoo's mail queue leaving them alone until
        then, and then sends them, each once."""
        self.startPatcher(patch.object(sales_logged_segment_delivery, "SEND_CHUNK_SIZE", 1))
        logged = self.log_large(self.mailed, email_only=True)
        self.run_cron()  # the entries
        Mail = type(self.env["mail.mail"])
        original = Mail.send
        groups = []

        def send_then_die(mails, *args, **kwargs):
            groups.append(mails.ids)
            if len(groups) == 2:
                raise WorkerKilled()
            return original(mails, *args, **kwargs)

        # Not Odoo's assertRaises, which rolls back what was done: here the e-mails queued were committed, and
        # each e-mail sent with its state (the lane commits them, the test's transaction stands for it).
        with patch.object(Mail, "send", send_then_die), contextlib.suppress(WorkerKilled):
            self.run_cron()  # two e-mails queued (committed), the first sent, then the worker dies
        self.assertEqual(len(groups), 2, "the worker died as it was sending the second e-mail")
        self.env.invalidate_all()
        mails = logged.interaction_ids.sudo().mail_mail_id.sorted("id")
        self.assertEqual(mails.mapped("state"), ["sent", "outgoing"])
        self.assertEqual(len(self.sink.messages), 1)

        self.env["mail.mail"].process_email_queue()
        self.assertEqual(len(self.sink.messages), 1, "Odoo's mail queue leaves it to the lane while its lease runs")
        with freeze_time(fields.Datetime.now() + sales_logged_segment_delivery.SEND_LEASE + timedelta(minutes=1)):
            self.env["mail.mail"].process_email_queue()
        self.env.invalidate_all()
        self.assertEqual(mails.mapped("state"), ["sent", "sent"])
        received = self.sink.by_recipient()
        self.assertEqual(len(self.sink.messages), 2)
        self.assertEqual([len(messages) for messages in received.values()], [1, 1], "each once")
        for _batch in range(3):
            self.run_cron()
        self.assertEqual((logged.state, len(self.sink.messages)), ("done", 5))

    def test_each_batch_is_told_to_the_forms_that_follow_the_log(self):
        """Each batch of a log in the background sends a bus notification on the log's own channel, which its
        form (and its segment's) follow while open (``sales_delivery_follower``), and the end of the log too."""
        logged = self.log_large(self.mailed, email_only=True)
        channel = json_dump(channel_with_db(self.env.cr.dbname, logged))
        Bus = self.env["bus.bus"].sudo()
        for _batch in range(5):  # the entries, three batches of e-mails, the end
            self.run_cron()
        self.env.cr.flush()  # the notifications are recorded with the transaction, as at its commit
        notifications = Bus.search([("channel", "=", channel)])
        self.assertEqual(logged.state, "done")
        self.assertGreaterEqual(len(notifications), 5, "a notification per batch, and after sending")
        self.assertIn('"type":"sales_campaign.delivery"', notifications[-1].message)

    def test_a_cancelled_log_sends_nothing_more_until_restored(self):
        logged = self.log_large()
        self.run_cron()
        self.run_cron()
        logged.action_cancel()
        self.run_cron()
        self.assertEqual(logged.state, "done")
        self.assertEqual((logged.email_queued_count, logged.email_count), (2, 2), "the rest is not sent")
        logged.action_restore()
        self.assertEqual(logged.state, "in_progress")
        for _batch in range(6):
            self.run_cron()
        self.assertEqual((logged.email_queued_count, logged.letter_printed_count), (5, 3))

    def test_small_logs_are_delivered_by_the_same_batches_at_once(self):
        segment = self.new_segment(template_id=self.template.id).with_user(self.staff)
        self.env["sales.segment.line"].with_user(self.staff).create(
            [{"segment_id": segment.id, "partner_id": partner.id} for partner in self.mailed[:3]]
        )
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        self.assertEqual(logged.state, "done")
        self.assertEqual(self.statuses(logged), ["queued"] * 3)

    def test_cancelled_before_its_entries_are_written_they_are_written_cancelled(self):
        logged = self.log_large()
        logged.action_cancel()
        for _batch in range(3):
            self.run_cron()
        self.assertEqual(logged.state, "done")
        self.assertEqual(len(logged.interaction_ids), 8)
        self.assertTrue(all(logged.interaction_ids.mapped("cancelled")), "and nothing is sent")
        self.assertFalse(logged.interaction_ids.sudo().mail_mail_id)

    def test_a_failing_batch_stops_its_log_and_tells_the_user_who_retries(self):
        logged = self.log_large()
        Logged = type(self.env["sales.logged.segment"])
        with (
            patch.object(Logged, "_insert_interactions", side_effect=UserError("the database is full")),
            mute_logger(DELIVERY_LOGGER),
        ):
            self.run_cron()
        self.assertEqual(logged.state, "failed")
        self.assertEqual(logged.failure_reason, "the database is full")
        self.assertIn("could not be finished: the database is full", logged.message_ids[0].body)
        logged.with_user(self.staff).action_retry()
        for _batch in range(7):
            self.run_cron()
        self.assertEqual((logged.state, len(logged.interaction_ids)), ("done", 8))

    def test_an_entry_of_another_company_attached_to_the_log_is_never_delivered(self):
        """Defence in depth: the delivery takes only the log's company's entries, whatever is attached to it."""
        logged = self.log_large(self.mailed, email_only=True)
        self.run_cron()  # the entries
        nordic = self.env["res.partner"].create(
            {"name": "Nordic Contact", "email": "nordic@subsidiary.example", "company_id": self.company_2.id}
        )
        foreign = self.env["sales.interaction.log"]._create_process(
            [{"partner_id": nordic.id, "template_id": self.template.id, "company_id": self.company_2.id}]
        )
        # As a hole in a client's write would have attached it: the process's own write, here by the test.
        foreign.sudo()._write_process(
            {"logged_segment_id": logged.id, "delivery_status": "pending", "correspondence_type": "email"}
        )
        for _batch in range(5):
            self.run_cron()
        self.assertEqual(logged.state, "done", "the foreign entry does not keep the log waiting either")
        self.assertEqual(len(self.emails_of(self.mailed)), 5)
        self.assertFalse(self.emails_of(nordic), "no e-mail for the other company's contact")
        self.assertEqual((foreign.sudo().delivery_status, foreign.sudo().mail_mail_id.id), ("pending", False))

    def test_the_files_sent_are_checked_as_the_user_who_logged(self):
        """The e-mails are made with sudo: their files must still be ones the user who logged may read, when
        they are sent (a file that became another company's since the log is not e-mailed out)."""
        brochure = self.env["ir.attachment"].with_user(self.staff).create({"name": "brochure.pdf", "raw": b"%PDF"})
        logged = self.log_large(self.mailed, email_only=True, attachment=brochure)
        self.assertEqual(logged.attachment_ids, brochure)
        nordic = self.env["res.partner"].create({"name": "Nordic Contact", "company_id": self.company_2.id})
        brochure.sudo().write({"res_model": "res.partner", "res_id": nordic.id})
        with mute_logger(DELIVERY_LOGGER):
            for _batch in range(2):
                self.run_cron()
        self.assertEqual(logged.state, "failed")
        self.assertFalse(self.emails_of(self.mailed), "no e-mail leaves with a file the user may not read")

    def test_the_background_speaks_the_language_of_the_user_who_logged(self):
        """The notification, the chatter and the files of a log delivered in the background are in the
        language of the user who logged, as what the request does is."""
        self.env["res.lang"]._activate_lang("fr_FR")
        julien = new_test_user(
            self.env,
            login="sc_staff_fr",
            name="Julien Favre",
            lang="fr_FR",
            groups="sales_campaign.group_sales_campaign_user,sales_team.group_sale_salesman,"
            "mail.group_mail_template_editor",
        )
        logged = self.log_large(user=julien)
        self.run_cron_job()
        self.assertEqual(logged.state, "done")
        # (The cron's run tracks the state too: its message has no text.)
        done = logged.message_ids.filtered("body")[:1]
        self.assertIn(f"Le segment consigné {logged.name} est terminé", done.body)
        self.assertEqual(
            logged.letter_attachment_ids.sorted("id").mapped("name"),
            [f"Lettres {logged.name} (1-2).pdf", f"Lettres {logged.name} (3-3).pdf"],
        )

    def test_addresses_in_a_contacts_data_are_never_tracked(self):
        """Only the addresses written in the template's text are tracked: a contact who names himself after a
        web address (a portal user may rename himself) gets no link tracker, nor a redirection to it."""
        self.template.language_ids.body_html = (
            '<p>Dear <t t-out="object.name"/>, see <a href="https://www.example.com/chair">our chair</a> '
            "or visit https://www.example.com/showroom.</p>"
        )
        Partner = self.env["res.partner"]
        eve = Partner.create({"name": "Eve https://evil.example/phish", "email": "eve@evil.example"})
        mallory = Partner.create({"name": "Mallory https://evil.example/phish", "correspondence_type": "hard_copy"})
        logged = self.log_large(eve | mallory)
        self.assertEqual(logged.state, "done", "a small log, delivered at once")
        Tracker = self.env["link.tracker"]
        self.assertFalse(Tracker.search([("url", "ilike", "evil.example")]), "no tracker for a contact's data")
        email, letter = self.env.ref("utm.utm_medium_email"), self.env.ref("sales_campaign.utm_medium_letter")
        chair = Tracker.search([("url", "=", "https://www.example.com/chair"), ("medium_id", "=", email.id)])
        showroom = Tracker.search([("url", "=", "https://www.example.com/showroom")])
        self.assertEqual((len(chair), showroom.medium_id), (1, letter), "e-mails track links, letters text too")

        entries = {entry.partner_id: entry for entry in logged.interaction_ids}
        body = entries[eve].sudo().mail_mail_id.body_html
        self.assertIn("Dear Eve https://evil.example/phish, see", body, "the e-mail keeps the text, untracked")
        self.assertIn(f'href="{chair.short_url}/c/{entries[eve].id}/', body, "the template's link is tracked")
        self.assertNotIn("https://www.example.com/chair", body)
        letter = (
            self.env["report.sales_campaign.report_interaction_letter"]
            .with_user(self.staff)
            ._get_report_values(entries[mallory].ids)["bodies"][entries[mallory].id]
        )
        self.assertIn("Dear Mallory https://evil.example/phish, see", letter, "the letter prints it, untracked")
        self.assertIn(f"or visit {showroom.short_url}.</p>", letter, "the template's printed address is tracked")

    def test_texts_render_as_the_user_who_logged_with_odoos_restrictions(self):
        """The texts are rendered as the user who logged, whoever runs the batch, with Odoo's restricted
        rendering for users who are not Mail Template Editors, checked when logging and again when rendering."""
        logged = self.log_large(self.mailed, email_only=True)
        # The staff may no longer render expressions (no longer a Mail Template Editor) when the cron renders.
        self.staff.groups_id -= self.editor_group
        self.assertFalse(self.staff.has_group("mail.group_mail_template_editor"))
        with mute_logger(DELIVERY_LOGGER):
            for _batch in range(2):
                self.run_cron()
        self.assertEqual(logged.state, "failed", "the cron does not render it on the staff's behalf")
        self.assertIn("Mail Template Editor", logged.failure_reason)
        self.assertFalse(self.emails_of(self.mailed))
        # Logging such a text is refused at once, before anything is recorded.
        with self.assertRaisesRegex(AccessError, "Only members of the Mail Template Editor group"):
            self.log_large(self.mailed, email_only=True, description="Refused")
        self.assertFalse(self.env["sales.segment"].search([("description", "=", "Refused"), ("state", "!=", "draft")]))
        # The right given back, Retry delivers it, signed by the staff (the cron's user is not the writer).
        self.staff.groups_id += self.editor_group
        logged.with_user(self.staff).action_retry()
        for _batch in range(4):
            self.run_cron()
        self.assertEqual(logged.state, "done")
        self.assertIn("from Marketing Staff", self.emails_of(self.mailed)[0].body_html)

    def test_a_text_needing_qweb_is_compiled_once_for_all_contacts(self):
        """A text with expressions beyond the safe placeholders renders, for a Mail Template Editor, all the
        contacts in one QWeb rendering (one compilation, not one per contact), each contact's part as a
        rendering of its own gives it."""
        self.template.language_ids.body_html = (
            '<p>Dear <t t-out="object.name"/>,</p><p t-if="object.email">We write to <t t-out="object.email"/>.</p>'
            '<p>Kind regards, <t t-out="user.name"/> (<t t-out="format_date(object.create_date)"/>)</p>'
        )
        version = self.template.language_ids.with_user(self.staff)
        contacts = self.mailed | self.printed
        IrQweb = type(self.env["ir.qweb"])
        with patch.object(IrQweb, "_generate_code", side_effect=IrQweb._generate_code, autospec=True) as compile_:
            together = version._render_bodies(contacts)
        # Two checks of the text's expressions (which way to render, then Odoo's own) and one compilation,
        # where rendering each contact apart compiles the text once per contact.
        self.assertEqual(compile_.call_count, 3)
        self.assertEqual(set(together), set(contacts.ids))
        for contact in contacts:
            alone = version._render_bodies(contact)[contact.id]
            self.assertEqual(together[contact.id], alone, contact.name)
            self.assertIn(f"Dear {contact.name},", alone)
            self.assertIn("Kind regards, Marketing Staff", alone)
            self.assertEqual(f"We write to {contact.email}." in alone, bool(contact.email))

    def test_the_letters_download_as_one_zip(self):
        logged = self.log_large()
        for _batch in range(7):
            self.run_cron()
        action = logged.with_user(self.staff).action_download_letters()
        self.assertEqual(action["url"], f"/sales_campaign/letters/{logged.id}")
        self.authenticate(self.staff.login, self.staff.login)
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = archive.namelist()
            self.assertEqual(len(names), 2)
            self.assertTrue(all(archive.read(name).startswith(b"%PDF") for name in names))
        self.authenticate(self.staff_2.login, self.staff_2.login)
        self.assertNotEqual(self.url_open(action["url"]).status_code, 200, "not for another company")


@tagged("post_install", "-at_install")
class TestSegmentLogDeliveryConcurrency(BaseCase):
    """A user cancels a large log while the delivery cron works on it, each on a connection of its own (D11).

    A plain BaseCase: the data must be committed for the other connection to see it. It cleans up what it
    committed. The log has 5 e-mails, delivered in batches of 2 (``small_batches``).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own test runner runs the tests holding the registry lock, which the user's request in its
        # thread would wait for (see test_segment_step_concurrency).
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))

    def setUp(self):
        super().setUp()
        small_batches(self)
        self.db = sql_db.db_connect(get_db_name())
        with closing(self.db.cursor()) as cr:
            env = api.Environment(
                cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True, "no_reset_password": True}
            )
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger")
            self.last_trigger = cr.fetchone()[0]
            user = env["res.users"].create(
                {
                    "name": "Concurrent Marketing Staff",
                    "login": f"sc_delivery_concurrent_{uuid.uuid4().hex[:8]}",
                    "email": "concurrent.staff@ourcompany.example",
                    "groups_id": [
                        (6, 0, (env.ref("sales_campaign.group_sales_campaign_user") | env.ref("base.group_user")).ids)
                    ],
                }
            )
            partners = env["res.partner"].create(
                [{"name": f"Cancelled Visitor {n}", "email": f"visitor{n}@cancelled.example"} for n in range(5)]
            )
            template = env.ref("sales_campaign.sales_interaction_template_business_letter")
            segment = (
                env["sales.segment"]
                .with_user(user)
                .create(
                    {
                        "description": "Cancelled while delivered",
                        "template_id": template.id,
                        "correspondence_type": "email",
                        "ignore_contact_correspondence_type": True,
                    }
                )
            )
            segment._run_step("add", {"partner_ids": partners.ids})
            logged = env["sales.logged.segment"].with_user(user)._log_segment(segment, send=True)
            self.assertEqual(logged.state, "in_progress")
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit
            self.user_id, self.partner_ids = user.id, partners.ids
            self.segment_id, self.logged_id = segment.id, logged.id
        self.addCleanup(self.cleanup)

    def cleanup(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(
                SQL(
                    """DELETE FROM mail_message WHERE (model = 'res.partner' AND res_id IN %s)
                           OR (model = 'sales.logged.segment' AND res_id = %s)""",
                    tuple(self.partner_ids),
                    self.logged_id,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM mail_followers WHERE res_model = 'sales.logged.segment' AND res_id = %s",
                    self.logged_id,
                )
            )
            cr.execute(SQL("DELETE FROM sales_interaction_log WHERE logged_segment_id = %s", self.logged_id))
            cr.execute(SQL("DELETE FROM sales_logged_segment WHERE id = %s", self.logged_id))
            cr.execute(SQL("DELETE FROM sales_segment WHERE id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM res_partner WHERE id IN %s", tuple(self.partner_ids)))
            cr.execute(SQL("DELETE FROM res_users WHERE id = %s", self.user_id))
            cr.execute(SQL("DELETE FROM ir_cron_trigger WHERE id > %s", self.last_trigger))
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit

    def cron(self, cr):
        """One call of the delivery cron's method, as the cron worker makes it."""
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["sales.logged.segment"]._cron_deliver()

    def cancel(self, cr):
        """The user cancels the log, as the web client's request does (retried on serialization failures)."""
        env = api.Environment(cr, self.user_id, {})
        with mute_logger("odoo.service.model", "odoo.sql_db"):
            return retrying(lambda: env["sales.logged.segment"].browse(self.logged_id).action_cancel(), env)

    def state(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(SQL("SELECT state, cancelled FROM sales_logged_segment WHERE id = %s", self.logged_id))
            state = cr.fetchone()
            cr.execute(
                SQL(
                    """SELECT count(*) FILTER (WHERE mail_mail_id IS NOT NULL), count(*) FILTER (WHERE cancelled)
                         FROM sales_interaction_log WHERE logged_segment_id = %s""",
                    self.logged_id,
                )
            )
            return state, cr.fetchone()

    # ------------------------------------------------------------------------------------------------

    def test_a_cancel_committed_after_the_batch_began_is_seen_by_the_batch_tried_again(self):
        """The issue's race: the batch's snapshot predates the cancel's commit. Its write of the log fails with
        a serialization error; the batch starts again in a new transaction, which sees the cancel: the log
        ends cancelled, nothing more is sent, and the cron's call does not fail."""
        with closing(self.db.cursor()) as cron_cr, closing(self.db.cursor()) as user_cr:
            self.cron(cron_cr)  # the entries
            cron_cr.commit()  # pylint: disable=invalid-commit
            cron_cr.execute("SELECT 1")  # the next batch's transaction: its snapshot is taken now
            self.cancel(user_cr)
            with self.assertLogs(DELIVERY_LOGGER, logging.INFO) as logs, mute_logger("odoo.sql_db"):
                self.cron(cron_cr)
            cron_cr.commit()  # pylint: disable=invalid-commit
        self.assertIn("the batch starts again", logs.output[0])
        self.assertEqual(self.state(), (("done", True), (0, 5)))

    def test_a_lane_whose_transaction_predates_another_lanes_turn_starts_again_without_an_error(self):
        """Two lanes: the second one's transaction began before the first took its turn on the log and
        committed. Its lock of the log fails with a serialization failure (REPEATABLE READ, as the cron runs):
        its batch starts again in a new transaction and goes on with the log, and the server log shows no
        error (Odoo's "bad query")."""
        with closing(self.db.cursor()) as lane_a, closing(self.db.cursor()) as lane_b:
            lane_b.execute("SELECT 1")  # the second lane's transaction: its snapshot is taken now
            self.cron(lane_a)  # the entries, the first lane's turn on the log
            lane_a.commit()  # pylint: disable=invalid-commit
            with (
                self.assertLogs(DELIVERY_LOGGER, logging.INFO) as logs,
                self.assertNoLogs("odoo.sql_db", logging.ERROR),
            ):
                self.cron(lane_b)
            lane_b.commit()  # pylint: disable=invalid-commit
        self.assertIn("the batch starts again", logs.output[0])
        self.assertEqual(self.state(), (("in_progress", False), (2, 0)), "the second lane's batch: two e-mails")

    def test_a_cancel_during_a_batch_waits_for_it_and_the_log_ends_cancelled(self):
        """The user's cancel waits for the batch at work, then is retried and done; the next call of the cron
        ends the log, cancelled, without sending the rest."""
        with closing(self.db.cursor()) as cron_cr, closing(self.db.cursor()) as user_cr:
            self.cron(cron_cr)  # the entries
            cron_cr.commit()  # pylint: disable=invalid-commit
            self.cron(cron_cr)  # two e-mails, not committed yet: the batch is at work
            outcome = {}

            def run():
                try:
                    outcome["result"] = self.cancel(user_cr)
                except Exception as error:  # noqa: BLE001 - reported to the test's thread
                    outcome["error"] = error

            thread = threading.Thread(target=run)
            thread.start()
            self.assert_waits(user_cr, thread)
            cron_cr.commit()  # pylint: disable=invalid-commit
            thread.join(30)
            self.assertFalse(thread.is_alive())
            self.assertNotIn("error", outcome)
            self.cron(cron_cr)
            cron_cr.commit()  # pylint: disable=invalid-commit
        self.assertEqual(self.state(), (("done", True), (2, 5)), "two e-mails left before the cancel, no more")

    def test_two_lanes_on_one_log_deliver_each_email_once(self):
        """Two cron workers run two lanes on the same log, each in its own transaction: the one holding the log
        writes its interactions and ends it, both take batches of its e-mails, never the same, and send them:
        every e-mail is queued once and handed to the mail server once."""
        handed = []  # the Message-Ids handed to the mail server, whichever lane sends
        taken = []  # the interactions of each batch of e-mails, whichever lane takes it
        Logged = Registry(get_db_name())["sales.logged.segment"]
        queue_emails = Logged._queue_emails

        def send_email(server, message, *args, **kwargs):
            handed.append(message["Message-Id"])
            return message["Message-Id"]

        def take(logged, entries, **kwargs):
            taken.append((logged.env.cr, entries.ids))
            return queue_emails(logged, entries, **kwargs)

        with (
            patch.object(IrMailServer, "connect", autospec=True, return_value=MagicMock()),
            patch.object(IrMailServer, "send_email", autospec=True, side_effect=send_email),
            patch.object(Logged, "_queue_emails", take),
            closing(self.db.cursor()) as lane_a,
            closing(self.db.cursor()) as lane_b,
        ):
            self.cron(lane_a)  # lane A holds the log: its interactions
            lane_a.commit()  # pylint: disable=invalid-commit
            self.cron(lane_a)  # two e-mails, A's transaction still open: the log and its batch are A's
            self.cron(lane_b)  # lane B shares the log: two other e-mails
            lane_b.commit()  # pylint: disable=invalid-commit
            lane_a.commit()  # pylint: disable=invalid-commit
            self.cron(lane_b)  # B holds the log now: the last e-mail
            self.cron(lane_a)  # A shares it: nothing is left for A
            lane_a.commit()  # pylint: disable=invalid-commit
            lane_b.commit()  # pylint: disable=invalid-commit
            self.cron(lane_a)  # the end of the log
            lane_a.commit()  # pylint: disable=invalid-commit
        self.assertEqual(self.state(), (("done", False), (5, 0)))
        with closing(self.db.cursor()) as cr:
            cr.execute(
                SQL(
                    """SELECT count(DISTINCT entry.mail_mail_id), count(*) FILTER (WHERE mail.state = 'sent'),
                              count(*) FILTER (WHERE entry.delivery_status = 'sent'),
                              array_agg(message.message_id)
                         FROM sales_interaction_log AS entry
                         JOIN mail_mail AS mail ON mail.id = entry.mail_mail_id
                         JOIN mail_message AS message ON message.id = mail.mail_message_id
                        WHERE entry.logged_segment_id = %s""",
                    self.logged_id,
                )
            )
            mails, sent, entries_sent, message_ids = cr.fetchone()
        self.assertEqual([(cr, len(ids)) for cr, ids in taken], [(lane_a, 2), (lane_b, 2), (lane_b, 1)])
        self.assertEqual(len({entry_id for _cr, ids in taken for entry_id in ids}), 5, "never the same e-mail")
        self.assertEqual((mails, sent, entries_sent), (5, 5, 5))
        self.assertEqual(sorted(handed), sorted(message_ids), "each e-mail handed to the mail server once")

    def assert_waits(self, cr, thread):
        """The connection of ``cr`` waits for a lock, while its request is not finished."""
        pid = cr._cnx.get_backend_pid()
        deadline = time.monotonic() + 20
        with closing(self.db.cursor()) as observer:
            while time.monotonic() < deadline:
                observer.execute(SQL("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid))
                row = observer.fetchone()
                if row and row[0] == "Lock":
                    return
                self.assertTrue(thread.is_alive(), "the cancel ran without waiting for the batch")
                observer.rollback()
                time.sleep(0.05)
        self.fail("the cancel never waited for the batch")
