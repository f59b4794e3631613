"""Load the add-on's pure policy package without importing Odoo.

``crm_lead_attribution/__init__.py`` imports the ORM models, which need Odoo;
the policy package under ``crm_lead_attribution/tools`` does not, so it is
loaded here on its own, as ``cla_tools``.
"""

import importlib.util
import pathlib
import sys

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "crm_lead_attribution" / "tools"


def _load_tools():
    if "cla_tools" in sys.modules:
        return sys.modules["cla_tools"]
    spec = importlib.util.spec_from_file_location(
        "cla_tools", TOOLS / "__init__.py", submodule_search_locations=[str(TOOLS)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["cla_tools"] = module
    spec.loader.exec_module(module)
    return module


_load_tools()
