import re

from odoo import models

# The channel a web client asks for to follow the delivery of a logged segment (its form, or its segment's, open).
LOGGED_SEGMENT_CHANNEL = re.compile(r"^sales\.logged\.segment_(\d+)$")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """``sales.logged.segment_<id>``, asked for by the web client while a logged segment's form (or its
        segment's) is open, becomes that logged segment's own channel, for a user who may read it: each batch
        of its delivery is told there (``sales.logged.segment._bus_notify_delivery``)."""
        channels = list(channels)  # the caller's list is left as it is
        logged_ids = []
        for channel in list(channels):
            if isinstance(channel, str) and (match := LOGGED_SEGMENT_CHANNEL.match(channel)):
                channels.remove(channel)
                logged_ids.append(int(match[1]))
        Logged = self.env["sales.logged.segment"]
        if logged_ids and self.env.uid and Logged.has_access("read"):
            # the user's own rights and record rules: another company's logs are not followed
            channels.extend(Logged.search([("id", "in", logged_ids)]))
        return super()._build_bus_channel_list(channels)
