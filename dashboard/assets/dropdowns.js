// Dash 4's dcc.Dropdown, reached by the keyboard on its own button and named by its label
// (RGAA 7.1 and 11.1; WCAG 4.1.2 and 2.5.3).
//
// Each dropdown renders an invisible <input class="dash-dropdown-focus-target" aria-hidden="true">
// as its stop in the Tab order, which hands the focus on to the dropdown's button (tabindex -1):
// an element hidden from screen readers that still takes the focus (axe-core:
// aria-hidden-focus). dcc.Dropdown has no property for this: here the stand-in leaves the page
// (display: none, so it is never focused) and the button, which carries the dropdown's id and
// its keyboard handling, takes its place in the Tab order. The button's name is its value only
// (aria-labelledby): the page's <label for> of the dropdown goes first in it, so that a screen
// reader says « Territoire, 35 — Ille-et-Vilaine » and voice control finds it by its label.
// React never sets these again (they are no properties that change); dropdowns that a page
// renders later are fixed as they appear.
(function () {
    "use strict";
    const stands = document.getElementsByClassName("dash-dropdown-focus-target"); // live
    const done = new WeakSet();

    function fix(stand) {
        stand.style.display = "none";
        const button = stand.nextElementSibling;
        if (!button || !button.matches("button.dash-dropdown")) { return; }
        button.tabIndex = 0;
        const label = button.id &&
            document.querySelector("label[for='" + CSS.escape(button.id) + "']");
        if (label) {
            if (!label.id) { label.id = button.id + "-libelle"; }
            const names = (button.getAttribute("aria-labelledby") || "").split(/\s+/)
                .filter((name) => name && name !== label.id);
            button.setAttribute("aria-labelledby", [label.id].concat(names).join(" "));
        }
    }

    new MutationObserver(function () {
        for (const stand of stands) {
            if (!done.has(stand)) {
                done.add(stand);
                fix(stand);
            }
        }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
