/** @odoo-module **/
/* A salesperson: the public pool (公海) with masked cards, a claim, the
 * claimed customer in the pipeline, a follow-up, the days left on the cards. */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const card = (text) => `.o_kanban_view .o_kanban_record:contains('${text}')`;

registry.category("web_tour.tours").add("crm_lead_attribution_salesperson", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "open the Sales menu",
            trigger: "button[data-menu-xmlid='crm.crm_menu_sales']",
            run: "click",
        },
        {
            content: "open the Public Pool",
            trigger: ".dropdown-item[data-menu-xmlid='crm_lead_attribution.crm_attribution_pool_menu']",
            run: "click",
        },
        {
            content: "pool customers are shown masked: surname and phone",
            trigger: `${card("138****8000")}:contains('欧**')`,
        },
        {
            trigger: `${card("138****8001")}:contains('白**')`,
        },
        {
            content: "the pool shows neither the full name nor the full phone",
            trigger: ".o_kanban_view .o_kanban_renderer",
            run() {
                const text = this.anchor.textContent;
                for (const secret of ["欧阳娜", "白先生", "138 0013 8000", "13800138000"]) {
                    if (text.includes(secret)) {
                        throw new Error(`the public pool shows ${secret}`);
                    }
                }
            },
        },
        {
            content: "claim the customer",
            trigger: `${card("138****8000")} button[name=action_claim]`,
            run: "click",
        },
        {
            content: "claimed, with the rule",
            trigger: ".o_notification:contains('Customer claimed'):contains('F1')",
        },
        {
            content: "the customer's record opens: now with name and phone",
            trigger: ".o_form_view .o_field_widget[name=phone] input:value('+86 138 0013 8000')",
        },
        {
            content: "the Attribution section: protected, ten days left",
            trigger: ".o_form_view .o_field_widget[name=attribution_state]:contains('Protected')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=attribution_days_left]:contains('10')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=attribution_rule]:contains('F1')",
        },
        // A follow-up on the claimed customer (E1).
        {
            content: "log a follow-up",
            trigger: ".o_form_view .o_form_statusbar button[name=action_attribution_follow_up]",
            run: "click",
        },
        {
            content: "a call",
            trigger: ".modal .o_field_widget[name=kind] input[data-value=call]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit 电话回访，约周六看房",
        },
        {
            trigger: ".modal button[name=action_log]",
            run: "click",
        },
        {
            content: "logged: the owner's follow-up protects (E1)",
            trigger: ".o_notification:contains('Follow-up logged'):contains('E1')",
        },
        {
            content: "the ledger of the customer shows the follow-up",
            trigger: "body:not(:has(.modal)) .o_form_view .o_notebook a.nav-link[name=attribution_ledger]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=attribution_ledger_ids] .o_data_row:contains('Follow-up'):contains('E1')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=attribution_ledger_ids] .o_data_row:contains('Claim'):contains('F1')",
        },
        // The pipeline: the claimed customer and the days left on the cards.
        {
            content: "back to the pipeline",
            trigger: "button[data-menu-xmlid='crm.crm_menu_sales']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm.menu_crm_opportunities']",
            run: "click",
        },
        {
            content: "the claimed customer is in my pipeline, ten days left",
            trigger: `${card("欧阳娜")}:contains('10 days left')`,
        },
        {
            content: "a customer received three and a half days ago: seven days left",
            trigger: `${card("孔德明")}:contains('7 days left')`,
        },
    ],
});
