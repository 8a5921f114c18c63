/// The web console's script (`GET /console.js`): plain JavaScript, no framework and no
/// network beyond this weir. It draws `/api/graph` as SVG (the server laid it out: rank
/// is the column, order the row), fills the charts from `/api/history`, follows
/// `/api/events` (one sample a second), polls `/api/pipelines` for topics and groups,
/// and taps a component's records from `/api/tap`. Text goes into the page with
/// `textContent` only: records are shown, never interpreted.
enum ConsoleScript {
    static let javascript = #"""
        "use strict";
        (() => {
        const SVG = "http://www.w3.org/2000/svg";
        const CAPACITY = 900;          // samples kept, as the server keeps them
        const MINUTE = 60;             // samples an error or dead letter counts for
        const LAG_WINDOW = 30;         // samples over which a growing lag is flagged
        const TAP_KEEP = 200;          // records the tap list keeps
        const BOX = { w: 236, h: 88, col: 310, row: 136, pad: 24 };

        const state = {
          graph: null, nodes: new Map(), sinkEdges: [], series: new Map(), times: [], sequence: 0,
          report: null, drawn: false, hasData: false, charts: new Map(), tap: null,
        };

        const $ = (id) => document.getElementById(id);

        function svg(tag, attributes, text) {
          const element = document.createElementNS(SVG, tag);
          for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
          if (text !== undefined) element.textContent = text;
          return element;
        }

        function html(tag, attributes, text) {
          const element = document.createElement(tag);
          for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
          if (text !== undefined) element.textContent = text;
          return element;
        }

        function number(value) {
          const v = Number(value) || 0;
          const abs = Math.abs(v);
          if (abs >= 1e9) return (v / 1e9).toFixed(1) + "G";
          if (abs >= 1e6) return (v / 1e6).toFixed(1) + "M";
          if (abs >= 1e4) return (v / 1e3).toFixed(0) + "k";
          if (abs >= 1e3) return (v / 1e3).toFixed(1) + "k";
          return Number.isInteger(v) ? String(v) : v.toFixed(1);
        }

        function bytes(value) {
          const v = Number(value) || 0;
          if (v >= 1e9) return (v / 1e9).toFixed(1) + " GB";
          if (v >= 1e6) return (v / 1e6).toFixed(1) + " MB";
          if (v >= 1e3) return (v / 1e3).toFixed(1) + " kB";
          return v.toFixed(0) + " B";
        }

        function shorten(text, length) {
          return text.length > length ? text.slice(0, length - 1) + "…" : text;
        }

        async function getJSON(path) {
          const response = await fetch(path, { cache: "no-store" });
          if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
          return response.json();
        }

        function setStatus(text, connection) {
          const status = $("status");
          status.textContent = text;
          if (connection) status.dataset.connection = connection;
        }

        // MARK: the graph

        function position(node) {
          return { x: BOX.pad + node.rank * BOX.col, y: BOX.pad + node.order * BOX.row };
        }

        function componentId(node) {
          return node.id.slice(node.id.indexOf("/") + 1);
        }

        function drawGraph(graph) {
          const root = $("graph");
          root.replaceChildren();
          state.nodes.clear();
          state.sinkEdges = [];
          const byId = new Map(graph.nodes.map((node) => [node.id, node]));
          const ranks = Math.max(0, ...graph.nodes.map((node) => node.rank)) + 1;
          const rows = Math.max(0, ...graph.nodes.map((node) => node.order)) + 1;
          const width = BOX.pad * 2 + (ranks - 1) * BOX.col + BOX.w;
          const height = BOX.pad * 2 + (rows - 1) * BOX.row + BOX.h + 36;
          root.setAttribute("width", width);
          root.setAttribute("height", height);
          root.setAttribute("viewBox", `0 0 ${width} ${height}`);
          root.setAttribute("aria-label", `Pipeline graph: ${graph.nodes.length} nodes, ${graph.edges.length} edges`);

          const defs = svg("defs");
          for (const id of ["arrow", "arrow-dlq"]) {
            const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
            marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
            defs.append(marker);
          }
          root.append(defs);

          const edges = svg("g", { class: "edges" });
          for (const edge of graph.edges) {
            const from = byId.get(edge.from), to = byId.get(edge.to);
            if (!from || !to) continue;
            const a = position(from), b = position(to);
            const dead = edge.kind === "dead_letter";
            const x1 = a.x + BOX.w, y1 = a.y + BOX.h / 2 + (dead ? 12 : 0);
            const x2 = b.x, y2 = b.y + BOX.h / 2 + (dead ? 12 : 0);
            let d;
            if (to.rank === from.rank + 1 && !dead) {
              const dx = Math.max(30, (x2 - x1) / 2);
              d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
            } else {
              // Past a column, back to an earlier one (a loop through a topic), or to the
              // dead-letter topic: out into the gap after the source's column, along the
              // gap under the lower row, up the gap before the target's column: the gaps
              // hold no box, so no box is crossed.
              const gap = dead ? 16 : 32;
              const lane = BOX.pad + Math.max(from.order, to.order) * BOX.row + BOX.h + (dead ? 30 : 16);
              const gx1 = x1 + gap, gx2 = x2 - gap;
              d = `M${x1},${y1} L${gx1},${y1} L${gx1},${lane} L${gx2},${lane} L${gx2},${y2} L${x2},${y2}`;
            }
            const labelAt = { x: x2 - 6, y: y2 - 6, anchor: "end" };
            const group = svg("g", { class: `edge kind-${edge.kind}`, "data-from": edge.from, "data-to": edge.to, "data-kind": edge.kind });
            group.append(svg("path", { d, "marker-end": edge.kind === "dead_letter" ? "url(#arrow-dlq)" : "url(#arrow)" }));
            if (edge.label) {
              group.append(svg("text", { class: "route", x: labelAt.x, y: labelAt.y - (to.kind === "sink" ? 14 : 0), "text-anchor": labelAt.anchor }, edge.label));
            }
            if (to.kind === "sink" && edge.kind !== "dead_letter") {
              const lag = svg("text", { class: "lag", x: labelAt.x, y: labelAt.y, "text-anchor": labelAt.anchor, "data-lag": "", "data-sink": to.id }, "lag …");
              group.append(lag);
              state.sinkEdges.push({ sink: to.id, text: lag });
            }
            edges.append(group);
          }
          root.append(edges);

          const nodes = svg("g", { class: "nodes" });
          for (const node of graph.nodes) {
            const { x, y } = position(node);
            const tappable = ["source", "transform", "sink"].includes(node.kind);
            const group = svg("g", {
              class: `node kind-${node.kind}` + (tappable ? " tappable" : ""), transform: `translate(${x},${y})`,
              "data-id": node.id, "data-kind": node.kind, "data-type": node.type, "data-flags": "", "data-state": "",
            });
            if (node.pipeline) group.setAttribute("data-pipeline", node.pipeline);
            const title = svg("title", {}, `${node.label} (${node.kind}, ${node.type})`);
            group.append(title, svg("rect", { width: BOX.w, height: BOX.h, rx: 6 }));
            group.append(svg("text", { class: "label", x: 10, y: 18 }, shorten(node.label, 30)));
            group.append(svg("text", { class: "type", x: 10, y: 34 }, shorten(node.kind === "dead_letter_topic" ? "dead-letter topic" : node.kind === "topic" ? "topic" : `${node.kind} · ${node.type}`, 30)));
            const rate = svg("text", { class: "rate", x: 10, y: 50, "data-rate": "" }, "");
            const volume = svg("text", { class: "rate bytes", x: 10, y: 65, "data-bytes-rate": "" }, "");
            const badge = svg("text", { class: "badge", x: 10, y: 81 }, "");
            group.append(rate, volume, badge);
            if (tappable) {
              group.setAttribute("tabindex", "0");
              group.setAttribute("role", "button");
              group.setAttribute("aria-label", `${node.pipeline}.${componentId(node)}, ${node.kind} ${node.type}: open its tap`);
              group.addEventListener("click", () => openTap(node));
              group.addEventListener("keydown", (event) => {
                if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openTap(node); }
              });
            }
            nodes.append(group);
            state.nodes.set(node.id, { node, group, title, rate, volume, badge });
          }
          root.append(nodes);
          state.drawn = true;
        }

        // MARK: samples

        function sum(values, count) {
          let total = 0;
          for (let i = Math.max(0, values.length - count); i < values.length; i++) total += values[i];
          return total;
        }

        function last(values) { return values.length ? values[values.length - 1] : 0; }

        function trim(values) { if (values.length > CAPACITY) values.splice(0, values.length - CAPACITY); }

        function seriesFor(component) {
          let series = state.series.get(component.node);
          if (!series) {
            series = { node: component.node, pipeline: component.pipeline, id: component.id, kind: component.kind, type: component.type,
              received: [], sent: [], bytes: [], errors: [], deadLettered: [], lag: component.kind === "sink" ? [] : null, state: "", detail: "" };
            state.series.set(component.node, series);
          }
          return series;
        }

        function loadHistory(history) {
          state.series.clear();
          state.times = history.times.slice();
          state.sequence = history.sequence;
          for (const component of history.components) {
            const series = seriesFor(component);
            series.received = component.received_records_per_second.slice();
            series.sent = component.sent_records_per_second.slice();
            series.bytes = component.received_bytes_per_second.slice();
            series.errors = component.errors.slice();
            series.deadLettered = component.dead_lettered.slice();
            if (series.lag) series.lag = (component.lag || []).slice();
          }
          if (history.times.length) state.hasData = true;
        }

        function addSample(sample) {
          if (sample.sequence <= state.sequence && sample.sequence + 5 > state.sequence) return;
          if (sample.sequence < state.sequence) { state.series.clear(); state.times = []; }  // another run: start again
          state.sequence = sample.sequence;
          state.times.push(sample.time);
          trim(state.times);
          for (const component of sample.components) {
            const series = seriesFor(component);
            series.received.push(component.received_records_per_second);
            series.sent.push(component.sent_records_per_second);
            series.bytes.push(component.received_bytes_per_second);
            series.errors.push(component.errors);
            series.deadLettered.push(component.dead_lettered);
            if (series.lag) series.lag.push(component.lag || 0);
            for (const values of [series.received, series.sent, series.bytes, series.errors, series.deadLettered, series.lag]) if (values) trim(values);
            series.state = component.state;
            series.detail = component.detail || "";
          }
          state.hasData = true;
          render();
        }

        /// What needs attention, as words (the badge) and as flags (classes, data-flags).
        function trouble(series) {
          const flags = [], words = [];
          const errors = sum(series.errors, MINUTE), dead = sum(series.deadLettered, MINUTE);
          if (errors > 0) { flags.push("errors"); words.push(`errors ${number(errors)}/min`); }
          if (dead > 0) { flags.push("dead_letters"); words.push(`dead letters ${number(dead)}/min`); }
          if (series.state === "starting" && /restart/i.test(series.detail)) { flags.push("restarting"); words.push("restarting"); }
          else if (series.state === "failed") { flags.push("failed"); words.push("failed"); }
          else if (series.state === "starting") { flags.push("starting"); words.push("starting"); }
          if (lagGrowing(series.lag)) { flags.push("lag_growing"); words.push("lag growing"); }
          return { flags, words };
        }

        /// A lag that rose through the last 30 s: the means of 3 samples at 30, 20 and 10 s
        /// ago and now each above the one before, and now above 100 records (a lag of a
        /// few records comes and goes with every batch).
        function lagGrowing(lag) {
          if (!lag || lag.length < LAG_WINDOW + 2) return false;
          const mean = (end) => (lag[end] + lag[end - 1] + lag[end - 2]) / 3;
          const n = lag.length - 1;
          const points = [n - LAG_WINDOW + 1, n - 19, n - 9, n].map((end) => mean(end));
          return points[3] > 100 && points[0] < points[1] && points[1] < points[2] && points[2] < points[3];
        }

        function render() {
          renderGraph();
          renderCharts();
          if (state.drawn && state.hasData && document.body.dataset.ready !== "1") document.body.dataset.ready = "1";
        }

        function renderGraph() {
          const alerts = [];
          for (const [id, view] of state.nodes) {
            const series = state.series.get(id);
            if (!series) { renderTopicNode(view); continue; }
            const received = last(series.received), sent = last(series.sent), read = last(series.bytes);
            view.rate.textContent = series.kind === "source" ? `${number(sent)} rec/s appended`
              : series.kind === "sink" ? `${number(received)} in · ${number(sent)} written /s` : `${number(received)} in · ${number(sent)} out /s`;
            view.rate.dataset.rate = String(sent);
            view.volume.textContent = series.kind === "transform" ? "" : `${bytes(read)}/s read`;
            view.volume.dataset.bytesRate = String(read);
            view.group.dataset.received = String(received);
            view.group.dataset.sent = String(sent);
            view.group.dataset.bytes = String(read);
            view.group.dataset.state = series.state;
            const { flags, words } = trouble(series);
            view.group.dataset.flags = flags.join(" ");
            view.group.classList.toggle("alert", flags.length > 0);
            view.group.classList.toggle("has-errors", flags.includes("errors"));
            view.group.classList.toggle("has-dead-letters", flags.includes("dead_letters"));
            view.group.classList.toggle("restarting", flags.includes("restarting"));
            view.group.classList.toggle("lag-growing", flags.includes("lag_growing"));
            // The box has room for ~34 characters: the badge abbreviates, the title and the
            // list under the graph say it all.
            view.badge.textContent = words.length ? "⚠ " + shorten(words.join(", ").replace("dead letters", "DLQ"), 34) : "";
            view.title.textContent = `${series.pipeline}/${series.id} (${series.kind}, ${series.type}): ${series.state || "unknown"}`
              + (series.detail ? ` (${series.detail})` : "") + (words.length ? "; " + words.join(", ") : "");
            if (words.length) alerts.push({ id, text: `${series.pipeline}/${series.id}: ${words.join(", ")}` + (series.detail ? ` (${series.detail})` : "") });
          }
          for (const { sink, text } of state.sinkEdges) {
            const series = state.series.get(sink);
            if (!series || !series.lag) continue;
            const lag = last(series.lag);
            text.textContent = `lag ${number(lag)}`;
            text.dataset.lag = String(lag);
          }
          const list = $("alerts");
          list.replaceChildren(...alerts.map((alert) => html("li", { "data-node": alert.id }, alert.text)));
        }

        function renderTopicNode(view) {
          if (!state.report || (view.node.kind !== "topic" && view.node.kind !== "dead_letter_topic")) return;
          const topic = state.report.topics.find((t) => `topic:${t.name}` === view.node.id);
          if (!topic) return;
          const records = topic.partitions.reduce((total, p) => total + (p.end_offset - p.start_offset), 0);
          const size = topic.partitions.reduce((total, p) => total + p.size_bytes, 0);
          view.rate.textContent = `${number(records)} records kept`;
          view.rate.dataset.records = String(records);
          view.volume.textContent = `${bytes(size)} in ${topic.partitions.length} partitions`;
        }

        // MARK: charts

        function chart(key, caption, metric) {
          let view = state.charts.get(key);
          if (view) return view;
          const figure = html("figure", { class: "chart", "data-node": key.split("|")[0], "data-metric": metric });
          const label = html("figcaption", {}, caption);
          const picture = svg("svg", { viewBox: `0 0 ${CAPACITY} 48`, preserveAspectRatio: "none", role: "img", "aria-label": caption });
          const line = svg("polyline", { points: "" });
          picture.append(line);
          figure.append(label, picture);
          $("chart-list").append(figure);
          view = { figure, label, picture, line, caption };
          state.charts.set(key, view);
          return view;
        }

        function drawLine(view, values, unit) {
          const peak = Math.max(1, ...values);
          const offset = CAPACITY - values.length;
          view.line.setAttribute("points", values.map((v, i) => `${offset + i},${(46 - (v / peak) * 44).toFixed(1)}`).join(" "));
          const span = values.length < 120 ? `${values.length} s` : `${Math.round(values.length / 60)} min`;
          const text = `${view.caption}: now ${number(last(values))}${unit}, peak ${number(Math.max(0, ...values))}${unit}, over ${span}`;
          view.label.textContent = text;
          view.picture.setAttribute("aria-label", text);
          view.figure.dataset.last = String(last(values));
          view.figure.dataset.points = String(values.length);
        }

        function renderCharts() {
          for (const series of state.series.values()) {
            const name = `${series.pipeline}/${series.id}`;
            const records = series.kind === "sink" ? "written" : series.kind === "source" ? "appended" : "out";
            drawLine(chart(`${series.node}|records`, `${name} records ${records}/s`, "records"), series.sent, "/s");
            if (series.lag) drawLine(chart(`${series.node}|lag`, `${name} lag`, "lag"), series.lag, "");
          }
        }

        // MARK: topics and groups

        function table(caption, header, rows, attributes) {
          const element = html("table", attributes);
          element.append(html("caption", {}, caption));
          const head = html("thead"), headRow = html("tr");
          for (const name of header) headRow.append(html("th", { scope: "col" }, name));
          head.append(headRow);
          const body = html("tbody");
          for (const row of rows) {
            const tr = html("tr", row.attributes);
            row.cells.forEach((cell, i) => tr.append(html(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, cell)));
            body.append(tr);
          }
          element.append(head, body);
          const scroll = html("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption });
          scroll.append(element);
          return scroll;
        }

        function renderTopics(report) {
          const partitions = [];
          for (const topic of report.topics) {
            for (const p of topic.partitions) {
              partitions.push({ attributes: { "data-topic": topic.name, "data-partition": p.partition },
                cells: [topic.name, p.partition, p.start_offset, p.end_offset, number(p.end_offset - p.start_offset), bytes(p.size_bytes), p.segments ?? ""] });
            }
          }
          $("topic-tables").replaceChildren(partitions.length
            ? table("Partitions of every topic", ["Topic", "Partition", "Start offset", "End offset", "Records", "Size", "Segments"], partitions, { id: "partitions" })
            : html("p", {}, "No topics (a cluster's topics are the cluster's to show)."));
          const groups = [];
          for (const pipeline of report.pipelines) {
            for (const g of pipeline.groups) {
              groups.push({ attributes: { "data-group": g.group, "data-topic": g.topic, "data-partition": g.partition, "data-group-lag": g.lag },
                cells: [g.group, `${pipeline.name}/${g.sink}`, g.topic, g.partition, g.committed, g.end, g.lag] });
            }
          }
          $("group-tables").replaceChildren(groups.length
            ? table("Committed offset and lag of each group, per partition", ["Group", "Sink", "Topic", "Partition", "Committed", "End", "Lag"], groups, { id: "groups" })
            : html("p", {}, "No group has committed yet."));
          // Component states as /api/pipelines has them (events bring them every second too).
          for (const pipeline of report.pipelines) {
            for (const c of pipeline.components) {
              const series = state.series.get(`${c.kind}:${pipeline.name}/${c.id}`);
              if (series) { series.state = c.state; series.detail = c.detail || ""; }
            }
          }
        }

        async function pollPipelines() {
          try {
            state.report = await getJSON("/api/pipelines");
            renderTopics(state.report);
            renderGraph();
          } catch (error) {
            // The events say when the connection is lost.
          }
        }

        // MARK: the tap

        function openTap(node) {
          closeTap();
          const name = `${node.pipeline}.${componentId(node)}`;
          for (const view of state.nodes.values()) view.group.classList.toggle("selected", view.node.id === node.id);
          const panel = $("tap");
          panel.hidden = false;
          panel.dataset.component = name;
          panel.dataset.node = node.id;
          $("tap-component").textContent = name;
          $("tap-records").replaceChildren();
          state.tap = { name, received: 0, shown: 0, dropped: 0, second: 0, inSecond: 0, paused: false, controller: null, note: "" };
          startTap();
          panel.scrollIntoView({ block: "nearest" });
        }

        async function startTap() {
          const tap = state.tap;
          if (!tap) return;
          const controller = new AbortController();
          tap.controller = controller;
          tap.note = "tapping";
          $("tap").dataset.state = "tapping";
          renderTapStatus();
          try {
            const response = await fetch(`/api/tap?component=${encodeURIComponent(tap.name)}`, { signal: controller.signal, cache: "no-store" });
            if (!response.ok) {
              const body = await response.json().catch(() => ({}));
              throw new Error(body.error || `HTTP ${response.status}`);
            }
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            let pending = "";
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              pending += decoder.decode(value, { stream: true });
              const lines = pending.split("\n");
              pending = lines.pop();
              for (const line of lines) if (line) tapRecord(tap, line);
            }
            if (state.tap === tap && !tap.paused) { tap.note = "ended (the component is done)"; $("tap").dataset.state = "ended"; }
          } catch (error) {
            if (controller.signal.aborted) return;
            if (state.tap === tap) { tap.note = `stopped: ${error.message}`; $("tap").dataset.state = "error"; }
          }
          renderTapStatus();
        }

        /// Shows at most the chosen number of records a second; the rest are counted.
        function tapRecord(tap, line) {
          tap.received++;
          const second = Math.floor(Date.now() / 1000);
          if (second !== tap.second) { tap.second = second; tap.inSecond = 0; }
          const limit = Math.max(1, Number($("tap-rate").value) || 10);
          if (tap.inSecond >= limit) { tap.dropped++; return; }
          tap.inSecond++;
          tap.shown++;
          const list = $("tap-records");
          list.prepend(html("li", { "data-n": tap.received }, line));
          while (list.childElementCount > TAP_KEEP) list.lastElementChild.remove();
        }

        function renderTapStatus() {
          const tap = state.tap, status = $("tap-status");
          if (!tap) { status.textContent = "Not tapping."; return; }
          status.dataset.received = String(tap.received);
          status.dataset.shown = String(tap.shown);
          status.dataset.dropped = String(tap.dropped);
          const what = tap.paused ? "paused" : tap.note;
          status.textContent = `${tap.name}: ${what}; ${tap.received} records received, ${tap.shown} shown, ${tap.dropped} not shown (over the limit a second).`;
        }

        function pauseTap() {
          const tap = state.tap;
          if (!tap) return;
          tap.paused = !tap.paused;
          const button = $("tap-pause");
          button.textContent = tap.paused ? "Resume" : "Pause";
          button.setAttribute("aria-pressed", String(tap.paused));
          if (tap.paused) {
            if (tap.controller) tap.controller.abort();
            $("tap").dataset.state = "paused";
            renderTapStatus();
          } else {
            startTap();
          }
        }

        function closeTap() {
          const tap = state.tap;
          if (tap && tap.controller) tap.controller.abort();
          state.tap = null;
          const panel = $("tap");
          panel.hidden = true;
          panel.dataset.state = "closed";
          const button = $("tap-pause");
          button.textContent = "Pause";
          button.setAttribute("aria-pressed", "false");
          for (const view of state.nodes.values()) view.group.classList.remove("selected");
          renderTapStatus();
        }

        // MARK: start

        /// The browser reconnects the event stream by itself. Reconnected after it was
        /// lost, weir may have been restarted, with other pipelines: the graph, the history
        /// and the lists are read again.
        function connectEvents() {
          const events = new EventSource("/api/events");
          let lost = false;
          events.addEventListener("open", () => {
            setStatus("Live: one sample a second.", "live");
            if (lost) {
              lost = false;
              reload();
            }
          });
          events.addEventListener("sample", (event) => {
            addSample(JSON.parse(event.data));
            const time = new Date().toLocaleTimeString();
            setStatus(`Live: updated ${time}.`, "live");
          });
          events.addEventListener("error", () => {
            lost = true;
            setStatus("Connection to weir lost: retrying…", "lost");
          });
        }

        async function reload() {
          try {
            drawGraph(await getJSON("/api/graph"));
            loadHistory(await getJSON("/api/history"));
          } catch (error) {
            setStatus(`Reconnected, but the graph could not be read again: ${error.message}`, "lost");
            return;
          }
          await pollPipelines();
          render();
        }

        async function start() {
          $("tap-pause").addEventListener("click", pauseTap);
          $("tap-close").addEventListener("click", closeTap);
          $("tap-clear").addEventListener("click", () => $("tap-records").replaceChildren());
          setInterval(() => { if (state.tap) renderTapStatus(); }, 500);
          try {
            drawGraph(await getJSON("/api/graph"));
          } catch (error) {
            $("graph").replaceChildren(svg("text", { x: 10, y: 30 }, `The graph could not be read: ${error.message}`));
            state.drawn = true;
          }
          try {
            loadHistory(await getJSON("/api/history"));
          } catch (error) {
            setStatus(`The history could not be read: ${error.message}`, "lost");
          }
          await pollPipelines();
          render();
          connectEvents();
          schedulePolls(Date.now());
        }

        /// Every 5 seconds; every second while weir has not listed the topics the graph
        /// draws yet (its snapshot lags the start by a moment), for the first 15 seconds,
        /// so the page does not say "no topics" for 5 seconds after weir starts.
        function schedulePolls(started) {
          const topicsDrawn = [...state.nodes.values()].some((view) => view.node.kind === "topic");
          const waiting = topicsDrawn && state.report && state.report.topics.length === 0 && Date.now() - started < 15000;
          setTimeout(async () => { await pollPipelines(); schedulePolls(started); }, waiting ? 1000 : 5000);
        }

        start();
        })();

        """#
}
