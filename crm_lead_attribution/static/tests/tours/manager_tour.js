/** @odoo-module **/
/* The sales manager: gives a pool customer to a salesperson (F1), reads the
 * attribution ledger as a pivot (I1), sets the sales office's own policy.
 * The administrator: Settings › CRM › Customer Attribution. */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function openMenu(section, item) {
    return [
        {
            trigger: `button[data-menu-xmlid='${section}']`,
            run: "click",
        },
        {
            trigger: `.dropdown-item[data-menu-xmlid='${item}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_lead_attribution_manager", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        // 1. The public pool, as a list: give a customer to a salesperson (F1).
        ...openMenu("crm.crm_menu_sales", "crm_lead_attribution.crm_attribution_pool_menu"),
        {
            content: "the pool as a list",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "select the customer",
            trigger: ".o_list_view .o_data_row:contains('138****8001') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Assign",
            trigger: ".o_control_panel button[name=action_assign]",
            run: "click",
        },
        {
            content: "one customer to give",
            trigger: ".modal .o_field_widget[name=lead_count]:contains('1')",
        },
        {
            content: "to Alice",
            trigger: ".modal .o_field_widget[name=user_id] input",
            run: "edit Alice Li",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Alice Li')",
            run: "click",
        },
        {
            content: "with the manager's reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit 李经理负责白先生所在小区",
        },
        {
            trigger: ".modal button[name=action_reassign]",
            run: "click",
        },
        {
            content: "given: the customer left the pool",
            trigger: ".o_notification:contains('Customers given'):contains('Alice Li')",
        },
        {
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row:contains('138****8000')",
            async run() {
                // the list reloads once the dialog is closed: wait for the row to go
                const given = () =>
                    [...document.querySelectorAll(".o_list_view .o_data_row")].some((row) =>
                        row.textContent.includes("138****8001")
                    );
                for (let waited = 0; given(); waited += 100) {
                    if (waited > 10000) {
                        throw new Error("the given customer is still in the pool");
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
            },
        },
        // 2. The attribution ledger, as a pivot (I1).
        ...openMenu("crm.crm_menu_report", "crm_lead_attribution.crm_attribution_ledger_menu"),
        {
            content: "the ledger lists the assignment: to Alice, rule F1, by the manager",
            trigger: ".o_list_view .o_data_row:contains('白先生'):contains('F1'):contains('Alice Li'):contains('Manager Chen')",
        },
        {
            content: "the entry, with the manager's reason as its note",
            trigger: ".o_list_view .o_data_row:contains('白先生'):contains('F1') td[name=customer_name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=note]:contains('李经理负责白先生所在小区')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=rule]:contains('F1')",
        },
        {
            content: "back to the ledger",
            trigger: ".o_control_panel .breadcrumb-item a:contains('Attribution Ledger')",
            run: "click",
        },
        {
            content: "the ledger as a pivot",
            trigger: ".o_control_panel .o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "owners in rows, events in columns",
            trigger: ".o_pivot table th:contains('Alice Li')",
        },
        {
            trigger: ".o_pivot table th:contains('Bob Wang')",
        },
        {
            trigger: ".o_pivot table th:contains('Registration')",
        },
        // 3. The sales office's own policy (tab Customer Attribution).
        ...openMenu("crm.crm_menu_config", "crm.crm_team_config"),
        {
            content: "open the sales office",
            trigger: ".o_list_view .o_data_row:contains('Tour Sales Office') td[name=name]",
            run: "click",
        },
        {
            content: "the Customer Attribution tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=attribution]",
            run: "click",
        },
        {
            content: "the office follows the company's policy",
            trigger: ".o_form_view .o_notebook .tab-pane.active:contains(\"follows the company's policy\")",
        },
        {
            content: "give it its own policy",
            trigger: ".o_form_view .o_field_widget[name=attribution_override] input",
            run: "click",
        },
        {
            content: "fourteen days for a visit",
            trigger: ".o_form_view .o_field_widget[name=attribution_visit_days] input",
            run: "edit 14",
        },
        ...stepUtils.saveForm(),
    ],
});

registry.category("web_tour.tours").add("crm_lead_attribution_settings", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open Settings",
            trigger: ".o_app[data-menu-xmlid='base.menu_administration']",
            run: "click",
        },
        {
            content: "the CRM settings",
            trigger: ".settings_tab .tab[data-key=crm]",
            run: "click",
        },
        {
            content: "the Customer Attribution block",
            trigger: ".app_settings_block[data-key=crm] h2:contains('Customer Attribution')",
        },
        {
            trigger: ".app_settings_block[data-key=crm] h2:contains('Lifecycle and Public Pool')",
        },
        {
            content: "the protection periods",
            trigger: "#attribution_protection_days .o_field_widget[name=attribution_visit_days] input:value('10')",
        },
        {
            trigger: "#attribution_phone_country .o_field_widget[name=attribution_phone_country_id] input:value('China')",
        },
        {
            content: "twelve days for a visit",
            trigger: "#attribution_protection_days .o_field_widget[name=attribution_visit_days] input",
            run: "edit 12",
        },
        {
            content: "save (the settings page reloads)",
            trigger: ".o_control_panel .o_form_button_save",
            run() {
                document.body.dataset.claBeforeSave = "1";
                this.anchor.click();
            },
        },
        {
            content: "after the reload, back to the CRM settings",
            trigger: "body:not([data-cla-before-save]) .settings_tab .tab[data-key=crm]",
            run: "click",
        },
        {
            content: "saved: twelve days",
            trigger: "#attribution_protection_days .o_field_widget[name=attribution_visit_days] input:value('12')",
        },
    ],
});
