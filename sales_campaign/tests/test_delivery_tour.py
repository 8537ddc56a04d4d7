import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.bus.tests.common import WebsocketCase

from ..models import sales_logged_segment_delivery
from .common import SalesSegmentCommon

CHANNEL = "sales.logged.segment_%s"


@tagged("post_install", "-at_install")
class TestDeliveryFollowerTour(WebsocketCase, SalesSegmentCommon):
    """A logged segment's form follows its delivery in the background by itself (issue 21, point 2), in
    headless Chromium: the tour opens the form of a log in progress; once the form listens on the log's
    channel, the delivery lanes do the log's batches, whose bus notifications make the form reload. Odoo's
    websocket tests' case (``WebsocketCase``): the test server's websocket, which other tests go without, open."""

    def setUp(self):
        super().setUp()
        for name, value in (("EMAIL_BATCH_SIZE", 2), ("IMMEDIATE_DELIVERY_LIMIT", 4)):
            self.startPatcher(patch.object(sales_logged_segment_delivery, name, value))
        # The e-mails wait in Odoo's mail queue: this test is about the form, not about sending.
        self.env["ir.config_parameter"].set_param(sales_logged_segment_delivery.SEND_PARAM, "False")

    def test_the_form_of_a_log_in_progress_moves_to_done_by_itself(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Followed Visitor {n}", "email": f"followed{n}@visitors.example"} for n in range(7)]
        )
        segment = self.new_segment(template_id=self.template.id).with_user(self.staff)
        segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment._run_step("add", {"partner_ids": partners.ids})
        logged = self.env["sales.logged.segment"].with_user(self.staff)._log_segment(segment, send=True)
        self.assertEqual((logged.state, logged.interaction_count), ("in_progress", 0), "a log for the background")
        channel = CHANNEL % logged.id

        # The form listens on the log's channel once the web client asks for it (the websocket's subscription).
        followed = threading.Event()
        IrWebsocket = type(self.env["ir.websocket"])
        build_channels = IrWebsocket._build_bus_channel_list

        def build_bus_channel_list(websocket, channels):
            result = build_channels(websocket, channels)
            if channel in channels and logged in result:
                followed.set()
            return result

        def deliver():
            """The delivery lanes at work once the form follows the log, as the cron workers would be."""
            if not followed.wait(60):
                return
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                log = env["sales.logged.segment"].browse(logged.id)
                for _call in range(10):
                    env["sales.logged.segment"]._cron_deliver()
                    if log.state != "in_progress":
                        break
                # What the end of each batch's transaction does: the notifications are recorded, then the
                # websocket server is told (the test's cursor never commits, so its hooks are run here).
                cr.flush()
                cr.postcommit.run()

        thread = threading.Thread(target=deliver)
        with patch.object(IrWebsocket, "_build_bus_channel_list", build_bus_channel_list):
            thread.start()
            self.start_tour(
                f"/odoo/action-sales_campaign.sales_logged_segment_action/{logged.id}",
                "sales_campaign_delivery_follower",
                login=self.staff.login,
                timeout=120,
            )
            thread.join(60)
        self.assertTrue(followed.is_set(), "the form asked for the log's channel")
        self.assertFalse(thread.is_alive())
        logged.invalidate_recordset()
        self.assertEqual((logged.state, logged.email_queued_count), ("done", 7))
