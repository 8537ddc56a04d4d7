from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context


class SalesLedgerMixin(models.AbstractModel):
    """A ledger: what happened, written by the module's actions and processes only.

    No group has create, write or unlink rights on a ledger (``security/ir.model.access.csv``), so no client
    creates or shapes a row in any of the ways Odoo offers (``create`` with ``default_*`` context keys, ``write``,
    ``copy``, ``load``, x2many commands of another record). The actions check the user's rights on the rows
    first (``_check_ledger_action``: a campaign user who may read them, company rules included), then write
    through ``_ledger_sudo``. Cancelling and restoring, the only changes users make, are defined once here for
    the interaction log, the campaign entries and the logged segments: each says what it cascades to.
    """

    _name = "sales.ledger.mixin"
    _description = "Campaign Ledger"

    def _ledger_sudo(self):
        """The rows with the rights to write them, for the module's own actions after their checks.

        ``sudo()`` keeps the user (``create_uid``, ``write_uid`` and the chatter name who did it) and lifts the
        access rights; the caller's ``default_*`` context keys are dropped, since Odoo would add them to any
        record created here.
        """
        return self.sudo().with_context(clean_context(self.env.context))

    def _check_ledger_action(self, manager=False):
        """The current user may act on these rows: a campaign user (a campaign manager when ``manager``) who
        may read every one of them (record rules included: no row of another company)."""
        if self.env.su:
            return
        if manager and not self.env.user.has_group("sales_campaign.group_sales_campaign_manager"):
            raise AccessError(self.env._("Only campaign managers may delete %(record)s.", record=self[:1].display_name))
        if not self.env.user.has_group("sales_campaign.group_sales_campaign_user"):
            raise AccessError(
                self.env._(
                    "You need the rights of a campaign user to cancel or restore %(record)s.",
                    record=self[:1].display_name,
                )
            )
        self.check_access("read")

    # ------------------------------------------------------------------------------------------------
    # Cancel, restore, delete
    # ------------------------------------------------------------------------------------------------

    def action_cancel(self):
        """Cancel the rows and what they carry: they are left out of every statistic and may then be deleted."""
        self._check_ledger_action()
        done = self.filtered("cancelled")
        if done:
            raise UserError(self.env._("%(record)s is already cancelled.", record=done[0].display_name))
        # sudo: checked above; a log is cancelled whole, whatever of it the user may read
        self._ledger_sudo()._set_cancelled(True)
        return True

    def action_restore(self):
        """Restore cancelled rows and what they carry, unless what they belong to is cancelled."""
        self._check_ledger_action()
        not_cancelled = self.filtered(lambda record: not record.cancelled)
        if not_cancelled:
            raise UserError(self.env._("%(record)s is not cancelled.", record=not_cancelled[0].display_name))
        for record in self:
            # sudo: only whether what the row belongs to is cancelled, to say so
            blocker = record.sudo()._get_cancelled_parent()
            if blocker:
                raise UserError(
                    self.env._(
                        "%(record)s belongs to %(parent)s, which is cancelled: restore that first.",
                        record=record.display_name,
                        parent=blocker.display_name,
                    )
                )
        # sudo: checked above
        self._ledger_sudo()._set_cancelled(False)
        return True

    def action_delete(self):
        """Delete cancelled rows (Business Central's Delete Campaign Entries and Delete Logged Segments): for
        campaign managers, and only rows that are cancelled."""
        self._check_ledger_action(manager=True)
        self._unlink_only_cancelled()
        # sudo: checked above (a campaign manager, cancelled rows only)
        self._ledger_sudo()._delete_cancelled()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        not_cancelled = self.filtered(lambda record: not record.cancelled)
        if not_cancelled:
            raise UserError(
                self.env._(
                    "%(record)s cannot be deleted: it is not cancelled. Cancel it first.",
                    record=not_cancelled[0].display_name,
                )
            )

    def _set_cancelled(self, cancelled):
        """Write ``cancelled`` on these rows (already with the rights to) and on what they carry."""
        self.write({"cancelled": cancelled})

    def _get_cancelled_parent(self):
        """What this row belongs to, when that is cancelled (a restore must start there); else nothing."""
        self.ensure_one()

    def _delete_cancelled(self):
        """Delete these cancelled rows (already with the rights to) and what they carry."""
        self.unlink()
