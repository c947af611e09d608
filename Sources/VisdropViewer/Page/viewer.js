// visdrop serve: the page. Every name from disk (run, key, tag, file, config text) is put in the
// page as text (textContent, option text, attribute values), never as markup; dygraphs' own
// legend (which takes HTML) is off and hover values are written as text instead.
"use strict";

const POLL_MS = 1000;
const RUNS_EVERY = 5;
const POINTS = 2000;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#7f7f7f", "#bcbd22"];

const state = {
  runs: [],            // from /api/runs
  unchecked: new Set(), // runs the user unticked
  info: new Map(),     // run -> /api/run reply
  series: new Map(),   // run -> {offset, keys, points: Map(key -> [[step, value, smoothed]])}
  charts: new Map(),   // key -> {element, graph, legend, signature}
  smoothing: 0.6,
  logY: false,
  tab: "scalars",
  tick: 0,
};

function $(id) { return document.getElementById(id); }

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function regex(input) {
  try {
    input.classList.remove("bad");
    return new RegExp(input.value);
  } catch (error) {
    input.classList.add("bad");
    return /$^/;
  }
}

function number(value) {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return NaN;
}

function say(text) { $("message").textContent = text; }

async function getJSON(path) {
  const response = await fetch(path, {cache: "no-store"});
  if (!response.ok) throw new Error(path.split("?")[0] + ": HTTP " + response.status);
  return response.json();
}

function query(parameters) {
  return Object.entries(parameters).map(([k, v]) => k + "=" + encodeURIComponent(v)).join("&");
}

function shownRuns() {
  const filter = regex($("run-filter"));
  return state.runs.filter((run) => filter.test(run.name) && !state.unchecked.has(run.name));
}

function colorOf(name) {
  const index = state.runs.findIndex((run) => run.name === name);
  return COLORS[(index < 0 ? 0 : index) % COLORS.length];
}

// ---- runs ----

async function refreshRuns() {
  const reply = await getJSON("/api/runs");
  state.runs = reply.runs;
  const list = $("run-list");
  const filter = regex($("run-filter"));
  list.replaceChildren();
  for (const run of state.runs) {
    if (!filter.test(run.name)) continue;
    const box = element("input", {type: "checkbox", "data-run": run.name});
    box.checked = !state.unchecked.has(run.name);
    box.addEventListener("change", () => {
      if (box.checked) state.unchecked.delete(run.name); else state.unchecked.add(run.name);
      redrawAll();
    });
    const swatch = element("span", {class: "swatch"});
    swatch.style.background = colorOf(run.name);
    const label = element("label", {class: "run"});
    label.append(box, swatch, element("span", {class: "run-name"}, run.name));
    list.append(element("li", {}, undefined));
    list.lastChild.append(label);
  }
  $("run-count").textContent = state.runs.length + (reply.truncated ? "+" : "") + " runs";
  await Promise.all(shownRuns().map((run) => refreshInfo(run.name)));
}

async function refreshInfo(name) {
  state.info.set(name, await getJSON("/api/run?" + query({run: name})));
}

// ---- scalars ----

async function refreshScalars(run) {
  const held = state.series.get(run.name);
  const offset = held && held.smoothing === state.smoothing ? held.offset : 0;
  const reply = await getJSON("/api/scalars?" +
    query({run: run.name, offset: offset, points: POINTS, smoothing: state.smoothing}));
  let series = held;
  if (!series || reply.reset || reply.offset === 0 || series.smoothing !== reply.smoothing) {
    series = {offset: 0, keys: [], points: new Map(), smoothing: reply.smoothing};
  }
  let changed = series.offset !== reply.nextOffset || !held;
  for (const [key, got] of Object.entries(reply.series)) {
    const points = got.points.map((p) => [number(p[0]), number(p[1]), number(p[2])]);
    const old = series.points.get(key) || [];
    series.points.set(key, old.concat(points));
    changed = changed || points.length > 0;
  }
  series.keys = reply.keys;
  series.offset = reply.nextOffset;
  // A live run's appended points pile up: start again from the (cached) thinned whole.
  for (const points of series.points.values()) if (points.length > 2 * POINTS) series.offset = 0;
  state.series.set(run.name, series);
  return changed;
}

function chartKeys() {
  const filter = regex($("key-filter"));
  const keys = new Set();
  for (const run of shownRuns()) {
    const series = state.series.get(run.name);
    if (series) for (const key of series.keys) if (filter.test(key)) keys.add(key);
  }
  return [...keys].sort();
}

function chartData(key) {
  const columns = [];
  const rows = [];
  for (const run of shownRuns()) {
    const series = state.series.get(run.name);
    const points = series && series.points.get(key);
    if (!points || points.length === 0) continue;
    columns.push({run: run.name, points: points});
  }
  const smooth = state.smoothing > 0;
  const width = 1 + columns.length * (smooth ? 2 : 1);
  columns.forEach((column, index) => {
    for (const [step, value, smoothed] of column.points) {
      const row = new Array(width).fill(null);
      row[0] = step;
      const at = 1 + index * (smooth ? 2 : 1);
      row[at] = Number.isFinite(value) ? value : null;
      if (smooth) row[at + 1] = Number.isFinite(smoothed) ? smoothed : null;
      rows.push(row);
    }
  });
  rows.sort((a, b) => a[0] - b[0]);
  return {columns: columns, rows: rows, smooth: smooth};
}

function chartOptions(data) {
  const labels = ["step"];
  const series = {};
  const colors = [];
  data.columns.forEach((column, index) => {
    const color = colorOf(column.run);
    labels.push("r" + index);
    series["r" + index] = {strokeWidth: data.smooth ? 1 : 1.5, color: data.smooth ? color + "55" : color};
    colors.push(data.smooth ? color + "55" : color);
    if (data.smooth) {
      labels.push("s" + index);
      series["s" + index] = {strokeWidth: 2, color: color};
      colors.push(color);
    }
  });
  return {labels: labels, series: series, colors: colors, logscale: state.logY,
    drawPoints: data.rows.length < 60, pointSize: 2, axes: {y: {axisLabelWidth: 72}}};
}

function describe(value) {
  if (value === null || value === undefined) return "–";
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0)
    ? value.toExponential(4) : value.toPrecision(6);
}

function showHover(chart, x, points) {
  const legend = chart.legend;
  legend.replaceChildren(element("span", {class: "hover-step"}, "step " + x));
  for (const point of points) {
    const index = Number(point.name.slice(1));
    const column = chart.data.columns[index];
    if (!column || point.yval === null || Number.isNaN(point.yval)) continue;
    const kind = point.name[0] === "s" ? " (smoothed)" : "";
    legend.append(element("span", {class: "hover-value"}, column.run + kind + ": " + describe(point.yval)));
  }
}

function drawChart(key) {
  const data = chartData(key);
  let chart = state.charts.get(key);
  if (!chart) {
    const box = element("div", {class: "chart", "data-key": key});
    const head = element("div", {class: "chart-head"});
    const csv = element("button", {type: "button", class: "csv"}, "CSV");
    head.append(element("h3", {}, key), csv);
    const graph = element("div", {class: "graph"});
    const legend = element("div", {class: "legend"});
    box.append(head, graph, legend);
    $("charts").append(box);
    chart = {element: box, graph: null, graphElement: graph, legend: legend, data: data};
    csv.addEventListener("click", () => downloadCSV(key));
    state.charts.set(key, chart);
  }
  chart.data = data;
  const pointCount = data.columns.reduce((sum, column) => sum + column.points.length, 0);
  chart.element.setAttribute("data-points", String(pointCount));
  chart.element.setAttribute("data-runs", String(data.columns.length));
  if (data.rows.length === 0) return;
  const options = chartOptions(data);
  if (typeof Dygraph === "undefined") {
    chart.graphElement.textContent = "dygraphs is not installed on the server (libjs-dygraphs)";
    return;
  }
  if (!chart.graph) {
    chart.graph = new Dygraph(chart.graphElement, data.rows, Object.assign(options, {
      legend: "never", connectSeparatedPoints: true,
      highlightCallback: (event, x, points) => showHover(chart, x, points),
      unhighlightCallback: () => chart.legend.replaceChildren(),
    }));
  } else {
    chart.graph.updateOptions(Object.assign({file: data.rows}, options));
  }
  chart.element.setAttribute("data-rows", String(chart.graph.numRows()));
}

function redrawScalars() {
  const keys = chartKeys();
  for (const [key, chart] of state.charts) {
    if (!keys.includes(key)) {
      if (chart.graph) chart.graph.destroy();
      chart.element.remove();
      state.charts.delete(key);
    }
  }
  for (const key of keys) drawChart(key);
  // Keep the charts in key order.
  for (const key of keys) $("charts").append(state.charts.get(key).element);
  $("charts").setAttribute("data-chart-count", String(keys.length));
}

function csvField(text) {
  const value = String(text);
  return /[",\n\r]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
}

function downloadCSV(key) {
  const chart = state.charts.get(key);
  const lines = ["run,step,value,smoothed"];
  for (const column of chart.data.columns) {
    for (const [step, value, smoothed] of column.points) {
      lines.push([column.run, step, value, smoothed].map(csvField).join(","));
    }
  }
  const link = element("a", {download: key.replace(/[^A-Za-z0-9._-]+/g, "_") + ".csv"});
  link.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], {type: "text/csv"}));
  document.body.append(link);
  link.click();
  link.remove();
}

// ---- images ----

function imageURL(run, tag, step) {
  return "/api/image?" + query({run: run, tag: tag, step: step});
}

function redrawImages() {
  const gallery = $("gallery");
  const wanted = [];
  for (const run of shownRuns()) {
    const info = state.info.get(run.name);
    if (info) for (const image of info.images) wanted.push({run: run.name, image: image});
  }
  const cards = new Map([...gallery.children].map((card) => [card.dataset.id, card]));
  const order = [];
  for (const {run, image} of wanted) {
    const id = JSON.stringify([run, image.tag]);
    let card = cards.get(id);
    if (!card) {
      card = element("figure", {class: "card", "data-run": run, "data-tag": image.tag});
      card.dataset.id = id;
      const slider = element("input", {type: "range", min: "0", step: "1", class: "step-slider"});
      const caption = element("figcaption", {});
      caption.append(element("span", {class: "card-run"}, run), element("span", {class: "card-tag"}, image.tag),
        element("span", {class: "card-step"}));
      card.append(caption, element("img", {alt: ""}), slider);
      slider.addEventListener("input", () => showStep(card));
    }
    const slider = card.querySelector(".step-slider");
    const atEnd = slider.max === "" || Number(slider.value) === Number(slider.max);
    card.steps = image.steps;
    slider.max = String(image.steps.length - 1);
    slider.setAttribute("data-steps", String(image.steps.length));
    if (atEnd) slider.value = slider.max;
    showStep(card);
    order.push(card);
  }
  gallery.replaceChildren(...order);
}

function showStep(card) {
  const step = card.steps[Number(card.querySelector(".step-slider").value)];
  card.querySelector(".card-step").textContent = "step " + step;
  const url = imageURL(card.dataset.run, card.dataset.tag, step);
  const image = card.querySelector("img");
  if (image.getAttribute("src") !== url) image.setAttribute("src", url);
}

function nearest(steps, wanted) {
  let best = steps[0];
  for (const step of steps) if (Math.abs(step - wanted) < Math.abs(best - wanted)) best = step;
  return best;
}

function redrawCompare() {
  const select = $("compare-tag");
  const tags = new Map();
  for (const run of shownRuns()) {
    const info = state.info.get(run.name);
    if (!info) continue;
    for (const image of info.images) {
      if (!tags.has(image.tag)) tags.set(image.tag, new Set());
      for (const step of image.steps) tags.get(image.tag).add(step);
    }
  }
  const names = [...tags.keys()].sort();
  const chosen = names.includes(select.value) ? select.value : names[0];
  select.replaceChildren(...names.map((name) => element("option", {value: name}, name)));
  if (chosen !== undefined) select.value = chosen;
  const grid = $("compare-grid");
  if (chosen === undefined) {
    grid.replaceChildren();
    grid.dataset.signature = "";
    return;
  }
  const steps = [...tags.get(chosen)].sort((a, b) => a - b);
  const slider = $("compare-step");
  const atEnd = slider.dataset.tag !== chosen || Number(slider.value) === Number(slider.max);
  slider.max = String(steps.length - 1);
  slider.dataset.tag = chosen;
  if (atEnd) slider.value = slider.max;
  const wanted = steps[Number(slider.value)];
  $("compare-step-value").textContent = "step " + wanted;
  // Rebuilt only when what it shows changed, not on every poll.
  const signature = JSON.stringify([chosen, wanted, shownRuns().map((run) => {
    const info = state.info.get(run.name);
    const image = info && info.images.find((candidate) => candidate.tag === chosen);
    return [run.name, image ? image.steps.length : 0];
  })]);
  if (grid.dataset.signature === signature) return;
  grid.dataset.signature = signature;
  grid.replaceChildren();
  for (const run of shownRuns()) {
    const info = state.info.get(run.name);
    const image = info && info.images.find((candidate) => candidate.tag === chosen);
    if (!image || image.steps.length === 0) continue;
    const step = nearest(image.steps, wanted);
    const figure = element("figure", {class: "card", "data-run": run.name, "data-step": String(step)});
    const caption = element("figcaption", {});
    caption.append(element("span", {class: "card-run"}, run.name),
      element("span", {class: "card-step"}, "step " + step + (step === wanted ? "" : " (nearest)")));
    figure.append(caption, element("img", {alt: "", src: imageURL(run.name, chosen, step)}));
    grid.append(figure);
  }
}

// ---- config ----

function fillRunSelect(select, withNone) {
  const names = state.runs.filter((run) => run.config).map((run) => run.name);
  const chosen = select.value;
  const options = names.map((name) => element("option", {value: name}, name));
  if (withNone) options.unshift(element("option", {value: ""}, "(no diff)"));
  select.replaceChildren(...options);
  if (names.includes(chosen) || (withNone && chosen === "")) select.value = chosen;
}

async function showConfig() {
  const first = $("config-a").value;
  const second = $("config-b").value;
  const text = $("config-text");
  const diff = $("config-diff");
  if (!first) {
    text.textContent = "No run with a config.";
    return;
  }
  if (!second) {
    diff.hidden = true;
    text.hidden = false;
    const response = await fetch("/api/config?" + query({run: first}), {cache: "no-store"});
    text.textContent = response.ok ? await response.text() : "HTTP " + response.status;
    return;
  }
  const reply = await getJSON("/api/config-diff?" + query({a: first, b: second}));
  text.hidden = true;
  diff.hidden = false;
  diff.replaceChildren(...reply.lines.map((line) =>
    element("div", {class: line.op === "+" ? "added" : line.op === "-" ? "removed" : "same"},
      line.op + " " + line.text)));
}

// ---- agent status ----

function parseMetrics(text) {
  const values = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    values[match[1]] = (values[match[1]] || 0) + Number(match[3]);
  }
  return values;
}

async function refreshStatus() {
  const strip = $("status");
  if (document.body.dataset.agent !== "true") {
    strip.textContent = "read-only view (no agent in this process)";
    return;
  }
  const response = await fetch("/metrics", {cache: "no-store"});
  if (!response.ok) return;
  const values = parseMetrics(await response.text());
  const filed = values.visdrop_files_filed_total || 0;
  const rejected = values.visdrop_files_rejected_total || 0;
  const pending = values.visdrop_queue_depth || 0;
  const last = values.visdrop_last_filed_timestamp_seconds || 0;
  const ago = last > 0 ? Math.max(0, Math.round(Date.now() / 1000 - last)) + " s ago" : "none yet";
  strip.textContent = "agent: " + filed + " filed, last " + ago + " · " + pending + " pending · " +
    rejected + " rejected";
  strip.dataset.filed = String(filed);
}

// ---- the loop ----

function redrawAll() {
  if (state.tab === "scalars") redrawScalars();
  if (state.tab === "images") redrawImages();
  if (state.tab === "compare") redrawCompare();
}

async function poll() {
  try {
    if (state.tick % RUNS_EVERY === 0) await refreshRuns();
    state.tick += 1;
    const runs = shownRuns().filter((run) => run.scalars);
    const changed = await Promise.all(runs.map((run) => refreshScalars(run)));
    if (state.tab === "scalars" && (changed.some(Boolean) || state.charts.size === 0)) redrawScalars();
    if (state.tab === "images" || state.tab === "compare") {
      await Promise.all(shownRuns().filter((run) => run.images).map((run) => refreshInfo(run.name)));
      redrawAll();
    }
    await refreshStatus();
    document.body.dataset.polls = String(state.tick);
    say("");
  } catch (error) {
    say(String(error.message || error));
  }
  setTimeout(poll, POLL_MS);
}

function showTab(name) {
  state.tab = name;
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== "tab-" + name;
  for (const button of document.querySelectorAll("nav button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  if (name === "config") {
    fillRunSelect($("config-a"), false);
    fillRunSelect($("config-b"), true);
    showConfig().catch((error) => say(String(error.message || error)));
  }
  redrawAll();
}

function start() {
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $("run-filter").addEventListener("input", () => refreshRuns().then(redrawAll));
  $("key-filter").addEventListener("input", redrawScalars);
  $("smoothing").addEventListener("input", () => {
    state.smoothing = Number($("smoothing").value);
    $("smoothing-value").textContent = state.smoothing.toFixed(2);
  });
  $("smoothing").addEventListener("change", () => {
    for (const chart of state.charts.values()) if (chart.graph) chart.graph.destroy();
    $("charts").replaceChildren();
    state.charts.clear();
    state.series.clear();
  });
  $("log-y").addEventListener("change", () => {
    state.logY = $("log-y").checked;
    redrawScalars();
  });
  $("compare-tag").addEventListener("change", () => {
    $("compare-step").dataset.tag = "";
    redrawCompare();
  });
  $("compare-step").addEventListener("input", redrawCompare);
  $("config-a").addEventListener("change", showConfig);
  $("config-b").addEventListener("change", showConfig);
  state.smoothing = Number($("smoothing").value);
  $("smoothing-value").textContent = state.smoothing.toFixed(2);
  showTab("scalars");
  poll();
}

document.addEventListener("DOMContentLoaded", start);
