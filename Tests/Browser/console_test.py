#!/usr/bin/env python3
"""The web console in a real browser (headless Chromium through Selenium 4 and chromedriver).

    console_test.py --url http://127.0.0.1:PORT --components source:p/a,transform:p/b,sink:p/c
                    --source NODE --sink NODE --output FILE --expected-lines N

Driven by Tests/WeirServerTests/ConsoleBrowserTests.swift, which runs `weir run --http` on a
pipeline that tails a file. The conversation on stdin and stdout:

    script: APPEND                 (the tap on the sink is open, the pipeline is idle)
    test:   APPENDED <lines>       (after appending loghub lines to the tailed file)

Then the script checks and prints one line per check: `PASS <check>` or
`FAIL <check>: <why>`, and exits 1 if any failed (2 if it could not run at all). It waits
for conditions with generous timeouts, never for a fixed time.

Screenshots go to $WEIR_CONSOLE_SCREENSHOTS (a temporary directory if unset): the page at
1280x800 and at 390x844 (a phone).
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
except ImportError as error:
    print(f"FAIL setup: selenium is not importable ({error}); scripts/bootstrap --test installs it", flush=True)
    sys.exit(2)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SIZES = [("1280x800", 1280, 800, False), ("390x844", 390, 844, True)]
TIMEOUT = 60

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--components", required=True, help="the node ids of the pipeline file's components, comma-separated")
parser.add_argument("--source", required=True, help="node id of the tail source")
parser.add_argument("--sink", required=True, help="node id of the file sink")
parser.add_argument("--output", required=True, help="the file the sink writes")
parser.add_argument("--expected-lines", type=int, required=True, help="lines the sink has written once all is through")
parser.add_argument("--tailed-lines", type=int, required=True, help="lines in the tailed file once all are appended")
parser.add_argument("--tailed", required=True, help="the tailed file (one more line is appended while the tap is paused)")
parser.add_argument("--dead-lettering", required=True, help="node id of a transform that dead-letters some of the appended lines")
args = parser.parse_args()

failures = []
# The test stops the script with SIGTERM on a timeout: exit through `finally`, which quits Chromium.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))


def report(check, problems):
    """One line per check; the problems (a list of strings) make it fail."""
    if problems:
        failures.append(check)
        shown = problems[:12] + ([f"… and {len(problems) - 12} more"] if len(problems) > 12 else [])
        print(f"FAIL {check}: " + "; ".join(shown), flush=True)
    else:
        print(f"PASS {check}", flush=True)


def wait_for(what, condition, seconds=TIMEOUT):
    """Polls `condition` every 100 ms until it is truthy; raises with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {seconds} s waiting until {what}")
        time.sleep(0.1)


def get_json(path):
    with urllib.request.urlopen(args.url + path, timeout=10) as response:
        return json.load(response)


def output_lines():
    try:
        with open(args.output, encoding="utf-8") as file:
            return [line.rstrip("\n") for line in file if line.strip()]
    except FileNotFoundError:
        return []


def start_browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            print(f"FAIL setup: {path} is missing (apt-get install chromium chromium-driver; scripts/bootstrap --test does)", flush=True)
            sys.exit(2)
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
                 "--hide-scrollbars", "--force-color-profile=srgb", "--lang=en-US"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def set_size(driver, width, height, mobile):
    """The viewport itself (not the window, whose frame varies) is width x height CSS pixels."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    wait_for(f"the viewport is {width}x{height}",
             lambda: driver.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height], 10)


def settle(driver):
    """The page from its top, the graph from its first column (selecting a node scrolls it),
    nothing focused and the pointer on the heading (not hovering a node) for a screenshot."""
    driver.execute_script("document.activeElement.blur(); document.querySelector('.graph-scroll').scrollLeft = 0; window.scrollTo(0, 0);")
    ActionChains(driver).move_to_element(driver.find_element(By.TAG_NAME, "h1")).perform()


def node_attribute(driver, node, attribute):
    return driver.execute_script(
        "const n = document.querySelector(`svg#graph g.node[data-id=\"${arguments[0]}\"]`);"
        "return n ? n.getAttribute(arguments[1]) : null;", node, attribute)


def sink_lag(driver):
    return driver.execute_script(
        "const t = document.querySelector(`svg#graph text.lag[data-sink=\"${arguments[0]}\"]`); return t ? t.dataset.lag : null;",
        args.sink)


# MARK: the checks in the page (JavaScript run by the browser)

# Every visible piece of text as line boxes (one rect per line of each text node, or the
# box of an SVG text), with what clips it. Overlap: boxes of different elements that
# share more than 2 px each way. Cut: a box outside its clipping ancestor's scrollable
# area (a scroll container may hide it until scrolled, never for good) or outside the
# page's width. In the SVG, each node's texts must stay inside its own box and off the
# other boxes.
LAYOUT_JS = r"""
const SLACK = 2;
const problems = [];
const describe = (el) => {
  const id = el.id ? `#${el.id}` : "";
  const data = el.closest("[data-id]") ? `[${el.closest("[data-id]").dataset.id}]` : "";
  return `${el.tagName.toLowerCase()}${id}${data} "${(el.textContent || "").trim().slice(0, 40)}"`;
};
const hidden = (el) => {
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    if (e.hidden) return true;
    const style = getComputedStyle(e);
    if (style.display === "none" || style.visibility === "hidden" || Number(style.opacity) === 0) return true;
    if (["TITLE", "title", "SCRIPT", "STYLE", "NOSCRIPT", "HEAD", "defs"].includes(e.tagName)) return true;
  }
  return false;
};
const boxes = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.textContent.trim()) continue;
  const el = node.parentElement;
  if (!el || hidden(el)) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  for (const r of range.getClientRects()) {
    if (r.width < 1 || r.height < 1) continue;
    boxes.push({ el, r });
  }
}
const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > SLACK
  && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > SLACK;
// Cut text: against each clipping ancestor's scrollable area, then the page's width.
const clippers = (el) => {
  const list = [];
  for (let e = el; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
    const style = getComputedStyle(e);
    const clips = (v) => v !== "visible" && v !== "clip" ? v : (v === "clip" ? "hidden" : null);
    const x = clips(style.overflowX), y = clips(style.overflowY);
    if (e.tagName.toLowerCase() === "svg" || x || y) list.push({ e, x: x || (e.tagName.toLowerCase() === "svg" ? "hidden" : null), y: y || (e.tagName.toLowerCase() === "svg" ? "hidden" : null) });
  }
  return list;
};
const pageWidth = document.documentElement.clientWidth;
for (const { el, r } of boxes) {
  let cut = null;
  for (const { e, x, y } of clippers(el)) {
    const c = e.getBoundingClientRect();
    const scrolls = (v) => v === "auto" || v === "scroll";
    // The area one can scroll to: from the box's origin at scroll 0 over scrollWidth/Height.
    const left = c.left - e.scrollLeft, top = c.top - e.scrollTop;
    const right = scrolls(x) ? left + e.scrollWidth : c.right;
    const bottom = scrolls(y) ? top + e.scrollHeight : c.bottom;
    const minX = scrolls(x) ? left : c.left, minY = scrolls(y) ? top : c.top;
    if (x && (r.left < minX - SLACK || r.right > right + SLACK)) { cut = `sideways by ${describe(e)}`; break; }
    if (y && (r.top < minY - SLACK || r.bottom > bottom + SLACK)) { cut = `vertically by ${describe(e)}`; break; }
    if (scrolls(x) || scrolls(y)) break;  // inside a scroll box, the page never has to show it at once
  }
  if (!cut && clippers(el).every(({ x }) => x !== "auto" && x !== "scroll")) {
    const left = r.left + window.scrollX, right = r.right + window.scrollX;
    if (left < -SLACK || right > pageWidth + SLACK) cut = `outside the page's width (${Math.round(left)}..${Math.round(right)} of ${pageWidth})`;
  }
  if (cut) problems.push(`cut: ${describe(el)} ${cut}`);
}
if (document.documentElement.scrollWidth > pageWidth + SLACK)
  problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in a ${pageWidth} px viewport`);
// Overlap is of what one sees: each box clipped by its clipping ancestors (text scrolled
// out of a scroll box is not on top of what is outside it).
const seen = [];
for (const { el, r } of boxes) {
  let v = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  for (const { e } of clippers(el)) {
    const c = e.getBoundingClientRect();
    v = { left: Math.max(v.left, c.left), right: Math.min(v.right, c.right), top: Math.max(v.top, c.top), bottom: Math.min(v.bottom, c.bottom) };
  }
  if (v.right - v.left > 0 && v.bottom - v.top > 0) seen.push({ el, r: v });
}
for (let i = 0; i < seen.length; i++) {
  for (let j = i + 1; j < seen.length; j++) {
    const a = seen[i], b = seen[j];
    if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
    if (overlap(a.r, b.r)) problems.push(`overlap: ${describe(a.el)} and ${describe(b.el)}`);
  }
}
// The SVG graph: a node's texts inside its own box, and no text on another node's box.
const nodes = [...document.querySelectorAll("svg#graph g.node")].map((g) => ({ g, r: g.querySelector("rect").getBoundingClientRect() }));
for (const text of document.querySelectorAll("svg#graph text")) {
  if (!text.textContent.trim()) continue;
  const r = text.getBoundingClientRect();
  const own = text.closest("g.node");
  for (const { g, r: box } of nodes) {
    const inside = r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
    if (g === own && !inside) problems.push(`cut: ${describe(text)} runs out of its node's box`);
    if (g !== own && overlap(r, box)) problems.push(`overlap: ${describe(text)} lies on the box of ${g.dataset.id}`);
  }
}
return { problems, texts: boxes.length };
"""

# Accessible names, landmarks, heading order, and the contrast of the status colours.
ACCESSIBILITY_JS = r"""
const problems = [];
const text = (el) => (el.textContent || "").replace(/\s+/g, " ").trim();
const name = (el) => {
  if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
  if (el.getAttribute("aria-labelledby"))
    return el.getAttribute("aria-labelledby").split(/\s+/).map((id) => text(document.getElementById(id) || document.createElement("i"))).join(" ").trim();
  if (el.labels && el.labels.length) return [...el.labels].map(text).join(" ").trim();
  if (["BUTTON", "A", "SUMMARY"].includes(el.tagName) || el.getAttribute("role") === "button") return text(el);
  return el.getAttribute("title") || "";
};
const controls = document.querySelectorAll("input, button, select, textarea, a[href], [role=button], [role=region], [tabindex], svg[role=img], [role=status]");
for (const el of controls) {
  if (el.id === "status" || el.id === "tap-status") continue;  // live regions: their text is their content
  if (!name(el)) problems.push(`no accessible name: ${el.outerHTML.slice(0, 80)}`);
}
if (!document.querySelector("main")) problems.push("no <main> landmark");
if (!document.querySelector("header, nav, [role=banner], [role=navigation]")) problems.push("no <header> or <nav> landmark");
if (!document.documentElement.lang) problems.push("<html> has no lang");
const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]));
if (headings.filter((level) => level === 1).length !== 1) problems.push(`${headings.filter((l) => l === 1).length} <h1> elements, not one`);
if (headings[0] !== 1) problems.push(`the first heading is <h${headings[0]}>, not <h1>`);
for (let i = 1; i < headings.length; i++)
  if (headings[i] > headings[i - 1] + 1) problems.push(`heading order skips from h${headings[i - 1]} to h${headings[i]}`);

// WCAG 2 contrast of the colour an element is painted in against what is behind it.
const rgb = (value) => {
  const m = value.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const [r, g, b, a] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r, g, b, a: a === undefined ? 1 : a };
};
const luminance = ({ r, g, b }) => {
  const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};
const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
};
const contrasts = [];
const measure = (what, fg, bg) => {
  const value = ratio(fg, bg);
  contrasts.push({ what, ratio: Math.round(value * 100) / 100 });
  if (value < 4.5) problems.push(`contrast of ${what} is ${value.toFixed(2)}:1, under 4.5:1`);
};
// The status line in each of its states.
const status = document.getElementById("status");
const was = status.dataset.connection;
for (const connection of ["connecting", "live", "lost"]) {
  status.dataset.connection = connection;
  measure(`#status[data-connection=${connection}]`, rgb(getComputedStyle(status).color), background(status));
}
status.dataset.connection = was;
// The list of components needing attention.
const alerts = document.getElementById("alerts");
const item = document.createElement("li");
item.textContent = "probe";
alerts.append(item);
measure("#alerts li", rgb(getComputedStyle(item).color), background(item));
item.remove();
// A node's texts on its box, plain and in trouble (red) or with a growing lag (amber).
const rectFill = (g) => rgb(getComputedStyle(g.querySelector("rect")).fill);
for (const kind of ["source", "topic"]) {
  const g = document.querySelector(`svg#graph g.node.kind-${kind}`);
  if (!g) continue;
  for (const cls of ["label", "type", "rate"]) {
    const t = g.querySelector(`text.${cls}`);
    measure(`${kind} node text.${cls}`, rgb(getComputedStyle(t).fill), rectFill(g));
  }
}
const g = document.querySelector("svg#graph g.node.kind-sink");
if (g) {
  const before = g.getAttribute("class");
  for (const [what, classes] of [["badge (errors)", "alert has-errors"], ["badge (lag growing)", "alert lag-growing"]]) {
    g.setAttribute("class", before + " " + classes);
    measure(what, rgb(getComputedStyle(g.querySelector("text.badge")).fill), rectFill(g));
    for (const cls of ["label", "rate"]) measure(`${what}: text.${cls}`, rgb(getComputedStyle(g.querySelector(`text.${cls}`)).fill), rectFill(g));
    g.setAttribute("class", before);
  }
}
const lag = document.querySelector("svg#graph text.lag");
if (lag) measure("the sink's lag label", rgb(getComputedStyle(lag).fill), background(document.querySelector(".graph-scroll")));
for (const selector of [".hint", "footer.bottom p", "#tap-status", "#tap-records li", "caption", "thead th", "a"]) {
  const el = document.querySelector(selector);
  if (el) measure(selector, rgb(getComputedStyle(el).color), background(el));
}
return { problems, contrasts };
"""

GRAPH_JS = r"""
return {
  nodes: [...document.querySelectorAll("svg#graph g.node")].map((g) => ({ id: g.dataset.id, kind: g.dataset.kind, type: g.dataset.type, pipeline: g.dataset.pipeline || null })),
  edges: [...document.querySelectorAll("svg#graph g.edge")].map((g) => ({ from: g.dataset.from, to: g.dataset.to, kind: g.dataset.kind, cls: g.getAttribute("class") })),
};
"""

# Records the highest value each node's data-sent and data-rate reach, and the text
# shown, from now on: a rate lasts one sample (a second), which polling could miss.
WATCH_RATES_JS = r"""
window.__peaks = {};
const note = (g) => {
  const peak = window.__peaks[g.dataset.id] || { sent: 0, text: "" };
  const sent = Number(g.dataset.sent || 0);
  if (sent > peak.sent) { peak.sent = sent; peak.text = g.querySelector("text.rate").textContent; }
  window.__peaks[g.dataset.id] = peak;
};
new MutationObserver((changes) => { for (const c of changes) if (c.target.matches && c.target.matches("g.node")) note(c.target); })
  .observe(document.getElementById("graph"), { subtree: true, attributes: true, attributeFilter: ["data-sent"] });
"""


def check_graph(driver):
    problems = []
    api = get_json("/api/graph")
    page = driver.execute_script(GRAPH_JS)
    api_nodes = {n["id"]: n for n in api["nodes"]}
    page_nodes = {n["id"]: n for n in page["nodes"]}
    if len(page["nodes"]) != len(page_nodes):
        problems.append("a node is drawn twice")
    for missing in sorted(set(api_nodes) - set(page_nodes)):
        problems.append(f"/api/graph's node {missing} is not drawn")
    for extra in sorted(set(page_nodes) - set(api_nodes)):
        problems.append(f"node {extra} is drawn but not in /api/graph")
    for node_id in sorted(set(api_nodes) & set(page_nodes)):
        a, p = api_nodes[node_id], page_nodes[node_id]
        if (a["kind"], a.get("type") or "") != (p["kind"], p["type"] or ""):
            problems.append(f"node {node_id} is drawn as {p['kind']}/{p['type']}, /api/graph says {a['kind']}/{a.get('type')}")
    for component in args.components.split(","):
        if component not in page_nodes:
            problems.append(f"the pipeline file's component {component} has no node")
    api_edges = sorted((e["from"], e["to"], e["kind"]) for e in api["edges"])
    page_edges = sorted((e["from"], e["to"], e["kind"]) for e in page["edges"])
    for missing in sorted(set(api_edges) - set(page_edges)):
        problems.append(f"/api/graph's edge {missing[0]} -> {missing[1]} ({missing[2]}) is not drawn")
    for extra in sorted(set(page_edges) - set(api_edges)):
        problems.append(f"edge {extra[0]} -> {extra[1]} ({extra[2]}) is drawn but not in /api/graph")
    if len(page_edges) != len(api_edges):
        problems.append(f"{len(page_edges)} edges drawn, /api/graph has {len(api_edges)}")
    for edge in page["edges"]:
        if f"kind-{edge['kind']}" not in edge["cls"].split():
            problems.append(f"edge {edge['from']} -> {edge['to']} lacks class kind-{edge['kind']}")
    report("graph: a node per component and /api/graph's edges", problems)
    return api


def check_console_log(driver, when):
    entries = driver.get_log("browser")
    severe = [f"{e.get('source', '')}: {e['message']}" for e in entries if e.get("level") == "SEVERE"]
    report(f"no console errors ({when})", severe)


def check_layout_and_accessibility(driver, screenshots):
    for label, width, height, mobile in SIZES:
        set_size(driver, width, height, mobile)
        settle(driver)
        # One more sample drawn at this size, so the page has laid out what it shows now.
        sequence = driver.execute_script("return document.querySelector('#status').textContent")
        wait_for("a sample is drawn at the new size",
                 lambda: driver.execute_script("return document.querySelector('#status').textContent") != sequence, 15)
        layout = driver.execute_script(LAYOUT_JS)
        problems = layout["problems"]
        if layout["texts"] < 20:
            problems.append(f"only {layout['texts']} text boxes found: the page is not drawn")
        report(f"layout at {label}: no overlapping or cut text ({layout['texts']} text boxes)", problems)
        access = driver.execute_script(ACCESSIBILITY_JS)
        report(f"accessibility at {label}: names, landmarks, headings, contrast", access["problems"])
        if label == "1280x800":
            print("INFO contrast: " + ", ".join(f"{c['what']} {c['ratio']}:1" for c in access["contrasts"]), flush=True)
        path = os.path.join(screenshots, f"console-{label}.png")
        driver.save_screenshot(path)
        print(f"INFO screenshot {path}", flush=True)


def main():
    screenshots = os.environ.get("WEIR_CONSOLE_SCREENSHOTS") or tempfile.mkdtemp(prefix="weir-console-")
    os.makedirs(screenshots, exist_ok=True)
    driver = start_browser()
    try:
        set_size(driver, 1280, 800, False)
        driver.get(args.url + "/")
        wait_for("the page says it is ready (body[data-ready=1]) and live",
                 lambda: driver.execute_script("return document.body.dataset.ready === '1' && "
                                               "document.getElementById('status').dataset.connection === 'live'"))
        check_console_log(driver, "after loading")
        api = check_graph(driver)

        # Idle first: what the file held at the start is through, the sink's lag is 0.
        wait_for("the pipeline is idle: the source appends 0 records a second and the sink's lag is 0",
                 lambda: node_attribute(driver, args.source, "data-sent") == "0" and sink_lag(driver) == "0")
        idle_text = driver.execute_script(
            "return document.querySelector(`svg#graph g.node[data-id=\"${arguments[0]}\"] text.rate`).textContent", args.source)

        # The tap on the sink, opened before the lines come so it sees them.
        driver.find_element(By.CSS_SELECTOR, f'svg#graph g.node[data-id="{args.sink}"]').click()
        tap = driver.find_element(By.ID, "tap")
        wait_for("the tap panel opens and taps", lambda: tap.is_displayed() and tap.get_attribute("data-state") == "tapping", 15)
        tap_problems = []
        if tap.get_attribute("data-node") != args.sink:
            tap_problems.append(f"#tap[data-node] is {tap.get_attribute('data-node')!r}, not {args.sink!r}")
        rate = driver.find_element(By.ID, "tap-rate")
        rate.clear()
        rate.send_keys("1000")

        driver.execute_script(WATCH_RATES_JS)
        print("APPEND", flush=True)
        answer = sys.stdin.readline().split()
        if answer[:1] != ["APPENDED"]:
            raise RuntimeError(f"the test answered {answer!r}, not APPENDED <lines>")

        # The rate shown rises, then everything is written and the lag is back at 0.
        try:
            peak = wait_for("the source's rate shown rises above 0",
                            lambda: (driver.execute_script("return window.__peaks[arguments[0]]", args.source) or {}).get("sent", 0) > 0 and
                            driver.execute_script("return window.__peaks[arguments[0]]", args.source))
            report("the rate shown rises after lines are appended", [] if any(ch.isdigit() and ch != "0" for ch in peak["text"]) else
                   [f"data-sent rose to {peak['sent']} but the text shown is {peak['text']!r} (was {idle_text!r})"])
            print(f"INFO source rate: idle {idle_text!r}, peak {peak['text']!r}", flush=True)
        except TimeoutError as error:
            report("the rate shown rises after lines are appended", [str(error)])
        # The page while lines flow, for the README and CI's artefacts.
        settle(driver)
        driver.save_screenshot(os.path.join(screenshots, "console-live-1280x800.png"))
        try:
            wait_for(f"the sink has written {args.expected_lines} lines", lambda: len(output_lines()) >= args.expected_lines)
            # Read from a sample taken after that (the status line changes with each).
            status = driver.execute_script("return document.getElementById('status').textContent")
            wait_for("a sample after the last write shows the sink's lag at 0", lambda: driver.execute_script(
                "return document.getElementById('status').textContent") != status and sink_lag(driver) == "0")
            wait_for("every group's lag in the groups table is 0", lambda: driver.execute_script(
                "const rows = [...document.querySelectorAll('table#groups tr[data-group]')];"
                "return rows.length > 0 && rows.every((r) => r.dataset.groupLag === '0');"), 30)
            sink_peak = driver.execute_script("return window.__peaks[arguments[0]]", args.sink) or {}
            report("the sink's lag returns to 0 and its rate rose", [] if sink_peak.get("sent", 0) > 0 else
                   [f"the sink's data-sent never rose above 0 ({sink_peak})"])
        except TimeoutError as error:
            report("the sink's lag returns to 0 and its rate rose", [str(error), f"lag shown {sink_lag(driver)!r}"])

        # The transform that dead-lettered lines stands out: a flag, the alert class, a badge
        # in words (not colour alone), and an entry in the alerts list.
        try:
            wait_for(f"{args.dead_lettering} is flagged for its dead letters", lambda: "dead_letters" in (
                node_attribute(driver, args.dead_lettering, "data-flags") or ""), 30)
            flagged = driver.execute_script(
                "const g = document.querySelector(`svg#graph g.node[data-id=\"${arguments[0]}\"]`);"
                "const badge = g.querySelector('text.badge');"
                "const alert = document.querySelector(`ul#alerts li[data-node=\"${arguments[0]}\"]`);"
                "return {alert: g.classList.contains('alert'), badge: badge ? badge.textContent : '',"
                " listed: alert ? alert.textContent : ''};", args.dead_lettering)
            problems = []
            if not flagged["alert"]:
                problems.append("its node lacks the alert class")
            # The badge is short ("DLQ 3/min"); the alerts list may say it in full.
            if "DLQ" not in flagged["badge"] and "dead letter" not in flagged["badge"]:
                problems.append(f"its badge says {flagged['badge']!r}, not its dead letters")
            if "DLQ" not in flagged["listed"] and "dead letter" not in flagged["listed"]:
                problems.append(f"ul#alerts lists it as {flagged['listed']!r}")
            report("a component that dead-letters stands out, in words too", problems)
        except TimeoutError as error:
            report("a component that dead-letters stands out, in words too", [str(error)])

        # The tap shows what the sink wrote: each record shown is a line of its output.
        try:
            written = {json.dumps(json.loads(line), sort_keys=True) for line in output_lines()}
            wait_for("the tap shows records", lambda: driver.execute_script(
                "return document.querySelectorAll('#tap-records li').length") > 0, 30)
            shown = driver.execute_script("return [...document.querySelectorAll('#tap-records li')].map((li) => li.textContent)")
            for record in shown:
                try:
                    key = json.dumps(json.loads(record), sort_keys=True)
                except ValueError:
                    tap_problems.append(f"a tapped record is not JSON: {record[:80]!r}")
                    continue
                if key not in written:
                    tap_problems.append(f"the tap shows a record the sink did not write: {record[:120]!r}")
            status = driver.find_element(By.ID, "tap-status")
            if int(status.get_attribute("data-shown") or 0) < len(shown):
                tap_problems.append(f"#tap-status[data-shown] is {status.get_attribute('data-shown')}, {len(shown)} are shown")
            print(f"INFO tap: {len(shown)} records shown, {len(written)} written", flush=True)
        except TimeoutError as error:
            tap_problems.append(str(error))
        report("the tap shows the records the sink writes", tap_problems)

        # Pause stops the tap (no record added while paused), Resume taps again.
        pause_problems = []
        try:
            pause = driver.find_element(By.ID, "tap-pause")
            pause.click()
            wait_for("the tap pauses", lambda: tap.get_attribute("data-state") == "paused", 10)
            if pause.get_attribute("aria-pressed") != "true" or pause.text != "Resume":
                pause_problems.append(f"paused, the button says {pause.text!r} (aria-pressed {pause.get_attribute('aria-pressed')})")
            shown_paused = driver.execute_script("return document.querySelectorAll('#tap-records li').length")
            handle = open(args.tailed, "ab")
            handle.write(b"Dec 10 11:59:59 LabSZ sshd[1]: Failed password for root from 10.0.0.1 port 1 ssh2\n")
            handle.close()
            args.tailed_lines += 1
            args.expected_lines += 1
            print("INFO appended while paused: 1", flush=True)
            wait_for("the line appended while paused is written", lambda: len(output_lines()) >= args.expected_lines)
            time.sleep(1.5)  # a second sample's worth: what a tap still open would have shown by now
            if driver.execute_script("return document.querySelectorAll('#tap-records li').length") != shown_paused:
                pause_problems.append("records were added to the tap while it was paused")
            pause.click()
            wait_for("the tap resumes", lambda: tap.get_attribute("data-state") == "tapping", 10)
            if pause.get_attribute("aria-pressed") != "false" or pause.text != "Pause":
                pause_problems.append(f"resumed, the button says {pause.text!r} (aria-pressed {pause.get_attribute('aria-pressed')})")
        except TimeoutError as error:
            pause_problems.append(str(error))
        report("the tap pauses and resumes", pause_problems)

        # The charts: the source's records a second and the sink's lag over time, each a
        # line of more than one sample.
        chart_problems = []
        for node, metric in [(args.source, "records"), (args.sink, "lag")]:
            figure = driver.execute_script(
                "const f = document.querySelector(`#charts figure.chart[data-node=\"${arguments[0]}\"][data-metric=\"${arguments[1]}\"]`);"
                "return f ? {points: Number(f.dataset.points), line: !!f.querySelector('polyline'),"
                " caption: f.textContent} : null;", node, metric)
            if not figure:
                chart_problems.append(f"no {metric} chart of {node}")
            elif figure["points"] < 2 or not figure["line"]:
                chart_problems.append(f"the {metric} chart of {node} has {figure['points']} points (line drawn: {figure['line']})")
        report("charts of rates and lag over time", chart_problems)

        # The source's topic keeps every line: its node and the partitions table say so.
        topic = next(e["to"] for e in api["edges"] if e["from"] == args.source and e["kind"] == "data")
        try:
            wait_for(f"{topic}'s node shows {args.tailed_lines} records kept", lambda: driver.execute_script(
                "const t = document.querySelector(`svg#graph g.node[data-id=\"${arguments[0]}\"] text[data-records]`);"
                "return t && t.dataset.records;", topic) == str(args.tailed_lines), 30)
            kept = driver.execute_script(
                "return [...document.querySelectorAll('#topics table#partitions tr[data-topic]')]"
                ".filter((r) => `topic:${r.dataset.topic}` === arguments[0])"
                ".reduce((sum, r) => sum + Number(r.cells[3].textContent) - Number(r.cells[2].textContent), 0);", topic)
            report("the topic's node and the partitions table count the lines", [] if kept == args.tailed_lines else
                   [f"table#partitions has {kept} records (end - start offsets) of {topic}, not {args.tailed_lines}"])
        except TimeoutError as error:
            report("the topic's node and the partitions table count the lines", [str(error)])

        check_layout_and_accessibility(driver, screenshots)
        check_console_log(driver, "at the end")

        # weir restarted with a sink more (the test stops it and starts it again on the same
        # port): once the events reconnect, the page reads the graph again and draws it.
        # (Last: while weir is down the browser logs failed requests.)
        print("RESTART", flush=True)
        answer = sys.stdin.readline().split()
        if answer[:1] != ["RESTARTED"] or len(answer) < 2:
            raise RuntimeError(f"the test answered {answer!r}, not RESTARTED <node>")
        added = answer[1]
        try:
            wait_for(f"the page draws {added}, the sink weir has after its restart", lambda: driver.execute_script(
                "return !!document.querySelector(`svg#graph g.node[data-id=\"${arguments[0]}\"]`)", added), 60)
            wait_for("the page is live again", lambda: driver.execute_script(
                "return document.getElementById('status').dataset.connection") == "live", 30)
            graph = get_json("/api/graph")
            drawn = driver.execute_script("return [...document.querySelectorAll('svg#graph g.node')].map((g) => g.dataset.id)")
            report("after weir restarts with a changed pipeline, the page draws the new graph",
                   [] if sorted(drawn) == sorted(n["id"] for n in graph["nodes"]) else
                   [f"drawn {sorted(drawn)}, /api/graph has {sorted(n['id'] for n in graph['nodes'])}"])
        except TimeoutError as error:
            report("after weir restarts with a changed pipeline, the page draws the new graph", [str(error)])
    except Exception as error:  # a step that could not go on: that is a failure too
        report("the run got through", [f"{type(error).__name__}: {error}"])
        try:
            driver.save_screenshot(os.path.join(screenshots, "console-failure.png"))
        except Exception:
            pass
    finally:
        driver.quit()
    print(f"INFO screenshots in {screenshots}", flush=True)
    print("DONE", flush=True)
    sys.exit(1 if failures else 0)


main()
