from odoo import models
from odoo.exceptions import AccessError, UserError


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _sales_attach_to(self, record):
        """Files given to ``record`` (a segment or template language) must be ones the user may read.

        They are sent with the e-mails and kept on the logged segment, so a file of another company or
        another user's private file would otherwise leave the database through them. ``check`` is the
        attachment's own access check (that of the record it belongs to, or its creator's for files that
        belong to none); ``check_access`` does not cover it. Files uploaded for the record before it was
        saved belong to no record yet: they become the record's, so that whoever may read the record may
        read them (as ``mail.template`` does with its attachments).
        """
        if not self:
            return
        try:
            self.check("read")
        except AccessError as error:
            raise UserError(self.env._("You may only attach files that you may open yourself.")) from error
        self.filtered(lambda attachment: not attachment.res_id).write({"res_model": record._name, "res_id": record.id})
