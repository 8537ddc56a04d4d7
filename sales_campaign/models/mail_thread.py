from odoo import api, models
from odoo.tools import html2plaintext


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _is_sales_campaign_mail_gateway(self):
        """Whether the incoming message comes through the mail gateway: fetchmail runs it as the superuser,
        the mailgate script and the incoming mail servers of an administrator as that administrator.

        ``message_process`` is a public method any internal user may call with a message of their own making:
        such a message must not register responses (a reply, a bounce) on the campaign's interactions.
        """
        return self.env.su or self.env.user._is_system()

    def _routing_handle_bounce(self, email_message, message_dict):
        """A bounced campaign e-mail puts its interaction log entry in error, with the bounce as reason."""
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids") and self._is_sales_campaign_mail_gateway():
            self.env["sales.interaction.log"]._set_bounced(
                message_dict["bounced_msg_ids"], html2plaintext(message_dict.get("body") or "")[:500]
            )
        return result

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        """A reply to a campaign e-mail is the contact's response, once Odoo has posted it where its routing
        put it (the contact's thread, through the catchall or an alias)."""
        thread_id = super()._message_route_process(message, message_dict, routes)
        if routes and not message_dict.get("is_bounce") and self._is_sales_campaign_mail_gateway():
            self.env["sales.interaction.log"]._register_reply(message, message_dict)
        return thread_id
