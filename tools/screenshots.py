"""Screenshots of the running demo in headless Chromium, for the README and for review.

Start the demo first (``./dev run``), then::

    ~/.cache/sales_campaign/venv/bin/python tools/screenshots.py [--out docs/screenshots] [shot ...]

Each shot opens a page of the web client as a demo user (through the Chrome DevTools protocol, with
Debian's ``chromium``), waits until the page has settled, optionally plays a few clicks, and saves a PNG.
"""

import argparse
import base64
import datetime
import email
import email.message
import email.policy
import email.utils
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import requests
import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Browser:
    """A headless Chromium driven through the DevTools protocol: just what screenshots need."""

    def __init__(self, width=1440, height=900, tz=None):
        self.profile = tempfile.mkdtemp(prefix="sc-chromium-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not binary:
            sys.exit("screenshots: chromium not found (apt-get install chromium)")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # the web client shows dates in the browser's time zone: that of the user's office, as in real use
            env={**os.environ, "TZ": tz} if tz else None,
        )
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
                    pages = [t for t in json.load(response) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("screenshots: chromium did not start")
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.25)
        raise RuntimeError(f"timeout waiting for {selector}")

    def settle(self, quiet=1.0, timeout=30):
        """Wait until the web client shows no loading indicator for ``quiet`` seconds."""
        deadline = time.time() + timeout
        calm_since = None
        while time.time() < deadline:
            busy = self.evaluate(
                "document.readyState !== 'complete' || !!document.querySelector('.o_loading_indicator, .o_blockUI')"
            )
            if busy:
                calm_since = None
            elif calm_since is None:
                calm_since = time.time()
            elif time.time() - calm_since >= quiet:
                return
            time.sleep(0.1)

    def open(self, url):
        self.send("Page.navigate", url=url)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(10)
            shutil.rmtree(self.profile, ignore_errors=True)


class Odoo:
    """JSON-RPC access to the demo database, to find the records to show."""

    def __init__(self, base_url, db, login, password):
        self.base_url = base_url
        self.session = requests.Session()
        response = self.session.post(
            f"{base_url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        ).json()
        if response.get("error") or not response.get("result", {}).get("uid"):
            sys.exit(f"screenshots: cannot log in as {login}: {response.get('error')}")
        self.session_id = self.session.cookies["session_id"]
        self.uid = response["result"]["uid"]
        # The user's context (language, time zone) goes with every call, as the web client sends it.
        self.context = response["result"].get("user_context", {})
        self.cache = {}  # records made by one shot and shown by the next ones of the same run
        self.admin = self  # who may read the XML ids of the demo (Administration / Access Rights)

    def call(self, model, method, *args, **kwargs):
        response = self.session.post(
            f"{self.base_url}/web/dataset/call_kw",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": model,
                    "method": method,
                    "args": args,
                    "kwargs": {"context": self.context, **kwargs},
                },
            },
            timeout=120,
        ).json()
        if response.get("error"):
            raise RuntimeError(response["error"]["data"]["message"])
        return response.get("result")

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        found = self.admin.call(
            "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"]
        )
        return found[0]["res_id"]


def click(browser, selector):
    browser.wait_for(selector)
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
    browser.settle()


SHOTS = {}


def shot(name):
    def register(func):
        SHOTS[name] = func
        return func

    return register


@shot("campaign-form")
def campaign_form(browser, odoo, base_url):
    """The campaign card of the demo's campaign (the first campaign found)."""
    campaign_ids = odoo.call("sales.campaign", "search", [], order="id desc", limit=1)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign_ids[0]}")
    browser.wait_for(".o_form_view .o_field_widget[name=title]")


@shot("campaign-list")
def campaign_list(browser, odoo, base_url):
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action")
    browser.wait_for(".o_list_view")


@shot("contact-segmentation")
def contact_segmentation(browser, odoo, base_url):
    partner_id = odoo.ref("sales_campaign.res_partner_jan_de_vries_demo")
    browser.open(f"{base_url}/odoo/action-sales_campaign.res_partner_action_campaign_contacts/{partner_id}")
    browser.wait_for(".o_form_view")
    browser.settle()
    click(browser, ".o_notebook a.nav-link[name=segmentation]")


def story_segment(odoo, description, steps):
    """A segment of the demo story made through the wizards over RPC; returns its id."""
    segment_id = odoo.call("sales.segment", "create", {"description": description})
    for mode, values in steps:
        wizard_id = odoo.call(
            "sales.segment.contacts.wizard", "create", {"segment_id": segment_id, "mode": mode, **values}
        )
        odoo.call("sales.segment.contacts.wizard", "action_apply", [wizard_id])
    return segment_id


def open_segment(browser, base_url, segment_id, tab=None):
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_segment_action/{segment_id}")
    browser.wait_for(".o_form_view .o_field_widget[name=description]")
    browser.settle()
    if tab:
        click(browser, f".o_notebook a.nav-link[name={tab}]")


def purchase_and_customer(odoo):
    purchase = odoo.ref("sales_campaign.sales_job_responsibility_purchase_demo")
    customer = odoo.ref("sales_campaign.sales_business_relation_cust_demo")
    return purchase, customer


@shot("segment-after-add")
def segment_after_add(browser, odoo, base_url):
    purchase, _customer = purchase_and_customer(odoo)
    segment_id = story_segment(
        odoo, "Office Futurus trade show visitors", [("add", {"job_responsibility_ids": [(6, 0, [purchase])]})]
    )
    open_segment(browser, base_url, segment_id)


@shot("segment-after-reduce")
def segment_after_reduce(browser, odoo, base_url):
    purchase, customer = purchase_and_customer(odoo)
    segment_id = story_segment(
        odoo,
        "Office Futurus trade show visitors",
        [
            ("add", {"job_responsibility_ids": [(6, 0, [purchase])]}),
            ("reduce", {"business_relation_ids": [(6, 0, [customer])]}),
        ],
    )
    open_segment(browser, base_url, segment_id)


@shot("segment-large")
def segment_large(browser, odoo, base_url):
    """A segment of 1,500 contacts: its form holds 1,000 of the lines and says so (issue 22)."""
    company_ids = odoo.call("res.partner", "search", [("name", "=", "Beursbezoekers Groep BV")], limit=1)
    if company_ids:
        company_id = company_ids[0]
    else:
        company_id = odoo.call("res.partner", "create", {"name": "Beursbezoekers Groep BV", "is_company": True})
        first = ["Anouk", "Bram", "Carla", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Iris", "Jeroen"]
        last = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos", "Vos"]
        odoo.call(
            "res.partner",
            "create",
            [
                {
                    "name": f"{first[i % 10]} {last[(i // 10) % 10]} {i:04d}",
                    "parent_id": company_id,
                    "email": f"bezoeker{i:04d}@beursgroep.example",
                }
                for i in range(1500)
            ],
        )
    segment_id = story_segment(
        odoo, "Office Futurus visitors (large)", [("add", {"partner_domain": f"[('parent_id', '=', {company_id})]"})]
    )
    open_segment(browser, base_url, segment_id)


@shot("segment-history")
def segment_history(browser, odoo, base_url):
    purchase, customer = purchase_and_customer(odoo)
    segment_id = story_segment(
        odoo,
        "Office Futurus trade show visitors",
        [
            ("add", {"job_responsibility_ids": [(6, 0, [purchase])], "expand_contact_companies": True}),
            ("reduce", {"business_relation_ids": [(6, 0, [customer])], "entire_companies": True}),
        ],
    )
    open_segment(browser, base_url, segment_id, tab="history")


@shot("add-contacts-wizard")
def add_contacts_wizard(browser, odoo, base_url):
    segment_id = odoo.call("sales.segment", "create", {"description": "Office Futurus trade show visitors"})
    open_segment(browser, base_url, segment_id)
    click(browser, ".o_form_statusbar button.o_sales_segment_add")
    browser.wait_for(".modal .o_field_widget[name=job_responsibility_ids] input")
    browser.evaluate("document.querySelector('.modal .o_field_widget[name=job_responsibility_ids] input').focus()")
    browser.send("Input.insertText", text="PURCHASE")
    browser.wait_for(".o-autocomplete--dropdown-item")
    browser.settle()
    browser.evaluate(
        "document.querySelector('.o-autocomplete--dropdown-item a, .o-autocomplete--dropdown-item').click()"
    )
    browser.settle()


def type_and_pick(browser, selector, text):
    """Type ``text`` into a many2one of the form, as a user does, and pick the first record it offers."""
    browser.wait_for(selector)
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
    browser.send("Input.insertText", text=text)
    item = ".o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option)"
    browser.wait_for(item)
    browser.settle()
    browser.evaluate(f"document.querySelector({json.dumps(item)}).click()")
    browser.settle()


def action_menu(browser, odoo, xmlid):
    """Open the form's Action menu and choose the server action ``xmlid``, found by its name in the user's
    language."""
    # Server actions are the administrator's to read; the name in the user's language.
    context = {**odoo.admin.context, "lang": odoo.context.get("lang") or "en_US"}
    name = odoo.admin.call("ir.actions.server", "read", [odoo.ref(xmlid)], ["name"], context=context)[0]["name"]
    click(browser, ".o_form_view .o_cp_action_menus button:has(.fa-cog)")
    browser.wait_for(".o-dropdown--menu .o-dropdown-item")
    browser.evaluate(
        "Array.from(document.querySelectorAll('.o-dropdown--menu .o-dropdown-item'))"
        f".find((item) => item.textContent.includes({json.dumps(name)})).click()"
    )
    browser.settle()


def purchasers_segment(odoo, description="Office Futurus trade show visitors", campaign=False):
    """The trade show's purchasers, optionally linked to the story's campaign as its targets."""
    purchase, _customer = purchase_and_customer(odoo)
    segment_id = story_segment(odoo, description, [("add", {"job_responsibility_ids": [(6, 0, [purchase])]})])
    if campaign:
        odoo.call(
            "sales.segment",
            "write",
            [segment_id],
            {"campaign_id": story_campaign(odoo), "campaign_target": True},
        )
        odoo.call("sales.segment", "action_apply_line_defaults", [segment_id])
    return segment_id


@shot("segment-line-update")
def segment_line_update(browser, odoo, base_url):
    """The banner as the template is chosen in the form: what changed, and what Update Lines does to which lines;
    the template's subject shows at once, for the user to type over."""
    segment_id = purchasers_segment(odoo)
    open_segment(browser, base_url, segment_id, tab="interaction")
    type_and_pick(browser, ".o_notebook .o_field_widget[name=template_id] input", "BUS")
    browser.wait_for(".o_form_view .o_sales_segment_line_update")


@shot("go-back-dialog")
def go_back_dialog(browser, odoo, base_url):
    """Go Back asks first, naming the step it undoes and what comes back."""
    purchase, customer = purchase_and_customer(odoo)
    segment_id = story_segment(
        odoo,
        "Office Futurus trade show visitors",
        [
            ("add", {"job_responsibility_ids": [(6, 0, [purchase])]}),
            ("reduce", {"business_relation_ids": [(6, 0, [customer])]}),
        ],
    )
    open_segment(browser, base_url, segment_id)
    click(browser, ".o_form_statusbar button.o_sales_segment_go_back")
    browser.wait_for(".modal .o_sales_segment_go_back_message")


@shot("remove-lines")
def remove_lines(browser, odoo, base_url):
    """Remove Lines, from within the segment: two lines ticked, the dialog's Remove from Segment."""
    segment_id = purchasers_segment(odoo)
    open_segment(browser, base_url, segment_id)
    click(browser, ".o_form_view .o_sales_segment_remove_lines")
    browser.wait_for(".modal .o_data_row .o_list_record_selector input")
    for row in (1, 2):
        click(browser, f".modal .o_data_row:nth-child({row}) .o_list_record_selector input")
    browser.wait_for(".modal .o_sales_segment_line_remove")


@shot("create-opportunities")
def create_opportunities(browser, odoo, base_url):
    """Create Opportunities asks first: how many, with which expected revenue, sales team and stage."""
    segment_id = purchasers_segment(odoo, campaign=True)
    open_segment(browser, base_url, segment_id)
    action_menu(browser, odoo, "sales_campaign.sales_segment_action_create_opportunities")
    browser.wait_for(".modal .o_sales_segment_opportunity_count")


@shot("plan-activities")
def plan_activities(browser, odoo, base_url):
    """Plan Activities shows the plan's steps, their due dates and who gets how many, before OK."""
    campaign_id = story_campaign(odoo)
    purchasers_segment(odoo, campaign=True)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign_id}")
    click(browser, ".o_form_view .o_form_statusbar button.o_sales_campaign_plan_activities")
    browser.wait_for(".modal .o_sales_campaign_plan_summary")


def story_campaign(odoo):
    """The campaign of the demo story (Rome Guest Chair launch), created when the demo has none yet."""
    title = "Rome Guest Chair launch"
    found = odoo.call("sales.campaign", "search", [("title", "=", title)], order="id desc", limit=1)
    if found:
        return found[0]
    today = datetime.date.today()
    return odoo.call(
        "sales.campaign",
        "create",
        {
            "title": title,
            "status_id": odoo.ref("sales_campaign.sales_campaign_status_active"),
            "date_start": today.replace(day=1).isoformat(),
            "date_end": (today.replace(day=1) + datetime.timedelta(days=92)).isoformat(),
        },
    )


def letter_segment(odoo):
    """The trade show visitors buying for their company, to get the business letter of the story (each
    contact keeps the correspondence type of their card: e-mails for most, printed letters for a few)."""
    purchase, _customer = purchase_and_customer(odoo)
    segment_id = story_segment(
        odoo, "Office Futurus trade show visitors", [("add", {"job_responsibility_ids": [(6, 0, [purchase])]})]
    )
    odoo.call(
        "sales.segment",
        "write",
        [segment_id],
        {
            "template_id": odoo.ref("sales_campaign.sales_interaction_template_business_letter"),
            "campaign_id": story_campaign(odoo),
            "campaign_target": True,
        },
    )
    # The new template's defaults go to the lines that still have the old ones (the header's offer).
    segment = odoo.call("sales.segment", "read", [segment_id], ["pending_line_update"])[0]
    if segment["pending_line_update"]:
        odoo.call("sales.segment", "action_apply_line_defaults", [segment_id])
    return segment_id


def logged_story(odoo):
    """The letter segment logged through the Log wizard (letters printed, e-mails queued); returns the
    id of the logged segment. Made once per run: the shots after the first show the same one."""
    if "logged_segment" not in odoo.cache:
        segment_id = letter_segment(odoo)
        wizard_id = odoo.call("sales.segment.log.wizard", "create", {"segment_id": segment_id})
        odoo.call("sales.segment.log.wizard", "action_log", [wizard_id])
        segment = odoo.call("sales.segment", "read", [segment_id], ["logged_segment_id"])[0]
        odoo.cache["logged_segment"] = segment["logged_segment_id"][0]
    return odoo.cache["logged_segment"]


@shot("log-wizard")
def log_wizard(browser, odoo, base_url):
    segment_id = letter_segment(odoo)
    open_segment(browser, base_url, segment_id)
    click(browser, ".o_form_statusbar button.o_sales_segment_log")
    browser.wait_for(".modal .o_field_widget[name=create_followup_segment]")


@shot("logged-segment")
def logged_segment(browser, odoo, base_url):
    logged_id = logged_story(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_logged_segment_action/{logged_id}")
    browser.wait_for(".o_form_view .o_field_widget[name=description]")


@shot("interaction-log")
def interaction_log(browser, odoo, base_url):
    logged_story(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_interaction_log_action")
    browser.wait_for(".o_list_view .o_data_row")


def campaign_results(odoo):
    """The story's campaign after the responses: logged letters, two responses, a campaign price for the
    Rome Guest Chair, activated, an opportunity and a confirmed order. Made once per database."""
    if "campaign_results" in odoo.cache:
        return odoo.cache["campaign_results"]
    campaign_id = story_campaign(odoo)
    logged_id = logged_story(odoo)
    campaign = odoo.call("sales.campaign", "read", [campaign_id], ["utm_campaign_id", "price_item_ids", "activated"])[0]
    entries = odoo.call(
        "sales.interaction.log", "search_read", [("logged_segment_id", "=", logged_id)], ["partner_id"], limit=3
    )
    responses = odoo.call("sales.interaction.template", "search", [("code", "=", "RESP")], limit=1)
    if not responses:
        responses = [
            odoo.call(
                "sales.interaction.template",
                "create",
                {
                    "code": "RESP",
                    # typed by the user, in the user's language
                    "name": {"nl": "Campagnereactie", "fr": "Réponse à la campagne", "nb": "Kampanjesvar"}.get(
                        (odoo.context.get("lang") or "en")[:2], "Campaign response"
                    ),
                    "group_id": odoo.ref("sales_campaign.sales_interaction_group_response"),
                    "information_flow": "inbound",
                    "initiated_by": "them",
                    "unit_duration": 15,
                },
            )
        ]
    for entry in entries[:2]:
        odoo.call(
            "sales.interaction.log",
            "create",
            {
                "partner_id": entry["partner_id"][0],
                "template_id": responses[0],
                "description": "Asked for an offer",
                "campaign_id": campaign_id,
                "campaign_response": True,
            },
        )
    chair = odoo.ref("sales_campaign.product_rome_guest_chair_demo")
    chair_template = odoo.call("product.product", "read", [chair], ["product_tmpl_id"])[0]["product_tmpl_id"][0]
    if not campaign["price_item_ids"]:
        odoo.call(
            "sales.campaign",
            "write",
            [campaign_id],
            {
                "price_item_ids": [
                    (
                        0,
                        0,
                        {"sales_campaign_price_type": "price", "product_tmpl_id": chair_template, "fixed_price": 159.0},
                    ),
                    (
                        0,
                        0,
                        {
                            "sales_campaign_price_type": "discount",
                            "display_applied_on": "2_product_category",
                            "categ_id": odoo.ref("product.product_category_all"),
                            "percent_price": 5.0,
                            "min_quantity": 10,
                        },
                    ),
                ]
            },
        )
    if not campaign["activated"]:
        odoo.call("sales.campaign", "action_activate", [campaign_id])
    partner = entries[0]["partner_id"][0]
    odoo.call(
        "crm.lead",
        "create",
        {
            "name": "Rome Guest Chairs for the meeting rooms",
            "type": "opportunity",
            "partner_id": partner,
            "expected_revenue": 4800,
            "campaign_id": campaign["utm_campaign_id"][0],
        },
    )
    order_id = odoo.call(
        "sale.order",
        "create",
        {"partner_id": partner, "order_line": [(0, 0, {"product_id": chair, "product_uom_qty": 12})]},
    )
    odoo.call("sale.order", "action_confirm", [order_id])
    odoo.cache["campaign_results"] = campaign_id
    return campaign_id


@shot("campaign-statistics")
def campaign_statistics(browser, odoo, base_url):
    campaign_id = campaign_results(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign_id}")
    browser.wait_for(".o_form_view .o_field_widget[name=stat_responded_count]")


def scroll_into_view(browser, selector):
    browser.wait_for(selector)
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'start'}})")
    browser.settle()


@shot("ab-test-versions")
def ab_test_versions(browser, odoo, base_url):
    """The figures of each version of an A/B test on its logged segment (a log made beforehand with
    ``./dev shell < tools/screenshots_features_data.py``: versions A and B, the winner chosen on sales orders)."""
    [logged] = odoo.call(
        "sales.logged.segment", "search_read", [("description", "=", "Bezoekers beurs: A/B-test")], ["id"], limit=1
    )
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_logged_segment_action/{logged['id']}")
    scroll_into_view(browser, ".o_form_view .o_sales_logged_segment_versions")


@shot("campaign-uplift")
def campaign_uplift(browser, odoo, base_url):
    """The campaign card: its targets against its control group (the same data as ``ab-test-versions``)."""
    [campaign] = odoo.call(
        "sales.campaign", "search_read", [("title", "=", "Herfstactie bureaustoelen")], ["id"], limit=1
    )
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign['id']}")
    scroll_into_view(browser, ".o_form_view .o_sales_campaign_uplift")


class _SmtpSink:
    """aiosmtpd handler keeping the messages Odoo sends, to answer them as the contacts would."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def _local(base_url, url):
    parts = urllib.parse.urlsplit(url)
    return f"{base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def responses_story(odoo, base_url):
    """The story's campaign after a follow-up e-mail with a link: its e-mails leave through a local SMTP sink,
    some contacts reply (and one is out of office), some open the link, two unsubscribe with one click.
    Everything goes through Odoo as in production: the mail queue, ``message_process``, the tracked links and
    the one-click unsubscribe. Made once per database."""
    if "responses_story" in odoo.cache:
        return odoo.cache["responses_story"]
    import aiosmtpd.controller

    campaign_id = campaign_results(odoo)
    response = odoo.call("sales.interaction.template", "search", [("code", "=", "RESP")], limit=1)[0]
    odoo.call("sales.campaign", "write", [campaign_id], {"response_template_id": response})
    sink = _SmtpSink()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = aiosmtpd.controller.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    # The mail server, the mail queue and the mail gateway are the administrator's (and the server's) part.
    server_id = odoo.admin.call(
        "ir.mail_server",
        "create",
        {
            "name": "Screenshots SMTP sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_encryption": "none",
            "sequence": 0,
        },
    )
    try:
        template = odoo.call("sales.interaction.template", "search", [("code", "=", "FOLLOW")], limit=1)
        if not template:
            template = [
                odoo.call(
                    "sales.interaction.template",
                    "create",
                    {
                        "code": "FOLLOW",
                        "name": "Follow-up e-mail",
                        "correspondence_type": "email",
                        "group_id": odoo.ref("sales_campaign.sales_interaction_group_email"),
                        "lang_default": "en_US",
                        "unit_cost": 0.1,
                        "unit_duration": 1,
                        "language_ids": [
                            (
                                0,
                                0,
                                {
                                    "lang": "en_US",
                                    "subject": "The Rome Guest Chair at a campaign price",
                                    "body_html": '<p>Dear <t t-out="object.name"/>,</p><p>The '
                                    '<a href="https://www.example.com/rome-guest-chair">Rome Guest '
                                    "Chair</a> is yours at a campaign price until the end of the "
                                    "month.</p>",
                                },
                            )
                        ],
                    },
                )
            ]
        segment_id = story_segment(odoo, "Office Futurus follow-up e-mail", [])
        partners = odoo.call(
            "res.partner",
            "search",
            [
                ("email", "!=", False),
                ("is_company", "=", False),
                (
                    "id",
                    "in",
                    [
                        odoo.ref(f"sales_campaign.res_partner_{name}_demo")
                        for name in (
                            "jan_de_vries",
                            "eva_visser",
                            "sanne_bakker",
                            "lars_johansen",
                            "nina_berg",
                            "ingrid_hansen",
                            "camille_dubois",
                            "lea_martin",
                            "julien_moreau",
                            "grace_miller",
                            "emma_clarke",
                            "lukas_meier",
                        )
                    ],
                ),
            ],
        )
        wizard_id = odoo.call(
            "sales.segment.contacts.wizard",
            "create",
            {"segment_id": segment_id, "mode": "add", "partner_domain": repr([("id", "in", partners)])},
        )
        odoo.call("sales.segment.contacts.wizard", "action_apply", [wizard_id])
        odoo.call(
            "sales.segment",
            "write",
            [segment_id],
            {
                "template_id": template[0],
                "campaign_id": campaign_id,
                "campaign_target": True,
                "correspondence_type": "email",
                "ignore_contact_correspondence_type": True,
            },
        )
        odoo.call("sales.segment", "write", [segment_id], {"lang_default": "en_US"})
        segment = odoo.call("sales.segment", "read", [segment_id], ["pending_line_update"])[0]
        if segment["pending_line_update"]:
            odoo.call("sales.segment", "action_apply_line_defaults", [segment_id])
        wizard_id = odoo.call("sales.segment.log.wizard", "create", {"segment_id": segment_id})
        odoo.call("sales.segment.log.wizard", "action_log", [wizard_id])
        odoo.admin.call("mail.mail", "process_email_queue")
        follow_ups = [
            message for message in sink.messages if message["Subject"] == "The Rome Guest Chair at a campaign price"
        ]
        for index, message in enumerate(follow_ups):
            body = message.get_body(preferencelist=("html",)).get_content()
            if index < 5:  # replies, from the contact's mail client
                reply = email.message.EmailMessage()
                reply["From"] = message["To"]
                reply["To"] = message["Reply-To"] or message["From"]
                reply["Subject"] = f"Re: {message['Subject']}"
                reply["Message-Id"] = email.utils.make_msgid(domain="visitors.example")
                reply["In-Reply-To"] = message["Message-Id"]
                reply["References"] = message["Message-Id"]
                reply["Date"] = email.utils.formatdate(localtime=True)
                if index == 4:
                    reply["Auto-Submitted"] = "auto-replied"  # out of office: no response
                reply.set_content("Please send us an offer for 40 chairs.")
                odoo.admin.call("mail.thread", "message_process", False, reply.as_string())
            if index % 3 != 2:  # two in three open the link
                tracked = re.search(r'href="([^"]+/r/[^"]+/c/[^"]+)"', body).group(1)
                requests.get(_local(base_url, tracked), allow_redirects=False, timeout=60)
            if index in (6, 9):  # one click in the mailbox: unsubscribe
                requests.post(
                    _local(base_url, message["List-Unsubscribe"][1:-1]),
                    data={"List-Unsubscribe": "One-Click"},
                    timeout=60,
                )
    finally:
        controller.stop()
        odoo.admin.call("ir.mail_server", "write", [server_id], {"active": False})
    odoo.cache["responses_story"] = campaign_id
    return campaign_id


@shot("campaign-responses")
def campaign_responses(browser, odoo, base_url):
    """The campaign card's funnel with the e-mails sent, clicks, replies, responses and unsubscribes."""
    campaign_id = responses_story(odoo, base_url)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign_id}")
    browser.wait_for(".o_form_view .o_sales_campaign_statistics_chart canvas")
    browser.settle()
    browser.evaluate("document.querySelector('.o_notebook').scrollIntoView()")


@shot("campaign-prices")
def campaign_prices(browser, odoo, base_url):
    campaign_id = campaign_results(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_action/{campaign_id}")
    click(browser, ".o_notebook a.nav-link[name=prices]")
    browser.wait_for(".o_field_widget[name=price_item_ids] .o_data_row")


@shot("campaign-analysis")
def campaign_analysis(browser, odoo, base_url):
    campaign_results(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_campaign_analysis_action")
    browser.wait_for(".o_pivot")


@shot("interaction-pivot")
def interaction_pivot(browser, odoo, base_url):
    campaign_results(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_interaction_log_action_analysis")
    browser.wait_for(".o_pivot")


@shot("letter")
def letter(browser, odoo, base_url):
    """The first page of the printed letters of the logged story, through pdftoppm."""
    logged_id = logged_story(odoo)
    browser.open(f"{base_url}/odoo/action-sales_campaign.sales_logged_segment_action/{logged_id}")
    browser.wait_for(".o_form_view")
    attachments = odoo.call(
        "ir.attachment",
        "search_read",
        [("res_model", "=", "sales.logged.segment"), ("res_id", "=", logged_id), ("mimetype", "=", "application/pdf")],
        ["id"],
        limit=1,
    )
    if not attachments:
        raise RuntimeError("the logged segment has no letters")
    pdf = odoo.session.get(f"{base_url}/web/content/{attachments[0]['id']}?download=true", timeout=120).content
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "letters.pdf")
        with open(source, "wb") as handle:
            handle.write(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, os.path.join(folder, "page")],
            check=True,
        )
        with open(os.path.join(folder, "page.png"), "rb") as handle:
            browser.pending_image = handle.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8069")
    parser.add_argument("--db", default="sales_campaign")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--admin-password", default="admin", help="to find demo records by XML id as another user")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    parser.add_argument("--lang", help="the language of the user for these shots, e.g. nl_NL (default: as it is)")
    parser.add_argument(
        "--tz", default="Europe/Amsterdam", help="the browser's time zone (default: that of the demo's office)"
    )
    parser.add_argument("shots", nargs="*", help=f"which shots to take (default: all of {', '.join(SHOTS)})")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    odoo = Odoo(args.base_url, args.db, args.login, args.password)
    if args.login != "admin":
        odoo.admin = Odoo(args.base_url, args.db, "admin", args.admin_password)
    if args.lang:
        odoo.call("res.users", "write", [odoo.uid], {"lang": args.lang})
        odoo.context["lang"] = args.lang
    browser = Browser(tz=args.tz)
    try:
        browser.send("Network.setCookie", name="session_id", value=odoo.session_id, url=args.base_url, httpOnly=True)
        for name in args.shots or SHOTS:
            SHOTS[name](browser, odoo, args.base_url)
            browser.settle()
            path = os.path.join(args.out, f"{name}.png")
            if getattr(browser, "pending_image", None):  # a shot that made its own image (the letter)
                with open(path, "wb") as handle:
                    handle.write(browser.pending_image)
                browser.pending_image = None
            else:
                browser.screenshot(path)
            print(path)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
