import io
import re
import zipfile
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..models import sales_logged_segment_delivery
from .common import SalesSegmentCommon


class WorkerKilled(Exception):
    """Stands for a cron worker killed in the middle of a batch: its transaction is rolled back."""


@tagged("post_install", "-at_install")
class TestSegmentLogDelivery(HttpCase, SalesSegmentCommon):
    """Large logs are delivered in the background by the delivery cron, batch by batch, each batch once.

    The batch sizes and the limit of an immediate delivery are lowered so that a few contacts make a "large"
    log: 5 e-mails in batches of 2, 3 letters in PDFs of 2.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.language_ids.body_html = '<p>Dear <t t-out="object.name"/>, from <t t-out="user.name"/>.</p>'
        Partner = cls.env["res.partner"]
        company = Partner.create({"name": "Delivery Test Company", "is_company": True})
        cls.mailed = Partner.create(
            [{"name": f"Mailed {n}", "email": f"mailed{n}@delivery.example", "parent_id": company.id} for n in range(5)]
        )
        cls.printed = Partner.create(
            [{"name": f"Printed {n}", "parent_id": company.id, "correspondence_type": "hard_copy"} for n in range(3)]
        )
        cls.cron = cls.env.ref("sales_campaign.ir_cron_deliver_logged_segments")

    def setUp(self):
        super().setUp()
        # A time budget of 0: one batch per call of the cron.
        for name, value in (
            ("EMAIL_BATCH_SIZE", 2),
            ("LETTER_BATCH_SIZE", 2),
            ("IMMEDIATE_DELIVERY_LIMIT", 4),
            ("CRON_TIME_BUDGET", 0),
        ):
            patcher = patch.object(sales_logged_segment_delivery, name, value)
            patcher.start()
            self.addCleanup(patcher.stop)

    def log_large(self):
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id).with_user(self.staff)
        self.env["sales.segment.line"].with_user(self.staff).create(
            [{"segment_id": segment.id, "partner_id": partner.id} for partner in self.mailed | self.printed]
        )
        return self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)

    def run_cron(self):
        """One call of the delivery cron, as the cron worker makes it (as superuser)."""
        self.env["sales.logged.segment"].with_user(self.cron.user_id)._cron_deliver()
        self.env.invalidate_all()

    def statuses(self, logged):
        return sorted(logged.interaction_ids.mapped("delivery_status"))

    # ------------------------------------------------------------------------------------------------

    def test_a_large_log_returns_at_once_and_is_delivered_batch_by_batch(self):
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        logged = self.log_large()
        self.assertEqual(logged.state, "in_progress")
        self.assertFalse(
            logged.interaction_ids, "the request only checked, froze the segment and made the campaign entry"
        )
        self.assertEqual(logged.campaign_entry_ids.campaign_id, self.campaign)
        self.assertEqual(logged.segment_id.state, "logged")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers_before + 1
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

    def test_the_cron_works_its_time_budget_and_calls_itself_back_while_work_remains(self):
        logged = self.log_large()
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search_count([("cron_id", "=", self.cron.id)])
        self.run_cron()
        self.assertEqual(Trigger.search_count([("cron_id", "=", self.cron.id)]), triggers + 1, "called back at once")
        self.assertEqual(len(logged.interaction_ids), 8)
        with patch.object(sales_logged_segment_delivery, "CRON_TIME_BUDGET", 60):
            self.run_cron()
        self.assertEqual(logged.state, "done", "one call delivers all the batches its time allows")
        self.assertEqual((logged.email_queued_count, logged.letter_printed_count), (5, 3))
        self.assertEqual(Trigger.search_count([("cron_id", "=", self.cron.id)]), triggers + 1, "and no more call back")

    def test_a_worker_stopped_in_a_batch_delivers_nothing_twice_and_loses_nothing(self):
        logged = self.log_large()
        self.run_cron()  # the entries
        self.run_cron()  # two e-mails
        Logged = type(self.env["sales.logged.segment"])
        original = Logged._queue_emails

        def queue_then_die(self, entries):
            original(self, entries)
            raise WorkerKilled()

        with (
            patch.object(Logged, "_queue_emails", queue_then_die),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            logged.sudo()._process_batch()  # as the cron does, but the worker dies before its commit
        self.env.invalidate_all()
        self.assertEqual(logged.email_queued_count, 2, "the killed batch left nothing behind")
        for _batch in range(6):
            self.run_cron()
        entries = logged.interaction_ids.filtered(lambda entry: entry.correspondence_type == "email")
        self.assertEqual(len(entries.sudo().mail_mail_id), 5)
        self.assertEqual(
            self.env["mail.mail"].sudo().search_count([("email_to", "ilike", "@delivery.example")]), 5, "no duplicate"
        )
        self.assertEqual(logged.state, "done")

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
            mute_logger("odoo.addons.sales_campaign.models.sales_logged_segment_delivery"),
        ):
            self.run_cron()
        self.assertEqual(logged.state, "failed")
        self.assertEqual(logged.failure_reason, "the database is full")
        self.assertIn("could not be finished: the database is full", logged.message_ids[0].body)
        logged.with_user(self.staff).action_retry()
        for _batch in range(7):
            self.run_cron()
        self.assertEqual((logged.state, len(logged.interaction_ids)), ("done", 8))

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
