"""The web client serves the login page, and the demo users find the Campaigns app with its demo data."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def test_login_page_is_served(self):
        response = self.url_open("/web/login")
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="login"', response.text)

    def _menu_names(self, login):
        self.authenticate(login, login)
        menus = self.url_open("/web/webclient/load_menus/1").json()
        return {menu["name"] for menu in menus.values() if isinstance(menu, dict) and menu.get("name")}

    def test_staff_and_manager_see_the_campaigns_app(self):
        for login in ("marketing.staff", "marketing.manager", "admin"):
            with self.subTest(login=login):
                names = self._menu_names(login)
                self.assertIn("Campaigns", names)
                self.assertIn("Interaction Templates", names)
                self.assertIn("Job Responsibilities", names)

    def test_campaign_list_shows_the_demo_campaign(self):
        self.authenticate("marketing.staff", "marketing.staff")
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/sales.campaign/web_search_read",
            {
                "model": "sales.campaign",
                "method": "web_search_read",
                "args": [],
                "kwargs": {"domain": [], "specification": {"number": {}, "title": {}, "status_id": {"fields": {"display_name": {}}}}},
            },
        )
        numbers = {record["number"] for record in result["records"]}
        self.assertIn("XMAS-2025", numbers)
