'use strict';
// The plotly.js the dashboard serves (`make assets` bundles it with esbuild into
// dashboard/assets/vendor/plotly-presence.min.js): the core (with the scatter trace) and only
// the traces the pages draw — bar, heatmap, choropleth, scattergl (the national commune map:
// 35,000 points in WebGL, dashboard/views/carte_communes.py) — plus the French locale. 2.0 MB
// instead of the full bundle's 4.8 MB: half a second less of parsing before a map is drawn.
// scattergl is plotly's « strict » one: its WebGL programs precompiled, since regl's own code
// generation (new Function) is refused by our Content-Security-Policy (no 'unsafe-eval'), and
// Plotly then says « WebGL is not supported ». It adds 0.56 MB (0.18 MB gzipped); the Makefile
// points regl at plotly's copy, as plotly.js's build does, and the npm package `buffer` stands
// in for Node's.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/src/traces/scattergl/strict'),
    require('plotly.js/lib/locales/fr'),
]);

module.exports = Plotly;
