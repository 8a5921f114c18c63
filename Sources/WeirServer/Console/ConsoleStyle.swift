/// The web console's stylesheet (`GET /console.css`). Colours are dark on white, each
/// with at least 4.5:1 contrast; a component's trouble is also written in its badge,
/// never shown by colour alone. Wide things (the graph, tables) scroll inside their own
/// box, so a phone's screen (390 px) never cuts or overlaps them.
enum ConsoleStyle {
    static let css = #"""
        :root { --fg: #1b1b1b; --muted: #4a4a4a; --bg: #ffffff; --panel: #f4f5f7; --line: #5c6370;
          --alert: #a4001c; --alert-bg: #fdecee; --warn: #6b4500; --warn-bg: #fff4dc; --ok: #1d6b34; --link: #0a4fb3; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        a { color: var(--link); }
        .top { display: flex; flex-wrap: wrap; gap: 0.25rem 1.5rem; align-items: baseline; padding: 0.75rem 1rem;
          border-bottom: 1px solid #c9ccd1; }
        h1 { font-size: 1.3rem; margin: 0; }
        h2 { font-size: 1.1rem; margin: 0 0 0.4rem; }
        h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
        #status { margin: 0; color: var(--muted); }
        #status[data-connection="lost"] { color: var(--alert); font-weight: 600; }
        main { padding: 0.5rem 1rem 1rem; max-width: 100%; }
        section { margin: 0.75rem 0 1.25rem; min-width: 0; }
        .hint { color: var(--muted); margin: 0 0 0.5rem; font-size: 0.9rem; }
        .noscript { margin: 1rem; padding: 0.75rem; border: 2px solid var(--alert); color: var(--alert); background: var(--alert-bg); }
        .graph-scroll { overflow: auto; max-width: 100%; max-height: 70vh; border: 1px solid #c9ccd1; background: var(--panel);
          border-radius: 4px; }
        .graph-scroll:focus-visible { outline: 3px solid var(--link); }
        svg#graph { display: block; font: 12px system-ui, sans-serif; }
        .node rect { fill: #ffffff; stroke: var(--line); stroke-width: 1.2; }
        .node.kind-topic rect, .node.kind-dead_letter_topic rect { fill: #eef1f6; }
        .node.tappable { cursor: pointer; }
        .node.tappable:hover rect, .node:focus rect { stroke: var(--link); stroke-width: 2.5; }
        .node:focus { outline: none; }
        .node.selected rect { stroke: var(--link); stroke-width: 3; }
        .node .label { font-weight: 600; fill: var(--fg); }
        .node .type, .node .rate { fill: var(--muted); }
        .node .badge { font-weight: 700; fill: var(--alert); }
        .node.alert rect { stroke: var(--alert); stroke-width: 2.5; fill: var(--alert-bg); }
        .node.alert.lag-growing:not(.has-errors):not(.has-dead-letters):not(.restarting) rect { stroke: var(--warn); fill: var(--warn-bg); }
        .node.alert.lag-growing:not(.has-errors):not(.has-dead-letters):not(.restarting) .badge { fill: var(--warn); }
        .edge path { fill: none; stroke: var(--line); stroke-width: 1.4; }
        .edge.kind-dead_letter path { stroke: var(--alert); stroke-dasharray: 6 4; }
        .edge.kind-table path { stroke-dasharray: 2 3; }
        .edge text { fill: var(--fg); font-size: 11px; paint-order: stroke; stroke: var(--panel); stroke-width: 3px; }
        .edge text.lag { font-weight: 600; }
        #arrow path { fill: var(--line); }
        #arrow-dlq path { fill: var(--alert); }
        .alerts { margin: 0.5rem 0 0; padding-left: 1.2rem; color: var(--alert); }
        .alerts:empty { display: none; }
        .chart-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 0.6rem; }
        figure.chart { margin: 0; padding: 0.4rem 0.5rem; background: var(--panel); border-radius: 4px; min-width: 0; }
        figure.chart figcaption { font-size: 0.85rem; overflow-wrap: anywhere; }
        figure.chart svg { display: block; width: 100%; height: 48px; }
        figure.chart polyline { fill: none; stroke: var(--link); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
        figure.chart[data-metric="lag"] polyline { stroke: var(--warn); }
        .table-scroll { overflow-x: auto; max-width: 100%; margin-bottom: 0.75rem; }
        table { border-collapse: collapse; font-size: 0.9rem; min-width: 24rem; }
        caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
        th, td { border-bottom: 1px solid #d5d8dd; padding: 0.25rem 0.6rem; text-align: right; white-space: nowrap; }
        th:first-child, td:first-child { text-align: left; }
        thead th { background: var(--panel); }
        #tap { border: 1px solid #c9ccd1; border-radius: 4px; padding: 0.6rem 0.75rem; }
        .tap-controls { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
        .tap-controls input { width: 5rem; font: inherit; }
        .tap-controls button { font: inherit; padding: 0.25rem 0.8rem; }
        .tap-records { margin: 0.5rem 0 0; padding: 0 0 0 2.2rem; max-height: 22rem; overflow: auto; font: 12px/1.4 ui-monospace, monospace; }
        .tap-records li { overflow-wrap: anywhere; border-bottom: 1px solid #e2e4e8; padding: 0.15rem 0; }
        .bottom { padding: 0.5rem 1rem 1.5rem; color: var(--muted); font-size: 0.9rem; border-top: 1px solid #c9ccd1; }
        @media (max-width: 600px) {
          main { padding: 0.25rem 0.6rem 1rem; }
          .graph-scroll { max-height: 60vh; }
          .chart-list { grid-template-columns: 1fr; }
        }

        """#
}
