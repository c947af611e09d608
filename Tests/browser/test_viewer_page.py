"""The page of `visdrop serve`, in a real headless Chromium (Debian's chromium + chromium-driver,
driven by Selenium), against the real binary: a running agent files into the served folder.

Expected values come from Python's json reading the files the agent and a real mmengine Runner
wrote, never from the page. Run by scripts/test: `python3 -m pytest Tests/browser`.
The binary is $VISDROP_BINARY, else .build/debug/visdrop; the screenshot goes to
$VISDROP_ARTIFACTS, else .build/browser-artifacts.
"""

import json
import math
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib

import numpy as np
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("VISDROP_BINARY", os.path.join(ROOT, ".build/debug/visdrop"))
FIXTURES = os.path.join(ROOT, "Tests/VisdropViewerTests/Fixtures")
ARTIFACTS = os.environ.get("VISDROP_ARTIFACTS", os.path.join(ROOT, ".build/browser-artifacts"))
MMENGINE_RUN = "runner-work_dir/20261202_125903/vis_data"
HOSTILE = "<img src=x onerror=alert(1)>"
DEADLINE = 120


def eventually(what, condition, deadline=DEADLINE):
    end = time.monotonic() + deadline
    last_error = None
    while time.monotonic() < end:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # the page may be between two redraws
            last_error = error
        time.sleep(0.1)
    raise AssertionError(f"timed out after {deadline} s waiting for {what} (last error: {last_error})")


def write_staged(drop, relative, data):
    """Writes a file beside the drop folder and renames it in (the drop protocol's atomic way)."""
    path = os.path.join(drop, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staged = os.path.join(os.path.dirname(drop), "staging-" + os.path.basename(relative))
    with open(staged, "wb") as handle:
        handle.write(data)
    os.rename(staged, path)


def numeric_points(path):
    """key -> number of numeric values (booleans not; NaN and infinities yes), as json reads them."""
    counts = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    counts[key] = counts.get(key, 0) + 1
    return counts


def decode_png(data):
    """(width, height, rows of RGBA bytes) of an 8-bit RGB/RGBA PNG (Chromium's screenshots)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            upper_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[x] = (line[x] + predictor) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


@pytest.fixture(scope="module")
def world():
    """A served tree (the fixtures, a hostile run, a run the real agent files) and a browser."""
    assert os.access(BINARY, os.X_OK), f"build the binary first: swift build --product visdrop ({BINARY})"
    root = tempfile.mkdtemp(prefix="visdrop-browser-")
    out = os.path.join(root, "out")
    drop = os.path.join(root, "drop")
    os.makedirs(drop)
    shutil.copytree(FIXTURES, out)
    # A run whose every name from disk is markup.
    hostile = os.path.join(out, HOSTILE)
    os.makedirs(os.path.join(hostile, "vis_image"))
    with open(os.path.join(hostile, "scalars.json"), "w") as handle:
        for step in range(3):
            handle.write(json.dumps({HOSTILE: step * 0.5, "step": step}) + "\n")
    shutil.copy(os.path.join(out, MMENGINE_RUN, "vis_image/val_sample_1.png"),
                os.path.join(hostile, "vis_image", HOSTILE + "_1.png"))
    with open(os.path.join(hostile, "config.py"), "w") as handle:
        handle.write(f"name = '{HOSTILE}'\n")
    # visdrop's own layout, filed by the real agent: scalars and images of 5 steps.
    for step in range(5):
        write_staged(drop, f"visdrop-run/metrics_{step}.jsonl",
                     (json.dumps({"loss": 1.0 / (step + 1), "acc": step / 5, "step": step * 10}) + "\n").encode())
        image = np.zeros((16, 24, 3), dtype=np.uint8)
        image[:, : 4 * (step + 1)] = (200, 40 * step, 90)
        staged = os.path.join(root, "image.npy")
        np.save(staged, image)
        with open(staged, "rb") as handle:
            write_staged(drop, f"visdrop-run/sample_{step * 10}.npy", handle.read())
    # The agent and the view in one process: `visdrop watch --serve`.
    with open(os.path.join(root, "server.log"), "w") as server_log:
        server = subprocess.Popen([BINARY, "watch", "--drop", drop, "--out", out, "--settle-ms", "200", "--serve", "0"],
                                  stdout=server_log, stderr=server_log)
    try:
        run_folder = os.path.join(out, "visdrop-run")
        eventually("the agent to file the backlog", lambda: os.path.exists(os.path.join(run_folder, "scalars.json"))
                   and len(open(os.path.join(run_folder, "scalars.json")).readlines()) == 5
                   and len(os.listdir(os.path.join(run_folder, "vis_image"))) == 5)

        def port():
            for line in open(os.path.join(root, "server.log")):
                if "read-only at http://" in line:
                    return int(line.rsplit(":", 1)[1].split("/")[0])
            assert server.poll() is None, open(os.path.join(root, "server.log")).read()
            return None

        url = f"http://127.0.0.1:{eventually('the server to start', port)}/"
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-proxy-server", "--window-size=1400,1000"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options,
                                  service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
        driver.set_page_load_timeout(60)
        try:
            yield {"root": root, "out": out, "drop": drop, "url": url, "driver": driver, "server": server}
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def open_page(world):
    driver = world["driver"]
    driver.get(world["url"])
    driver.execute_script("window.notReloaded = true;")
    eventually("the first poll", lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls") or 0) >= 1)
    return driver


def charts(driver):
    return {chart.get_attribute("data-key"): chart for chart in driver.find_elements(By.CSS_SELECTOR, "#charts .chart")}


def expected_points(out):
    """key -> points over every run of the tree."""
    totals = {}
    for folder, _, names in os.walk(out):
        if "scalars.json" in names:
            for key, count in numeric_points(os.path.join(folder, "scalars.json")).items():
                totals[key] = totals.get(key, 0) + count
    return totals


def test_one_chart_per_key_with_every_point_and_no_console_errors(world):
    driver = open_page(world)
    expected = expected_points(world["out"])
    eventually("one chart per key", lambda: set(charts(driver)) == set(expected))
    eventually("every point", lambda: {key: int(chart.get_attribute("data-points"))
                                       for key, chart in charts(driver).items()} == expected)
    # mmengine's folder alone: the run filter keeps one run.
    only = driver.find_element(By.ID, "run-filter")
    only.send_keys("^runner-work_dir/")
    mmengine = numeric_points(os.path.join(world["out"], MMENGINE_RUN, "scalars.json"))
    eventually("mmengine's charts", lambda: {key: int(chart.get_attribute("data-points"))
                                             for key, chart in charts(driver).items()} == mmengine)
    # dygraphs drew them: a row per point (the chart's rows are the points of its one run).
    for key, chart in charts(driver).items():
        assert int(chart.get_attribute("data-rows")) == mmengine[key], key
    only.clear()
    only.send_keys("^visdrop-run$")
    visdrop = numeric_points(os.path.join(world["out"], "visdrop-run", "scalars.json"))
    assert visdrop == {"loss": 5, "acc": 5}
    eventually("visdrop's charts", lambda: {key: int(chart.get_attribute("data-rows"))
                                            for key, chart in charts(driver).items()} == visdrop)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_a_scalar_dropped_into_the_agent_appears_without_a_reload(world):
    driver = open_page(world)
    eventually("the charts", lambda: "loss" in charts(driver))
    write_staged(world["drop"], "visdrop-run/live.json", json.dumps({"live_metric": 0.25, "loss": 0.01, "step": 60}).encode())
    eventually("the new key's chart", lambda: "live_metric" in charts(driver)
               and charts(driver)["live_metric"].get_attribute("data-points") == "1")
    expected = expected_points(world["out"])
    eventually("the new loss point", lambda: int(charts(driver)["loss"].get_attribute("data-points")) == expected["loss"])
    assert driver.execute_script("return window.notReloaded === true;")
    # The status strip reads the agent's /metrics: 5 images and 6 scalar files filed so far.
    status = driver.find_element(By.ID, "status")
    eventually("the status strip", lambda: status.get_attribute("data-filed") == "11")
    assert "11 filed" in status.text and "pending" in status.text


def test_the_gallery_offers_every_step(world):
    driver = open_page(world)
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=images]").click()
    card = eventually("the visdrop run's card", lambda: driver.find_element(
        By.CSS_SELECTOR, "#gallery figure[data-run='visdrop-run'][data-tag='sample']"))
    steps = sorted(int(name[len("sample_"):-4]) for name in os.listdir(os.path.join(world["out"], "visdrop-run/vis_image")))
    slider = card.find_element(By.CSS_SELECTOR, "input.step-slider")
    assert int(slider.get_attribute("data-steps")) == len(steps) == 5
    for index, step in enumerate(steps):
        driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                              slider, str(index))
        assert card.find_element(By.CSS_SELECTOR, ".card-step").text == f"step {step}"
        image = card.find_element(By.TAG_NAME, "img")
        assert f"step={step}" in image.get_attribute("src")
        eventually(f"the image of step {step} to load", lambda: driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth;", image) == 24)
    mmengine = driver.find_element(By.CSS_SELECTOR, f"#gallery figure[data-run='{MMENGINE_RUN}'][data-tag='val_sample']")
    assert mmengine.find_element(By.CSS_SELECTOR, "input.step-slider").get_attribute("data-steps") == "3"


def test_the_compare_view_shows_one_image_per_selected_run(world):
    driver = open_page(world)
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=compare]").click()
    # Two runs with the tag val_sample: the mmengine run, and a copy of it made here.
    copy = os.path.join(world["out"], "copy-run/vis_image")
    os.makedirs(copy, exist_ok=True)
    shutil.copy(os.path.join(world["out"], MMENGINE_RUN, "vis_image/val_sample_2.png"), os.path.join(copy, "val_sample_2.png"))
    driver.get(world["url"])
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=compare]").click()
    eventually("the tag list", lambda: "val_sample" in [option.get_attribute("value") for option in
                                                        driver.find_elements(By.CSS_SELECTOR, "#compare-tag option")])
    driver.execute_script("const s = document.getElementById('compare-tag'); s.value = 'val_sample';"
                          "s.dispatchEvent(new Event('change'));")
    figures = eventually("two figures", lambda: (lambda found: found if len(found) == 2 else None)(
        driver.find_elements(By.CSS_SELECTOR, "#compare-grid figure")))
    assert sorted(figure.get_attribute("data-run") for figure in figures) == sorted(["copy-run", MMENGINE_RUN])
    # The last step (3): the copy has only step 2, the nearest.
    by_run = {figure.get_attribute("data-run"): figure.get_attribute("data-step") for figure in figures}
    assert by_run == {MMENGINE_RUN: "3", "copy-run": "2"}
    # Unticking a run takes it out of the comparison.
    driver.find_element(By.CSS_SELECTOR, "input[data-run='copy-run']").click()
    eventually("one figure", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#compare-grid figure")) == 1)
    shutil.rmtree(os.path.join(world["out"], "copy-run"))


def test_hostile_names_render_as_text(world):
    driver = open_page(world)
    eventually("the hostile run in the list", lambda: HOSTILE in [
        span.text for span in driver.find_elements(By.CSS_SELECTOR, "#run-list .run-name")])
    eventually("the hostile key's chart", lambda: HOSTILE in charts(driver))
    assert charts(driver)[HOSTILE].find_element(By.TAG_NAME, "h3").text == HOSTILE
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=images]").click()
    card = eventually("the hostile tag's card", lambda: [
        card for card in driver.find_elements(By.CSS_SELECTOR, "#gallery figure") if card.get_attribute("data-tag") == HOSTILE])
    assert card[0].find_element(By.CSS_SELECTOR, ".card-tag").text == HOSTILE
    assert card[0].find_element(By.CSS_SELECTOR, ".card-run").text == HOSTILE
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=config]").click()
    driver.execute_script("const s = document.getElementById('config-a'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('change'));", HOSTILE)
    eventually("the hostile config", lambda: HOSTILE in driver.find_element(By.ID, "config-text").text)
    # No element came from the markup, and no alert ran.
    assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    assert driver.execute_script("return document.querySelectorAll('[onerror]').length;") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text


def test_a_screenshot_is_saved_and_is_not_blank(world):
    driver = open_page(world)
    eventually("the charts", lambda: len(charts(driver)) > 3 and all(
        chart.get_attribute("data-rows") for chart in charts(driver).values()))
    time.sleep(0.5)
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, "viewer.png")
    data = driver.get_screenshot_as_png()
    with open(path, "wb") as handle:
        handle.write(data)
    width, height, channels, rows = decode_png(data)
    assert (width, height) == (1400, 1000) or width > 800
    colors = set()
    background = rows[height // 2][width // 2 * channels:(width // 2 + 1) * channels]
    differing = 0
    for y in range(0, height, 7):
        row = rows[y]
        for x in range(0, width, 7):
            pixel = row[x * channels:(x + 1) * channels]
            colors.add(pixel)
            differing += pixel != background
    assert len(colors) > 20, "the screenshot is nearly one colour"
    assert differing > 0.05 * (height // 7) * (width // 7)
