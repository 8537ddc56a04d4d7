from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models import sales_logged_segment_delivery
from .features_common import SalesFeaturesCommon

LOG_DAY = "2031-03-03 10:00:00"
DELIVERY = datetime(2031, 3, 5, 8, 0)


@tagged("post_install", "-at_install")
class TestSegmentLogSchedule(HttpCase, SalesFeaturesCommon, MockEmail):
    """Deliver Later: the log takes a date and time; until then its interactions wait, dated then, and the log
    can be cancelled with nothing sent; the log cron, as the cron worker runs it, delivers them at that time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff.tz = "Europe/Amsterdam"
        cls.visitors = cls.customer_buyer | cls.customer_it | cls.prospect_buyer  # two e-mails and a letter

    def log_later(self, segment, when=DELIVERY):
        with freeze_time(LOG_DAY):
            return self.log(segment, deliver_later=True, scheduled_date=when)

    def test_a_scheduled_log_sends_nothing_before_its_time_and_everything_after_it(self):
        segment = self.staff_segment(self.visitors)
        with freeze_time(LOG_DAY):
            form = self.log_form(segment)
            form.deliver_later = True
            # By default tomorrow at 8 in the user's time zone: 8:00 in Amsterdam is 7:00 UTC in March.
            self.assertEqual(form.scheduled_date, datetime(2031, 3, 4, 7, 0))
            form.scheduled_date = DELIVERY
            self.assertIn("Nothing is sent before", form.summary)
            action = form.save().action_log()
        self.assertIn("wait until", action["params"]["message"])
        logged = self.env["sales.logged.segment"].with_user(self.staff).browse(action["params"]["next"]["res_id"])
        self.assertEqual((logged.state, logged.scheduled_date), ("scheduled", DELIVERY))
        entries = logged.interaction_ids
        self.assertEqual(len(entries), 3)
        self.assertEqual(set(entries.mapped("date")), {DELIVERY}, "the date a log is scheduled for is theirs")
        self.assertEqual(set(entries.mapped("delivery_status")), {"pending"}, "they wait")
        self.assertFalse(self.mails_of(entries))
        self.assertFalse(logged.letter_attachment_ids)
        self.assertIn(DELIVERY, self.triggers_at(), "the log cron is triggered for the date")

        with freeze_time("2031-03-05 07:59:00"):
            self.run_cron_job()
        self.assertEqual(logged.state, "scheduled")
        self.assertEqual(set(entries.mapped("delivery_status")), {"pending"}, "nothing before its time")
        self.assertFalse(self.mails_of(entries))

        with freeze_time("2031-03-05 08:00:30"), self.mock_mail_gateway():
            self.run_cron_job()  # the lane sends what it queued (through Odoo's mail gateway, mocked)
        self.assertEqual(logged.state, "done")
        emails = entries.filtered(lambda entry: entry.correspondence_type == "email")
        self.assertEqual(set(emails.mapped("delivery_status")), {"sent"}, "everything after it, sent by the lane")
        self.assertEqual(len(self.mails_of(emails)), 2)
        letter = entries - emails
        self.assertEqual(letter.delivery_status, "sent")
        self.assertEqual(len(logged.letter_attachment_ids), 1)
        self.assertIn("is done", "".join(logged.message_ids.mapped("body")), "the user who logged is told")

    def test_a_scheduled_log_cancelled_sends_nothing_and_restored_after_its_date_sends_at_once(self):
        logged = self.log_later(self.staff_segment(self.visitors))
        self.assertEqual(logged.state, "scheduled")
        logged.action_cancel()
        with freeze_time("2031-03-05 09:00:00"):
            self.run_cron_job()
        entries = logged.interaction_ids
        self.assertFalse(self.mails_of(entries), "cancelled: nothing sent")
        self.assertFalse(logged.letter_attachment_ids)
        self.assertEqual(set(entries.mapped("delivery_status")), {"pending"})
        self.assertTrue(all(entries.mapped("cancelled")))
        with freeze_time("2031-03-05 09:00:00"):
            logged.action_restore()
        self.assertEqual(logged.state, "done", "its date passed: delivered at once")
        self.assertEqual(len(self.mails_of(entries)), 2)

    def test_a_log_restored_before_its_date_waits_again(self):
        logged = self.log_later(self.staff_segment(self.visitors))
        logged.action_cancel()
        with freeze_time(LOG_DAY):
            logged.action_restore()
        self.assertEqual(logged.state, "scheduled")
        self.assertFalse(self.mails_of(logged.interaction_ids))

    def test_a_date_that_passed_or_a_log_that_sends_nothing_is_refused(self):
        segment = self.staff_segment(self.visitors)
        with freeze_time(LOG_DAY):
            form = self.log_form(segment)
            form.deliver_later = True
            form.scheduled_date = datetime(2031, 3, 3, 9, 0)
            with self.assertRaisesRegex(UserError, "The date to deliver on has passed"):
                form.save().action_log()
            with self.assertRaisesRegex(UserError, "it cannot wait for a date"):
                self.env["sales.logged.segment"].with_user(self.staff)._log_segment(
                    segment, send=False, scheduled_date=DELIVERY
                )
        self.assertEqual(segment.state, "draft", "nothing done")
        self.assertFalse(segment.logged_segment_id)

    def test_a_large_scheduled_log_is_written_at_once_and_delivered_batch_by_batch_at_its_date(self):
        for name, value in (("EMAIL_BATCH_SIZE", 2), ("LETTER_BATCH_SIZE", 2), ("IMMEDIATE_DELIVERY_LIMIT", 4)):
            patcher = patch.object(sales_logged_segment_delivery, name, value)
            patcher.start()
            self.addCleanup(patcher.stop)
        visitors = self.persons(7)
        logged = self.log_later(self.staff_segment(visitors))
        self.assertEqual(logged.state, "in_progress", "in the background")
        with freeze_time("2031-03-04 12:00:00"):
            self.run_cron_job()
        self.assertEqual(logged.state, "scheduled", "written, then waiting for its date")
        self.assertEqual(len(logged.interaction_ids), 7)
        self.assertFalse(self.mails_of(logged.interaction_ids))
        with freeze_time("2031-03-05 08:01:00"), self.mock_mail_gateway():
            self.run_cron_job()  # the wake-up and four batches of two e-mails, in one run of the job
        self.assertEqual(logged.state, "done")
        self.assertEqual(len(self.mails_of(logged.interaction_ids)), 7)
        self.assertEqual(set(logged.interaction_ids.mapped("delivery_status")), {"sent"}, "sent by the lanes")
