/** @odoo-module **/
/* The reception desk (登记 / 判客) as the receptionist: a new walk-in, a
 * returning customer, and a phone number refused with its message. */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const form = ".o_form_view .o_form_sheet";

function fillRegistration(receiver, name, phone) {
    return [
        {
            content: "choose the receiver (the salesperson whose turn it is)",
            trigger: `${form} .o_field_widget[name=receiver_id] input`,
            run: `edit ${receiver}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item:contains('${receiver}')`,
            run: "click",
        },
        {
            content: "type the customer's name",
            trigger: `${form} .o_field_widget[name=name] input`,
            run: `edit ${name}`,
        },
        {
            content: "type the phone number",
            trigger: `${form} .o_field_widget[name=phone] input`,
            run: `edit ${phone}`,
        },
    ];
}

registry.category("web_tour.tours").add("crm_lead_attribution_reception", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open the Reception Desk app",
            trigger: ".o_app[data-menu-xmlid='crm_lead_attribution.crm_attribution_reception_menu_root']",
            run: "click",
        },
        {
            content: "the desk opens on a new registration, a visit by default",
            trigger: `${form} .o_field_widget[name=kind] input[data-value=visit]:checked`,
        },
        // 1. A new walk-in: the receiver owns the customer (B2).
        ...fillRegistration("Alice Li", "林先生", "139 0013 9000"),
        {
            content: "before saving, the desk shows the outcome: a new customer",
            trigger: `${form} .alert-info:contains('Outcome if registered now'):contains('New Customer')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=rule]:contains('B2')`,
        },
        {
            content: "register",
            trigger: ".o_form_view button[name=action_register]",
            run: "click",
        },
        {
            content: "registered: owner, rule and reason",
            trigger: `${form} .alert-info:contains('Registered:'):contains('New Customer')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=owner_id]:contains('Alice Li')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=rule]:contains('B2')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=reason]:contains('New customer')`,
        },
        // 2. A returning customer, the phone written another way: Bob's (B3).
        {
            content: "register the next customer",
            trigger: ".o_form_view button[name=action_register_another]",
            run: "click",
        },
        {
            content: "a fresh desk, the receiver kept, no trail of breadcrumbs",
            trigger: `${form} .o_field_widget[name=name] input:value('')`,
        },
        {
            trigger: `${form} .o_field_widget[name=receiver_id] input:value('Alice Li')`,
        },
        {
            trigger: ".o_control_panel .o_breadcrumb:not(:has(.breadcrumb-item)) .o_last_breadcrumb_item",
        },
        {
            trigger: `${form} .o_field_widget[name=name] input`,
            run: "edit 钱多多",
        },
        {
            trigger: `${form} .o_field_widget[name=phone] input`,
            run: "edit +86 137-0013-7000",
        },
        {
            content: "the desk recognises Bob's customer before saving",
            trigger: `${form} .alert-info:contains('Returning Customer')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=owner_id]:contains('Bob Wang')`,
        },
        {
            trigger: ".o_form_view button[name=action_register]",
            run: "click",
        },
        {
            content: "registered: the visit goes to the owner, rule B3",
            trigger: `${form} .alert-info:contains('Registered:'):contains('Returning Customer')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=rule]:contains('B3')`,
        },
        {
            trigger: `${form} .alert-info .o_field_widget[name=owner_id]:contains('Bob Wang')`,
        },
        // 3. A phone number that is not one: refused, with the reason.
        {
            trigger: ".o_form_view button[name=action_register_another]",
            run: "click",
        },
        {
            trigger: `${form} .o_field_widget[name=name] input:value('')`,
        },
        {
            trigger: `${form} .o_field_widget[name=name] input`,
            run: "edit 王女士",
        },
        {
            trigger: `${form} .o_field_widget[name=phone] input`,
            run: "edit 12345",
        },
        {
            content: "the desk says what to correct",
            trigger: `${form} .alert-warning:contains('is not a valid phone number (A1)')`,
        },
        {
            content: "register anyway",
            trigger: ".o_form_view button[name=action_register]",
            run: "click",
        },
        {
            content: "refused, with the message",
            trigger: ".modal .modal-body:contains('12345 is not a valid phone number (A1)')",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "nothing was registered: the desk still waits for a correction",
            trigger: `body:not(:has(.modal)) ${form} .alert-warning:contains('is not a valid phone number')`,
        },
        {
            trigger: ".o_form_view button[name=action_register]",
        },
    ],
});
