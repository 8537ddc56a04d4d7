from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """The delivery status of interaction log entries follows their e-mail.

        When the mail server cannot be reached, the e-mails go back to the queue instead of failing:
        the mail cron sends them once the server is back, and nothing logged is lost.
        """
        # sudo: the mail queue runs as superuser or as the sender; entries of these mails only are updated
        entries = self.env["sales.interaction.log"].sudo().search([("mail_mail_id", "in", self.ids)])
        if entries:
            unreachable = failure_type == "mail_smtp"
            for mail in self:
                mail_entries = entries.filtered(lambda entry: entry.mail_mail_id == mail)
                if not mail_entries:
                    continue
                if mail.state == "sent":
                    mail_entries._set_delivery_status("sent")
                    mail_entries._write_process({"message_id": mail.message_id})
                elif unreachable:
                    mail.write({"state": "outgoing"})
                    mail_entries._set_delivery_status(
                        "queued", self.env._("The mail server could not be reached: the e-mail waits in the queue.")
                    )
                else:
                    mail_entries._set_delivery_status(
                        "error", mail.failure_reason or failure_reason or self.env._("The e-mail could not be sent.")
                    )
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason, failure_type=failure_type)
