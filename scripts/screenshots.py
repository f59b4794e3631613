#!/usr/bin/env python3
"""Screenshots of crm_lead_attribution for the README, in Chinese and English.

    python3 scripts/screenshots.py [--database cla_shots] [--fresh] [--out docs/screenshots]

Installs the add-on with its demo data into the database (once; ``--fresh``
recreates it; ``--data-dir`` keeps its filestore, by default in the
temporary folder), starts Odoo on a free port of 127.0.0.1 and headless
Chromium, logs in as the demo users and takes, in zh_CN and in en_US:

- ``reception_desk``: the Reception Desk app as ``cla.reception``, a
  returning customer typed in, the outcome shown before registering;
- ``public_pool``: CRM › Sales › Public Pool as ``cla.li``, masked cards;
- ``lead_attribution``: a customer of ``cla.li``, the Attribution section;
- ``ledger``: CRM › Reporting › Attribution Ledger as ``cla.manager``;
- ``settings``: Settings › CRM › Customer Attribution as ``admin``.

Each user's language is set for the shots (with their own preferences, as
they would) and put back afterwards; no customer data is written: the desk
shows its outcome before anything is registered. The PNGs are 1280×800
(the lead form 1280×960, to show its buttons and the whole section),
reduced to 256 colours; a screen that fails leaves what the page showed in
the temporary folder. Needs the Python that runs Odoo 18 (it imports
``requests``, ``websocket-client`` and Pillow, all Odoo dependencies) and
``chromium`` on the PATH. PostgreSQL is reached as in ``tests/run.py``
(PGHOST, PGPORT, PGUSER).
"""

import argparse
import base64
import io
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import (
    MODULE,
    PYTHON,
    ROOT,
    addons_path,
    db_settings,
    drop_database,
    odoo_status,
    run_odoo,
)

WIDTH, HEIGHT = 1280, 800
LANGS = ("zh_CN", "en_US")
TIMEOUT = 180  # the first page builds the asset bundles: a minute or more on two cores


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(workdir, data_dir):
    lines = [
        "[options]",
        f"addons_path = {addons_path()}",
        f"data_dir = {data_dir}",
        "max_cron_threads = 0",
        "http_interface = 127.0.0.1",
    ]
    lines += [f"{key} = {value}" for key, value in db_settings().items()]
    config = workdir / "odoo.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def database_ready(config, database):
    """Is the add-on installed with its demo data in ``database``?"""
    probe = subprocess.run(
        [PYTHON, "-m", "odoo", "shell", "-c", str(config), "-d", database, "--log-level=error"],
        input=(
            "print('READY' if env.ref('crm_lead_attribution.demo_team_sales_office', "
            "raise_if_not_found=False) else 'MISSING')\n"
        ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return "READY" in probe.stdout


class Odoo:
    """An Odoo server on a free port, and JSON-RPC sessions on it."""

    def __init__(self, config, database, log):
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "odoo",
                "-c",
                str(config),
                "-d",
                database,
                f"--db-filter=^{database}$",
                f"--http-port={self.port}",
                "--no-database-list",
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(f"{self.url}/web/health", timeout=10).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"Odoo stopped (exit {self.process.returncode}); log: {log}")
            time.sleep(1)
        self.stop()
        raise SystemExit(f"Odoo did not answer in 120 s; log: {log}")

    def session(self, login, password=None):
        """Log in; return (requests session, uid)."""
        http = requests.Session()
        reply = http.post(
            f"{self.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": self.database, "login": login, "password": password or login},
            },
            timeout=60,
        ).json()
        if reply.get("error") or not reply["result"].get("uid"):
            raise SystemExit(f"cannot log in as {login}: {reply.get('error')}")
        return http, reply["result"]["uid"]

    def call(self, http, model, method, *args, **kwargs):
        reply = http.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
            },
            timeout=120,
        ).json()
        if reply.get("error"):
            raise SystemExit(f"{model}.{method}: {reply['error']['data']['message']}")
        return reply["result"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# Helpers evaluated in the page: find an element by selector (and text),
# visible, waiting for it.
PAGE_HELPERS = """
window.__shots = {
    find(selector, text) {
        for (const el of document.querySelectorAll(selector)) {
            const rect = el.getBoundingClientRect();
            if (rect.width && rect.height && (!text || el.textContent.includes(text))) {
                return el;
            }
        }
        return null;
    },
    async wait(selector, text, timeout) {
        const end = Date.now() + timeout;
        while (Date.now() < end) {
            const el = this.find(selector, text);
            if (el) {
                return el;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`not found: ${selector} ${text || ""}`);
    },
    async box(selector, text, timeout) {
        const el = await this.wait(selector, text, timeout);
        el.scrollIntoView({ block: "nearest" });
        const rect = el.getBoundingClientRect();
        return [rect.x + rect.width / 2, rect.y + rect.height / 2];
    },
};
"""


class Chrome:
    """Headless Chromium driven over the DevTools protocol."""

    def __init__(self, height=HEIGHT):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        binary = binary or shutil.which("google-chrome")
        if not binary:
            raise SystemExit("chromium is not on the PATH")
        self.profile = tempfile.mkdtemp(prefix="cla-shots-chrome-")
        port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={WIDTH},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while True:
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                if time.time() > deadline:
                    raise SystemExit("chromium did not start") from None
                time.sleep(0.3)
        self.socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], suppress_origin=True, timeout=TIMEOUT
        )
        self.next_id = 0
        self.send("Page.enable")
        self.send("Network.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        # the demo users work in Shanghai: the browser too, so that dates
        # the server writes and dates the browser formats agree
        self.send("Emulation.setTimezoneOverride", timezoneId="Asia/Shanghai")

    def send(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details)
        return result.get("result", {}).get("value")

    def open(self, url, session_id, ready):
        self.send("Network.clearBrowserCookies")
        self.send(
            "Network.setCookie",
            name="session_id",
            value=session_id,
            domain="127.0.0.1",
            path="/",
        )
        self.send("Page.navigate", url=url)
        self.wait(ready, timeout=TIMEOUT)

    def wait(self, selector, text=None, timeout=30):
        self.evaluate(PAGE_HELPERS)
        self.evaluate(
            f"__shots.wait({json.dumps(selector)}, {json.dumps(text)}, {timeout * 1000})"
            ".then(() => true)"
        )

    def click(self, selector, text=None, timeout=30):
        """A real mouse click in the middle of the element."""
        self.evaluate(PAGE_HELPERS)
        x, y = self.evaluate(
            f"__shots.box({json.dumps(selector)}, {json.dumps(text)}, {timeout * 1000})"
        )
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, selector, text):
        """Click into a field, select what it holds and type ``text``."""
        self.click(selector)
        self.evaluate(f"__shots.find({json.dumps(selector)}).select()")
        self.send("Input.insertText", text=text)

    def select(self, selector, text, tries=3):
        """Pick ``text`` in a many2one: type it, click the suggestion, check
        the field took it (a suggestion list still refreshing can miss the
        click: then again)."""
        for _try in range(tries):
            self.type(selector, text)
            self.wait(".o-autocomplete--dropdown-item", text)
            self.settle(0.5)
            self.click(".o-autocomplete--dropdown-item", text)
            self.settle(0.5)
            value = self.evaluate(f"__shots.find({json.dumps(selector)})?.value || ''")
            if text in value:
                return
        raise RuntimeError(f"{selector}: could not select {text}")

    def settle(self, seconds=1.0):
        """Let pending requests, renders and animations finish."""
        time.sleep(seconds)
        self.evaluate(
            "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
        )

    def screenshot(self, path):
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        image = Image.open(io.BytesIO(data)).convert("RGB")
        image = image.quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, optimize=True)
        print(f"  {path} ({path.stat().st_size // 1024} KiB)", flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def close(self):
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def action_url(odoo, xmlid, record_id=None):
    return f"{odoo.url}/odoo/action-{xmlid}" + (f"/{record_id}" if record_id else "")


def shoot(odoo, out, lang, screens):
    """The screens in ``lang``, each in a browser of its own (a new profile:
    no state, such as Odoo's bus connection, carried from one to the next)."""
    for name, login, height, take in SCREENS:
        if screens and name not in screens:
            continue
        http, uid = odoo.session(*login)
        with Chrome(height) as chrome:
            path = out / f"{name}.{lang}.png"
            try:
                take(odoo, chrome, http, uid)
                chrome.settle()
                chrome.screenshot(path)
            except Exception:
                chrome.screenshot(Path(tempfile.gettempdir()) / f"{name}.{lang}.failed.png")
                raise


FIELD = ".o_form_view .o_field_widget[name={}] input"


def reception_desk(odoo, chrome, http, _uid):
    """The Reception Desk app: a returning customer, the outcome before registering."""
    chrome.open(
        action_url(odoo, "crm_lead_attribution.crm_attribution_register_action_desk"),
        http.cookies["session_id"],
        FIELD.format("receiver_id"),
    )
    chrome.select(FIELD.format("receiver_id"), "Wang Fang")
    chrome.type(FIELD.format("name"), "陈志强")
    chrome.type(FIELD.format("phone"), "138-5555-0101")
    chrome.click(".o_form_view .o_field_widget[name=note] textarea")
    chrome.wait(".o_form_view .alert-info .o_field_widget[name=rule]", "B3")


def public_pool(odoo, chrome, http, _uid):
    """CRM › Sales › Public Pool, as a salesperson: masked cards."""
    chrome.open(
        action_url(odoo, "crm_lead_attribution.crm_attribution_pool_action"),
        http.cookies["session_id"],
        ".o_kanban_view .o_kanban_record button[name=action_claim]",
    )


def lead_attribution(odoo, chrome, http, uid):
    """A customer of the salesperson's: the lead form and its Attribution section."""
    lead = odoo.call(
        http,
        "crm.lead",
        "search",
        [("phone_sanitized", "=", "+8613855550101"), ("user_id", "=", uid)],
        limit=1,
    )
    chrome.open(
        f"{odoo.url}/odoo/crm/{lead[0]}",
        http.cookies["session_id"],
        ".o_form_view .o_field_widget[name=attribution_state]",
    )


def ledger(odoo, chrome, http, _uid):
    """CRM › Reporting › Attribution Ledger, as the manager."""
    chrome.open(
        action_url(odoo, "crm_lead_attribution.crm_attribution_ledger_action"),
        http.cookies["session_id"],
        ".o_list_view .o_data_row",
    )


def settings(odoo, chrome, http, _uid):
    """Settings › CRM › Customer Attribution, as the administrator."""
    chrome.open(
        f"{odoo.url}/odoo/settings",
        http.cookies["session_id"],
        ".settings_tab .tab[data-key=crm]",
    )
    chrome.click(".settings_tab .tab[data-key=crm]")
    chrome.wait("#attribution_protection_days")
    chrome.evaluate(
        "document.querySelector('#attribution_protection_days')"
        ".closest('.o_settings_container').previousElementSibling"
        ".scrollIntoView({block: 'start'})"
    )


# name, (login, password), viewport height, what to do before the shot (the
# demo users' passwords are their logins; the administrator's is Odoo's default)
SCREENS = (
    ("reception_desk", ("cla.reception", "cla.reception"), HEIGHT, reception_desk),
    ("public_pool", ("cla.li", "cla.li"), HEIGHT, public_pool),
    ("lead_attribution", ("cla.li", "cla.li"), 960, lead_attribution),
    ("ledger", ("cla.manager", "cla.manager"), HEIGHT, ledger),
    ("settings", ("admin", "admin"), HEIGHT, settings),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="cla_shots")
    parser.add_argument("--fresh", action="store_true", help="recreate the database")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", action="append", choices=LANGS, help="default: both")
    parser.add_argument(
        "--screen", action="append", choices=[screen[0] for screen in SCREENS], help="default: all"
    )
    parser.add_argument(
        "--data-dir",
        default=str(Path(tempfile.gettempdir()) / "cla-shots-data"),
        help="Odoo's data_dir (the filestore of the database: keep the same one)",
    )
    options = parser.parse_args()
    ok, reason = odoo_status()
    if not ok:
        raise SystemExit(f"screenshots need Odoo 18: {reason}")
    out = Path(options.out).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="cla-shots-"))
    config = write_config(workdir, options.data_dir)
    if options.fresh:
        drop_database(config, options.database)
    if options.fresh or not database_ready(config, options.database):
        print(f"installing {MODULE} with demo data into {options.database}", flush=True)
        rc = run_odoo(
            config,
            "-d",
            options.database,
            "-i",
            MODULE,
            "--stop-after-init",
            "--http-port=0",
            log=workdir / "install.log",
        )
        if rc:
            raise SystemExit(f"install failed; log: {workdir / 'install.log'}")
    odoo = Odoo(config, options.database, workdir / "odoo.log")
    languages = {}
    try:
        for login, password in {screen[1] for screen in SCREENS}:
            http, uid = odoo.session(login, password)
            lang = odoo.call(http, "res.users", "read", [uid], ["lang"])[0]["lang"]
            languages[login, password] = (http, uid, lang)
        for lang in options.lang or LANGS:
            print(f"{lang}:", flush=True)
            for http, uid, _lang in languages.values():
                odoo.call(http, "res.users", "write", [uid], {"lang": lang})
            shoot(odoo, out, lang, options.screen)
    except Exception:
        print(f"failed; Odoo's log: {workdir / 'odoo.log'}", flush=True)
        raise
    finally:
        # the users' own languages back
        for http, uid, lang in languages.values():
            odoo.call(http, "res.users", "write", [uid], {"lang": lang})
        odoo.stop()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
