#!/usr/bin/env python3
"""The SM-SR web console during a running `rsp demo` (issue 12: "a screenshot taken during a running
demo"), in a real headless Chromium driven by python3-selenium. tests/cli/test_console_demo.sh starts
the demo and passes its console URL, token and pid in the environment.

Checks: the token logs in; the fleet view lists the demo's cards (N of them); the campaigns view lists
the switch's campaigns with operations counted; a screenshot of the campaign view is taken while the demo
process is still running (DEMO_PID alive) and is a PNG.
Exit 0 all passed, 1 a check failed, 77 the browser stack is missing (skip)."""
import os
import sys

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("skip: python3-selenium is not installed")
    sys.exit(77)

URL, TOKEN, SHOT = os.environ["CONSOLE_URL"].rstrip("/"), os.environ["CONSOLE_TOKEN"], os.environ["SHOT"]
N, PID = int(os.environ["N"]), int(os.environ["DEMO_PID"])
fails = 0


def ok(cond, what):
    global fails
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        fails += 1


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def rows(d, table_id):
    return d.find_elements(By.CSS_SELECTOR, "#%s tbody tr" % table_id)


def text_of(d, elem_id):
    try:
        return d.find_element(By.ID, elem_id).text
    except (NoSuchElementException, StaleElementReferenceException):
        return "?"


def wait(d, cond, secs=60):
    try:
        return WebDriverWait(d, secs, poll_frequency=0.2, ignored_exceptions=(
            StaleElementReferenceException, NoSuchElementException, ValueError, IndexError)).until(lambda x: cond(x))
    except TimeoutException:
        return None


if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
    print("skip: chromium / chromedriver not installed (Debian: chromium chromium-driver)")
    sys.exit(77)
o = webdriver.ChromeOptions()
o.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
          "--user-data-dir=" + os.environ["PROFILE_DIR"]):
    o.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
try:
    d.set_page_load_timeout(60)
    d.get(URL + "/login")
    d.find_element(By.NAME, "token").send_keys(TOKEN)
    d.find_element(By.CSS_SELECTOR, "form button").click()
    ok(wait(d, lambda x: len(rows(x, "fleet-table")) >= N) is not None,
       "the demo's token logs in; the fleet view lists its %d cards" % N)
    d.get(URL + "/#/campaigns")
    # The rows' texts are read inside the wait: the view re-renders while the demo runs, so an element
    # found once may be stale a moment later (a StaleElementReferenceException there is retried).
    camp = wait(d, lambda x: [t for t in (r.text.replace("\n", " ") for r in rows(x, "campaigns-table")) if t.strip()]
                or None)
    ok(camp is not None, "the campaigns view lists the switch: %s" % (" | ".join(camp[:3]) if camp else "nothing"))
    if camp:
        link = wait(d, lambda x: rows(x, "campaigns-table")[0].find_element(By.TAG_NAME, "a").get_attribute("href"))
        if link:
            d.get(link)
            ok(wait(d, lambda x: int(x.find_element(By.ID, "cc-total").text) >= 1) is not None,
               "a campaign of the running demo shows its operations (total %s)" %
               text_of(d, "cc-total"))
    running = alive(PID)
    d.save_screenshot(SHOT)
    ok(running, "the screenshot was taken while rsp demo was running (pid %d)" % PID)
    with open(SHOT, "rb") as f:
        head = f.read(8)
    ok(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(SHOT) > 10000,
       "screenshot saved: %s (%d bytes)" % (SHOT, os.path.getsize(SHOT)))
finally:
    d.quit()
sys.exit(1 if fails else 0)
