#!/usr/bin/env python3
"""The SM-SR web console in a real headless Chromium (Debian's chromium + chromium-driver, driven
by python3-selenium), against a running `rsp smsr run --console-listen` whose cards answer
(tests/cli/test_console_browser.sh starts everything and passes the facts in the environment).

Checks: the login form (styled: the CSS loads without a token) sets the cookie and opens the page; the fleet view lists the cards; an
ICCID search shows the XSS-shaped profile type as text (no <img> element made, no alert); the card
view shows its profiles and audit trail; the campaign view shows the batch's real counters and
they move while the cards answer (the 1 s poll); a screenshot of it is saved (SHOT).
Exit 0 all passed, 1 a check failed, 77 the browser stack is missing (skip)."""
import os
import subprocess
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                            StaleElementReferenceException, TimeoutException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("skip: python3-selenium is not installed")
    sys.exit(77)

URL, TOKEN, EIDS = os.environ["CONSOLE_URL"], os.environ["CONSOLE_TOKEN"], os.environ["EIDS"].split()
XSS_ICCID, XSS, SHOT = os.environ["XSS_ICCID"], os.environ["XSS"], os.environ["SHOT"]
BATCH = int(os.environ["BATCH"])
fails = 0


def ok(cond, what):
    global fails
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        fails += 1


def driver():
    for b, d in (("/usr/bin/chromium", "/usr/bin/chromedriver"),):
        if os.path.exists(b) and os.path.exists(d):
            o = webdriver.ChromeOptions()
            o.binary_location = b
            for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--window-size=1280,900", "--user-data-dir=" + os.environ["PROFILE_DIR"]):
                o.add_argument(a)
            return webdriver.Chrome(service=Service(d), options=o)
    print("skip: chromium / chromedriver not installed (Debian: chromium chromium-driver)")
    sys.exit(77)


def rows(d, table_id):
    return d.find_elements(By.CSS_SELECTOR, "#%s tbody tr" % table_id)


def wait(d, cond, secs=60):
    """cond until true; the live views redraw every second, so an element may go stale meanwhile."""
    try:
        return WebDriverWait(d, secs, poll_frequency=0.2, ignored_exceptions=(
            StaleElementReferenceException, NoSuchElementException, ValueError)).until(lambda x: cond(x))
    except TimeoutException:
        return None


def text(d, el_id):
    return wait(d, lambda x: x.find_element(By.ID, el_id).text or "?", 10) or ""


d = driver()
try:
    d.set_page_load_timeout(60)
    d.get(URL + "/login")
    d.find_element(By.NAME, "token").send_keys(TOKEN)
    d.find_element(By.CSS_SELECTOR, "form button").click()
    ok(wait(d, lambda x: len(rows(x, "fleet-table")) >= len(EIDS)) is not None,
       "login form, then the fleet view lists the %d cards" % len(EIDS))
    shown = {r.find_elements(By.TAG_NAME, "td")[0].text for r in rows(d, "fleet-table")}
    ok(set(EIDS) <= shown, "the fleet view shows the real EIDs")
    ok("(read-only)" in d.find_element(By.ID, "who").text or "(actions on)" in d.find_element(By.ID, "who").text,
       "the identity is shown: " + d.find_element(By.ID, "who").text)

    d.get(URL + "/#/fleet?by=iccid&q=" + XSS_ICCID)
    ok(wait(d, lambda x: len(rows(x, "fleet-table")) == 1) is not None, "ICCID search finds the card")
    cells = [c.text for c in rows(d, "fleet-table")[0].find_elements(By.TAG_NAME, "td")]
    ok(XSS in cells, "the XSS-shaped profile type is shown as text: %r" % XSS)
    ok(len(d.find_elements(By.TAG_NAME, "img")) == 0, "no <img> element was made from it")
    try:
        d.switch_to.alert
        ok(False, "no alert ran")
    except NoAlertPresentException:
        ok(True, "no alert ran")

    d.find_element(By.LINK_TEXT, rows(d, "fleet-table")[0].find_elements(By.TAG_NAME, "td")[5].text).click()
    ok(wait(d, lambda x: len(rows(x, "card-profiles")) >= 1 and len(rows(x, "card-audit")) >= 1) is not None,
       "the card view shows its profiles and audit trail")

    ok(subprocess.run(["bash", "-e", os.environ["SUBMIT"]]).returncode == 0, "the batch queued (rsp smsr submit)")
    d.get(URL + "/#/campaigns")
    ok(wait(d, lambda x: any("batch1-*" in r.text for r in rows(x, "campaigns-table"))) is not None,
       "the campaigns view lists batch1-*")
    href = wait(d, lambda x: x.find_element(By.LINK_TEXT, "batch1-*").get_attribute("href"))
    d.get(href)
    ok(wait(d, lambda x: x.find_element(By.ID, "cc-total").text == str(BATCH)) is not None,
       "the campaign view shows the batch's %d operations" % BATCH)
    first = text(d, "cc-done")
    ok(first == "0", "no operation done before the cards are up (done %s)" % first)
    open(os.environ["GO_FILE"], "w").close()  # the cards come up now
    done = wait(d, lambda x: int(x.find_element(By.ID, "cc-done").text) >= BATCH, 120)
    ok(done is not None, "live counters: done went from %s to %s while the cards answered (rate %s)" %
       (first, text(d, "cc-done"), wait(d, lambda x: x.find_element(By.ID, "campaign-attrs").text.split("rate")[1]
                                        .split("\n")[1], 5)))
    d.save_screenshot(SHOT)
    with open(SHOT, "rb") as f:
        head = f.read(8)
    ok(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(SHOT) > 10000, "screenshot saved: %s (%d bytes)" %
       (SHOT, os.path.getsize(SHOT)))
    logs = d.get_log("browser") if hasattr(d, "get_log") else []
    bad = [l for l in logs if l.get("level") == "SEVERE" and "favicon" not in l.get("message", "")]
    ok(not bad, "no script errors or CSP violations in the console: %s" % bad[:2])
finally:
    d.quit()
sys.exit(1 if fails else 0)
