// Task page: "Mark as gold" and "Unmark gold" call the gold API, then reload so the page shows
// the task as the server now has it. Errors are shown with textContent.

import { api, describeError } from "./api.js";

const config = JSON.parse(document.getElementById("task-page-config").textContent);
const message = document.getElementById("gold-message");
// A button the server rendered disabled (no accepted result to use) stays disabled.
const buttons = [...document.querySelectorAll("#gold-actions button")].filter((button) => !button.disabled);

function showMessage(text) {
  message.textContent = text;
  message.hidden = !text;
}

async function send(method) {
  showMessage("");
  for (const button of buttons) button.disabled = true;
  // POST {} makes the task's accepted result its gold answer.
  const { status, body } = await api(method, config.goldUrl, method === "POST" ? {} : undefined);
  if (status === 200) {
    window.location.reload();
    return;
  }
  showMessage(describeError(body, status));
  for (const button of buttons) button.disabled = false;
}

for (const button of buttons) button.addEventListener("click", () => send(button.dataset.method));
