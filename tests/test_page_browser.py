"""The page in a real browser (headless Chromium): no console errors or CSP violations,
Explore's clicks and step buttons move the highlight, the keyboard reaches every control
in order, nothing scrolls sideways at 390 px, print shows both modes; screenshots
``explore-desktop.png`` and ``explore-phone.png`` for a person to look at."""

from __future__ import annotations

import json

import pytest
from browser import DESKTOP, PHONE, browser, screenshot  # noqa: F401 (browser: a fixture)
from support import WORKED

from derive.model.expression import load_any
from derive.present.expression import walkthrough_of
from derive.present.page import page_html
from derive.present.worksheet import make_worksheet

NAMES = ("four", "expression-sigmoid", "adam")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for name in NAMES:
        spec = load_any(WORKED / f"{name}.yaml")
        path = folder / f"{name}.html"
        path.write_text(page_html(walkthrough_of(spec), make_worksheet(spec, name, 3, 1)), encoding="utf-8")
        out[name] = path
    return out


def open_page(b, path, size=DESKTOP):
    b.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size == PHONE},
    )
    b.get_log("browser")  # (earlier pages' messages)
    b.get(path.as_uri())


def problems(b) -> list[str]:
    return [e["message"] for e in b.get_log("browser") if e["level"] == "SEVERE" or "Content Security" in e["message"]]


def state(b) -> dict:
    return b.execute_script(
        """const eq = document.querySelector('.walkthrough .eq.current');
        return {step: eq && eq.dataset.step,
                els: [...new Set([...document.querySelectorAll('svg .current')].map(e => e.dataset.el))],
                panel: document.querySelectorAll('#focus .eq').length,
                where: document.getElementById('where').textContent};"""
    )


def steps(b) -> list[dict]:
    return json.loads(b.execute_script("return document.getElementById('explore-data').textContent"))["steps"]


@pytest.mark.parametrize("name", NAMES)
def test_no_console_errors_and_no_csp_violations(browser, pages, name):  # noqa: F811
    open_page(browser, pages[name])
    assert browser.execute_script("return document.querySelectorAll('#focus .eq').length") >= 1  # the script ran
    assert problems(browser) == []


def test_the_csp_check_can_fail(browser, pages, tmp_path):  # noqa: F811
    explore = "// Explore: the diagram's elements open their steps"  # (the explore script's own first comment)
    html = pages["four"].read_text(encoding="utf-8").replace(explore, explore + " ", 1)
    bad = tmp_path / "tampered.html"
    bad.write_text(html, encoding="utf-8")
    open_page(browser, bad)
    assert browser.execute_script("return document.querySelectorAll('#focus .eq').length") == 0  # blocked
    assert any("Content Security Policy" in m for m in problems(browser))


def test_clicks_and_step_buttons_move_the_highlight(browser, pages):  # noqa: F811
    open_page(browser, pages["four"])
    order = [s["id"] for s in steps(browser)]
    assert state(browser)["step"] == order[0]
    browser.find_element("css selector", 'svg .el[data-el="w9"][tabindex]').click()
    now = state(browser)
    assert now["step"] == "grad_w9" and now["els"] == ["w9"] and now["panel"] == 2 and "weight w9" in now["where"]
    browser.find_element("id", "step-forward").click()
    assert state(browser)["step"] == order[order.index("grad_w9") + 1]
    browser.find_element("id", "step-back").click()
    browser.find_element("id", "step-back").click()
    assert state(browser)["step"] == order[order.index("grad_w9") - 1]
    browser.find_element("id", "step-update").click()
    first_update = next(s["id"] for s in steps(browser) if s["update"])
    now = state(browser)
    assert now["step"] == first_update and now["els"] == [first_update.split("_", 1)[1]]
    browser.find_element("css selector", 'svg .el[data-el="h2"]').click()
    assert state(browser)["step"] == "net_h2" and state(browser)["els"] == ["h2"]


def test_expression_circuit_explores_too(browser, pages):  # noqa: F811
    open_page(browser, pages["expression-sigmoid"])
    assert browser.find_element("id", "step-update").is_displayed() is False  # no update in a graph
    browser.find_element("css selector", 'svg .el[data-el="x"][tabindex]').click()
    now = state(browser)
    assert now["step"].endswith("_x") and now["els"] == ["x"] and now["panel"] >= 1


def test_tab_reaches_every_control_in_order_and_enter_works(browser, pages):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains  # (with the browser: selenium is there)
    from selenium.webdriver.common.keys import Keys

    open_page(browser, pages["four"])
    controls = browser.execute_script(
        """return [...document.querySelectorAll('button, [tabindex="0"]')]
           .filter(e => !e.disabled && !e.hidden && e.getClientRects().length && !e.closest('[hidden]'))
           .map(e => e.id || e.dataset.el);"""
    )
    seen: list[str] = []
    for _ in range(len(controls) + 60):  # from the top of a fresh page, Tab after Tab
        ActionChains(browser).send_keys(Keys.TAB).perform()
        here = browser.execute_script("const e = document.activeElement; return e.id || (e.dataset || {}).el || '';")
        if here in controls and here not in seen:
            seen.append(here)
        if len(seen) == len(controls):
            break
    assert seen == controls  # every control, in the page's order
    # a diagram element reached by Tab works with Enter; so does a button with Enter
    node = browser.find_element("css selector", 'svg .el[data-el="o1"]')
    browser.execute_script("arguments[0].focus()", node)
    browser.switch_to.active_element.send_keys("\ue007")  # Enter
    assert state(browser)["step"] == "net_o1"
    browser.execute_script("document.getElementById('step-forward').focus()")
    browser.switch_to.active_element.send_keys("\ue007")
    assert state(browser)["step"] != "net_o1"
    focused = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert focused != "none"  # visible focus


def test_practise_tab_switches_modes(browser, pages):  # noqa: F811
    open_page(browser, pages["four"])
    practise, explore = (browser.find_element("id", i) for i in ("practise", "explore"))
    assert explore.is_displayed() and not practise.is_displayed()
    browser.find_element("id", "tab-practise").click()
    assert practise.is_displayed() and not explore.is_displayed()
    browser.find_element("id", "tab-explore").click()
    assert explore.is_displayed()


@pytest.mark.parametrize("name", NAMES)
def test_no_sideways_scrolling_at_390_px(browser, pages, name):  # noqa: F811
    open_page(browser, pages[name], PHONE)
    assert browser.execute_script("return window.innerWidth") == 390
    for tab in ("tab-explore", "tab-practise"):
        browser.find_element("id", tab).click()
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 390, tab


def test_print_shows_both_modes_without_buttons(browser, pages):  # noqa: F811
    open_page(browser, pages["four"])
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script(
            """const vis = e => getComputedStyle(e).display !== 'none';
            return [vis(document.getElementById('practise')), vis(document.getElementById('explore')),
                    [...document.querySelectorAll('button')].some(vis)];"""
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown == [True, True, False]


def test_screenshots_of_explore(browser, pages):  # noqa: F811
    for size, name in ((DESKTOP, "explore-desktop"), (PHONE, "explore-phone")):
        open_page(browser, pages["four"], size)
        browser.find_element("css selector", 'svg .el[data-el="w1"]').click()
        assert state(browser)["step"] == "grad_w1"
        assert screenshot(browser, name).stat().st_size > 10_000
