// One-click shortlisting without leaving the page: the form still works without JavaScript
// (it posts and comes back); with it, the button just turns into "added".
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.classList.contains("add-one")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "X-CSRF-Token": token, "X-Requested-With": "fetch" },
    credentials: "same-origin",
  });
  if (response.ok) {
    const body = await response.json();
    button.textContent = button.dataset.done;
    button.dataset.state = "added";
    const open = document.querySelector('[data-testid="open-shortlist"]');
    if (!open && body.shortlist) {
      const link = document.createElement("a");
      link.className = "button";
      link.dataset.testid = "open-shortlist";
      link.href = "/ui/shortlists/" + body.shortlist;
      link.textContent = document.querySelector('[data-testid="recommendations"]').dataset.openLabel;
      form.closest("main").querySelector("p").prepend(link);
    }
  } else {
    button.disabled = false;
  }
});
