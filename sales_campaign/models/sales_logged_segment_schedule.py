import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_datetime

from .sales_segment_version import WINNER_RATES

_logger = logging.getLogger(__name__)


class SalesLoggedSegment(models.Model):
    """Logs that wait: for the date they are scheduled for, and for the winner of their A/B test.

    A log's entries are written at once; its e-mails and letters wait for their date and, in an A/B test, those
    of the rest of the segment for the winner (``_due_condition``: the delivery takes the entries due only).
    When nothing due is left but entries wait, the log rests (*Scheduled*, *A/B Test*) instead of being done,
    and the log cron is triggered for the moment it waits for (``ir.cron._trigger(at=...)``), as Email
    Marketing schedules its mailings and its A/B winner. The log cron then wakes the logs whose moment came
    (``_wake_up_logs``): a scheduled log starts its delivery, an A/B test sends its winner to the rest.
    """

    _inherit = "sales.logged.segment"

    # ------------------------------------------------------------------------------------------------
    # Resting until the date, or the winner
    # ------------------------------------------------------------------------------------------------

    def _finish(self):
        """Nothing due is left: a log whose entries wait for a date or for the winner rests until then."""
        if self.state == "in_progress" and (self.scheduled_date or self.ab_test):
            state, wake_up = self._waiting_for()
            if state:
                self._rest(state, wake_up)
                return
        super()._finish()

    def _waiting_for(self):
        """(state, moment) this log waits for: ``("scheduled", its date)`` while waiting entries are not due
        yet, ``("testing", False)`` while the rest of its A/B test waits for the winner; else ``(False, False)``."""
        self.ensure_one()
        Log = self.env["sales.interaction.log"]
        Log.flush_model(["logged_segment_id", "delivery_status", "cancelled", "date", "ab_part", "version_id"])
        [(first_date, winner_awaited)] = self.env.execute_query(
            SQL(
                """SELECT MIN(date) FILTER (WHERE date > %(now)s),
                          BOOL_OR(ab_part = 'rest' AND version_id IS NULL)
                     FROM sales_interaction_log
                    WHERE logged_segment_id = %(logged)s AND company_id = %(company)s
                      AND delivery_status = 'pending' AND NOT cancelled""",
                now=fields.Datetime.now(),
                logged=self.id,
                company=self.company_id.id,
            )
        )
        if first_date and self.scheduled_date:  # the entries of a log delivered now are never early
            return "scheduled", first_date
        if winner_awaited:
            return "testing", False
        return False, False

    def _rest(self, state, wake_up):
        """Wait (``state``) until ``wake_up``, when the log cron takes the log up again; for an A/B test, until
        the waiting time after its versions left (or until the user picks the winner)."""
        values = {"state": state, "in_background": True}
        if state == "testing":
            wake_up = self.ab_decision_date
            if not wake_up:
                wake_up = values["ab_decision_date"] = fields.Datetime.now() + timedelta(
                    hours=self.segment_id.ab_test_hours
                )
                self.message_post(
                    body=self._test_started_message(wake_up), author_id=self.env.ref("base.partner_root").id
                )
            if self.ab_winner_selection == "manual":
                wake_up = False
        self._write_ledger(values)
        if wake_up:
            self.env.ref("sales_campaign.ir_cron_deliver_logged_segments")._trigger(at=wake_up)

    def _test_started_message(self, decision_date):
        versions = self.version_ids
        if self.ab_winner_selection == "manual":
            return self.env._(
                "The %(count)s versions went to the test share of logged segment %(logged)s. The rest of the "
                "segment waits until you send it one of them.",
                count=len(versions),
                logged=self.name,
            )
        return self.env._(
            "The %(count)s versions went to the test share of logged segment %(logged)s. On %(date)s, the one "
            "with the best rate of %(criterion)s goes to the rest of the segment.",
            count=len(versions),
            logged=self.name,
            date=format_datetime(self.env, decision_date, tz=self.user_id.tz),
            criterion=self._winner_criterion_label(),
        )

    def _winner_criterion_label(self):
        return dict(self._fields["ab_winner_selection"]._description_selection(self.env)).get(
            self.ab_winner_selection, ""
        )

    # ------------------------------------------------------------------------------------------------
    # The log cron wakes the logs whose moment came
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _deliver_next_batch(self):
        """Before its batch, a lane wakes the logs whose date or whose A/B winner's moment came: in the same
        try of ``_cron_deliver``, started again, wake-up included, after a concurrent change."""
        self._wake_up_logs()
        return super()._deliver_next_batch()

    @api.model
    def _wake_up_logs(self):
        """Scheduled logs whose date came start their delivery; A/B tests whose waiting time is over send their
        winner to the rest of the segment. Each log is taken by one worker (the others skip it), once."""
        self.flush_model(["state", "cancelled", "scheduled_date", "ab_winner_selection", "ab_decision_date"])
        now = fields.Datetime.now()
        rows = self._lock_rows(
            SQL(
                """SELECT id FROM sales_logged_segment
                    WHERE NOT cancelled
                      AND ((state = 'scheduled' AND scheduled_date <= %(now)s)
                           OR (state = 'testing' AND ab_winner_selection != 'manual' AND ab_decision_date <= %(now)s))
                    ORDER BY id
                      FOR UPDATE SKIP LOCKED""",
                now=now,
            )
        )
        for logged in self.browse(row[0] for row in rows):
            logged = logged._as_delivery()
            if logged.state == "scheduled":
                logged._write_ledger({"state": "in_progress"})
                continue
            try:
                with self.env.cr.savepoint():
                    logged._send_winner(logged._best_version())
            except Exception as error:  # the log waits for the user (Retry), who is told why
                _logger.exception("The winner of logged segment %s could not be sent", logged.name)
                logged._fail(error)

    # ------------------------------------------------------------------------------------------------
    # The winner of an A/B test
    # ------------------------------------------------------------------------------------------------

    def _best_version(self):
        """The version with the best rate of the log's criterion in its part of the test share; a tie goes to
        the better responses, clicks and replies, then to the first version."""
        self.ensure_one()
        rate, _count = WINNER_RATES.get(self.ab_winner_selection, WINNER_RATES["clicked"])
        versions = self.version_ids
        return max(
            versions,
            key=lambda version: (
                version[rate],
                version.ab_response_rate,
                version.ab_click_rate,
                version.ab_reply_rate,
                -versions.ids.index(version.id),
            ),
        )

    def _send_winner(self, version, by_hand=False):
        """Give ``version`` to the entries of the rest of the segment, dated now (they leave now), with its
        subject in their language; then deliver them, at once for a small log, else in the background."""
        self.ensure_one()
        Log = self.env["sales.interaction.log"]
        Log.flush_model(["logged_segment_id", "ab_part", "version_id", "lang"])
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE sales_interaction_log
                      SET version_id = %(version)s, subject = %(subject)s, date = %(now)s,
                          write_uid = %(uid)s, write_date = %(now)s
                    WHERE logged_segment_id = %(logged)s AND ab_part = 'rest' AND version_id IS NULL""",
                version=version.id,
                subject=version._subject_sql(SQL("lang")),
                now=now,
                uid=self.env.uid,
                logged=self.id,
            )
        )
        count = self.env.cr.rowcount
        Log.invalidate_model(["version_id", "subject", "date", "write_uid", "write_date"])
        self._write_ledger({"ab_winner_version_id": version.id})
        self._notify_user(self._winner_message(version, count, by_hand), "success")
        self._start()
        return count

    def _winner_message(self, version, count, by_hand):
        rate, _count = WINNER_RATES.get(self.ab_winner_selection, WINNER_RATES["clicked"])
        rates = ", ".join(
            self.env._("%(version)s: %(rate)s%%", version=other.name, rate=other[rate]) for other in self.version_ids
        )
        values = {
            "version": version.display_name,
            "logged": self.name,
            "criterion": self._winner_criterion_label(),
            "rates": rates,
            "count": count,
        }
        if by_hand:
            return self.env._(
                "%(version)s was chosen by hand for the rest of logged segment %(logged)s (%(criterion)s: "
                "%(rates)s): it goes to the %(count)s other contacts.",
                **values,
            )
        return self.env._(
            "%(version)s won the A/B test of logged segment %(logged)s on %(criterion)s (%(rates)s): it goes to "
            "the %(count)s other contacts.",
            **values,
        )

    def _action_send_winner(self, version):
        """The user sends ``version`` to the rest of the segment, before the waiting time is over or when the
        winner is chosen by hand."""
        self.ensure_one()
        if self.cancelled:
            raise UserError(self.env._("Logged segment %(logged)s is cancelled: nothing is sent.", logged=self.name))
        if version not in self.version_ids:
            raise UserError(
                self.env._(
                    "%(version)s is not a version of logged segment %(logged)s.",
                    version=version.display_name,
                    logged=self.name,
                )
            )
        if self.state != "testing":
            raise UserError(
                self.env._(
                    "The rest of logged segment %(logged)s gets a version once the versions went to the test share "
                    "and before its winner is sent.",
                    logged=self.name,
                )
            )
        count = self._send_winner(version, by_hand=True)
        return self._notify(
            self.env._(
                "%(version)s goes to the %(count)s other contacts of logged segment %(logged)s.",
                version=version.display_name,
                count=count,
                logged=self.name,
            ),
            next_action={"type": "ir.actions.client", "tag": "soft_reload"},
        )

    # ------------------------------------------------------------------------------------------------
    # The texts of the versions are checked as those of the template
    # ------------------------------------------------------------------------------------------------

    def _check_texts_renderable(self):
        """The versions' texts too: the user who logged must be allowed to render them."""
        result = super()._check_texts_renderable()
        if self.send_documents and self.ab_test:
            self._render_as(self.version_ids.text_ids)._check_body_expressions()
        return result
