import json
from unittest.mock import patch

from odoo import models
from odoo.tests import Form, TransactionCase, new_test_user
from odoo.tests.common import get_db_name

from odoo.addons.base.models.ir_actions_report import IrActionsReport

# Where wkhtmltopdf looks for the report styles in tests: an address where nothing listens.
NO_REPORT_SERVER = "http://127.0.0.1:1"


def print_without_report_server(test_class):
    """Letters printed by tests do not fetch the report styles from the Odoo server.

    wkhtmltopdf loads them from ``report.url`` (else ``web.base.url``). Odoo's own test runner (``odoo-bin
    --test-tags``) serves HTTP but runs the tests holding the registry lock, which every request waits for, so
    a test that is not an ``HttpCase`` and prints a real PDF would wait forever; pytest-odoo serves no HTTP at
    all. Pointing at an address where nothing listens makes both runners print the same letters, a page per
    letter, without the styles' file (the letters set their own fonts).
    """
    test_class.startClassPatcher(patch.object(IrActionsReport, "_get_report_url", return_value=NO_REPORT_SERVER))


# A delivery status notification (RFC 3464) as a mail server returns it for an unknown address.
DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-Id: {message_id}
Date: {date}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN-BOUNDARY"

--DSN-BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com. Your message could not be delivered to one or more recipients.

<{rcpt}>: host mx.example.com said: 550 5.1.1 <{rcpt}>: Recipient address rejected:
    User unknown in virtual mailbox table

--DSN-BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: {date}

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table

--DSN-BOUNDARY
Content-Type: text/rfc822-headers

{original_headers}
--DSN-BOUNDARY--
"""


class SalesCampaignCommon(TransactionCase):
    """Users of both roles in two companies, and a small set of contacts built for the tests.

    Tests do not rely on the demo data: each builds what it asserts on.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        print_without_report_server(cls)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env.ref("base.main_company")
        cls.company_2 = cls.env["res.company"].create({"name": "Nordic Subsidiary AS"})
        cls.manager = new_test_user(
            cls.env,
            login="sc_manager",
            name="Marketing Manager",
            groups="sales_campaign.group_sales_campaign_manager,sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.staff = new_test_user(
            cls.env,
            login="sc_staff",
            name="Marketing Staff",
            groups="sales_campaign.group_sales_campaign_user,sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.staff_2 = new_test_user(
            cls.env,
            login="sc_staff_2",
            name="Marketing Staff Nordic",
            groups="sales_campaign.group_sales_campaign_user",
            company_id=cls.company_2.id,
            company_ids=[cls.company_2.id],
        )
        cls.manager_2 = new_test_user(
            cls.env,
            login="sc_manager_2",
            name="Marketing Manager Nordic",
            groups="sales_campaign.group_sales_campaign_manager",
            company_id=cls.company_2.id,
            company_ids=[cls.company_2.id],
        )
        cls.employee = new_test_user(cls.env, login="sc_employee", name="Plain Employee", groups="base.group_user")

        Resp = cls.env["sales.job.responsibility"]
        cls.resp_purchase, cls.resp_sales, cls.resp_it = Resp.create(
            [
                {"code": "T-PURCHASE", "name": "Purchasing"},
                {"code": "T-SALES", "name": "Sales"},
                {"code": "T-IT", "name": "IT"},
            ]
        )
        Rel = cls.env["sales.business.relation"]
        cls.rel_cust, cls.rel_pros, cls.rel_vend = Rel.create(
            [
                {"code": "T-CUST", "name": "Customer"},
                {"code": "T-PROS", "name": "Prospect"},
                {"code": "T-VEND", "name": "Vendor"},
            ]
        )
        cls.mailing_news = cls.env["sales.mailing.group"].create({"code": "T-NEWS", "name": "Newsletter"})
        cls.industry_retail = cls.env.ref("base.res_partner_industry_G")
        cls.industry_it = cls.env.ref("base.res_partner_industry_J")

        Partner = cls.env["res.partner"]
        cls.customer_co = Partner.create(
            {
                "name": "Customer Company",
                "is_company": True,
                "industry_id": cls.industry_retail.id,
                "business_relation_ids": [(6, 0, cls.rel_cust.ids)],
            }
        )
        cls.prospect_co = Partner.create(
            {
                "name": "Prospect Company",
                "is_company": True,
                "industry_id": cls.industry_it.id,
                "business_relation_ids": [(6, 0, cls.rel_pros.ids)],
            }
        )
        cls.customer_buyer, cls.customer_it, cls.prospect_buyer, cls.prospect_seller = Partner.create(
            [
                {
                    "name": "Carla Customer-Buyer",
                    "parent_id": cls.customer_co.id,
                    "email": "carla@customer.example",
                    "job_responsibility_ids": [(6, 0, cls.resp_purchase.ids)],
                },
                {
                    "name": "Ivan Customer-IT",
                    "parent_id": cls.customer_co.id,
                    "email": "ivan@customer.example",
                    "job_responsibility_ids": [(6, 0, cls.resp_it.ids)],
                },
                {
                    "name": "Paula Prospect-Buyer",
                    "parent_id": cls.prospect_co.id,
                    "email": "paula@prospect.example",
                    "job_responsibility_ids": [(6, 0, (cls.resp_purchase | cls.resp_it).ids)],
                    "mailing_group_ids": [(6, 0, cls.mailing_news.ids)],
                    "correspondence_type": "hard_copy",
                },
                {
                    "name": "Sven Prospect-Seller",
                    "parent_id": cls.prospect_co.id,
                    "job_responsibility_ids": [(6, 0, cls.resp_sales.ids)],
                    "exclude_from_segments": True,
                },
            ]
        )


class SalesSegmentCommon(SalesCampaignCommon):
    """Segments built through the wizards, as the users do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["sales.interaction.template"].create(
            {
                "code": "T-THANKS",
                "name": "Thank-you letter",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
                "correspondence_type": "email",
                "unit_cost": 1.5,
                "unit_duration": 3,
                "lang_default": "en_US",
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Thank you for visiting our booth"})],
            }
        )
        cls.campaign = cls.env["sales.campaign"].create({"title": "Office Futurus trade show"})

    def new_segment(self, **values):
        return self.env["sales.segment"].create({"description": "Trade show visitors", **values})

    def run_wizard(self, segment, mode="add", confirm_all=False, **values):
        """Fill the contacts wizard like a user and press OK; returns the action it gives back."""
        Wizard = self.env["sales.segment.contacts.wizard"].with_context(
            default_segment_id=segment.id, default_mode=mode
        )
        form = Form(Wizard)
        for name, value in values.items():
            if isinstance(value, models.BaseModel):
                getattr(form, name).clear()
                for record in value:
                    getattr(form, name).add(record)
            else:
                setattr(form, name, value)
        if confirm_all and not form.has_filters:
            form.confirm_all = True  # the dialog's "go ahead without a filter", shown only then
        return form.save().action_apply()

    def add(self, segment, **values):
        return self.run_wizard(segment, "add", **values)

    def reduce(self, segment, **values):
        return self.run_wizard(segment, "reduce", **values)

    def refine(self, segment, **values):
        return self.run_wizard(segment, "refine", **values)

    def contacts(self, segment):
        return segment.line_ids.partner_id

    def log_interaction(self, user, values):
        """Log one interaction by hand as ``user``, through the Log Interaction dialog; returns the entry."""
        wizard = self.env["sales.interaction.log.wizard"].with_user(user).create(values)
        return self.env["sales.interaction.log"].with_user(user).browse(wizard.action_log()["res_id"])


USER_ERROR = "odoo.exceptions.UserError"
ACCESS_ERROR = "odoo.exceptions.AccessError"
VALIDATION_ERROR = "odoo.exceptions.ValidationError"
# Any clean refusal: access rights and record rules (AccessError), or the module's own checks.
REFUSED = (ACCESS_ERROR, USER_ERROR, VALIDATION_ERROR)


class JsonRpcClient:
    """Calls to the server as a client makes them, for ``HttpCase`` attack tests: ``/web/dataset/call_kw`` in
    the session of a user (with the context and ``default_*`` keys an attacker would send), and the external
    ``/jsonrpc`` API with the user's password (test users' passwords are their logins)."""

    def call(self, user, model, method, *args, context=None, **kwargs):
        """``/web/dataset/call_kw`` in the session of ``user``: the decoded JSON-RPC response."""
        self.env.flush_all()
        if getattr(self, "_session_user", None) != user:
            self.authenticate(user.login, user.login)
            self._session_user = user
        if context is not None:
            kwargs["context"] = context
        payload = {
            "id": 0,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()
        return response.json()

    def external(self, user, model, method, args, kwargs=None):
        """The external API (``/jsonrpc``, ``execute_kw``) with the user's login and password."""
        self.env.flush_all()
        payload = {
            "id": 0,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [get_db_name(), user.id, user.login, model, method, args, kwargs or {}],
            },
        }
        response = self.url_open("/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"})
        self.env.invalidate_all()
        return response.json()

    def assertRefused(self, response, error=REFUSED, message=None):
        self.assertIn("error", response, f"the call should have been refused: {response.get('result')!r}")
        data = response["error"]["data"]
        if isinstance(error, tuple):
            self.assertIn(data["name"], error, data.get("message"))
        else:
            self.assertEqual(data["name"], error, data.get("message"))
        if message:
            self.assertRegex(data["message"], message)

    def assertDone(self, response):
        self.assertNotIn("error", response, response.get("error", {}).get("data", {}).get("message"))
        return response["result"]
