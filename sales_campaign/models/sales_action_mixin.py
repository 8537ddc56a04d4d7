from odoo import api, models


class SalesActionMixin(models.AbstractModel):
    """What the campaign actions answer with: a notification, a filtered list, a download."""

    _name = "sales.action.mixin"
    _description = "Campaign Actions"

    @api.model
    def _notify(self, message, counts=None, next_action=None):
        """A success notification, then ``next_action``: by default close the dialog, which reloads the record.

        (``soft_reload`` would show a blank form again when the record was new before the button saved it.)
        """
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "sticky": False,
                "counts": counts or {},
                "next": next_action or {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _action_open_filtered(self, xmlid, domain, name=None, context=None):
        """The window action ``xmlid`` (its views, help and search defaults) restricted to ``domain``, as
        mass_mailing's ``_action_view_traces_filtered`` does."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        if name:
            action["name"] = name
        if context is not None:
            action["context"] = context
        return action

    @api.model
    def _action_download(self, url):
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}
