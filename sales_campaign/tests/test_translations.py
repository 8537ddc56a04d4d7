import os

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader

I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
LANGUAGES = ("nl", "nb", "fr", "de")


def read_po(filename):
    """The entries of a .po file as Odoo loads them: merged with the module's .pot, whose missing entries are
    skipped (``PoFileReader`` obsoletes them)."""
    with open(os.path.join(I18N, filename), "rb") as handle:
        return list(PoFileReader(handle))


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term of the module exists, translated, in Dutch, Norwegian, French and German."""

    def read_terms(self, filename):
        return {
            (entry["type"], entry["name"], entry["res_id"], entry["src"]): entry["value"] for entry in read_po(filename)
        }

    def test_pot_holds_the_terms_of_the_code(self):
        """The committed .pot is what ``./dev i18n`` exports today: no term of the code or data is missing from
        it (it would go untranslated) and none it holds is gone from the code (its translation is dead)."""
        exported = {
            (kind, source)
            for module, kind, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=["sales_campaign"]
            )
            if module == "sales_campaign" and source
        }
        committed = {(entry["type"], entry["src"]) for entry in read_po("sales_campaign.pot")}
        self.assertFalse(sorted(exported - committed)[:10], "terms of the code missing from the .pot: run ./dev i18n")
        self.assertFalse(sorted(committed - exported)[:10], "terms of the .pot gone from the code: run ./dev i18n")

    def test_po_files_cover_the_pot(self):
        template = self.read_terms("sales_campaign.pot")
        self.assertGreater(len(template), 500)
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                translations = self.read_terms(f"{lang}.po")
                missing = sorted(key[3] for key in template if not translations.get(key))
                self.assertFalse(missing, f"{lang}.po misses {len(missing)} terms, e.g. {missing[:5]}")

    def test_po_files_cover_the_data_and_demo_records(self):
        """Each translatable name of the module's records, data and demo alike (code lists, statuses, interaction
        groups and templates, the demo product and campaign), has its translation in every .po file."""
        expected = {}
        data = self.env["ir.model.data"].search([("module", "=", "sales_campaign")])
        for model_name, names in data.grouped("model").items():
            if model_name not in self.env:
                continue
            Model = self.env[model_name].with_context(lang="en_US", active_test=False)
            fields = [name for name, field in Model._fields.items() if field.translate is True and field.store]
            for imd in names:
                record = Model.browse(imd.res_id).exists()
                for name in fields:
                    if record and record[name]:
                        expected[("model", f"{model_name},{name}", imd.name)] = record[name]
        demo = {key for key in expected if key[1].startswith("sales.job.responsibility,")}
        self.assertGreaterEqual(len(demo), 4, "the demo's job responsibilities are records of the module")
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                translations = {
                    (entry["type"], entry["name"], entry["imd_name"]): entry["value"]
                    for entry in read_po(f"{lang}.po")
                    if entry["type"] == "model" and entry["module"] == "sales_campaign"
                }
                missing = sorted(
                    f"{key[1]}:{key[2]} ({source!r})" for key, source in expected.items() if not translations.get(key)
                )
                self.assertFalse(
                    missing,
                    f"{lang}.po misses {len(missing)} record terms, e.g. {missing[:5]}; is sales_campaign.pot made "
                    "with the demo data (./dev i18n)? Odoo skips the .po entries its .pot lacks.",
                )

    def test_glossary_words_are_the_translations(self):
        """i18n/GLOSSARY.md is the users' words: each of its rows is the translation of its msgid."""
        translations = {lang: {entry["src"]: entry["value"] for entry in read_po(f"{lang}.po")} for lang in LANGUAGES}
        rows = 0
        with open(os.path.join(I18N, "GLOSSARY.md"), encoding="utf-8") as handle:
            for line in handle:
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                if not line.startswith("| ") or cells[0] == "English" or not cells[0].strip("-"):
                    continue
                rows += 1
                source, words = cells[0], cells[1:5]
                for lang, word in zip(LANGUAGES, words, strict=True):
                    with self.subTest(term=source, lang=lang):
                        self.assertEqual(translations[lang].get(source), word)
        self.assertGreater(rows, 30)

    def test_dutch_terms_reach_the_user(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"].search([("name", "=", "sales_campaign")])._update_translations(["nl_NL"])
        field = self.env["ir.model.fields"]._get("sales.campaign", "stat_response_rate")
        self.assertNotEqual(field.with_context(lang="nl_NL").field_description, field.field_description)
        menu = self.env.ref("sales_campaign.sales_campaign_menu_logged_segment").with_context(lang="nl_NL")
        self.assertNotEqual(menu.name, "Logged Segments")


@tagged("post_install", "-at_install")
class TestUsersWords(TransactionCase):
    """The story as a Dutch, Norwegian or French user lives it: the demo's code lists in their language, found by
    Business Central's code or by their own word, and the words of their Business Central on the buttons.

    No translation is reloaded here: installing the module with its demo data must have brought them, for the
    languages the demo activates (Dutch, Norwegian, Swiss French, served by fr.po).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.purchase = ref("sales_campaign.sales_job_responsibility_purchase_demo")
        cls.sales = ref("sales_campaign.sales_job_responsibility_sales_demo")
        cls.customer = ref("sales_campaign.sales_business_relation_cust_demo")
        cls.prospect = ref("sales_campaign.sales_business_relation_pros_demo")
        cls.vendor = ref("sales_campaign.sales_business_relation_vend_demo")
        cls.christmas = ref("sales_campaign.sales_mailing_group_xmas_demo")
        cls.staff = ref("sales_campaign.user_marketing_staff_demo")

    def in_lang(self, lang, record):
        return record.with_user(self.staff).with_context(lang=lang)

    def test_code_lists_read_in_the_users_language(self):
        ref = self.env.ref
        expected = {
            "nl_NL": ("Inkoop", "Klant (KLT)", "Prospect", "Kerstkaarten", "Gepland", "Brieven", "Zakenbrief"),
            "nb_NO": (
                "Kjøp",
                "Kunde (KUNDE)",
                "Potensiell kunde (FORR)",
                "Julekort",
                "Planlagt",
                "Brev",
                "Forretningsbrev",
            ),
            "fr_CH": ("Achat", "Client", "Prospect", "Cartes de vœux", "Planifié", "Lettres", "Lettre commerciale"),
        }
        records = (
            self.purchase,
            self.customer,
            self.prospect,
            self.christmas,
            ref("sales_campaign.sales_campaign_status_plan"),
            ref("sales_campaign.sales_interaction_group_letter"),
            ref("sales_campaign.sales_interaction_template_business_letter"),
        )
        for lang, names in expected.items():
            with self.subTest(lang=lang):
                self.assertEqual(tuple(self.in_lang(lang, record).display_name for record in records), names)
        chair = ref("sales_campaign.product_rome_guest_chair_demo").with_context(lang="nl_NL")
        self.assertEqual(chair.name, "Rome Guest Chair", "a product name stays as it is")
        self.assertTrue(chair.description_sale.startswith("Stapelbare bezoekersstoel"))
        campaign = ref("sales_campaign.sales_campaign_christmas_2025_demo").with_context(lang="nb_NO")
        self.assertEqual(campaign.display_name, "XMAS-2025 Julekort 2025")

    def test_pickers_find_by_code_and_by_the_users_word(self):
        """What a user types in the job responsibility or business relation picker of Add Contacts."""
        Responsibility = self.env["sales.job.responsibility"]
        Relation = self.env["sales.business.relation"]
        cases = {
            "nl_NL": [
                (Responsibility, "Inkoop", self.purchase),
                (Relation, "KLT", self.customer),
                (Relation, "klant", self.customer),
                (Responsibility, "PURCHASE", self.purchase),
                (Relation, "CUST", self.customer),
                (Relation, "Leverancier", self.vendor),
            ],
            "nb_NO": [
                (Responsibility, "Kjøp", self.purchase),
                (Relation, "KUNDE", self.customer),
                (Relation, "FORR", self.prospect),
                (Responsibility, "Salg", self.sales),
                (Relation, "PROS", self.prospect),
            ],
            "fr_CH": [
                (Responsibility, "Achat", self.purchase),
                (Relation, "CUST", self.customer),
                (Relation, "Client", self.customer),
                (Relation, "Fournisseur", self.vendor),
                (Responsibility, "Vente", self.sales),
            ],
        }
        for lang, searches in cases.items():
            for Model, text, record in searches:
                with self.subTest(lang=lang, text=text):
                    found = self.in_lang(lang, Model).name_search(text)
                    self.assertEqual(found[0], (record.id, self.in_lang(lang, record).display_name))
                    if text != "KUNDE":  # also a part of "Potensiell kunde (FORR)", listed after the customer
                        self.assertEqual(len(found), 1, found)
        # The English word is the user's only in English.
        self.assertFalse(self.in_lang("nl_NL", Responsibility).name_search("Purchasing"))
        self.assertEqual(
            [row[0] for row in self.in_lang("en_US", Responsibility).name_search("Purchasing")], self.purchase.ids
        )

    def test_seed_words_on_buttons_menus_and_fields(self):
        form = self.env.ref("sales_campaign.sales_segment_view_form")
        words = {
            "nl_NL": ('string="Contacten reduceren"', 'string="Ga terug"', 'string="Registreren"'),
            "nb_NO": ('string="Reduser kontakter"', 'string="Gå tilbake"', 'string="Logg"'),
            "fr_CH": ('string="Réduire les contacts"', 'string="Annuler dernière action"'),
        }
        for lang, buttons in words.items():
            arch = form.with_context(lang=lang).arch_db
            for button in buttons:
                with self.subTest(lang=lang, button=button):
                    self.assertIn(button, arch)
        # Save Criteria is in the segment's Action menu.
        save_criteria = self.env.ref("sales_campaign.sales_segment_save_criteria_wizard_action")
        self.assertEqual(save_criteria.binding_model_id.model, "sales.segment")
        for lang, word in {
            "nl_NL": "Criteria opslaan",
            "nb_NO": "Lagre kriterier",
            "fr_CH": "Enregistrer critères",
        }.items():
            with self.subTest(lang=lang, action=word):
                self.assertEqual(save_criteria.with_context(lang=lang).name, word)
        menu = self.env.ref("sales_campaign.sales_campaign_menu_logged_segment")
        self.assertEqual(menu.with_context(lang="fr_CH").name, "Segments consignés")
        self.assertEqual(menu.with_context(lang="nb_NO").name, "Loggførte segmenter")
        Fields = self.env["ir.model.fields"]
        labels = {
            ("sales.campaign", "date_start"): {"nl_NL": "Begindatum", "nb_NO": "Startdato", "fr_CH": "Date début"},
            ("sales.segment", "line_count"): {
                "nl_NL": "Aantal regels",
                "nb_NO": "Antall linjer",
                "fr_CH": "Nbre de lignes",
            },
            ("res.partner", "job_responsibility_ids"): {
                "nl_NL": "Functiegroepen",
                "nb_NO": "Ansvarsområder",
                "fr_CH": "Responsabilités",
            },
            ("res.partner", "business_relation_ids"): {"nb_NO": "Forretningsforbindelser"},
            ("sales.segment.log.wizard", "send_attachments"): {"fr_CH": "Envoyer les documents joints"},
        }
        for (model, name), by_lang in labels.items():
            field = Fields._get(model, name)
            for lang, label in by_lang.items():
                with self.subTest(field=name, lang=lang):
                    self.assertEqual(field.with_context(lang=lang).field_description, label)
        # Messages from the code: Odoo serves fr_CH from fr.po.
        segment_env = self.env["sales.segment"].with_context(lang="fr_CH").env
        self.assertEqual(segment_env._("Reuse Log"), "Réutiliser un segment consigné")
        self.assertEqual(
            segment_env._("Contacts added to segment %(segment)s: %(count)s.", count=1, segment="SM00001"),
            "Contacts ajoutés au segment SM00001 : 1.",
        )

    def test_activating_a_language_brings_the_demo_words(self):
        """A language installed after the module (here German) gets the demo records' translations too."""
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"].search([("name", "=", "sales_campaign")])._update_translations(["de_DE"])
        self.assertEqual(self.in_lang("de_DE", self.purchase).display_name, "Einkauf")
        self.assertEqual(
            [row[0] for row in self.in_lang("de_DE", self.env["sales.business.relation"]).name_search("Interessent")],
            self.prospect.ids,
        )
