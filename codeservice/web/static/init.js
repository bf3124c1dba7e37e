import { initAll } from "/assets/govuk-frontend.min.js";

initAll();

// A table's region (the table_region macro) is a named, focusable region only while
// its table is wider than it and must be scrolled sideways: where the table fits, it is
// no extra tab stop and no extra landmark. Without JavaScript every region stays one.
const regions = document.querySelectorAll(".app-table-region");
const fit = (region) => {
  if (region.scrollWidth > region.clientWidth) {
    region.setAttribute("role", "region");
    region.setAttribute("aria-label", region.dataset.label);
    region.setAttribute("tabindex", "0");
  } else {
    region.removeAttribute("role");
    region.removeAttribute("aria-label");
    region.removeAttribute("tabindex");
  }
};
if (regions.length && "ResizeObserver" in window) {
  // The region's size changes with the window; its table's also when the web font
  // arrives after the first layout, and then the table may no longer fit (or may).
  const observer = new ResizeObserver((entries) =>
    entries.forEach((entry) => fit(entry.target.closest(".app-table-region"))),
  );
  regions.forEach((region) => {
    observer.observe(region);
    if (region.firstElementChild) observer.observe(region.firstElementChild);
  });
}
