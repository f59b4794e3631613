{
    "name": "CRM Customer Attribution",
    "summary": "Decide, record and enforce who owns a customer (客户归属): "
    "registration, phone identity, first-contact ownership and an audit ledger",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "author": "crm_lead_attribution developers",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crm", "calendar", "phone_validation"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/crm_lead_attribution_security.xml",
        "security/ir.model.access.csv",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/crm_attribution_ledger_views.xml",
        "views/crm_attribution_change_request_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_attribution_pool_views.xml",
        "views/crm_team_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/crm_attribution_register_views.xml",
        "wizards/crm_attribution_follow_up_views.xml",
        "wizards/crm_attribution_reassign_views.xml",
        "wizards/crm_attribution_give_up_views.xml",
        "views/crm_lead_attribution_menus.xml",
    ],
    "demo": [
        "demo/crm_lead_attribution_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_lead_attribution/static/tests/tours/**/*",
        ],
    },
    "uninstall_hook": "uninstall_hook",
}
