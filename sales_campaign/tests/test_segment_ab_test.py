import io
import re
from datetime import datetime
from urllib.parse import urlsplit

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .features_common import SalesFeaturesCommon

TRACKED = re.compile(r'href="(https?://[^"]+/r/[A-Za-z0-9]+/c/\d+/[0-9a-f]+)"')
LOG_DAY = "2031-03-03 10:00:00"
B_BODY = '<p>Hello <t t-out="object.name"/>, sit on <a href="https://www.example.com/rome-guest-chair">it</a>.</p>'


@tagged("post_install", "-at_install")
class TestSegmentAbTest(HttpCase, SalesFeaturesCommon):
    """Two versions, one winner: the log sends each version to an equal part, drawn at random, of the test share;
    after the waiting time the log cron (as the cron worker runs it) sends the version with the best rate of
    what the user chose to the rest, and only that one; or the user picks it."""

    def ab_segment(self, selection="replied", share=50, hours=24, count=40):
        """As the staff: a segment of ``count`` visitors with versions A (the template's text) and B."""
        segment = self.staff_segment(
            self.persons(count), ab_test_share=share, ab_winner_selection=selection, ab_test_hours=hours
        )
        segment.action_add_version()
        version_a, version_b = segment.version_ids
        self.assertEqual((version_a.name, version_b.name), ("A", "B"))
        self.assertEqual(version_a.subject, "Thank you for visiting our booth", "a version starts from the segment")
        version_b.text_ids.write({"subject": "A chair for you", "body_html": B_BODY})
        return segment, version_a, version_b

    def parts(self, logged):
        entries = logged.interaction_ids
        return (
            entries.filtered(lambda entry: entry.ab_part == "test"),
            entries.filtered(lambda entry: entry.ab_part == "rest"),
        )

    def click(self, entry):
        """The contact opens the tracked link of its e-mail, over HTTP."""
        url = TRACKED.search(self.mails_of(entry).body_html).group(1)
        response = self.url_open(urlsplit(url).path, allow_redirects=False)
        self.assertEqual(response.status_code, 302)

    # ------------------------------------------------------------------------------------------------

    def test_the_winner_is_chosen_by_the_rate_the_user_picked_and_only_it_goes_to_the_rest(self):
        segment, version_a, version_b = self.ab_segment(selection="replied")
        with freeze_time(LOG_DAY):
            form = self.log_form(segment)
            self.assertIn("Version A to 10 contacts, Version B to 10 contacts", form.summary)
            self.assertIn("the 20 others get the one with the best rate of Replies, 24 hours after", form.summary)
            logged = self.log(segment)
        self.assertEqual(logged.state, "testing")
        test, rest = self.parts(logged)
        self.assertEqual((len(test), len(rest)), (20, 20), "a test share of 50%")
        a_entries = test.filtered(lambda entry: entry.version_id == version_a)
        b_entries = test.filtered(lambda entry: entry.version_id == version_b)
        self.assertEqual((len(a_entries), len(b_entries)), (10, 10), "an equal part each")
        self.assertEqual(set(test.mapped("delivery_status")), {"queued"})
        self.assertEqual(set(rest.mapped("delivery_status")), {"pending"}, "the rest waits for the winner")
        self.assertFalse(rest.version_id)
        self.assertFalse(self.mails_of(rest))
        self.assertEqual(set(self.mails_of(b_entries).mapped("subject")), {"A chair for you"})
        self.assertEqual(set(self.mails_of(a_entries).mapped("subject")), {"Thank you for visiting our booth"})
        self.assertTrue(all("sit on" in body for body in self.mails_of(b_entries).mapped("body_html")))
        self.assertFalse(any("sit on" in body for body in self.mails_of(a_entries).mapped("body_html")))
        self.assertEqual(logged.ab_waiting_count, 20)
        decision = datetime(2031, 3, 4, 10, 0)
        self.assertEqual(logged.ab_decision_date, decision, "24 hours after the versions left")
        self.assertIn(decision, self.triggers_at())

        # Version A gets the clicks, version B the replies, which the staff chose to decide on.
        for entry in a_entries[:5]:
            self.click(entry)
        for entry in b_entries[:3]:
            self.reply(entry)
        version_a.invalidate_recordset()
        version_b.invalidate_recordset()
        manager_a, manager_b = version_a.with_user(self.manager), version_b.with_user(self.manager)
        self.assertEqual((manager_a.ab_sent_count, manager_a.ab_click_rate, manager_a.ab_reply_rate), (10, 50.0, 0.0))
        self.assertEqual((manager_b.ab_sent_count, manager_b.ab_click_rate, manager_b.ab_reply_rate), (10, 0.0, 30.0))
        self.assertEqual(manager_b.ab_responded_count, 3, "the replies are the contacts' responses")

        with freeze_time("2031-03-04 09:59:00"):
            self.run_cron_job()
        self.assertEqual(logged.state, "testing", "not before the waiting time is over")
        with freeze_time("2031-03-04 10:00:30"):
            self.run_cron_job()
        self.assertEqual(logged.ab_winner_version_id, version_b, "the best reply rate, not the best click rate")
        self.assertEqual(logged.state, "done")
        self.assertEqual(set(rest.mapped("version_id")), {version_b}, "the rest gets the winner only")
        self.assertEqual(set(rest.mapped("subject")), {"A chair for you"})
        self.assertEqual(set(rest.mapped("delivery_status")), {"queued"})
        self.assertEqual(set(rest.mapped("date")), {datetime(2031, 3, 4, 10, 0, 30)}, "dated when they left")
        rest_mails = self.mails_of(rest)
        self.assertEqual(len(rest_mails), 20)
        self.assertTrue(all("sit on" in body for body in rest_mails.mapped("body_html")))
        [message] = logged.message_ids.filtered(lambda message: "Version B won the A/B test" in message.body)
        self.assertIn("on Replies (A: 0.0%, B: 30.0%): it goes to the 20 other contacts", message.body)
        # The rest's e-mails count for the winner as a whole, not for its test: the versions' figures stay those
        # of the test share.
        version_b.invalidate_recordset()
        self.assertEqual(version_b.with_user(self.manager).ab_contact_count, 10)

    def test_a_winner_by_orders_sees_what_email_marketing_cannot(self):
        """The sales orders the campaign recorded as responses decide, whatever the clicks say."""
        segment, version_a, version_b = self.ab_segment(selection="ordered", share=100, count=20)
        with freeze_time(LOG_DAY):
            logged = self.log(segment)
        test, rest = self.parts(logged)
        self.assertFalse(rest, "a test share of 100%: no rest")
        self.assertEqual(logged.state, "done")
        a_entries = test.filtered(lambda entry: entry.version_id == version_a)
        b_entries = test.filtered(lambda entry: entry.version_id == version_b)
        for entry in a_entries:
            self.click(entry)
        for entry in b_entries[:2]:
            self.order(entry.partner_id, campaign=self.campaign)
        self.assertEqual(logged._best_version(), version_b, "20% of orders against none, despite every click of A")
        self.assertEqual(version_b.with_user(self.manager).ab_order_rate, 20.0)

    def test_the_user_picks_the_winner_by_hand(self):
        segment, version_a, _version_b = self.ab_segment(selection="manual", count=20)
        triggers = self.triggers_at()
        with freeze_time(LOG_DAY):
            logged = self.log(segment)
        self.assertEqual(logged.state, "testing")
        self.assertEqual(self.triggers_at(), triggers, "no automatic choice: the cron is not triggered for it")
        with freeze_time("2031-03-10 10:00:00"):
            self.run_cron_job()
        self.assertEqual(logged.state, "testing", "the rest waits for the user")
        _test, rest = self.parts(logged)
        action = version_a.with_user(self.staff).action_send_as_winner()
        self.assertIn("Version A goes to the 10 other contacts", action["params"]["message"])
        self.assertEqual(logged.ab_winner_version_id, version_a)
        self.assertEqual(set(rest.mapped("version_id")), {version_a})
        self.assertEqual(set(rest.mapped("delivery_status")), {"queued"})
        with self.assertRaisesRegex(UserError, "once the versions went to the test share"):
            version_a.with_user(self.staff).action_send_as_winner()

    def test_a_cancelled_test_sends_nothing_to_the_rest(self):
        segment, _version_a, _version_b = self.ab_segment(count=20)
        with freeze_time(LOG_DAY):
            logged = self.log(segment)
        logged.action_cancel()
        with freeze_time("2031-03-05 10:00:00"):
            self.run_cron_job()
        _test, rest = self.parts(logged)
        self.assertFalse(logged.ab_winner_version_id)
        self.assertFalse(self.mails_of(rest))

    def test_letters_carry_their_version(self):
        segment, _version_a, version_b = self.ab_segment(share=100, count=4)
        segment.write({"correspondence_type": "hard_copy", "ignore_contact_correspondence_type": True})
        segment.action_apply_line_defaults()
        logged = self.log(segment)
        letters = logged.interaction_ids.filtered(lambda entry: entry.version_id == version_b)
        self.assertEqual(len(letters), 2)
        values = self.env["report.sales_campaign.report_interaction_letter"]._get_report_values(letters.ids)
        self.assertTrue(all("sit on" in str(body) for body in values["bodies"].values()))

    def test_versions_need_two_texts_and_a_test_share_that_holds_them(self):
        segment = self.staff_segment(self.persons(4), ab_test_share=20)
        segment.action_add_version()
        segment.version_ids[1].unlink()
        with self.assertRaisesRegex(UserError, "a single version"):
            self.log(segment)
        segment.action_add_version()
        with self.assertRaisesRegex(UserError, "too small for 2 versions"):
            self.log(segment)
        segment.ab_test_share = 50
        segment.version_ids[1].text_ids.unlink()
        with self.assertRaisesRegex(UserError, "These versions have no text: Version B"):
            self.log(segment)
        self.assertEqual(segment.state, "draft")

    def test_dynamic_expressions_in_a_version_are_for_mail_template_editors(self):
        _segment, _version_a, version_b = self.ab_segment(count=4)
        with self.assertRaisesRegex(AccessError, "Mail Template Editor"):
            version_b.text_ids.with_user(self.staff).body_html = '<p><t t-out="object.user_id.sudo().name"/></p>'

    def test_the_versions_of_a_logged_segment_no_longer_change(self):
        segment, _version_a, version_b = self.ab_segment(count=4)
        self.log(segment)
        with self.assertRaises(UserError):
            version_b.with_user(self.staff).name = "Changed"
        with self.assertRaises(UserError):
            version_b.text_ids.with_user(self.staff).subject = "Changed"

    def test_the_export_and_the_analysis_give_each_versions_figures(self):
        segment, _version_a, _version_b = self.ab_segment(share=100, count=10)
        self.log(segment)
        rows = self.campaign.with_user(self.manager)._read_statistics(
            ["version_id"], [("fact_type", "=", "interaction")]
        )
        self.assertEqual(
            sorted((version.name, sums["contacted_count"]) for _c, version, sums in rows), [("A", 5), ("B", 5)]
        )
        _name, content = (
            self.env["sales.campaign.statistics.xlsx"]
            .with_user(self.manager)
            ._export(self.campaign.with_user(self.manager))
        )
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        sheet = workbook["By Version"]
        labels = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
        self.assertEqual(labels, [f"{segment.name} Version A", f"{segment.name} Version B"])
