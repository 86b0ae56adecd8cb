namespace EdgePose.Daemon.Operations;

/// <summary>The live view's one page: the MJPEG image, the status and the latest failures, refreshed once a second.</summary>
internal static class LiveViewPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>EdgePose live view</title>
        <style>
          body { margin: 0; font: 14px sans-serif; background: #222; color: #eee; display: flex; }
          #frame { display: block; width: 640px; height: 480px; background: #000; }
          #side { padding: 8px 16px; }
          .ready { color: #6f6; } .not-ready { color: #f66; }
          table { border-collapse: collapse; } td, th { padding: 1px 6px; text-align: left; }
        </style>
        </head>
        <body>
        <img id="frame" src="live/stream.mjpg" alt="live annotated camera frame">
        <div id="side">
          <h3 id="ready">…</h3>
          <div>state <b id="state"></b> · frame <b id="frameNo"></b> · end-to-end <b id="e2e"></b> ms · age <b id="age"></b> ms</div>
          <div>camera <span id="camera"></span></div>
          <div>model <span id="model"></span></div>
          <div id="poses"></div>
          <h4>Latest failures (<span id="failuresTotal">0</span> since start)</h4>
          <table><thead><tr><th>frame</th><th>age s</th><th>object</th><th>source</th><th>reason</th></tr></thead><tbody id="failures"></tbody></table>
          <p>status updates: <span id="updates">0</span></p>
        </div>
        <script>
        let updates = 0;
        const text = (id, value) => { document.getElementById(id).textContent = value; };
        async function refresh() {
          try {
            const s = await (await fetch('live/status', { cache: 'no-store' })).json();
            const ready = document.getElementById('ready');
            ready.textContent = (s.ready ? 'READY: ' : 'NOT READY: ') + s.reason;
            ready.className = s.ready ? 'ready' : 'not-ready';
            text('state', s.state);
            text('frameNo', s.latest ? s.latest.frame : '–');
            text('e2e', s.latest ? s.latest.endToEndMs.toFixed(0) : '–');
            text('age', s.latest ? s.latest.ageMs.toFixed(0) : '–');
            text('camera', (s.camera.connected ? 'connected ' : 'LOST ') + s.camera.description + (s.camera.error ? ' (' + s.camera.error + ')' : '')
              + ' · ' + s.camera.framesPerSecond.toFixed(1) + ' fps');
            text('model', s.model.state + (s.model.lastError ? ' (' + s.model.lastError + ')' : ''));
            text('poses', s.latest ? s.latest.poses.map(p => p.objectId + ': ' + (p.found ? p.source + ' conf ' + p.confidence.toFixed(2) : 'not found') + (p.fallbackReason !== 'None' ? ' [' + p.fallbackReason + ']' : '')).join(' · ') : '');
            text('failuresTotal', s.failuresTotal);
            const rows = document.getElementById('failures');
            rows.replaceChildren(...s.failures.map(f => {
              const row = document.createElement('tr');
              for (const v of [f.frame, f.ageS.toFixed(1), f.objectId, f.found ? f.source : 'none', f.reason]) {
                const cell = document.createElement('td'); cell.textContent = v; row.appendChild(cell);
              }
              return row;
            }));
            text('updates', ++updates);
          } catch (e) {
            const ready = document.getElementById('ready');
            ready.textContent = 'daemon unreachable: ' + e; ready.className = 'not-ready';
          }
        }
        refresh();
        setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}
