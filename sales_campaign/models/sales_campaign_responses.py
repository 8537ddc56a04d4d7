from odoo import fields, models
from odoo.exceptions import UserError


class SalesCampaign(models.Model):
    """The responses a campaign records by itself: replies, clicks, leads and orders of its targets."""

    _inherit = "sales.campaign"

    # Responses that come back by themselves: replies, clicks, leads and orders
    response_template_id = fields.Many2one(
        "sales.interaction.template",
        check_company=True,
        tracking=True,
        help="The interaction template (such as RESP) of the responses the campaign records by itself: replies "
        "to its e-mails, clicks on their links (when they count), leads and sales orders of its targets. "
        "Without one, replies are kept on the e-mails they answer until a template is set.",
    )
    click_is_response = fields.Boolean(
        string="Clicks Count as Responses",
        tracking=True,
        help="A contact's first click on a link of a campaign e-mail is a response of the contact.",
    )
    utm_source_id = fields.Many2one(
        "utm.source",
        string="UTM Source",
        default=lambda self: self.env.ref("sales_campaign.utm_source_sales_campaign", raise_if_not_found=False),
        help="The source the tracked links of the campaign's e-mails and letters give to the visits they bring "
        "(and to the leads and orders those make).",
    )
    utm_medium_id = fields.Many2one(
        "utm.medium",
        string="UTM Medium",
        default=lambda self: self.env.ref("utm.utm_medium_email", raise_if_not_found=False),
        help="The medium the tracked links of the campaign's e-mails give to the visits they bring.",
    )

    def action_register_responses(self):
        """Record the responses that waited for a response template: the replies kept on the campaign's
        e-mails, the first clicks (when clicks count as responses), the leads and the confirmed orders of its
        targets. Each is recorded once: running it again records nothing twice."""
        self.ensure_one()
        self.check_access("write")
        if not self.response_template_id:
            raise UserError(
                self.env._(
                    "Set a response template (such as RESP) on campaign %(campaign)s first.", campaign=self.display_name
                )
            )
        Log = self.env["sales.interaction.log"]
        # sudo: the campaign's own interactions, leads and orders, whoever registers (the user may write the
        # campaign); only responses of its targets are recorded, and only counts are shown
        emails = Log.sudo().search(
            [
                ("campaign_id", "=", self.id),
                ("cancelled", "=", False),
                ("message_id", "!=", False),
                "|",
                ("replied_date", "!=", False),
                ("clicked_date", "!=", False),
            ],
            order="id",
        )
        candidates = [
            (
                entry,
                "reply",
                entry._reply_values(
                    entry.reply_message_id,
                    entry.reply_message_id.email_from,
                    entry.reply_message_id.subject,
                    entry.replied_date,
                ),
            )
            for entry in emails.filtered("replied_date")
        ]
        if self.click_is_response:
            candidates += [
                (entry, "click", entry._click_values(entry.clicked_date)) for entry in emails.filtered("clicked_date")
            ]
        created = Log._register_responses(candidates)
        # sudo: the campaign's own leads and orders, whoever registers (the user may write the campaign, checked
        # above); only responses of its targets are recorded from them, and only a count is shown
        leads = self.env["crm.lead"].sudo().search([("campaign_id", "=", self.utm_campaign_id.id)])
        created |= Log._register_document_responses(leads, "lead")
        # the orders the campaign counts: those carrying it and those it priced
        orders = self.env["sale.order"].sudo().search(self._orders_domain() + [("state", "=", "sale")])
        created |= Log._register_document_responses(orders, "order", dict.fromkeys(orders, self.sudo()))
        return self._notify(
            self.env._(
                "%(count)s responses recorded for campaign %(campaign)s.",
                count=len(created),
                campaign=self.display_name,
            )
        )

    def action_open_responses(self):
        self.ensure_one()
        action = self.action_open_interactions()
        action["context"] = dict(
            action["context"], search_default_campaign_response=1, search_default_group_by_response_source=1
        )
        return action
