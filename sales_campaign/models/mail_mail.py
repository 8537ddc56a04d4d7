from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """The delivery status of interaction log entries follows their e-mail: sent, or in error with the
        reason (an unreachable mail server too: Odoo keeps the e-mail in its *exception* state, and *Resend
        Failed E-mails* on the logged segment puts it back in the queue with the mail's own retry)."""
        # sudo: the mail queue runs as superuser or as the sender; entries of these mails only are updated
        entries = self.env["sales.interaction.log"].sudo().search([("mail_mail_id", "in", self.ids)])
        if entries:
            entries_of = entries.grouped("mail_mail_id")
            for mail in self:
                mail_entries = entries_of.get(mail)
                if not mail_entries:
                    continue
                if mail.state == "sent":  # one write for both: this runs once per e-mail sent
                    mail_entries._write_process(
                        {"delivery_status": "sent", "delivery_failure_reason": False, "message_id": mail.message_id}
                    )
                elif failure_type == "mail_smtp":
                    mail_entries._set_delivery_status(
                        "error",
                        self.env._(
                            "The mail server could not be reached: %(reason)s",
                            reason=mail.failure_reason or failure_reason or "-",
                        ),
                    )
                else:
                    mail_entries._set_delivery_status(
                        "error", mail.failure_reason or failure_reason or self.env._("The e-mail could not be sent.")
                    )
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason, failure_type=failure_type)
