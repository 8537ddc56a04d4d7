"""The demo users find the Campaigns app, in their language and with its demo data, in the web client."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def _menu_names(self, login):
        self.authenticate(login, login)
        menus = self.url_open("/web/webclient/load_menus/1").json()
        return {menu["name"] for menu in menus.values() if isinstance(menu, dict) and menu.get("name")}

    def test_staff_and_manager_see_the_campaigns_app_in_their_language(self):
        expected = {
            "marketing.staff": ("Campagnes", "Modèles d'interaction", "Responsabilités"),  # Swiss French
            "marketing.manager": ("Campagnes", "Interactiesjablonen", "Functiegroepen"),  # Dutch
            "admin": ("Campaigns", "Interaction Templates", "Job Responsibilities"),
        }
        for login, names in expected.items():
            with self.subTest(login=login):
                menus = self._menu_names(login)
                for name in names:
                    self.assertIn(name, menus)

    def test_demo_users_land_in_the_campaigns(self):
        """Once logged in, the web client of the demo users opens on the Campaigns (their home action)."""
        action = self.env.ref("sales_campaign.sales_campaign_action")
        for login in ("marketing.staff", "marketing.manager"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                session_info = self.make_jsonrpc_request("/web/session/get_session_info")
                self.assertEqual(session_info["home_action_id"], action.id)

    def test_campaign_list_shows_the_demo_campaign(self):
        self.authenticate("marketing.staff", "marketing.staff")
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/sales.campaign/web_search_read",
            {
                "model": "sales.campaign",
                "method": "web_search_read",
                "args": [],
                "kwargs": {
                    "domain": [],
                    "specification": {"number": {}, "title": {}, "status_id": {"fields": {"display_name": {}}}},
                },
            },
        )
        numbers = {record["number"] for record in result["records"]}
        self.assertIn("XMAS-2025", numbers)
