/* The « Fiche préfet » and « Plan de la brigade » pages' print button (dashboard/pages/fiche.py,
   dashboard/pages/plan_brigade.py): served as a file, so that the Content-Security-Policy needs
   no inline script for it. The print style is assets/print.css. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    fiche: {
        print: function (clicks) {
            if (clicks) { window.print(); }
            return window.dash_clientside.no_update;
        },
    },
});
