// Keyboard focus across Dash's page router (RGAA criteria 7.1 and 12.8).
//
// A new territory, period or map unit rewrites the address, and Dash's page router renders the
// page again for it: the control that had the focus is replaced by a new one and the focus
// would fall back to the top of the document, so that a keyboard or screen-reader user would
// have to tab through the whole navigation again after each choice. When the address changes
// inside the application (dcc.Location "callback-nav" or dcc.Link: both dispatch
// `_dashprivate_pushstate`), this script notes which control had the focus and gives it back
// to the control with the same id once the page is rendered again; on another page, it moves
// the focus to the new page's title, as screen readers expect from a page change.
(function () {
    "use strict";
    const FOCUSABLE = "input:not([type=hidden]), select, textarea, button, a[href], " +
        "[tabindex]:not([tabindex='-1'])";
    const WAIT_MS = 15000; // a national page can take a few seconds to render again
    let pending = null; // {id, node, since}
    let recent = []; // the page's elements that last had the focus, newest last

    function holderOf(element) {
        const holder = element && element.closest ? element.closest("[id]") : null;
        return holder && holder.closest("#_pages_content") ? holder : null;
    }

    function target(holder) {
        return holder.matches(FOCUSABLE) ? holder : holder.querySelector(FOCUSABLE);
    }

    document.addEventListener("focusin", function (event) {
        const holder = holderOf(event.target);
        if (holder && recent[recent.length - 1] !== holder) {
            recent = recent.filter((h) => h !== holder && document.body.contains(h)).slice(-7);
            recent.push(holder);
        }
    });

    window.addEventListener("_dashprivate_pushstate", function () {
        // when an option is chosen, the dropdown's list (which had the focus) is already gone:
        // the control is then the newest element that had the focus and is still there
        let holder = holderOf(document.activeElement);
        for (let i = recent.length - 1; !holder && i >= 0; i--) {
            if (document.body.contains(recent[i])) { holder = recent[i]; }
        }
        pending = {id: holder ? holder.id : null, node: holder, since: performance.now()};
    });

    function restore() {
        if (!pending) { return; }
        if (performance.now() - pending.since > WAIT_MS) { pending = null; return; }
        const active = document.activeElement;
        if (active && active !== document.body && document.body.contains(active)) {
            // the reader has moved on, or the old control is still there
            if (!pending.node || !document.body.contains(pending.node)) { pending = null; }
            return;
        }
        if (pending.id) {
            const holder = document.getElementById(pending.id);
            if (holder && holder !== pending.node) {
                const element = target(holder);
                if (element) {
                    element.focus();
                    pending = null;
                    return;
                }
            }
        }
        // another page (or a control the new page does not have): its title takes the focus
        const title = document.querySelector("#_pages_content h1");
        if (title && (!pending.node || !document.body.contains(pending.node)) &&
                (!pending.id || !document.getElementById(pending.id))) {
            title.setAttribute("tabindex", "-1");
            title.focus();
            pending = null;
        }
    }

    new MutationObserver(function () {
        if (pending) { window.requestAnimationFrame(restore); }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
