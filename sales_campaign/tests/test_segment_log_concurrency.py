import uuid
from contextlib import closing

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL

from .common import print_without_report_server


@tagged("post_install", "-at_install")
class TestSegmentLogConcurrency(BaseCase):
    """Two users logging the same segment at the same time, each on a connection of its own.

    A plain BaseCase: the data must be committed for the second connection to see it, and the test's
    own transaction must not hold the locks of the number sequences. It cleans up what it committed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        print_without_report_server(cls)  # the segment's template prints letters

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with closing(self.db.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
            user = env["res.users"].create(
                {
                    "name": "Concurrent Marketing Staff",
                    "login": f"sc_concurrent_{uuid.uuid4().hex[:8]}",
                    "groups_id": [
                        (6, 0, [env.ref("sales_campaign.group_sales_campaign_user").id, env.ref("base.group_user").id])
                    ],
                }
            )
            partners = env["res.partner"].create(
                [{"name": f"Concurrent Visitor {n}", "email": f"visitor{n}@concurrent.example"} for n in range(5)]
            )
            template = env.ref("sales_campaign.sales_interaction_template_business_letter")
            segment = (
                env["sales.segment"]
                .with_user(user)
                .create({"description": "Concurrent log", "template_id": template.id})
            )
            segment._run_step("add", {"partner_ids": partners.ids})
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit
            self.user_id, self.segment_id, self.partner_ids = user.id, segment.id, partners.ids
        self.addCleanup(self.cleanup)

    def cleanup(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(SQL("DELETE FROM sales_interaction_log WHERE segment_id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM sales_campaign_entry WHERE segment_id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM sales_logged_segment WHERE segment_id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM sales_segment WHERE id = %s", self.segment_id))
            cr.execute(SQL("DELETE FROM res_partner WHERE id IN %s", tuple(self.partner_ids)))
            cr.execute(SQL("DELETE FROM res_users WHERE id = %s", self.user_id))
            # A cursor of its own: the other connection must see it.
            cr.commit()  # pylint: disable=invalid-commit

    def log(self, cr):
        env = api.Environment(cr, self.user_id, {})
        segment = env["sales.segment"].browse(self.segment_id)
        return env["sales.logged.segment"]._log_segment(segment, send=False)

    def count_logged(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(SQL("SELECT count(*) FROM sales_logged_segment WHERE segment_id = %s", self.segment_id))
            logged = cr.fetchone()[0]
            cr.execute(SQL("SELECT count(*) FROM sales_interaction_log WHERE segment_id = %s", self.segment_id))
            return logged, cr.fetchone()[0]

    def test_second_user_is_told_while_the_first_logs(self):
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            self.assertEqual(self.log(first).interaction_count, 5)  # not committed yet: the segment is locked
            with self.assertRaisesRegex(UserError, "being logged or changed by another user"):
                self.log(second)
            second.rollback()
            first.commit()
        self.assertEqual(self.count_logged(), (1, 5))

    def test_second_user_started_before_the_first_committed(self):
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            second.execute("SELECT 1")  # the second transaction's snapshot predates the first's commit
            self.log(first)
            first.commit()
            with self.assertRaises(UserError):
                self.log(second)
            second.rollback()
        self.assertEqual(self.count_logged(), (1, 5))

    def test_second_user_after_the_first(self):
        with closing(self.db.cursor()) as first:
            self.log(first)
            first.commit()
        with closing(self.db.cursor()) as second, self.assertRaisesRegex(UserError, "already been logged"):
            self.log(second)
        self.assertEqual(self.count_logged(), (1, 5))
