from odoo import api, models
from odoo.tools import html2plaintext


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _routing_handle_bounce(self, email_message, message_dict):
        """A bounced campaign e-mail puts its interaction log entry in error, with the bounce as reason."""
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids"):
            self.env["sales.interaction.log"]._set_bounced(
                message_dict["bounced_msg_ids"], html2plaintext(message_dict.get("body") or "")[:500]
            )
        return result

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        """A reply to a campaign e-mail is the contact's response, once Odoo has posted it where its routing
        put it (the contact's thread, through the catchall or an alias)."""
        thread_id = super()._message_route_process(message, message_dict, routes)
        if routes and not message_dict.get("is_bounce"):
            self.env["sales.interaction.log"]._register_reply(message, message_dict)
        return thread_id
