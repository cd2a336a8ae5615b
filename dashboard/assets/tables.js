/* Wide tables scroll inside their block (.table-responsive) on a phone, not the whole page. A
   block that scrolls must be reachable with the keyboard, to be scrolled with the arrow keys
   (WCAG 2.1.1; axe-core's rule scrollable-region-focusable): while it scrolls it is focusable
   (tabindex="0") and a region named after its table's caption; once it no longer scrolls (a
   wider window, a shorter table) it loses what was added here, and nothing else. */
(function () {
    "use strict";
    const ADDED = "data-defilement"; // the attributes this script added, separated by spaces

    function name(block) {
        const caption = block.querySelector("caption");
        const text = caption ? caption.textContent.trim() : "";
        return (text || "Tableau") + " (défile horizontalement)";
    }

    function update(block) {
        const scrolls = block.scrollWidth > block.clientWidth + 1;
        if (scrolls && !block.hasAttribute(ADDED)) {
            const added = [];
            const wanted = {"tabindex": "0", "role": "region", "aria-label": name(block)};
            Object.keys(wanted).forEach(function (attribute) {
                const named = attribute === "aria-label" &&
                    block.hasAttribute("aria-labelledby");
                if (!block.hasAttribute(attribute) && !named) {
                    block.setAttribute(attribute, wanted[attribute]);
                    added.push(attribute);
                }
            });
            block.setAttribute(ADDED, added.join(" "));
        } else if (scrolls && block.getAttribute(ADDED).split(" ").includes("aria-label")) {
            block.setAttribute("aria-label", name(block)); // its table may have been redrawn
        } else if (!scrolls && block.hasAttribute(ADDED)) {
            block.getAttribute(ADDED).split(" ").filter(Boolean).forEach(function (attribute) {
                block.removeAttribute(attribute);
            });
            block.removeAttribute(ADDED);
        }
    }

    let pending = false;

    function scan() {
        pending = false;
        document.querySelectorAll(".table-responsive").forEach(update);
    }

    function later() {
        if (!pending) {
            pending = true;
            window.requestAnimationFrame(scan);
        }
    }

    new MutationObserver(later).observe(document.documentElement,
                                        {childList: true, subtree: true});
    window.addEventListener("resize", later);
    later();
})();
