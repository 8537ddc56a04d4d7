from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from odoo import Command
from odoo.tests import Form
from odoo.tools import formataddr

from .common import SalesSegmentCommon


class SalesFeaturesCommon(SalesSegmentCommon):
    """Scheduled logs, control groups, A/B tests and test e-mails: contacts of their own, the log through its
    dialog as the staff, and the log cron run as Odoo's cron worker runs it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.language_ids.body_html = (
            '<p>Dear <t t-out="object.name"/>, see <a href="https://www.example.com/rome-guest-chair">the Rome Guest '
            "Chair</a>.</p>"
        )
        cls.cron = cls.env.ref("sales_campaign.ir_cron_deliver_logged_segments")
        cls.response_template = cls.env["sales.interaction.template"].create(
            {
                "code": "T-RESP",
                "name": "Campaign response",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_response").id,
                "information_flow": "inbound",
                "initiated_by": "them",
            }
        )
        cls.campaign.response_template_id = cls.response_template
        cls.chair = cls.env["product.product"].create({"name": "Rome Guest Chair", "list_price": 180})

    @classmethod
    def persons(cls, count, prefix="Visitor", company=None, **values):
        """``count`` persons with an e-mail address (of ``company``, else companies of their own)."""
        return cls.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {index:03d}",
                    "email": f"{prefix.lower().replace(' ', '.')}.{index:03d}@visitors.example",
                    "parent_id": company.id if company else False,
                    **values,
                }
                for index in range(count)
            ]
        )

    def staff_segment(self, partners, user=None, **values):
        """As the staff: a segment of ``partners`` with the template, targets of the campaign."""
        user = user or self.staff
        segment = (
            self.env["sales.segment"]
            .with_user(user)
            .create(
                {
                    "description": "Trade show visitors",
                    "template_id": self.template.id,
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                    **values,
                }
            )
        )
        segment._run_step("add", {"partner_ids": partners.ids})
        return segment

    def log_form(self, segment, user=None):
        """The log dialog of ``segment``, as the staff opens it."""
        return Form(
            self.env["sales.segment.log.wizard"]
            .with_user(user or self.staff)
            .with_context(default_segment_id=segment.id)
        )

    def log(self, segment, user=None, **options):
        """Log ``segment`` through its dialog with ``options``; returns the logged segment, as the staff."""
        form = self.log_form(segment, user)
        for name, value in options.items():
            setattr(form, name, value)
        action = form.save().action_log()
        return self.env["sales.logged.segment"].with_user(user or self.staff).browse(action["params"]["next"]["res_id"])

    def run_cron_job(self):
        """One run of the log cron job by Odoo's cron runner (``ir.cron._process_job``, as the cron worker runs
        it): its method is called again while it reports remaining work, each call in a transaction of its own
        (a savepoint of the test's transaction)."""
        self.env.flush_all()
        job = {**self.cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
        with self.registry.cursor() as cron_cr:
            self.registry["ir.cron"]._process_job(self.registry.db_name, cron_cr, job)
        self.env.invalidate_all()

    def triggers_at(self):
        """The moments the log cron is triggered for."""
        return sorted(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).mapped("call_at"))

    def mails_of(self, entries):
        # sudo: mail.mail is for administrators
        return entries.sudo().mail_mail_id

    def reply(self, entry, body="Yes, please send us an offer."):
        """A reply to ``entry``'s e-mail, as a mail client writes it, given to Odoo's mail gateway."""
        mail = entry.sudo().mail_mail_id
        message = EmailMessage()
        message["From"] = formataddr((entry.partner_id.name, entry.partner_id.email))
        message["To"] = mail.reply_to or mail.email_from
        message["Subject"] = f"Re: {mail.subject}"
        message["Message-Id"] = make_msgid(domain="visitors.example")
        message["In-Reply-To"] = entry.message_id
        message["References"] = entry.message_id
        message["Date"] = formatdate()
        message.set_content(body)
        self.env["mail.thread"].message_process(None, message.as_bytes())
        self.env.invalidate_all()

    def order(self, partner, amount=1000.0, campaign=None, date_order=None):
        """A confirmed sales order of ``partner`` (carrying ``campaign``, if any) of ``amount`` untaxed."""
        values = {
            "partner_id": partner.id,
            "order_line": [
                Command.create(
                    {"product_id": self.chair.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": False}
                )
            ],
        }
        if campaign:
            values["campaign_id"] = campaign.utm_campaign_id.id
        if date_order:
            values["date_order"] = date_order
        order = self.env["sale.order"].create(values)
        order.action_confirm()
        if date_order:
            order.date_order = date_order  # confirming dates the order of the day
        return order
