/** @odoo-module **/
/*
 * Beyond Email Marketing, in Dutch: the marketing manager (Eline Verhoeven) sends herself the test e-mail of a
 * segment, then logs it to be delivered tomorrow at 8 with a control group of 20% of the campaign's targets.
 * The segment (15 visitors, each a company of one) is made by test_features_tour.py, which checks in the
 * database what the tour cannot see. Steps find buttons and fields by their technical names and classes, and
 * counts by their numbers, so that they hold in any language.
 */
import { registry } from "@web/core/registry";

function click(selector, content) {
    return { content: content || `click ${selector}`, trigger: `${selector}:not(:disabled)`, run: "click" };
}

registry.category("web_tour.tours").add("sales_campaign_features_nl", {
    steps: () => [
        // The test e-mail: to herself, of the first contact, nothing logged.
        click(".o_form_view .o_form_statusbar button.o_sales_segment_test_email", "Send Test E-mail"),
        {
            content: "it goes to her own address",
            trigger: ".modal .o_field_widget[name=email_to]:contains(eline.verhoeven@example.com)",
        },
        { content: "one test e-mail", trigger: ".modal .o_field_widget[name=email_count]:contains(1)" },
        click(".modal footer button[name=action_send]", "Send"),
        { content: "the dialog closed", trigger: "body:not(:has(.modal))" },
        { content: "she is told where it went", trigger: ".o_notification:contains(eline.verhoeven@example.com)" },
        { content: "the segment is still a draft", trigger: ".o_form_view button.o_sales_segment_log" },
        // The log: tomorrow at 8 in her time zone, with a control group of 20% of the 15 targets.
        click(".o_form_view .o_form_statusbar button.o_sales_segment_log", "Log"),
        click(".modal .o_field_widget[name=deliver_later] input", "Deliver later"),
        { content: "a date is proposed", trigger: ".modal .o_field_widget[name=scheduled_date] input:value(/\\d/)" },
        { content: "control group of 20%", trigger: ".modal .o_field_widget[name=control_share] input", run: "edit 20" },
        click(".modal .o_sales_segment_log_summary", "leave the field"),
        {
            content: "the dialog counts the control group beforehand: 3 of the 15 targets",
            trigger: ".modal .o_sales_segment_log_summary li:contains( 3 ):contains( 15 )",
        },
        click(".modal footer button[name=action_log]", "Log"),
        { content: "the logged segment opens", trigger: ".o_form_view .o_field_widget[name=name]:contains(LS)" },
        {
            content: "it says it is scheduled",
            trigger: ".o_form_view .o_sales_logged_segment_scheduled",
        },
        {
            content: "and when it is delivered",
            trigger: ".o_form_view .o_field_widget[name=scheduled_date]:contains(20)",
        },
        { content: "its control group", trigger: ".o_form_view .o_sales_logged_segment_control:contains(3):contains(20)" },
    ],
});
