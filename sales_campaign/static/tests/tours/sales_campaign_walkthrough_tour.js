/** @odoo-module **/
/*
 * The user's story of ../shared/docs/walkthrough.md on the demo data, played by the demo users in their own
 * languages: the marketing manager (Eline Verhoeven, Dutch) sets up the campaign and mines the segment, the
 * marketing staff (Julien Favre, Swiss French) logs it, the manager registers the responses, sets the campaign
 * prices, plans the activities and reads the statistics; the key account manager for Norway (Marte Lien,
 * Norwegian) mines a segment of her own, removes lines from it and makes opportunities of it.
 *
 * Steps find buttons and fields by their technical names and classes. Where the user picks a record or a menu
 * item by its words, the step uses the words of the user's language (Business Central's, see i18n/GLOSSARY.md):
 * a step that finds the English word would prove that the translation is missing. What the tests of
 * test_walkthrough_tour.py cannot see from the database (what a dialog or the banner says before OK) is
 * checked here.
 */
import { registry } from "@web/core/registry";
import { formatDate } from "@web/core/l10n/dates";

const { DateTime } = luxon;

const CAMPAIGN = "Office Futurus trade show";
const SEGMENT = "Office Futurus trade show visitors";
const NORWAY_SEGMENT = "Office Futurus, norske besøkende";
const SUBJECT = "Merci de votre visite sur notre stand";
const LINES = "sales_campaign_tour_lines";

function pick(field, text, scope, label) {
    return [
        { content: `type ${text} in ${field}`, trigger: `${scope} .o_field_widget[name=${field}] input`, run: `edit ${text}` },
        { content: `choose ${label}`, trigger: `.o-autocomplete--dropdown-item:contains(${label})`, run: "click" },
    ];
}

function click(selector, content) {
    return { content: content || `click ${selector}`, trigger: `${selector}:not(:disabled)`, run: "click" };
}

function save() {
    return [
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view:not(:has(.o_form_button_save:visible))" },
    ];
}

function updateLines() {
    // A changed default shows the banner above the tabs, which offers to update the lines.
    return [
        click(".o_form_view button[name=action_apply_line_defaults]", "Update Lines"),
        { content: "the banner is gone", trigger: ".o_form_view:not(:has(button[name=action_apply_line_defaults]))" },
    ];
}

function openTab(name) {
    return { content: `open the ${name} tab`, trigger: `.o_notebook a.nav-link[name=${name}]`, run: "click" };
}

function contactsWizard(button, field, code, label) {
    return [
        click(`.o_form_view .o_form_statusbar button.${button}`),
        ...pick(field, code, ".modal", label),
        click(".modal footer button[name=action_apply].btn-primary:visible", "OK"),
        { content: "the wizard closed", trigger: "body:not(:has(.modal))" },
    ];
}

function actionMenu(item) {
    return [
        click(".o_form_view .o_cp_action_menus button:has(.fa-cog)", "open the Action menu"),
        click(`.o-dropdown--menu .o-dropdown-item:contains(${item})`, item),
    ];
}

function goBack(stepName) {
    // Go Back asks first, in a dialog that names the step it undoes.
    return [
        click(".o_form_view .o_form_statusbar button.o_sales_segment_go_back", "Go Back"),
        { content: `the dialog names ${stepName}`, trigger: `.modal .o_sales_segment_go_back_message:contains(${stepName})` },
        click(".modal footer button[name=action_go_back]", "confirm Go Back"),
        { content: "the dialog closed", trigger: "body:not(:has(.modal))" },
    ];
}

function inputValue(selector, check, content) {
    return {
        content: content || `read ${selector}`,
        trigger: selector,
        run() {
            check(this.anchor.value);
        },
    };
}

function lineCount() {
    const stat = document.querySelector(".o_form_view button[name=action_open_lines] .o_stat_value");
    return parseInt(stat.textContent.replace(/\D/g, ""), 10);
}

function bannerCountsTheLines() {
    // The banner says which lines Update Lines changes: here all of them, counted.
    return {
        content: "the banner counts the lines it updates",
        trigger: ".o_form_view .o_sales_segment_line_update",
        run() {
            const count = lineCount();
            if (!new RegExp(`\\b${count}\\b`).test(this.anchor.textContent)) {
                throw new Error(`the banner does not say which ${count} lines: ${this.anchor.textContent}`);
            }
        },
    };
}

function readLines(check) {
    return {
        content: "read No. of Lines",
        trigger: ".o_form_view button[name=action_open_lines] .o_stat_value",
        run() {
            const count = parseInt(this.anchor.textContent.replace(/\D/g, ""), 10);
            check(count, parseInt(sessionStorage.getItem(LINES), 10));
        },
    };
}

function menu(xmlid) {
    return click(`.o_main_navbar [data-menu-xmlid='${xmlid}']`, `menu ${xmlid}`);
}

registry.category("web_tour.tours").add("sales_campaign_walkthrough_manager", {
    url: "/odoo/action-sales_campaign.sales_campaign_action",
    steps: () => [
        // 1. Set up the campaign: numbered on save, status 1-PLAN, a period
        { content: "the Dutch manager sees Campagnes", trigger: ".o_breadcrumb:contains(Campagnes)" },
        click(".o_list_button_add", "New"),
        { content: "description", trigger: ".o_field_widget[name=title] input", run: `edit ${CAMPAIGN}` },
        {
            content: "starting date",
            trigger: ".o_field_widget[name=date_start] input",
            run: `edit ${formatDate(DateTime.now().startOf("month"))}`,
        },
        {
            content: "ending date",
            trigger: ".o_field_widget[name=date_end] input",
            run: `edit ${formatDate(DateTime.now().plus({ months: 3 }).endOf("month"))}`,
        },
        ...save(),
        { content: "numbered CP", trigger: ".o_field_widget[name=number]:contains(CP)" },
        { content: "status 1-PLAN (Gepland)", trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Gepland)" },
        // 2. Select the target audience: Contacten toevoegen with job responsibility PURCHASE (Inkoop)
        menu("sales_campaign.sales_campaign_menu_segments"),
        click(".dropdown-item[data-menu-xmlid='sales_campaign.sales_campaign_menu_segment']", "Segmenten"),
        click(".o_list_button_add", "New"),
        { content: "description", trigger: ".o_field_widget[name=description] input", run: `edit ${SEGMENT}` },
        { content: "the button reads Contacten toevoegen", trigger: ".o_sales_segment_add:contains(Contacten toevoegen)" },
        ...contactsWizard("o_sales_segment_add", "job_responsibility_ids", "PURCHASE", "Inkoop"),
        { content: "contacts listed", trigger: ".o_field_widget[name=form_line_ids] .o_data_row" },
        readLines((count) => {
            if (!(count >= 10)) {
                throw new Error(`Add Contacts found ${count} purchasers`);
            }
            sessionStorage.setItem(LINES, count);
        }),
        // Criteria opslaan, in the Action menu
        ...actionMenu("Criteria opslaan"),
        { content: "criteria code", trigger: ".modal .o_field_widget[name=code] input", run: "edit FUTURUS" },
        inputValue(
            ".modal .o_field_widget[name=description] input",
            (value) => {
                if (value !== SEGMENT) {
                    throw new Error(`Save Criteria starts with "${value}", not the segment's description`);
                }
            },
            "the criteria's description is the segment's",
        ),
        click(".modal footer button[name=action_save]", "Save"),
        { content: "saved", trigger: "body:not(:has(.modal))" },
        // 3. Mine the data: Contacten reduceren with business relation CUST (Klant, KLT), Ga terug, and again
        ...contactsWizard("o_sales_segment_reduce", "business_relation_ids", "CUST", "Klant (KLT)"),
        readLines((count, before) => {
            if (!(count < before)) {
                throw new Error(`Reduce left ${count} of ${before} lines`);
            }
        }),
        ...goBack("Contacten reduceren"),
        readLines((count, before) => {
            if (count !== before) {
                throw new Error(`Go back shows ${count} lines, expected ${before}`);
            }
        }),
        ...contactsWizard("o_sales_segment_reduce", "business_relation_ids", "KLT", "Klant (KLT)"),
        { content: "the history holds the steps", trigger: ".o_notebook a.nav-link[name=history]" },
        // 4. Link the segment to the campaign, as target: the lines take both over
        openTab("campaign"),
        ...pick("campaign_id", "Office Futurus", ".o_notebook", CAMPAIGN),
        {
            content: "the banner names the change: Campagne, to the campaign",
            trigger: `.o_form_view .o_sales_segment_line_update:contains(Campagne):contains(${CAMPAIGN})`,
        },
        bannerCountsTheLines(),
        ...updateLines(),
        click(".o_notebook .o_field_widget[name=campaign_target] input", "Campagnedoel"),
        ...updateLines(),
        { content: "every line is a target", trigger: ".o_notebook .o_field_widget[name=campaign_target] input:checked" },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_walkthrough_staff", {
    url: "/odoo/action-sales_campaign.sales_segment_action",
    steps: () => [
        // 5. Send letters and e-mails, as the Swiss French staff
        { content: "the staff sees Segments", trigger: ".o_breadcrumb:contains(Segments)" },
        click(`.o_data_row td:contains(${SEGMENT})`, "open the segment"),
        openTab("interaction"),
        ...pick("template_id", "BUS", ".o_notebook", "Lettre commerciale"),
        // The template's languages and subject show at once, before saving
        { content: "one version per language", trigger: ".o_field_widget[name=language_ids] .o_data_row:nth-child(3)" },
        inputValue(
            ".o_notebook .o_field_widget[name=subject_default] input",
            (value) => {
                if (value !== "Thank you for your interest") {
                    throw new Error(`the template's subject does not show: "${value}"`);
                }
            },
            "the template's subject shows",
        ),
        // Julien types his own subject (Sujet (par défaut)), then updates the lines from the banner
        { content: "Sujet (par défaut)", trigger: ".o_notebook .o_field_widget[name=subject_default] input", run: `edit ${SUBJECT}` },
        {
            content: "the banner names the new template",
            trigger: ".o_form_view .o_sales_segment_line_update:contains(Modèle d'interaction):contains(Lettre commerciale)",
        },
        ...updateLines(),
        inputValue(
            ".o_notebook .o_field_widget[name=subject_default] input",
            (value) => {
                if (value !== SUBJECT) {
                    throw new Error(`Update Lines replaced the typed subject by "${value}"`);
                }
            },
            "the typed subject is kept",
        ),
        { content: "the button reads Journal", trigger: ".o_sales_segment_log:contains(Journal)" },
        click(".o_form_view .o_form_statusbar button.o_sales_segment_log", "Journal"),
        // The letters are printed and the e-mails queued (Envoyer les documents joints stays ticked).
        { content: "Envoyer les documents joints", trigger: ".modal .o_field_widget[name=send_attachments] input:checked" },
        click(".modal .o_field_widget[name=create_followup_segment] input", "Créer suivi segment"),
        click(".modal footer button[name=action_log]", "Journal"),
        { content: "the logged segment opens", trigger: ".o_form_view .o_field_widget[name=name]:contains(LS)" },
        { content: "Lettres imprimées", trigger: ".o_form_view label:contains(Lettres imprimées)" },
        { content: "the letters to download", trigger: ".o_form_view button[name=action_download_letters]:contains(Télécharger les lettres)" },
        { content: "the breadcrumb leads back to the segment", trigger: ".o_breadcrumb .breadcrumb-item:contains(SM)" },
        click(".o_form_view button[name=action_open_interactions]", "Écritures journal interaction"),
        { content: "one entry per contact (counted by the test)", trigger: `.o_list_view .o_data_row:contains(${SEGMENT})` },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_walkthrough_results", {
    url: "/odoo/action-sales_campaign.sales_segment_action",
    steps: () => [
        // 6. Register the campaign responses on the follow-up segment (the logged one left the list)
        click(`.o_data_row td:contains(${SEGMENT})`, "open the follow-up segment"),
        openTab("campaign"),
        click(".o_notebook .o_field_widget[name=campaign_response] input", "Campagnerespons"),
        ...updateLines(),
        openTab("interaction"),
        { content: "new template RESP", trigger: ".o_notebook .o_field_widget[name=template_id] input", run: "edit RESP" },
        {
            // No "Create and edit" dialog (its title is Odoo's own "Interactiesjabloon . maken"): the typed code
            // makes the template at once.
            content: "only the quick create is offered",
            trigger: ".o-autocomplete--dropdown-menu:has(.o_m2o_dropdown_option_create):not(:has(.o_m2o_dropdown_option_create_edit))",
        },
        click(".o-autocomplete--dropdown-item.o_m2o_dropdown_option_create", "create RESP on the fly"),
        inputValue(
            ".o_notebook .o_field_widget[name=template_id] input",
            (value) => {
                if (value !== "Campagnerespons") {
                    throw new Error(`RESP made a template named "${value}"`);
                }
            },
            "RESP is the code: the template is named Campagnerespons",
        ),
        ...updateLines(),
        openTab("campaign"),
        { content: "still a response", trigger: ".o_notebook .o_field_widget[name=campaign_response] input:checked" },
        click(".o_form_view .o_form_statusbar button.o_sales_segment_log", "Registreren"),
        { content: "responses are not sent", trigger: ".modal:not(:has(.o_field_widget[name=send_attachments]))" },
        click(".modal footer button[name=action_log]", "Registreren"),
        { content: "the logged segment opens", trigger: ".o_form_view .o_field_widget[name=name]:contains(LS)" },
        // 7. Campaign prices, activities and results
        menu("sales_campaign.sales_campaign_menu_campaign"),
        click(`.o_data_row td:contains(${CAMPAIGN})`, "open the campaign"),
        openTab("prices"),
        click(".o_field_widget[name=price_item_ids] .o_field_x2many_list_row_add a", "add a price"),
        ...pick("product_tmpl_id", "Rome Guest Chair", ".o_field_widget[name=price_item_ids]", "Rome Guest Chair"),
        {
            content: "campaign price",
            trigger: ".o_field_widget[name=price_item_ids] .o_field_widget[name=fixed_price] input",
            run: "edit 159",
        },
        ...save(),
        click(".o_form_view .o_form_statusbar button[name=action_activate]", "Activate Prices"),
        { content: "prices active", trigger: ".o_form_view .o_form_statusbar button[name=action_deactivate]" },
        // The target group: the contacts the campaign targets, from the smart button
        click(".o_form_view button[name=action_open_target_group]", "Target Group"),
        { content: "the targets are listed (counted by the test)", trigger: ".o_list_view .o_data_row" },
        click(`.o_breadcrumb .breadcrumb-item a:contains(CP)`, "back to the campaign"),
        // Activities for the salespeople
        click(".o_form_view .o_form_statusbar button.o_sales_campaign_plan_activities", "Plan Activities"),
        // The demo plan is the one for contacts; the dialog shows the segment by its description, the steps and
        // who gets them, before OK
        inputValue(
            ".modal .o_field_widget[name=segment_id] input",
            (value) => {
                if (!value.includes(SEGMENT)) {
                    throw new Error(`the segment shows as "${value}"`);
                }
            },
            "the segment by number and description",
        ),
        { content: "a row per step", trigger: ".modal .o_sales_campaign_plan_summary tbody tr:nth-child(3)" },
        {
            content: "who gets them: the contacts' salespeople and Eline, the campaign's salesperson",
            trigger: ".modal .o_sales_campaign_plan_summary:contains(Eline Verhoeven):contains(Marte Lien)",
        },
        {
            content: "activities counted",
            trigger: ".modal .o_field_widget[name=activity_count]",
            run() {
                if (!(parseInt(this.anchor.textContent.replace(/\D/g, ""), 10) > 0)) {
                    throw new Error(`no activity to plan: ${this.anchor.textContent}`);
                }
            },
        },
        click(".modal footer button[name=action_schedule]", "Schedule"),
        // Straight to the activities made, then back to the campaign, whose card counts them
        { content: "the activities made", trigger: ".o_list_view .o_data_row" },
        click(`.o_breadcrumb .breadcrumb-item a:contains(CP)`, "back to the campaign"),
        {
            content: "the campaign's Activities button",
            trigger: ".o_form_view button[name=action_open_planned_activities] .o_stat_value",
            run() {
                if (!(parseInt(this.anchor.textContent.replace(/\D/g, ""), 10) > 0)) {
                    throw new Error(`no activities on the campaign's button: ${this.anchor.textContent}`);
                }
            },
        },
        // Statistics
        openTab("statistics"),
        {
            content: "responses counted",
            trigger: ".o_field_widget[name=stat_responded_count]",
            run() {
                if (!(parseInt(this.anchor.textContent, 10) > 0)) {
                    throw new Error(`no responses in the statistics: ${this.anchor.textContent}`);
                }
            },
        },
        { content: "the funnel", trigger: ".o_field_widget[name=stat_chart] canvas, .o_field_widget[name=stat_chart] svg" },
        { content: "export the statistics", trigger: ".o_form_statusbar button[name=action_export_statistics]" },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_walkthrough_norway", {
    url: "/odoo/action-sales_campaign.sales_segment_action",
    steps: () => [
        // The key steps in Norwegian, by Marte Lien: her own segment of the trade show's purchasers
        { content: "the Norwegian user sees Segmenter", trigger: ".o_breadcrumb:contains(Segmenter)" },
        click(".o_list_button_add", "New"),
        { content: "description", trigger: ".o_field_widget[name=description] input", run: `edit ${NORWAY_SEGMENT}` },
        { content: "the button reads Legg til kontakter", trigger: ".o_sales_segment_add:contains(Legg til kontakter)" },
        ...contactsWizard("o_sales_segment_add", "job_responsibility_ids", "PURCHASE", "Kjøp"),
        {
            content: "languages named in Norwegian",
            trigger: ".o_field_widget[name=form_line_ids] .o_data_row td[name=lang]:contains(Norsk bokmål (Norge))",
        },
        readLines((count) => sessionStorage.setItem(LINES, count)),
        ...contactsWizard("o_sales_segment_reduce", "business_relation_ids", "CUST", "Kunde (KUNDE)"),
        ...goBack("Reduser kontakter"),
        readLines((count, before) => {
            if (count !== before) {
                throw new Error(`Gå tilbake shows ${count} lines, expected ${before}`);
            }
        }),
        // Remove two lines at once, from within the segment
        click(".o_form_view .o_sales_segment_remove_lines", "Remove Lines"),
        click(".modal .o_data_row:nth-child(1) .o_list_record_selector input", "tick the first line"),
        click(".modal .o_data_row:nth-child(2) .o_list_record_selector input", "tick the second line"),
        click(".modal .o_sales_segment_line_remove", "remove them"),
        { content: "back on the segment", trigger: "body:not(:has(.modal))" },
        readLines((count, before) => {
            if (count !== before - 2) {
                throw new Error(`Removing two lines left ${count} of ${before}`);
            }
        }),
        { content: "the removal is a step", trigger: ".o_form_view .o_form_statusbar button.o_sales_segment_go_back" },
        // Her segment is part of the campaign, and gives its contacts opportunities
        openTab("campaign"),
        ...pick("campaign_id", "Office Futurus", ".o_notebook", CAMPAIGN),
        ...updateLines(),
        ...actionMenu("Opprett salgsmuligheter"),
        {
            content: "it asks first, with the count",
            trigger: ".modal .o_sales_segment_opportunity_count .o_field_widget[name=summary]",
            run() {
                // The count ends the summary's first sentence (the campaign's number comes before it).
                const first = this.anchor.textContent.trim().split("\n")[0];
                const count = parseInt((first.match(/(\d+)\D*$/) || [])[1], 10);
                if (!(count > 0)) {
                    throw new Error(`no opportunity to create: ${this.anchor.textContent}`);
                }
                sessionStorage.setItem(LINES, count);
            },
        },
        { content: "expected revenue", trigger: ".modal .o_field_widget[name=expected_revenue] input", run: "edit 2500" },
        click(".modal footer button[name=action_create]", "Opprett salgsmuligheter"),
        { content: "the opportunities made", trigger: ".o_kanban_view .o_kanban_record, .o_list_view .o_data_row" },
    ],
});
