// Small comforts for the practitioner panel; every page works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) {
    window.print();
    return;
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.querySelector(copy.dataset.copy);
    field.select();
    navigator.clipboard?.writeText(field.value).then(() => { copy.textContent = "Copied"; });
  }
});

// Choosing an exercise fills in its default dosage (the practitioner can still change it).
document.querySelectorAll("[data-dosage-source]").forEach((select) => {
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    const form = select.form;
    for (const name of ["sets", "reps", "hold_seconds", "times_per_day", "days_per_week"]) {
      form.elements[name].value = option.dataset[name] || "";
    }
  });
});
