/* The « Carte » page's browser-side callbacks (dashboard/pages/carte.py): served as a file, so
   that the Content-Security-Policy needs no inline script for them. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    carte: {
        /* Show only the settings the indicator uses. */
        controls: function (indicateur, catalogue) {
            const wanted = (catalogue && catalogue.uses[indicateur]) || [];
            return catalogue.controls.map((c) => wanted.includes(c) ? {} : {display: "none"});
        },

        /* Keep the indicator and its settings in the address without a new rendering of the
           page (a Location with refresh=False only rewrites the address bar). */
        address: function (indicateur, ...args) {
            const catalogue = args[args.length - 1];
            const values = args.slice(0, -1);
            const params = new URLSearchParams(window.location.search);
            params.set("indicateur", indicateur);
            catalogue.controls.forEach((name, i) => {
                const v = values[i];
                if (v === null || v === undefined || v === "") { params.delete(name); }
                else { params.set(name, v); }
            });
            const search = "?" + params.toString();
            return search === window.location.search ? window.dash_clientside.no_update : search;
        },

        /* The table waits for the map to be drawn: rendering a few hundred rows blocks the
           browser for as long as drawing the map, which the reader wants first. */
        ready: function (drawn) {
            if (!drawn) { return window.dash_clientside.no_update; }
            const started = performance.now();
            return new Promise((resolve) => {
                const check = () => {
                    const gd = document.querySelector("#carte-carte .js-plotly-plot");
                    const data = gd && gd.data;
                    // the national commune map (WebGL points): drawn once Plotly has laid it out
                    if (data && data.length && data[0].type === "scattergl"
                            && data[0].name === drawn.label && gd._fullLayout) {
                        // without WebGL, Plotly says so in English: say it in French, and
                        // where the same figures are
                        const missing = gd.querySelector(".no-webgl p");
                        if (missing) {
                            missing.textContent = "Ce navigateur n'affiche pas WebGL : la "
                                + "carte nationale des communes ne peut pas être dessinée. "
                                + "Le tableau ci-dessous en donne les chiffres ; la maille "
                                + "« Départements » ou un département affichent leur carte.";
                            // and no link out of the intranet (Plotly's opens get.webgl.org)
                            missing.parentElement.parentElement.onclick = null;
                        }
                        resolve(drawn);
                        return;
                    }
                    const expected = data && data.length === 2 && data[0].locations
                        ? data[0].locations.length + data[1].locations.length : -1;
                    const paths = document.querySelectorAll(
                        "#carte-carte path.choroplethlocation").length;
                    if ((data && data[0].name === drawn.label && paths === expected)
                            || performance.now() - started > 10000) {
                        resolve(drawn);
                    } else {
                        setTimeout(check, 40);
                    }
                };
                check();
            });
        },

        /* A click on a unit: a département opens its communes; a commune or a brigade its
           profile. */
        open: function (click, view) {
            const point = click && click.points && click.points[0];
            // a choropleth's unit is its location; a point of the national commune map its id
            const unit = point && (point.location || point.id);
            if (!unit || !view) { return window.dash_clientside.no_update; }
            const config = JSON.parse(document.getElementById("_dash-config").textContent);
            const prefix = config.requests_pathname_prefix || "/";
            const code = String(unit);
            const here = new URLSearchParams(window.location.search);
            const dates = new URLSearchParams();
            ["debut", "fin"].forEach((k) => { if (view[k]) { dates.set(k, view[k]); } });
            if (view.maille === "departement") {
                here.set("perimetre", "departement:" + code);
                here.set("maille", "commune");
                return prefix + "carte?" + here.toString();
            }
            if (view.maille === "brigade") {
                dates.set("id", code);
                return prefix + "brigade?" + dates.toString();
            }
            dates.set("code", code);
            return prefix + "commune?" + dates.toString();
        },
    },
});
