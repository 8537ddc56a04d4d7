/** @odoo-module **/
/*
 * The user's story of ../shared/docs/walkthrough.md on the demo data, in three parts: the marketing manager sets
 * up the campaign and mines the segment, the marketing staff logs it, the manager registers the responses, sets
 * the campaign prices and reads the statistics. Steps use field and button names, not labels, so the tour plays
 * in every language.
 */
import { registry } from "@web/core/registry";

const CAMPAIGN = "Office Futurus trade show";
const SEGMENT = "Office Futurus trade show visitors";

function pick(field, text, scope = ".o_form_view", label = text) {
    return [
        { content: `type ${text} in ${field}`, trigger: `${scope} .o_field_widget[name=${field}] input`, run: `edit ${text}` },
        { content: `choose ${label}`, trigger: `.o-autocomplete--dropdown-item:contains(${label})`, run: "click" },
    ];
}

function clickButton(name, scope = ".o_form_view") {
    return { content: `click ${name}`, trigger: `${scope} button[name=${name}]:enabled`, run: "click" };
}

function updateLines() {
    // Saving a changed default shows the banner that offers to update the lines.
    return [
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        clickButton("action_apply_line_defaults"),
        { content: "the banner is gone", trigger: ".o_form_view:not(:has(button[name=action_apply_line_defaults]))" },
    ];
}

function openTab(name) {
    return { content: `open the ${name} tab`, trigger: `.o_notebook a.nav-link[name=${name}]`, run: "click" };
}

function contactsWizard(button, field, code, label) {
    return [
        clickButton(button),
        ...pick(field, code, ".modal", label),
        { content: "OK", trigger: ".modal footer button[name=action_apply].btn-primary", run: "click" },
        { content: "the wizard closed", trigger: "body:not(:has(.modal))" },
    ];
}

function lineCount(predicate) {
    return {
        content: "read No. of Lines",
        trigger: ".o_form_view button[name=action_open_lines] .o_stat_value",
        run() {
            const count = parseInt(this.anchor.textContent.replace(/\D/g, ""), 10);
            if (!predicate(count)) {
                throw new Error(`unexpected number of lines: ${count}`);
            }
            sessionStorage.setItem("sales_campaign_tour_lines", count);
        },
    };
}

registry.category("web_tour.tours").add("sales_campaign_walkthrough_manager", {
    url: "/odoo/action-sales_campaign.sales_campaign_action",
    steps: () => [
        // 1. Set up the campaign
        { content: "new campaign", trigger: ".o_list_button_add", run: "click" },
        { content: "description", trigger: ".o_field_widget[name=title] input", run: `edit ${CAMPAIGN}` },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "numbered CP", trigger: ".o_field_widget[name=number]:contains(CP)" },
        // 2. Select the target audience
        { content: "segments menu", trigger: ".o_main_navbar [data-menu-xmlid='sales_campaign.sales_campaign_menu_segments']", run: "click" },
        { content: "segments", trigger: ".dropdown-item[data-menu-xmlid='sales_campaign.sales_campaign_menu_segment']", run: "click" },
        { content: "new segment", trigger: ".o_list_button_add", run: "click" },
        { content: "description", trigger: ".o_field_widget[name=description] input", run: `edit ${SEGMENT}` },
        ...contactsWizard("action_add_contacts", "job_responsibility_ids", "PURCHASE", "Purchasing"),
        { content: "contacts listed", trigger: ".o_field_widget[name=line_ids] .o_data_row" },
        lineCount((count) => count >= 10),
        clickButton("action_save_criteria"),
        { content: "criteria code", trigger: ".modal .o_field_widget[name=code] input", run: "edit FUTURUS" },
        { content: "criteria description", trigger: ".modal .o_field_widget[name=description] input", run: "edit Trade show purchasers" },
        { content: "save criteria", trigger: ".modal footer button[name=action_save]", run: "click" },
        { content: "saved", trigger: "body:not(:has(.modal))" },
        // 3. Mine the data: Reduce, Go back, Reduce again
        ...contactsWizard("action_reduce_contacts", "business_relation_ids", "CUST", "Customer"),
        {
            content: "customers removed",
            trigger: ".o_form_view button[name=action_open_lines] .o_stat_value",
            run() {
                const before = parseInt(sessionStorage.getItem("sales_campaign_tour_lines"), 10);
                const count = parseInt(this.anchor.textContent.replace(/\D/g, ""), 10);
                if (!(count < before)) {
                    throw new Error(`Reduce left ${count} of ${before} lines`);
                }
            },
        },
        clickButton("action_go_back"),
        { content: "confirm go back", trigger: ".modal footer .btn-primary", run: "click" },
        {
            content: "all purchasers are back",
            trigger: ".o_form_view button[name=action_open_lines] .o_stat_value",
            run() {
                const before = sessionStorage.getItem("sales_campaign_tour_lines");
                if (this.anchor.textContent.replace(/\D/g, "") !== before) {
                    throw new Error(`Go back shows ${this.anchor.textContent}, expected ${before}`);
                }
            },
        },
        ...contactsWizard("action_reduce_contacts", "business_relation_ids", "CUST", "Customer"),
        // 4. Link the segment to the campaign, as target
        openTab("campaign"),
        ...pick("campaign_id", "Office Futurus", ".o_notebook"),
        ...updateLines(),
        { content: "campaign target", trigger: ".o_notebook .o_field_widget[name=campaign_target] input", run: "click" },
        ...updateLines(),
        { content: "every line is a target", trigger: ".o_notebook .o_field_widget[name=campaign_target] input:checked" },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_walkthrough_staff", {
    url: "/odoo/action-sales_campaign.sales_segment_action",
    steps: () => [
        // 5. Send letters and e-mails
        { content: "open the segment", trigger: `.o_data_row td:contains(${SEGMENT})`, run: "click" },
        openTab("interaction"),
        ...pick("template_id", "BUS", ".o_notebook", "Business letter"),
        ...updateLines(),
        { content: "one version per language", trigger: ".o_field_widget[name=language_ids] .o_data_row:nth-child(3)" },
        {
            content: "subject",
            trigger: ".o_notebook .o_field_widget[name=subject_default] input",
            run: "edit Thank you for visiting our booth",
        },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view:not(:has(.o_form_button_save:visible))" },
        clickButton("action_log"),
        // Printing is left to the ORM tests: wkhtmltopdf fetches the report styles from this same server, whose
        // requests a browser test serialises on one cursor, so a letter printed inside the tour would wait forever.
        { content: "send attachments", trigger: ".modal .o_field_widget[name=send_attachments] input:checked", run: "click" },
        { content: "follow-up segment", trigger: ".modal .o_field_widget[name=create_followup_segment] input", run: "click" },
        { content: "log", trigger: ".modal footer button[name=action_log]", run: "click" },
        { content: "the logged segment opens", trigger: ".o_form_view .o_field_widget[name=name]:contains(LS)" },
        { content: "interactions of the log", trigger: ".o_form_view button[name=action_open_interactions]", run: "click" },
        { content: "one entry per contact", trigger: ".o_list_view .o_data_row:contains(BUS)" },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_walkthrough_results", {
    url: "/odoo/action-sales_campaign.sales_segment_action",
    steps: () => [
        // 6. Register the campaign responses on the follow-up segment
        { content: "open the follow-up segment (the logged one left the list)", trigger: `.o_data_row td:contains(${SEGMENT})`, run: "click" },
        openTab("campaign"),
        { content: "campaign response", trigger: ".o_notebook .o_field_widget[name=campaign_response] input", run: "click" },
        ...updateLines(),
        openTab("interaction"),
        { content: "new template RESP", trigger: ".o_notebook .o_field_widget[name=template_id] input", run: "edit RESP" },
        { content: "create RESP", trigger: ".o-autocomplete--dropdown-item.o_m2o_dropdown_option_create", run: "click" },
        ...updateLines(),
        clickButton("action_log"),
        { content: "log the responses", trigger: ".modal footer button[name=action_log]", run: "click" },
        { content: "the logged segment opens", trigger: ".o_form_view .o_field_widget[name=name]:contains(LS)" },
        // 7. Campaign prices, activation and statistics
        { content: "campaigns", trigger: ".o_main_navbar [data-menu-xmlid='sales_campaign.sales_campaign_menu_campaign']", run: "click" },
        { content: "open the campaign", trigger: `.o_data_row td:contains(${CAMPAIGN})`, run: "click" },
        openTab("prices"),
        { content: "add a price", trigger: ".o_field_widget[name=price_item_ids] .o_field_x2many_list_row_add a", run: "click" },
        ...pick("product_tmpl_id", "Rome Guest Chair", ".o_field_widget[name=price_item_ids]"),
        { content: "campaign price", trigger: ".o_field_widget[name=price_item_ids] .o_field_widget[name=fixed_price] input", run: "edit 159" },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view:not(:has(.o_form_button_save:visible))" },
        clickButton("action_activate"),
        { content: "prices active", trigger: ".o_form_view .ribbon:contains(Prices), .o_form_view button[name=action_deactivate]" },
        { content: "target group", trigger: ".o_form_view button[name=action_open_target_group] .o_stat_value" },
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
        { content: "export the statistics", trigger: "button[name=action_export_statistics]" },
    ],
});
