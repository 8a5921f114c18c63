/// The web console's page (`GET /`): landmarks and empty sections that `console.js`
/// fills from `/api/graph`, `/api/history`, `/api/events` and `/api/pipelines`. It is
/// part of the binary, so the console needs no files, build step or network beyond weir.
enum ConsolePage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Weir console</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/console.css">
        <script src="/console.js" defer></script>
        </head>
        <body>
        <header class="top">
          <h1>Weir console</h1>
          <p id="status" role="status" aria-live="polite" data-connection="connecting">Connecting…</p>
        </header>
        <noscript>
          <p class="noscript">This console needs JavaScript. Without it, read
          <a href="/api/pipelines">/api/pipelines</a> (the pipelines as JSON) and
          <a href="/metrics">/metrics</a> (Prometheus metrics).</p>
        </noscript>
        <main id="main">
          <section id="graph-section" aria-labelledby="graph-heading">
            <h2 id="graph-heading">Graph</h2>
            <p class="hint">Records per second in and out, bytes read per second, and each sink's lag, every second.
            Select a component to tap its records.</p>
            <div class="graph-scroll" tabindex="0" role="region" aria-label="Pipeline graph (scrolls sideways)">
              <svg id="graph" xmlns="http://www.w3.org/2000/svg" role="group" aria-label="Pipeline graph" width="300" height="120"></svg>
            </div>
            <ul id="alerts" class="alerts" aria-label="Components needing attention"></ul>
          </section>
          <section id="tap" aria-labelledby="tap-heading" hidden>
            <h2 id="tap-heading">Tap: <span id="tap-component">none</span></h2>
            <div class="tap-controls">
              <button type="button" id="tap-pause" aria-pressed="false">Pause</button>
              <label for="tap-rate">Show at most</label>
              <input id="tap-rate" type="number" min="1" max="1000" value="10" inputmode="numeric"> <span>records a second</span>
              <button type="button" id="tap-clear">Clear</button>
              <button type="button" id="tap-close">Close</button>
            </div>
            <p id="tap-status" role="status" aria-live="polite">Not tapping.</p>
            <ol id="tap-records" class="tap-records" aria-label="Tapped records, newest first"></ol>
          </section>
          <section id="charts" aria-labelledby="charts-heading">
            <h2 id="charts-heading">Over time</h2>
            <p class="hint">The last 15 minutes, one point a second: records per second of each component, lag of each sink.</p>
            <div id="chart-list" class="chart-list"></div>
          </section>
          <section id="topics" aria-labelledby="topics-heading">
            <h2 id="topics-heading">Topics</h2>
            <div id="topic-tables"></div>
            <h3>Groups</h3>
            <div id="group-tables"></div>
          </section>
        </main>
        <footer class="bottom">
          <p>Also: <a href="/api/pipelines">/api/pipelines</a> · <a href="/api/graph">/api/graph</a> ·
          <a href="/api/history">/api/history</a> · <a href="/metrics">/metrics</a></p>
        </footer>
        </body>
        </html>

        """#
}
