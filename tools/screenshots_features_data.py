"""Data for the screenshots ab-test-versions and campaign-uplift of tools/screenshots.py, in the demo database:

    ./dev shell < tools/screenshots_features_data.py

A campaign running now, a log of 100 visitors with a control group of 20% (40% of the targets order, 15% of
the control group), and an A/B test of 100 other visitors (test share 40%, the winner on sales orders).
"""

import socket
from datetime import timedelta

import aiosmtpd.controller

from odoo import Command, fields


async def _accept(self, server, session, envelope):
    return "250 OK"


env = globals()["env"]  # given by odoo-bin shell
manager = env.ref("sales_campaign.user_marketing_manager_demo")
campaign = env["sales.campaign"].create(
    {
        "title": "Herfstactie bureaustoelen",
        "date_start": fields.Date.today() - timedelta(days=10),
        "date_end": fields.Date.today() + timedelta(days=30),
    }
)
template = env.ref("sales_campaign.sales_interaction_template_business_letter")
# A sales order of a target is a response of the campaign with a response template (Responses, Orders).
campaign.response_template_id = env["sales.interaction.template"].create(
    {
        "code": "HERFST-R",
        "name": "Respons herfstactie",
        "group_id": env.ref("sales_campaign.sales_interaction_group_response").id,
        "information_flow": "inbound",
        "initiated_by": "them",
    }
)
persons = env["res.partner"].create(
    [{"name": f"Klant {i:03d}", "email": f"klant.{i:03d}@voorbeeld.example", "lang": "en_US"} for i in range(200)]
)
chair = env["product.product"].search([("sale_ok", "=", True)], limit=1)


def segment_of(partners, **values):
    segment = (
        env["sales.segment"]
        .with_user(manager)
        .create(
            {
                "description": values.pop("description"),
                "template_id": template.id,
                "campaign_id": campaign.id,
                "campaign_target": True,
                "correspondence_type": "email",
                "ignore_contact_correspondence_type": True,
                **values,
            }
        )
    )
    segment._run_step("add", {"partner_ids": partners.ids})
    return segment


# 1. Control group: 100 contacts, 20% control; 40% of the targets and 15% of the control order.
segment = segment_of(persons[:100], description="Bezoekers beurs: controlegroep")
wizard = (
    env["sales.segment.log.wizard"]
    .with_user(manager)
    .with_context(default_segment_id=segment.id)
    .create({"control_share": 20})
)
wizard.action_log()
logged = segment.logged_segment_id
entries = logged.interaction_ids
control = entries.filtered("campaign_control").partner_id
targets = entries.filtered("campaign_target").partner_id


def order(partner, amount, with_campaign):
    values = {
        "partner_id": partner.id,
        "order_line": [
            Command.create({"product_id": chair.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": False})
        ],
    }
    if with_campaign:
        values["campaign_id"] = campaign.utm_campaign_id.id
    so = env["sale.order"].create(values)
    so.action_confirm()


for p in targets[: int(len(targets) * 0.4)]:
    order(p, 1200, True)
for p in control[: max(1, int(len(control) * 0.15))]:
    order(p, 1000, False)

# 2. A/B test: 100 contacts, test share 40%, winner by sales orders, chosen by hand.
segment = segment_of(
    persons[100:], description="Bezoekers beurs: A/B-test", ab_test_share=40, ab_winner_selection="ordered"
)
segment.action_add_version()
a, b = segment.version_ids
b.text_ids.write({"subject": "Een stoel voor u", "body_html": '<p>Beste <t t-out="object.name"/>, kom zitten.</p>'})
wizard = env["sales.segment.log.wizard"].with_user(manager).with_context(default_segment_id=segment.id).create({})
wizard.action_log()
ab_logged = segment.logged_segment_id
# The e-mails of the versions leave through an SMTP sink, as the mail queue sends them.
with socket.socket() as free:
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
sink = aiosmtpd.controller.Controller(type("Sink", (), {"handle_DATA": _accept})(), hostname="127.0.0.1", port=port)
sink.start()
server = env["ir.mail_server"].create(
    {
        "name": "Screenshots SMTP sink",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_encryption": "none",
        "sequence": 0,
    }
)
env["mail.mail"].search([("state", "=", "outgoing")]).send()
server.active = False
sink.stop()
test = ab_logged.interaction_ids.filtered(lambda e: e.ab_part == "test")
for e in test.filtered(lambda e: e.version_id == a)[:2]:
    order(e.partner_id, 900, True)
for e in test.filtered(lambda e: e.version_id == b)[:6]:
    order(e.partner_id, 1100, True)
env.cr.commit()
print("SHOTS", campaign.id, logged.id, ab_logged.id, ab_logged.state)
