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
//
// An open dropdown shows a dialog with a search box and a list box that have no name of their
// own (the search box's placeholder is no label: RGAA 11.1): each is named by the same label,
// as it opens and whenever its list is drawn again.
(function () {
    "use strict";
    const stands = document.getElementsByClassName("dash-dropdown-focus-target"); // live
    const opened = document.getElementsByClassName("dash-dropdown-content"); // live
    const done = new WeakSet();

    function labelOf(button) {
        const label = button.id &&
            document.querySelector("label[for='" + CSS.escape(button.id) + "']");
        if (label && !label.id) { label.id = button.id + "-libelle"; }
        return label;
    }

    function fix(stand) {
        stand.style.display = "none";
        const button = stand.nextElementSibling;
        if (!button || !button.matches("button.dash-dropdown")) { return; }
        button.tabIndex = 0;
        const label = labelOf(button);
        if (label) {
            const names = (button.getAttribute("aria-labelledby") || "").split(/\s+/)
                .filter((name) => name && name !== label.id);
            button.setAttribute("aria-labelledby", [label.id].concat(names).join(" "));
        }
    }

    function name(content) {
        const wrapper = content.closest(".dash-dropdown-wrapper");
        const button = wrapper && wrapper.querySelector("button.dash-dropdown");
        const label = button && labelOf(button);
        if (!label) { return; }
        const parts = [content].concat(Array.from(content.querySelectorAll(
            ".dash-dropdown-search, [role='listbox']")));
        for (const part of parts) {
            if (part.getAttribute("aria-labelledby") !== label.id) {
                part.setAttribute("aria-labelledby", label.id);
            }
        }
    }

    new MutationObserver(function () {
        for (const stand of stands) {
            if (!done.has(stand)) {
                done.add(stand);
                fix(stand);
            }
        }
        for (const content of opened) { name(content); }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
