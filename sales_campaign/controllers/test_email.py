from odoo import http
from odoo.http import request


class SalesCampaignTestEmail(http.Controller):
    """The unsubscribe link of a test e-mail (*Send Test E-mail* on a segment): the e-mail names no interaction,
    so its link cannot unsubscribe anyone; it opens a page that says what the link of the real e-mail does."""

    @http.route("/sales_campaign/unsubscribe/test", type="http", auth="public", methods=["GET"])
    def unsubscribe_test(self, **kwargs):
        return request.render("sales_campaign.test_email_unsubscribe_page", {})
